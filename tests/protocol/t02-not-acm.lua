-- Case 2: watched recipient, ordinary (non-Amazon) message: accepted (at EOH,
-- or CONTINUE up to EOM then ACCEPT), no header added, one decision line
-- "decision=ignore reason=not-acm".
T = dofile(LIB)
T.run(function()
T.start()
local conn = T.connect()
local ord = T.parse_eml(T.corpus("ordinary.eml"))

local res = T.send(conn, { qid = "PT02M01Q", from = "alice@example.net",
                           rcpts = { T.WATCHED }, msg = ord })
T.note("PT02M01Q: " .. T.rname(res.reply) .. " at " .. res.stage)
T.expect_untouched(conn, res, "PT02M01Q", "decision=ignore reason=not-acm",
                   "PT02M01Q (rcpt admin@)")

mt.disconnect(conn)
end)
