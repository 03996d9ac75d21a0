-- Case 3 (and case 7 when run.sh gives an inet: SOCK): the ACM message sent as
-- an MTA sends it: macro i with SMFIC_MAIL, headers one by one, the body in
-- chunks with boundaries in the middle of lines (one inside the approval URL).
-- EOM adds exactly one X-ACM-Milter header "decision=approve reason=allowlisted",
-- and the log has "QUEUEID: decision=approve reason=allowlisted ...".
T = dofile(LIB)
T.run(function()
local QID = "4XqT3c9ZPz03"
T.STRICT_LEAD = true   -- the added value starts with exactly the blank the MTA expects
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
T.SECRETS = T.secrets(acm.path)
if #T.SECRETS == 0 then
	T.fail("test setup: no code=/context= UUID found in " .. acm.path)
end

local cut = acm.body:find("acm-certificates", 1, true)
if cut == nil then
	T.fail("test setup: no 'acm-certificates' in the body of " .. acm.path)
end
local chunks = T.split(acm.body, 777, { cut + 7 })
if #chunks < 3 or not T.has_midline_cut(chunks) then
	T.fail("test setup: chunking does not cut a line")
end

T.start()
local conn = T.connect()
local res = T.send(conn, { qid = QID, rcpts = { T.WATCHED }, msg = acm, chunks = chunks })
T.note(QID .. ": " .. #chunks .. " body chunks, reply " .. T.rname(res.reply) .. " at " .. res.stage)
T.expect_header(conn, res, { "decision=approve reason=allowlisted",
                             "domain=" .. T.FQDN, "arn=" .. T.ARN }, QID)
T.expect_decision(QID, "decision=approve reason=allowlisted")
for _, s in ipairs(T.SECRETS) do T.expect_absent(s) end

mt.disconnect(conn)

-- The same on a connection whose MTA offers neither SMFIP_HDR_LEADSPC nor
-- SMFIP_SKIP (header values then come without their leading blank, and the
-- added header must not carry one)
local QID2 = "4XqT3c9ZPz13"
local noleadspc = 0x001FFFFF - SMFIP_HDR_LEADSPC - SMFIP_SKIP
conn = T.connect(SOCK, noleadspc)
if mt.test_option(conn, SMFIP_HDR_LEADSPC) then
	T.fail("test setup: SMFIP_HDR_LEADSPC negotiated although not offered")
end
res = T.send(conn, { qid = QID2, rcpts = { T.WATCHED }, msg = acm, chunks = chunks })
T.expect_header(conn, res, { "decision=approve reason=allowlisted",
                             "domain=" .. T.FQDN, "arn=" .. T.ARN }, QID2)
T.expect_decision(QID2, "decision=approve reason=allowlisted")
mt.disconnect(conn)
end)
