-- Case 1: no watched recipient -> SMFIR_ACCEPT at DATA, nothing logged.
-- Also: a watched recipient among several (in another letter case) must
-- not be accepted at DATA (an ACCEPT at RCPT/DATA accepts the whole message).
T = dofile(LIB)
T.run(function()
T.start()
local conn = T.connect()
-- the steps acm-milter negotiates away, and the ones it must keep answering:
-- DATA (ACCEPT without a watched recipient), end of headers (ACCEPT when ruled
-- out), body (SKIP when too large), end of message
local skipped = { SMFIP_NOCONNECT = SMFIP_NOCONNECT, SMFIP_NOHELO = SMFIP_NOHELO,
                  SMFIP_NOUNKNOWN = SMFIP_NOUNKNOWN, SMFIP_NOMAIL = SMFIP_NOMAIL, SMFIP_NR_MAIL = SMFIP_NR_MAIL,
                  SMFIP_NR_RCPT = SMFIP_NR_RCPT, SMFIP_NR_HDR = SMFIP_NR_HDR }
local kept = { SMFIP_NORCPT = SMFIP_NORCPT,
               SMFIP_NODATA = SMFIP_NODATA, SMFIP_NOHDRS = SMFIP_NOHDRS,
               SMFIP_NOEOH = SMFIP_NOEOH, SMFIP_NOBODY = SMFIP_NOBODY,
               SMFIP_NR_DATA = SMFIP_NR_DATA, SMFIP_NR_EOH = SMFIP_NR_EOH,
               SMFIP_NR_BODY = SMFIP_NR_BODY }
local function count(t) local n = 0; for _ in pairs(t) do n = n + 1 end; return n end
if count(skipped) ~= 7 or count(kept) ~= 8 then
	T.fail("test setup: miltertest lacks an SMFIP_* constant")
end
for name, bit in pairs(skipped) do
	if not mt.test_option(conn, bit) then T.fail("not negotiated: " .. name) end
end
for name, bit in pairs(kept) do
	if mt.test_option(conn, bit) then T.fail("negotiated, must not be: " .. name) end
end
local ord = T.parse_eml(T.corpus("ordinary.eml"))
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))

-- 1a: ordinary mail to someone@example.com
local res = T.send(conn, { qid = "PT01M01Q", from = "alice@example.net",
                           rcpts = { T.UNWATCHED }, msg = ord })
T.expect_accept_at_data(res, "PT01M01Q (rcpt someone@)")
T.expect_absent("PT01M01Q")
T.note("PT01M01Q: ACCEPT at DATA")

-- 1b: even the ACM message, when no recipient is watched
res = T.send(conn, { qid = "PT01M02Q", rcpts = { T.UNWATCHED, "info@example.com" },
                     msg = acm })
T.expect_accept_at_data(res, "PT01M02Q (ACM text, rcpts someone@, info@)")
T.expect_absent("PT01M02Q")
T.note("PT01M02Q: ACCEPT at DATA")

-- 1c: unwatched first, then Hostmaster@ (watched, case-insensitive): not at DATA
res = T.send(conn, { qid = "PT01M03Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED, "Hostmaster@example.com" }, msg = ord })
T.expect_untouched(conn, res, "PT01M03Q", "decision=ignore reason=not-acm",
                   "PT01M03Q (rcpts someone@, Hostmaster@)")

mt.disconnect(conn)

-- 1d: an MTA that offers none of the skip and no-reply steps (an old Sendmail):
-- every step is sent and answered, with the same decisions
local oldmta = SMFIP_SKIP + SMFIP_HDR_LEADSPC
conn = T.connect(SOCK, oldmta)
if mt.test_option(conn, SMFIP_NOCONNECT) or mt.test_option(conn, SMFIP_NR_RCPT) then
	T.fail("test setup: a step negotiated although not offered")
end
res = T.send(conn, { qid = "PT01M04Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED }, msg = ord })
T.expect_accept_at_data(res, "PT01M04Q (old MTA, rcpt someone@)")
T.expect_absent("PT01M04Q")
res = T.send(conn, { qid = "PT01M05Q", from = "alice@example.net",
                     rcpts = { T.UNWATCHED, "Hostmaster@example.com" }, msg = ord })
T.expect_delivered(res, "PT01M05Q")
T.expect_decision("PT01M05Q", "decision=ignore reason=not-acm")
mt.disconnect(conn)
end)
