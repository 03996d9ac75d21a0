-- tests/protocol/lib.lua: helpers shared by the acm-milter protocol tests.
--
-- Loaded by every script with dofile(LIB).  Globals set by run.sh (-D):
--   SOCK    milter socket spec (unix:PATH or inet:PORT@127.0.0.1)
--   CONF    configuration file of this case
--   BIN     the acm-milter binary (absent: run.sh starts the daemon itself)
--   LOG     file receiving the daemon's stderr (the decision lines)
--   EXPECT  file where scripts append checks run.sh makes after the daemon exited
--   DATA    tests/data
--   DIR     private directory of this case
--
-- Every check raises a Lua error whose text starts with "FAIL:"; miltertest
-- then exits 1 (and still sends SIGTERM to the filter and waits for it).

local T = {}

T.WATCHED = "admin@example.com"
T.UNWATCHED = "someone@example.com"
T.ARN = "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369"
T.FQDN = "www.example.com"

local reply_names = {}
local function addname(k)
	if _G[k] ~= nil then reply_names[_G[k]] = k end
end
for _, k in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
                     "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE",
                     "SMFIR_SKIP" }) do
	addname(k)
end

function T.rname(r)
	if r == nil then return "nil" end
	local n = reply_names[r]
	if n then return n end
	if type(r) == "number" and r > 0 and r < 256 then
		return string.format("'%s'(%d)", string.char(r), r)
	end
	return tostring(r)
end

function T.fail(msg)
	error("FAIL: " .. msg, 0)
end

-- Run the body of a script.  miltertest (2.11.0~beta2 as packaged) does not
-- print the error that ends a script, so print it here, then re-raise it so
-- that miltertest exits 1.
function T.run(fn)
	local ok, err = xpcall(fn, function(e)
		if type(e) == "string" and e:sub(1, 5) == "FAIL:" then return e end
		return "FAIL: script error: " .. debug.traceback(tostring(e), 2)
	end)
	if not ok then
		mt.echo(tostring(err))
		error(err, 0)
	end
end

function T.note(msg)
	mt.echo("  " .. msg)
end

-- a miltertest call returns nil on success, an error string otherwise
function T.ok(res, what)
	if res ~= nil then
		T.fail(what .. ": miltertest error: " .. tostring(res))
	end
end

function T.expect_reply(conn, want, what)
	local r = mt.getreply(conn)
	if r ~= want then
		T.fail(what .. ": reply " .. T.rname(r) .. ", expected " .. T.rname(want))
	end
end

-- the message is delivered unchanged by the MTA: SMFIR_ACCEPT, or
-- SMFIR_CONTINUE at EOM (which an MTA treats the same way)
function T.expect_delivered(res, what)
	if res.reply ~= SMFIR_ACCEPT and
	   not (res.stage == "eom" and res.reply == SMFIR_CONTINUE) then
		T.fail(what .. ": reply " .. T.rname(res.reply) .. " at " ..
		       res.stage .. ", expected ACCEPT (or CONTINUE at EOM)")
	end
end

-------------------------------------------------------------------------
-- files

function T.readfile(path)
	local f, err = io.open(path, "rb")
	if f == nil then T.fail("cannot read " .. path .. ": " .. tostring(err)) end
	local s = f:read("a")
	f:close()
	return s
end

-- atomic replace (write a temporary file, then rename), mode from umask
function T.writefile(path, text)
	local tmp = path .. ".new"
	local f, err = io.open(tmp, "wb")
	if f == nil then T.fail("cannot write " .. tmp .. ": " .. tostring(err)) end
	f:write(text)
	f:close()
	local ok, rerr = os.rename(tmp, path)
	if not ok then T.fail("rename " .. tmp .. ": " .. tostring(rerr)) end
end

function T.corpus(name)
	return DATA .. "/corpus/" .. name
end

