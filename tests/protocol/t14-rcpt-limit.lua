-- Case 14: a recipient the milter cannot note is a refusal with a line, never a silent
-- skip. A genuine, allowlisted request whose watched recipient comes after 1,000 others
-- (more than the milter notes), or that has a recipient of 600 characters: decision
-- "ignore reason=too-large detail=recipients", delivered, no header, nothing approved; the
-- same request with 999 other recipients before admin@ is approved.
T = dofile(LIB)
T.run(function()
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
T.SECRETS = T.secrets(acm.path)

local function others(n)
	local r = {}
	for i = 1, n do r[#r + 1] = string.format("user%04d@example.org", i) end
	return r
end

T.start()
local conn = T.connect()
local many = others(1000)
many[#many + 1] = T.WATCHED
local res = T.send(conn, { qid = "PT14M01Q", rcpts = many, msg = acm })
T.expect_untouched(conn, res, "PT14M01Q", "decision=ignore reason=too-large detail=recipients")

local long = { string.rep("a", 600) .. "@example.org", T.WATCHED }
res = T.send(conn, { qid = "PT14M02Q", rcpts = long, msg = acm })
T.expect_delivered(res, "PT14M02Q")
T.expect_no_header(conn, res, "PT14M02Q")
T.expect_decision("PT14M02Q", "decision=ignore reason=too-large rcpt=admin@example.com detail=recipients")

-- under the limit: decided as always
local fits = others(999)
fits[#fits + 1] = T.WATCHED
res = T.send(conn, { qid = "PT14M03Q", rcpts = fits, msg = acm })
T.expect_header(conn, res, { "decision=approve reason=allowlisted" }, "PT14M03Q")
T.expect_decision("PT14M03Q", "decision=approve reason=allowlisted")
mt.disconnect(conn)
end)
