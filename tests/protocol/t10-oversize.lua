-- Case 10: a message larger than 1 MiB to admin@ (the ACM text followed by
-- padding): decision "ignore reason=too-large", delivered, no header, and the
-- daemon goes on working (an ACM message on the same connection is approved;
-- miltertest checks the exit status after SIGTERM).
T = dofile(LIB)
T.run(function()
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
T.SECRETS = T.secrets(acm.path)

local line = string.rep("0123456789abcdefghijklmnopqrstuvwxyz", 2) .. "\r\n"   -- 74 bytes
local pad = string.rep(line, math.ceil((1024 * 1024 + 256 * 1024) / #line))
local big = T.copy_msg(acm)
big.body = acm.body .. pad
local chunks = T.split(big.body, 65000)
T.note("oversized body: " .. #big.body .. " bytes in " .. #chunks .. " chunks")

T.start()
local conn = T.connect()
local res = T.send(conn, { qid = "PT10M01Q", rcpts = { T.WATCHED }, msg = big, chunks = chunks })
T.note("PT10M01Q: reply " .. T.rname(res.reply) .. " at " .. res.stage)
T.expect_untouched(conn, res, "PT10M01Q", "decision=ignore reason=too-large")

-- the same connection still works
res = T.send(conn, { qid = "PT10M02Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_header(conn, res, { "decision=approve reason=allowlisted" }, "PT10M02Q")
T.expect_decision("PT10M02Q", "decision=approve reason=allowlisted")
mt.disconnect(conn)

-- and a new connection too
conn = T.connect()
res = T.send(conn, { qid = "PT10M03Q", rcpts = { T.WATCHED }, msg = big, chunks = chunks })
T.expect_delivered(res, "PT10M03Q")
T.expect_decision("PT10M03Q", "decision=ignore reason=too-large")
mt.disconnect(conn)
end)
