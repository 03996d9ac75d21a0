-- Case 4: a forged copy (no trusted Authentication-Results): X-ACM-Milter
-- "decision=deny reason=unauthenticated", and the same in the log.
T = dofile(LIB)
T.run(function()
local QID = "4XqT3c9ZPz04"
local m = T.parse_eml(T.corpus("forged-no-authres.eml"))
T.SECRETS = T.secrets(m.path)

T.start()
local conn = T.connect()
local res = T.send(conn, { qid = QID, rcpts = { T.WATCHED }, msg = m,
                           chunks = T.split(m.body, 1500) })
T.expect_header(conn, res, { "decision=deny reason=unauthenticated" }, QID)
T.expect_decision(QID, "decision=deny reason=unauthenticated")
for _, s in ipairs(T.SECRETS) do T.expect_absent(s) end

mt.disconnect(conn)
end)
