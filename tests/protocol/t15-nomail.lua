-- Case 15: several messages on one connection the way Postfix sends them to
-- acm-milter: MAIL FROM is not sent (SMFIP_NOMAIL), only its macros, so each
-- message's state starts at its first recipient and ends at its answer. Nothing
-- of one message may leak into the next: not its recipients, not its body, not
-- its watched flag, also when a transaction ends without an abort (the queue id
-- changes: acm-milter starts a new message).
T = dofile(LIB)
T.run(function()
local acm, ord, forged, APPROVE = T.multi_messages()

T.start()
local conn = T.connect()
if not mt.test_option(conn, SMFIP_NOMAIL) then T.fail("SMFIP_NOMAIL not negotiated") end

-- N1: ACM -> approve (the first message on the connection: its header is checked)
local res = T.send(conn, { qid = "PT15M01Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_header(conn, res, APPROVE, "PT15M01Q")
T.expect_decision("PT15M01Q", "decision=approve reason=allowlisted")
T.expect_count("PT15M01Q: decision=approve reason=allowlisted domain=" .. T.FQDN, 1)

-- N2: ordinary, unwatched -> ACCEPT at DATA (N1's watched recipient is gone)
res = T.send(conn, { qid = "PT15M02Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED }, msg = ord })
T.expect_accept_at_data(res, "PT15M02Q")
T.expect_absent("PT15M02Q")

-- N3: ACM aborted in its body -> no decision
res = T.send(conn, { qid = "PT15M03Q", rcpts = { T.WATCHED }, msg = acm,
                     chunks = T.split(acm.body, 300), abort_after = 2 })
if res.stage ~= "abort" then
	T.fail("PT15M03Q: ended at " .. res.stage .. " before the abort")
end
T.expect_absent("PT15M03Q: decision=")

-- N4: forged copy to hostmaster@ -> deny unauthenticated, its own recipient (N3's
-- admin@ and N3's body must not be part of it)
res = T.send(conn, { qid = "PT15M04Q", rcpts = { "hostmaster@example.com" }, msg = forged })
T.expect_delivered(res, "PT15M04Q")
T.expect_decision("PT15M04Q", "decision=deny reason=unauthenticated")
T.expect_count("PT15M04Q: decision=deny reason=unauthenticated", 1)
T.expect_count("rcpt=hostmaster@example.com", 1)

-- N5: a transaction with a watched recipient that ends without DATA and without an
-- abort (its macros and RCPT only), then N6 with another queue id and no watched
-- recipient: N6 must be accepted at DATA, not inherit N5's watched recipient
mt.macro(conn, SMFIC_MAIL, "i", "PT15M05Q", "{mail_addr}", "x@example.net")
mt.macro(conn, SMFIC_RCPT, "i", "PT15M05Q", "{rcpt_addr}", "postmaster@example.com")
T.ok(mt.rcptto(conn, "<postmaster@example.com>"), "PT15M05Q: mt.rcptto")
T.expect_reply(conn, SMFIR_CONTINUE, "PT15M05Q: RCPT")
res = T.send(conn, { qid = "PT15M06Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED }, msg = ord })
T.expect_accept_at_data(res, "PT15M06Q (after PT15M05Q ended without an abort)")
T.expect_absent("PT15M05Q")
T.expect_absent("PT15M06Q")

-- N7: ordinary to a watched recipient -> ignore not-acm
res = T.send(conn, { qid = "PT15M07Q", from = "alice@example.net",
                     rcpts = { "webmaster@example.com" }, msg = ord })
T.expect_delivered(res, "PT15M07Q")
T.expect_decision("PT15M07Q", "decision=ignore reason=not-acm")

-- N8: ACM again -> approve, with its own queue id and recipient
res = T.send(conn, { qid = "PT15M08Q", rcpts = { T.WATCHED }, msg = acm,
                     chunks = T.split(acm.body, 4096) })
T.expect_delivered(res, "PT15M08Q")
T.expect_decision("PT15M08Q", "decision=approve reason=allowlisted")
T.expect_count("PT15M08Q: decision=approve reason=allowlisted domain=" .. T.FQDN .. " account=123456789012 region=us-east-1 arn=" .. T.ARN .. " rcpt=" .. T.WATCHED, 1)

mt.disconnect(conn)
T.note("8 messages on one connection without MAIL FROM: each its own decision")
end)
