#!/usr/bin/env bash
# make memcheck: the milter protocol tests with the daemon under valgrind memcheck.
# Passes only with 0 errors and 0 bytes definitely lost in every daemon process.
. "$(dirname "$0")/../lib/common.sh"
command -v valgrind >/dev/null || die "valgrind is not installed"
lib_init memcheck
export VG_LOGDIR=$T/vg
mkdir -p "$VG_LOGDIR" && chmod 1777 "$VG_LOGDIR"     # the daemon writes its log after dropping to nobody
# t12 fails calloc() with an LD_PRELOAD shim; under valgrind, valgrind's allocator replaces
# calloc() first, so that case runs only in `make protocol`. t13 runs `acm-milter -t` on each of
# the ~130 corpus messages (minutes under valgrind); t11 does the same for its nine messages.
ACM_MILTER=tests/valgrind/acm-milter-vg PROTOCOL_TIMEOUT_SCALE=4 PROTOCOL_SKIP="t12 t13" \
    bash tests/protocol/run.sh "$@"
rc=$?
n=0
for log in "$VG_LOGDIR"/vg.*.log; do
    [ -e "$log" ] || continue
    grep -q 'acm-milter' "$log" || continue
    n=$((n + 1))
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
    lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1 | tr -d ,)
    if [ "${errors:-x}" != 0 ] || [ "${lost:-0}" != 0 ]; then
        fail "memcheck $(basename "$log"): errors=${errors:-?} definitely-lost=${lost:-0}"
        sed 's/^/    /' "$log" | head -80
    fi
done
info "memcheck: $n daemon processes checked, protocol suite exit $rc"
check "memcheck: valgrind logs found ($n)" test "$n" -gt 0
check "memcheck: the protocol suite passed under valgrind (exit $rc)" test "$rc" = 0
