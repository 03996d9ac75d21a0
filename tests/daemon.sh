#!/usr/bin/env bash
# The running daemon: SIGUSR2 logs the statistics line; a reload whose allowlist has become
# writable by others is refused by the tamper guard (and the old snapshot stays); SIGTERM stops.
set -u
cd "$(dirname "$0")/.."
BIN=${ACM_MILTER:-milter/acm-milter}
T=$(mktemp -d /tmp/acm-daemon.XXXXXX)
chmod 755 "$T"
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
poll() { # poll SECONDS PATTERN: wait until the log has PATTERN
    local i=0
    while [ $i -lt $(($1 * 10)) ]; do grep -qE "$2" "$T/log" && return 0; sleep 0.1; i=$((i + 1)); done
    return 1
}
cp tests/data/allowlist "$T/allowlist"; chmod 644 "$T/allowlist"
cat > "$T/acm.conf" <<CONF
AllowList $T/allowlist
SenderAuth authres
TrustedAuthservIDs mx.example.com
Mode dry-run
Socket unix:$T/acm.sock
SpoolDir $T/spool
UserID nobody
CONF
chmod 644 "$T/acm.conf"
"$BIN" -f -x "$T/acm.conf" 2> "$T/log" &
PID=$!
poll 30 'starting acm-milter' && ok "daemon started" || { bad "daemon did not start: $(cat "$T/log")"; exit 1; }

kill -USR2 "$PID"
poll 30 'stats=signal seen=0 watched=0 recognized=0 approve=0 deny=0 .* queue=0' \
    && ok "SIGUSR2 logs the statistics line" || bad "no stats line: $(tail -3 "$T/log")"
grep -q 'deny.not-allowlisted=0' "$T/log" && ok "stats has deny counters by reason" || bad "stats: no deny.REASON"

chmod 666 "$T/allowlist"
kill -USR1 "$PID"
poll 30 "reload rejected: .*refusing allowlist $T/allowlist" \
    && ok "reload refused: allowlist writable by others" || bad "reload not refused: $(tail -3 "$T/log")"
poll 30 'reload rejected: keeping the previous configuration' && ok "old configuration kept" || bad "no keep line"
kill -0 "$PID" 2>/dev/null && ok "daemon still running" || bad "daemon died on a refused reload"
chmod 644 "$T/allowlist"
kill -USR1 "$PID"
poll 30 'reloaded .*3 allowlist rules' && ok "reload accepted once fixed" || bad "reload after fix: $(tail -3 "$T/log")"

kill -TERM "$PID"
wait "$PID"; rc=$?; PID=
[ $rc = 0 ] && ok "SIGTERM: clean exit" || bad "SIGTERM: exit $rc"
exit $fail
