-- Case 6: an incoming X-ACM-Milter header (forged by the sender) is removed
-- (SMFIR_CHGHEADER with an empty value, MT_HDRDELETE in miltertest).
-- A header can only be removed at EOM, and only for messages the milter
-- examines (with a watched recipient); unwatched mail is accepted at DATA.
T = dofile(LIB)
T.run(function()
local ord = T.parse_eml(T.corpus("ordinary.eml"))
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
T.SECRETS = T.secrets(acm.path)

-- copy of m with a header inserted after the first one
local function with_header(m, name, value)
	local c = T.copy_msg(m)
	table.insert(c.headers, 2, { name = name, value = value })
	return c
end

T.start()
-- MAIL FROM offered: the end-of-message changes are checked per message (see
-- T.connect_with_mail; t15 is the same kind of case without MAIL FROM)
local conn = T.connect_with_mail()

-- M1: not ACM, forged "X-ACM-Milter: decision=approve ..." -> deleted, nothing added
local m1 = with_header(ord, "X-ACM-Milter",
	"decision=approve reason=allowlisted domain=" .. T.FQDN .. " arn=" .. T.ARN)
local res = T.send(conn, { qid = "PT06M01Q", from = "alice@example.net",
                           rcpts = { T.WATCHED }, msg = m1 })
if res.stage ~= "eom" then
	T.fail("PT06M01Q: reply " .. T.rname(res.reply) .. " at " .. res.stage ..
	       ": the message was accepted before EOM, so the forged X-ACM-Milter header stays")
end
T.expect_delivered(res, "PT06M01Q")
if not mt.eom_check(conn, MT_HDRDELETE, "X-ACM-Milter") then
	T.fail("PT06M01Q: forged X-ACM-Milter header not deleted" ..
	       (mt.eom_check(conn, MT_HDRCHANGE) and " (a header was changed, not deleted)" or ""))
end
if not mt.eom_check(conn, MT_HDRDELETE, "X-ACM-Milter", 1) then
	T.fail("PT06M01Q: X-ACM-Milter deleted, but not at index 1")
end
T.expect_no_header(conn, res, "PT06M01Q")
T.expect_decision("PT06M01Q", "decision=ignore reason=not-acm")

-- M2: same, header name in another case ("x-acm-milter")
local m2 = with_header(ord, "x-acm-milter", "decision=approve reason=allowlisted")
res = T.send(conn, { qid = "PT06M02Q", from = "alice@example.net",
                     rcpts = { T.WATCHED }, msg = m2 })
if res.stage ~= "eom" then
	T.fail("PT06M02Q: reply " .. T.rname(res.reply) .. " at " .. res.stage ..
	       ": accepted before EOM, so the forged x-acm-milter header stays")
end
if not mt.eom_check(conn, MT_HDRDELETE) then
	T.fail("PT06M02Q: forged x-acm-milter header (lower case) not deleted")
end
T.expect_no_header(conn, res, "PT06M02Q")
T.expect_decision("PT06M02Q", "decision=ignore reason=not-acm")

-- M3: the ACM message carrying a forged "X-ACM-Milter: decision=deny ..." header:
-- the forged one is deleted and exactly one new header is added
local m3 = with_header(acm, "X-ACM-Milter", "decision=deny reason=forged-by-sender")
res = T.send(conn, { qid = "PT06M03Q", rcpts = { T.WATCHED }, msg = m3 })
T.expect_header(conn, res, { "decision=approve reason=allowlisted" }, "PT06M03Q")
if not mt.eom_check(conn, MT_HDRDELETE, "X-ACM-Milter") then
	T.fail("PT06M03Q: forged X-ACM-Milter header not deleted from the ACM message")
end
T.expect_decision("PT06M03Q", "decision=approve reason=allowlisted")

-- M4: ordinary message, watched recipient, no X-ACM-Milter: nothing deleted
res = T.send(conn, { qid = "PT06M04Q", from = "alice@example.net",
                     rcpts = { T.WATCHED }, msg = ord })
T.expect_delivered(res, "PT06M04Q")
if res.stage == "eom" and mt.eom_check(conn, MT_HDRDELETE) then
	T.fail("PT06M04Q: a header was deleted from a message without X-ACM-Milter")
end
T.expect_decision("PT06M04Q", "decision=ignore reason=not-acm")

mt.disconnect(conn)
end)