-- Parse an RFC 5322 file into { headers = {{name=,value=}...}, body = CRLF text }.
-- Header values are given as an MTA gives them to a milter: without the
-- leading blank after the colon (miltertest adds it back when the filter
-- negotiated SMFIP_HDR_LEADSPC), continuation lines joined with "\n".
function T.parse_eml(path)
	local data = T.readfile(path):gsub("\r\n", "\n")
	local head, body = data:match("^(.-)\n\n(.*)$")
	if head == nil then
		head, body = data, ""
	end
	local headers = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") then
			if #headers == 0 then T.fail(path .. ": continuation line first") end
			headers[#headers].value = headers[#headers].value .. "\n" .. line
		else
			local n, v = line:match("^([!-9;-~]+):[ \t]*(.*)$")
			if n == nil then T.fail(path .. ": bad header line: " .. line) end
			table.insert(headers, { name = n, value = v })
		end
	end
	return { headers = headers, body = body:gsub("\n", "\r\n"), path = path }
end

-- The messages of the cases with several messages on one connection (t05, t15): the
-- allowlisted request (its secrets set in T.SECRETS), an ordinary message, a copy of
-- the request without Authentication-Results, and the tokens of the approve line.
function T.multi_messages()
	local acm = T.parse_eml(T.corpus("new-alt-7bit-qp.eml"))
	local ord = T.parse_eml(T.corpus("ordinary.eml"))
	local forged = T.parse_eml(T.corpus("forged-no-authres.eml"))
	T.SECRETS = T.secrets(acm.path)
	return acm, ord, forged, { "decision=approve reason=allowlisted", "domain=" .. T.FQDN, "arn=" .. T.ARN }
end

function T.copy_msg(m)
	local h = {}
	for _, x in ipairs(m.headers) do
		table.insert(h, { name = x.name, value = x.value })
	end
	return { headers = h, body = m.body, path = m.path }
end

function T.header_value(m, name)
	for _, x in ipairs(m.headers) do
		if x.name:lower() == name:lower() then return x.value end
	end
	return nil
end

-- chunk boundaries: fixed sizes, plus optional extra cut positions
function T.split(body, size, cuts)
	local pos = {}
	for _, c in ipairs(cuts or {}) do
		if c > 1 and c <= #body then pos[c] = true end
	end
	local i = size + 1
	while i <= #body do
		pos[i] = true
		i = i + size
	end
	local starts = {}
	for p in pairs(pos) do table.insert(starts, p) end
	table.sort(starts)
	local chunks, from = {}, 1
	for _, p in ipairs(starts) do
		table.insert(chunks, body:sub(from, p - 1))
		from = p
	end
	if from <= #body then table.insert(chunks, body:sub(from)) end
	return chunks
end

-- true when at least one chunk (not the last) ends in the middle of a line
function T.has_midline_cut(chunks)
	for k = 1, #chunks - 1 do
		if chunks[k]:sub(-1) ~= "\n" then return true end
	end
	return false
end

-- UUIDs that follow code= / context= in the raw file (QP may write "=3D")
function T.secrets(path)
	local raw = T.readfile(path)
	local found, list = {}, {}
	for _, key in ipairs({ "code=", "context=", "code=3D", "context=3D" }) do
		local pat = key:gsub("%p", "%%%0") ..
		    "(%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x)"
		for u in raw:gmatch(pat) do
			if not found[u] then found[u] = true; table.insert(list, u) end
		end
	end
	return list
end

-------------------------------------------------------------------------
-- connections and messages

function T.start()
	if BIN ~= nil then
		T.ok(mt.startfilter(BIN, "-f", "-x", CONF), "mt.startfilter")
	end
end

-- connect with retries (bounded: 200 x 0.1 s), negotiate, then CONNECT and HELO
-- unless the milter negotiated them away (SMFIP_NOCONNECT, SMFIP_NOHELO: an MTA
-- then does not send them). Steps negotiated as no-reply (SMFIP_NR_*) make
-- miltertest take CONTINUE as the reply without reading one.
-- protoopts: protocol steps the "MTA" offers (default: all of SMFI_CURR_PROT)
function T.connect(sock, protoopts)
	local conn = mt.connect(sock or SOCK, 200, 0.1)
	if conn == nil then T.fail("mt.connect(" .. tostring(sock or SOCK) .. ") failed") end
	-- the 3rd and 4th arguments are protocol options and actions in
	-- miltertest.c (the man page names them the other way round); with
	-- these values both readings offer ADDHDRS and CHGHDRS
	if protoopts ~= nil then
		T.ok(mt.negotiate(conn, nil, protoopts, 0x1FF), "mt.negotiate")
	else
		T.ok(mt.negotiate(conn, nil, nil, nil), "mt.negotiate")
	end
	if not mt.test_option(conn, SMFIP_NOCONNECT) then
		T.ok(mt.conninfo(conn, "mail.example.net", "192.0.2.25"), "mt.conninfo")
		T.expect_reply(conn, SMFIR_CONTINUE, "connect")
	end
	if not mt.test_option(conn, SMFIP_NOHELO) then
		T.ok(mt.helo(conn, "mail.example.net"), "mt.helo")
		T.expect_reply(conn, SMFIR_CONTINUE, "helo")
	end
	return conn
end

-- T.connect with an MTA offer of every step and reply flag but SMFIP_NOMAIL, so that MAIL
-- FROM is sent: for the cases that check each message's end-of-message changes on one
-- connection, since miltertest forgets the previous message's changes only at MAIL FROM
-- (t15 runs several messages on one connection the way Postfix sends them, without it).
function T.connect_with_mail(sock)
	local conn = T.connect(sock, 0x1FFFFF - SMFIP_NOMAIL)
	if mt.test_option(conn, SMFIP_NOMAIL) then
		T.fail("test setup: SMFIP_NOMAIL negotiated although not offered")
	end
	return conn
end

-- Send one message as an MTA does.
--   o.qid      queue id, sent as macro "i" with the macros of SMFIC_MAIL
--   o.from     envelope sender (default <bounces@certificates.amazon.com>)
--   o.rcpts    envelope recipients (addresses without <>)
--   o.msg      parsed message (T.parse_eml)
--   o.chunks   body chunks (default: whole body in 1000-byte chunks)
--   o.abort_after  send mt.abort after this many body chunks and stop
-- Returns { stage = "data"|"header"|"eoh"|"body"|"eom"|"abort", reply = SMFIR_* }.
-- SMFIR_ACCEPT before EOM ends the message (the MTA would send nothing more).
function T.send(conn, o)
	mt.macro(conn, SMFIC_MAIL, "i", o.qid,
	         "{mail_addr}", (o.from or "bounces@certificates.amazon.com"))
	-- MAIL FROM itself only when acm-milter did not ask for it to be skipped (SMFIP_NOMAIL):
	-- an MTA sends the step's macros either way (Postfix does), the step only if asked
	if not mt.test_option(conn, SMFIP_NOMAIL) then
		T.ok(mt.mailfrom(conn, "<" .. (o.from or "bounces@certificates.amazon.com") .. ">"),
		     o.qid .. ": mt.mailfrom")
		T.expect_reply(conn, SMFIR_CONTINUE, o.qid .. ": MAIL")
	end
	for _, r in ipairs(o.rcpts) do
		mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", r)
		T.ok(mt.rcptto(conn, "<" .. r .. ">"), o.qid .. ": mt.rcptto")
		T.expect_reply(conn, SMFIR_CONTINUE, o.qid .. ": RCPT " .. r)
	end
	T.ok(mt.data(conn), o.qid .. ": mt.data")
	local r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then return { stage = "data", reply = r } end
	for _, h in ipairs(o.msg.headers) do
		T.ok(mt.header(conn, h.name, h.value), o.qid .. ": mt.header " .. h.name)
		r = mt.getreply(conn)
		if r ~= SMFIR_CONTINUE then return { stage = "header", reply = r } end
	end
	T.ok(mt.eoh(conn), o.qid .. ": mt.eoh")
	r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then return { stage = "eoh", reply = r } end
	local chunks = o.chunks or T.split(o.msg.body, 1000)
	for k, c in ipairs(chunks) do
		if o.abort_after ~= nil and k > o.abort_after then
			T.ok(mt.abort(conn), o.qid .. ": mt.abort")
			return { stage = "abort", reply = nil }
		end
		if #c > 0 then
			T.ok(mt.bodystring(conn, c), o.qid .. ": mt.bodystring")
			r = mt.getreply(conn)
			if SMFIR_SKIP ~= nil and r == SMFIR_SKIP then break end
			if r ~= SMFIR_CONTINUE then return { stage = "body", reply = r } end
		end
	end
	if o.abort_after ~= nil then
		T.ok(mt.abort(conn), o.qid .. ": mt.abort")
		return { stage = "abort", reply = nil }
	end
	T.ok(mt.eom(conn), o.qid .. ": mt.eom")
	return { stage = "eom", reply = mt.getreply(conn) }
end

-- all values of header `name` added (ADDHEADER or INSHEADER) at the last EOM
function T.added(conn, name)
	local vals, i = {}, 0
	while true do
		local v = mt.getheader(conn, name, i)
		if v == nil then break end
		table.insert(vals, v)
		i = i + 1
		if i > 50 then break end
	end
	return vals
end

-- the message got no X-ACM-Milter header and no other modification
function T.expect_no_header(conn, res, what)
	if res.stage ~= "eom" then return end
	local v = T.added(conn, "X-ACM-Milter")
	if #v ~= 0 then
		T.fail(what .. ": unexpected X-ACM-Milter header added: " .. v[1])
	end
	if mt.eom_check(conn, MT_HDRADD) or mt.eom_check(conn, MT_HDRINSERT) then
		T.fail(what .. ": a header was added, none expected")
	end
end

-- exactly one X-ACM-Milter header added at EOM, containing every string in `want`
function T.expect_header(conn, res, want, what)
	if res.stage ~= "eom" then
		T.fail(what .. ": message ended at " .. res.stage .. " with reply " ..
		       T.rname(res.reply) .. ", expected it to reach EOM")
	end
	T.expect_delivered(res, what)
	local v = T.added(conn, "X-ACM-Milter")
	if #v ~= 1 then
		T.fail(what .. ": " .. #v .. " X-ACM-Milter headers added, expected exactly 1")
	end
	-- with SMFIP_HDR_LEADSPC the filter supplies the blank after the colon
	-- itself (exactly one); without it, the MTA adds it (none in the value).
	-- Checked exactly where T.STRICT_LEAD is set (t03/t07), elsewhere any
	-- leading blanks are tolerated so that this one defect fails one case.
	local lead = mt.test_option(conn, SMFIP_HDR_LEADSPC) and " " or ""
	if not T.STRICT_LEAD then
		lead = v[1]:match("^[ \t]*")
	end
	if v[1]:sub(1, #lead + 9) ~= lead .. "decision=" then
		T.fail(what .. ": X-ACM-Milter value [" .. v[1] .. "] does not start with [" ..
		       lead .. "decision=] (SMFIP_HDR_LEADSPC " ..
		       (lead == " " and "negotiated" or "not negotiated") .. ")")
	end
	for _, w in ipairs(want) do
		if not v[1]:find(w, 1, true) then
			T.fail(what .. ": X-ACM-Milter value [" .. v[1] .. "] lacks [" .. w .. "]")
		end
	end
	if v[1]:find("[\r\n]") and not v[1]:find("\n[ \t]") then
		T.fail(what .. ": X-ACM-Milter value has a bare line break")
	end
	for _, s in ipairs(T.SECRETS or {}) do
		if v[1]:find(s, 1, true) then
			T.fail(what .. ": X-ACM-Milter value contains a secret (code/context)")
		end
	end
	T.note(what .. ": X-ACM-Milter: " .. v[1])
	return v[1]
end

-- the message was accepted at DATA (no watched recipient): nothing more is sent
function T.expect_accept_at_data(res, what)
	if res.stage ~= "data" or res.reply ~= SMFIR_ACCEPT then
		T.fail(what .. ": reply " .. T.rname(res.reply) .. " at " .. res.stage ..
		       ", expected ACCEPT at DATA")
	end
end

-- a watched recipient is present, yet the milter lets the message through untouched:
-- not accepted at DATA, delivered, no header, and the decision line `want` for qid
function T.expect_untouched(conn, res, qid, want, what)
	if res.stage == "data" then
		T.fail((what or qid) .. ": reply " .. T.rname(res.reply) ..
		       " at DATA, expected CONTINUE (a watched recipient is present)")
	end
	T.expect_delivered(res, qid)
	T.expect_no_header(conn, res, qid)
	T.expect_decision(qid, want)
end

-------------------------------------------------------------------------
-- the daemon's log (its stderr)

function T.loglines()
	local f = io.open(LOG, "rb")
	if f == nil then return {} end
	local lines = {}
	for l in f:lines() do table.insert(lines, l) end
	f:close()
	return lines
end

-- "acm-milter[12]: QID: decision=..." or "QID: decision=...":
-- position of `qid .. ": "` at the start of the message part, or nil
local function qid_at(line, qid)
	local p = 1
	while true do
		local s, e = line:find(qid .. ": ", p, true)
		if s == nil then return nil end
		if s == 1 or line:sub(s - 2, s - 1) == ": " then return e + 1 end
		p = s + 1
	end
end

-- the decision line of qid ("decision=... reason=..."), or nil
function T.decision_line(qid, lines)
	for _, l in ipairs(lines or T.loglines()) do
		local e = qid_at(l, qid)
		if e and l:sub(e, e + 8) == "decision=" then return l, l:sub(e) end
	end
	return nil
end

-- poll the log (bounded, ~15 s) until pred(line) holds for some line
-- whose index is > after; returns the line and its index
function T.wait_log(pred, what, after)
	local deadline = os.time() + 15
	while true do
		local lines = T.loglines()
		for i = (after or 0) + 1, #lines do
			if pred(lines[i]) then return lines[i], i end
		end
		if os.time() > deadline then
			T.fail("no log line " .. what .. " within 15 s")
		end
		mt.sleep(0.05)
	end
end

-- wait (bounded) for the decision line of qid: the line, and its text from "decision="
local function wait_decision(qid)
	local line = T.wait_log(function(l) return T.decision_line(qid, { l }) ~= nil end,
	                        "'" .. qid .. ": decision=...'")
	return T.decision_line(qid, { line })
end

-- wait for the decision line of qid; it must begin with `want`
-- (e.g. "decision=approve reason=allowlisted")
function T.expect_decision(qid, want)
	local line, rest = wait_decision(qid)
	if rest:sub(1, #want) ~= want or
	   (#rest > #want and rest:sub(#want + 1, #want + 1) ~= " ") then
		T.fail(qid .. ": log says [" .. line .. "], expected [" .. qid .. ": " .. want .. " ...]")
	end
	for _, s in ipairs(T.SECRETS or {}) do
		if line:find(s, 1, true) then
			T.fail(qid .. ": decision line contains a secret (code/context)")
		end
	end
	T.note("log: " .. line)
	T.expect_count(qid .. ": decision=", 1)
	return line
end

-- one X-ACM-Milter header with the decision `want`, and the same decision logged
function T.expect_decided(conn, res, qid, want)
	T.expect_header(conn, res, { want }, qid)
	T.expect_decision(qid, want)
end

-- the daemon's decision for qid (the message at path, sent from sender to T.WATCHED) is
-- the line `acm-milter -t` prints for the same message; returns it
function T.expect_offline_agrees(qid, name, path, sender)
	local _, daemon = wait_decision(qid)
	local cmd = string.format("'%s' -x '%s' -t '%s' -r %s -s %s 2>&1", BIN, CONF, path,
	                          T.WATCHED, sender)
	local p = io.popen(cmd)
	local out = p:read("a")
	p:close()
	local offline = out:match("offline: ([^\n]*)")
	if offline ~= daemon then
		T.fail(qid .. " (" .. name .. "): daemon logged [" .. daemon .. "], -t printed [" ..
		       tostring(offline or out) .. "]")
	end
	return daemon
end

-- sends SIGUSR1 (sig) and waits for the first new log line for which pred holds
function T.reload(sig, pred, what)
	local n0 = #T.loglines()
	T.ok(mt.signal(sig), "mt.signal(SIGUSR1)")
	return T.wait_log(pred, what .. " after SIGUSR1", n0)
end

-- checks made by run.sh on the complete log once the daemon has exited
local function expect(kind, n, s)
	local f = io.open(EXPECT, "ab")
	if f == nil then T.fail("cannot append to " .. tostring(EXPECT)) end
	f:write(kind .. " " .. n .. " " .. s .. "\n")
	f:close()
end

-- exactly n log lines contain the fixed string s
function T.expect_count(s, n)
	expect("count", n, s)
end

-- no log line contains the fixed string s
function T.expect_absent(s)
	expect("count", 0, s)
end

return T
