-- Case 12 (client part): run.sh starts the daemon with failalloc.so, which makes
-- the first calloc() of cb_negotiate fail. That connection must still be
-- negotiated (libmilter aborts a connection whose negotiate callback answers
-- anything but CONTINUE, and the MTA then applies its default action for a
-- failed milter: tempfail), with no modification action, and be accepted at
-- connect: its mail passes untouched. The next connection is filtered as usual.
T = dofile(LIB)
T.run(function()
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))

local conn = mt.connect(SOCK, 200, 0.1)
if conn == nil then T.fail("mt.connect(" .. SOCK .. ") failed") end
T.ok(mt.conninfo(conn, "mail.example.net", "192.0.2.25"), "mt.conninfo (negotiated without memory)")
T.expect_reply(conn, SMFIR_ACCEPT, "connect of the connection negotiated without memory")
if mt.test_action(conn, SMFIF_ADDHDRS) or mt.test_action(conn, SMFIF_CHGHDRS) then
	T.fail("the connection negotiated without memory asked for header actions")
end
T.wait_log(function(l) return l:find("out of memory at connect: this connection is not filtered", 1, true) end,
           "'out of memory at connect'")
mt.disconnect(conn)

-- the daemon goes on filtering
conn = T.connect()
local res = T.send(conn, { qid = "PT12M01Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_header(conn, res, { "decision=approve reason=allowlisted" }, "PT12M01Q")
T.expect_decision("PT12M01Q", "decision=approve reason=allowlisted")
mt.disconnect(conn)
T.expect_count("out of memory", 1)
end)
