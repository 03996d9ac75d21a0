#!/usr/bin/env bash
# Memory under floods (part of `make soak`): three floods of 200 concurrent sessions, each one
# message of about 1 MiB that the milter must buffer (tests/soak/memflood.py, straight over the
# milter protocol), against the daemon running as an unprivileged user. Prints the peak
# resident memory of each flood and the idle resident memory after each, and checks the
# targets: peak below 150 MB, idle after the third flood within 10% of after the first, and
# an answer to every end of message (mail is never held). ACM_MILTER=path measures another
# build; FLOOD_SESSIONS, FLOOD_SIZE and FLOODS change the load.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${ACM_MILTER:-$ROOT/milter/acm-milter}
PY=${PYTHON:-python3}
MUSER=${MEMORY_TEST_USER:-nobody}
[ "$(id -u)" = 0 ] || { echo "memory: skipped (needs root to start the daemon as $MUSER)"; exit 0; }
T=$(mktemp -d /tmp/acm-memory.XXXXXX) || exit 1
chmod 755 "$T"
MPID=''
cleanup() { [ -n "$MPID" ] && kill -KILL "$MPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$T/run" && chown "$MUSER" "$T/run"
cat >"$T/acm.conf" <<EOF
AllowList $ROOT/tests/data/allowlist
SenderAuth authres
TrustedAuthservIDs mx.example.com
Mode dry-run
SpoolDir $T/spool
Socket unix:$T/run/acm.sock
UserID $MUSER
EOF
chmod 644 "$T/acm.conf"
ulimit -n 4096
"$BIN" -f -x "$T/acm.conf" </dev/null 2>"$T/log" &
MPID=$!
for _ in $(seq 100); do grep -q 'starting acm-milter' "$T/log" && break; sleep 0.1; done
grep -q 'starting acm-milter' "$T/log" || { echo "memory: milter did not start: $(cat "$T/log")"; exit 1; }
out=$("$PY" "$ROOT/tests/soak/memflood.py" "$T/run/acm.sock" "$MPID" \
    --sessions "${FLOOD_SESSIONS:-200}" --size "${FLOOD_SIZE:-1044480}" --floods "${FLOODS:-3}")
rc=$?
echo "$out"
decisions=$(grep -c 'decision=' "$T/log")
busy=$(grep -c 'reason=too-large .*detail=busy' "$T/log")
echo "memory: decisions=$decisions (busy=$busy)"
fails=0
[ $rc = 0 ] || { echo "memory: FAIL not every end of message was answered"; fails=1; }
peak=$(sed -n 's/^memory: peak_kb=\([0-9]*\) .*/\1/p' <<<"$out")
growth=$(sed -n 's/.* idle_growth_pct=\(-\?[0-9.]*\)$/\1/p' <<<"$out")
if [ -n "$peak" ] && [ "$peak" -lt 153600 ]; then echo "ok - peak RSS $peak kB < 150 MB"
else echo "memory: FAIL peak RSS ${peak:-?} kB, target below 150 MB"; fails=1; fi
if [ -n "$growth" ] && awk -v g="$growth" 'BEGIN { exit !(g <= 10) }'; then
    echo "ok - idle RSS after the last flood within 10% of after the first (${growth}%)"
else echo "memory: FAIL idle RSS grew ${growth:-?}% over the floods, target at most 10%"; fails=1; fi
kill -TERM "$MPID"; wait "$MPID"; MPID=''
exit $fails
