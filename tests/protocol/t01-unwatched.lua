-- Case 1: no watched recipient -> SMFIR_ACCEPT at DATA, nothing logged.
-- Also: a watched recipient among several (in another letter case) must
-- not be accepted at DATA (an ACCEPT at RCPT/DATA accepts the whole message).
T = dofile(LIB)
T.run(function()
T.start()
local conn = T.connect()
local ord = T.parse_eml(T.corpus("ordinary.eml"))
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))

-- 1a: ordinary mail to someone@example.com
local res = T.send(conn, { qid = "PT01M01Q", from = "alice@example.net",
                           rcpts = { T.UNWATCHED }, msg = ord })
if res.stage ~= "data" or res.reply ~= SMFIR_ACCEPT then
	T.fail("PT01M01Q (rcpt someone@): reply " .. T.rname(res.reply) .. " at " ..
	       res.stage .. ", expected ACCEPT at DATA")
end
T.expect_absent("PT01M01Q")
T.note("PT01M01Q: ACCEPT at DATA")

-- 1b: even the ACM message, when no recipient is watched
res = T.send(conn, { qid = "PT01M02Q", rcpts = { T.UNWATCHED, "info@example.com" },
                     msg = acm })
if res.stage ~= "data" or res.reply ~= SMFIR_ACCEPT then
	T.fail("PT01M02Q (ACM text, rcpts someone@, info@): reply " .. T.rname(res.reply) ..
	       " at " .. res.stage .. ", expected ACCEPT at DATA")
end
T.expect_absent("PT01M02Q")
T.note("PT01M02Q: ACCEPT at DATA")

-- 1c: unwatched first, then Hostmaster@ (watched, case-insensitive): not at DATA
res = T.send(conn, { qid = "PT01M03Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED, "Hostmaster@example.com" }, msg = ord })
if res.stage == "data" then
	T.fail("PT01M03Q (rcpts someone@, Hostmaster@): reply " .. T.rname(res.reply) ..
	       " at DATA, expected CONTINUE (a watched recipient is present)")
end
T.expect_delivered(res, "PT01M03Q")
T.expect_no_header(conn, res, "PT01M03Q")
T.expect_decision("PT01M03Q", "decision=ignore reason=not-acm")

mt.disconnect(conn)
end)
