-- Case 5: several messages on one connection, one of them aborted (mt.abort)
-- in the middle of its body: every message gets its own answer, nothing of
-- one message leaks into the next.
T = dofile(LIB)
T.run(function()
local acm, ord, forged, APPROVE = T.multi_messages()

T.start()
-- MAIL FROM offered: the end-of-message changes are checked per message (see
-- T.connect_with_mail; t15 is the same kind of case without MAIL FROM)
local conn = T.connect_with_mail()

-- M1: ACM -> approve
local res = T.send(conn, { qid = "PT05M01Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_header(conn, res, APPROVE, "PT05M01Q")
T.expect_decision("PT05M01Q", "decision=approve reason=allowlisted")

-- M2: ordinary, unwatched -> ACCEPT at DATA, not logged
res = T.send(conn, { qid = "PT05M02Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED }, msg = ord })
T.expect_accept_at_data(res, "PT05M02Q")
T.expect_absent("PT05M02Q")

-- M3: ACM, aborted after two body chunks -> no decision, no reply expected
res = T.send(conn, { qid = "PT05M03Q", rcpts = { T.WATCHED }, msg = acm,
                     chunks = T.split(acm.body, 300), abort_after = 2 })
if res.stage ~= "abort" then
	T.fail("PT05M03Q: ended at " .. res.stage .. " with " .. T.rname(res.reply) ..
	       " before the abort")
end
T.expect_absent("PT05M03Q: decision=")

-- M4: forged copy -> deny unauthenticated (must not inherit M3's body or headers)
res = T.send(conn, { qid = "PT05M04Q", rcpts = { T.WATCHED }, msg = forged })
T.expect_header(conn, res, { "decision=deny reason=unauthenticated" }, "PT05M04Q")
T.expect_decision("PT05M04Q", "decision=deny reason=unauthenticated")

-- M5: ordinary to a watched recipient -> ignore not-acm, no header
res = T.send(conn, { qid = "PT05M05Q", from = "alice@example.net",
                     rcpts = { T.WATCHED }, msg = ord })
T.expect_delivered(res, "PT05M05Q")
T.expect_no_header(conn, res, "PT05M05Q")
T.expect_decision("PT05M05Q", "decision=ignore reason=not-acm")

-- M6: ACM again -> approve, logged with its own queue id
res = T.send(conn, { qid = "PT05M06Q", rcpts = { T.WATCHED }, msg = acm,
                     chunks = T.split(acm.body, 4096) })
T.expect_header(conn, res, APPROVE, "PT05M06Q")
T.expect_decision("PT05M06Q", "decision=approve reason=allowlisted")

-- M7: aborted right after the headers, then M8 approve on the same connection
res = T.send(conn, { qid = "PT05M07Q", rcpts = { T.WATCHED }, msg = acm,
                     chunks = T.split(acm.body, 300), abort_after = 0 })
T.expect_absent("PT05M07Q: decision=")
res = T.send(conn, { qid = "PT05M08Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_header(conn, res, APPROVE, "PT05M08Q")
T.expect_decision("PT05M08Q", "decision=approve reason=allowlisted")

for _, s in ipairs(T.SECRETS) do T.expect_absent(s) end
mt.disconnect(conn)
end)
