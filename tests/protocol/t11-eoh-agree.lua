-- Case 11: the daemon and `acm-milter -t` log the same decision line for the
-- same message, whether the daemon decides at end of headers (ACCEPT there)
-- or at end of message. The messages are the ones where a decision taken on
-- the first From field alone, or on a Content-Type the whole-message parse
-- does not see, would differ: several From fields, a From list, a group, a
-- folded From, two Content-Type fields, an ACM request with a second From.
T = dofile(LIB)
T.run(function()
local SENDER = "bounces@certificates.amazon.com"
local acm = T.readfile(T.corpus("new-alt-7bit-qp.eml")):gsub("\r\n", "\n")
local ord_body = "Hello,\n\nsee you tomorrow.\n"
local ord_tail = "To: admin@example.com\nMIME-Version: 1.0\nContent-Type: text/plain\n\n" .. ord_body

-- name, message text (LF line ends: written with CRLF), stage the daemon
-- must answer at ("eoh": decided on the headers; "eom": read to the end)
local cases = {
	{ "one-from", "From: alice@example.net\nSubject: lunch\n" .. ord_tail, "eoh" },
	{ "two-from", "From: alice@example.net\nFrom: no-reply@certificates.amazon.com\n" ..
	  "Subject: lunch\n" .. ord_tail, "eom" },
	{ "from-list", "From: alice@example.net, no-reply@certificates.amazon.com\n" ..
	  "Subject: lunch\n" .. ord_tail, "eom" },
	{ "from-group", "From: team: alice@example.net, bob@example.org;\nSubject: lunch\n" ..
	  ord_tail, "eom" },
	{ "folded-from", "From: =?utf-8?q?Amazon_Web_Services?=\n <alice@example.net>\n" ..
	  "Subject: lunch\n" .. ord_tail, "eoh" },
	{ "pdf", "From: no-reply@certificates.amazon.com\nSubject: report\n" ..
	  "To: admin@example.com\nMIME-Version: 1.0\nContent-Type: application/pdf\n\n" ..
	  ord_body, "eoh" },
	{ "two-ctype", "From: no-reply@certificates.amazon.com\nSubject: report\n" ..
	  "To: admin@example.com\nMIME-Version: 1.0\nContent-Type: application/pdf\n" ..
	  "Content-Type: text/plain\n\n" .. ord_body, "eoh" },
	{ "acm-second-from", "From: alice@example.net\n" .. acm, "eom" },
	{ "acm", acm, "eom" },
}

T.start()
local conn = T.connect()
for i, c in ipairs(cases) do
	local name, text, stage = c[1], c[2], c[3]
	local path = DIR .. "/" .. name .. ".eml"
	T.writefile(path, (text:gsub("\n", "\r\n")))
	local qid = string.format("PT11M%02dQ", i)
	local res = T.send(conn, { qid = qid, from = SENDER, rcpts = { T.WATCHED },
	                           msg = T.parse_eml(path) })
	T.expect_delivered(res, qid)
	if res.stage ~= stage then
		T.fail(qid .. " (" .. name .. "): answered at " .. res.stage .. ", expected " .. stage)
	end
	local daemon = T.expect_offline_agrees(qid, name, path, SENDER)
	T.expect_count(qid .. ": decision=", 1)
	T.note(name .. ": " .. daemon)
end
mt.disconnect(conn)
end)
