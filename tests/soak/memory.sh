#!/usr/bin/env bash
# Memory under floods (part of `make soak`): three floods of 200 concurrent sessions, each one
# message of about 1 MiB that the milter must buffer (tests/soak/memflood.py, straight over the
# milter protocol), against the daemon running as an unprivileged user. Prints the peak
# resident memory of each flood and the idle resident memory after each, and checks the
# targets: peak below 150 MB, idle after the third flood within 10% of after the first, and
# an answer to every end of message (mail is never held). ACM_MILTER=path measures another
# build; FLOOD_SESSIONS, FLOOD_SIZE and FLOODS change the load.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/milter.sh"
MUSER=${MEMORY_TEST_USER:-nobody}
[ "$(id -u)" = 0 ] || { echo "memory: skipped (needs root to start the daemon as $MUSER)"; exit 0; }
lib_init memory
conf_write "$T/acm.conf" "AllowList $ROOT/tests/data/allowlist" "SenderAuth authres" \
    "TrustedAuthservIDs mx.example.com" "Mode dry-run" "SpoolDir $T/spool" \
    "Socket unix:$T/run/acm.sock" "UserID $MUSER"
ulimit -n 4096
milter_start -f "$T/acm.conf" || die "milter did not start: $MILTER_WHY"
out=$("$PY" "$ROOT/tests/soak/memflood.py" "$T/run/acm.sock" "$MPID" \
    --sessions "${FLOOD_SESSIONS:-200}" --size "${FLOOD_SIZE:-1044480}" --floods "${FLOODS:-3}")
rc=$?
echo "$out"
decisions=$(mcount '.*decision=')
busy=$(mcount '.*reason=too-large .*detail=busy')
info "memory: decisions=$decisions (busy=$busy)"
check "every end of message was answered (mail is never held)" test "$rc" = 0
peak=$(sed -n 's/^memory: peak_kb=\([0-9]*\) .*/\1/p' <<<"$out")
growth=$(sed -n 's/.* idle_growth_pct=\(-\?[0-9.]*\)$/\1/p' <<<"$out")
check "peak RSS ${peak:-?} kB below 150 MB" test -n "$peak" -a "${peak:-0}" -lt 153600
check "idle RSS after the last flood within 10% of after the first (${growth:-?}%)" \
    awk -v g="${growth:-x}" 'BEGIN { exit !(g != "x" && g <= 10) }'
check "the milter stops on SIGTERM" milter_stop "$MPID" 60
