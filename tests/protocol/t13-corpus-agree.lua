-- Case 13: every message of the corpus through the daemon and through
-- `acm-milter -t` with the same envelope: the daemon's decision line (logged at
-- end of headers or at end of message) and the line -t prints are the same.
-- Messages an MTA could not pass as header fields (a NUL byte, a line that is
-- no header) are skipped, and counted; at least 50 must be compared.
T = dofile(LIB)
T.run(function()
local SENDER = "bounces@certificates.amazon.com"
local p = io.popen("ls '" .. DATA .. "/corpus'")
local names = {}
for n in p:lines() do
	if n:match("%.eml$") then table.insert(names, n) end
end
p:close()

T.start()
local conn = T.connect()
local compared, skipped = 0, {}
for i, name in ipairs(names) do
	local path = T.corpus(name)
	local ok, msg = pcall(T.parse_eml, path)
	local raw = T.readfile(path)
	if not ok or raw:find("\0", 1, true) then
		table.insert(skipped, name)
	else
		local qid = string.format("PT13M%03dQ", i)
		local res = T.send(conn, { qid = qid, from = SENDER, rcpts = { T.WATCHED }, msg = msg })
		T.expect_delivered(res, qid)
		T.expect_offline_agrees(qid, name, path, SENDER)
		compared = compared + 1
	end
end
mt.disconnect(conn)
T.note(compared .. " messages compared, " .. #skipped .. " skipped: " .. table.concat(skipped, " "))
if compared < 50 then T.fail("only " .. compared .. " corpus messages compared") end
end)
