-- Case 8: SIGUSR1 reload.
--  1. the allowlist (DIR/allowlist, written by run.sh) lacks the rule: the ACM
--     message is denied "not-allowlisted";
--  2. the allowlist gets the rule, SIGUSR1, wait for the reload log line: the
--     next message is approved;
--  3. the configuration becomes invalid (AllowList pointed back at the short
--     list, then an unknown key), SIGUSR1: the daemon keeps running, logs
--     CONF:LINE, and keeps the previous configuration (still approves).
-- Globals from run.sh: SIGUSR1 (signal number), RELOAD_RE (optional Lua
-- pattern of the successful reload line, default "reloaded ").
T = dofile(LIB)
T.run(function()
local SIG = tonumber(SIGUSR1 or 10)
local OKPAT = RELOAD_RE or "reloaded "
local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
T.SECRETS = T.secrets(acm.path)
local ALLOW = DIR .. "/allowlist"
local SHORT = DIR .. "/allowlist.short"

local short = T.readfile(ALLOW)
if short:find(T.ARN, 1, true) or short:find("us-east-1:123456789012", 1, true) then
	T.fail("test setup: " .. ALLOW .. " already allows the test certificate")
end
T.writefile(SHORT, short)

T.start()

-- 1. not allowlisted
local conn = T.connect()
local res = T.send(conn, { qid = "PT08M01Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_decided(conn, res, "PT08M01Q", "decision=deny reason=not-allowlisted")
mt.disconnect(conn)

-- 2. add the rule, reload
T.writefile(ALLOW, T.readfile(DATA .. "/allowlist"))
local l = T.reload(SIG, function(x) return x:lower():find(OKPAT) ~= nil end,
                   "matching '" .. OKPAT .. "'")
T.note("reload: " .. l)

conn = T.connect()
res = T.send(conn, { qid = "PT08M02Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_decided(conn, res, "PT08M02Q", "decision=approve reason=allowlisted")
mt.disconnect(conn)

-- 3. invalid configuration: the AllowList line would turn approvals into
-- denials if a half-read file were applied; the unknown key comes after it
local lines, badline = {}, nil
for x in (T.readfile(CONF) .. "\n"):gmatch("(.-)\r?\n") do
	if x:match("^%s*[Aa][Ll][Ll][Oo][Ww][Ll][Ii][Ss][Tt]%s") then
		x = "AllowList " .. SHORT
	end
	table.insert(lines, x)
end
while #lines > 0 and lines[#lines] == "" do table.remove(lines) end
table.insert(lines, "NoSuchKeyForTesting yes")
badline = #lines
T.writefile(CONF, table.concat(lines, "\n") .. "\n")
local where = CONF .. ":" .. badline
l = T.reload(SIG, function(x)
	local s, e = x:find(where, 1, true)
	return s ~= nil and not x:sub(e + 1, e + 1):match("%d")
end, "naming " .. where .. " with a bad configuration")
T.note("bad reload: " .. l)

-- still running, still the previous configuration
conn = T.connect()
res = T.send(conn, { qid = "PT08M03Q", rcpts = { T.WATCHED }, msg = acm })
T.expect_decided(conn, res, "PT08M03Q", "decision=approve reason=allowlisted")
mt.disconnect(conn)
end)
