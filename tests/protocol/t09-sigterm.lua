-- Case 9 (client part): run.sh starts the daemon itself; this script waits
-- for its socket, checks that it answers, and disconnects.  run.sh then sends
-- SIGTERM and checks the exit status and the socket file.
T = dofile(LIB)
T.run(function()
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
local conn = T.connect()
local res = T.send(conn, { qid = "PT09M01Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_header(conn, res, { "decision=approve reason=allowlisted" }, "PT09M01Q")
T.expect_decision("PT09M01Q", "decision=approve reason=allowlisted")
mt.disconnect(conn)
end)
