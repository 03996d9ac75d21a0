#!/usr/bin/env bash
# Hostile messages: each is decided by `acm-milter -t` (the same evaluate() as the milter)
# with one decision line, exit 0, no sanitizer report (the ASan+UBSan build of the daemon),
# at most 256 MB of memory, and within a 120 s hang guard (a guard, not a timing assertion).
. "$(dirname "$0")/../lib/common.sh"
BIN=${ACM_MILTER_SAN:-build/san/acm-milter}
[ -x "$BIN" ] || die "$BIN missing (make build/san/acm-milter)"
lib_init hostile
"$PY" tests/hostile/gen.py "$T" || die "generator"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/unit/lsan.supp:print_suppressions=0
for f in "$T"/*.eml; do
    name=$(basename "$f")
    /usr/bin/time -f '%M' -o "$T/rss" timeout 120 "$BIN" -x tests/data/test.conf -t "$f" \
        -r admin@example.com > "$T/out" 2> "$T/err"
    rc=$?
    rss=$(tail -1 "$T/rss" 2>/dev/null)
    lines=$(wc -l < "$T/out")
    if [ $rc != 0 ] || [ "$lines" != 1 ] || ! grep -q '^offline: decision=' "$T/out" || \
       grep -qE 'ERROR: AddressSanitizer|runtime error|LeakSanitizer' "$T/err" || \
       [ "${rss:-999999}" -gt 262144 ]; then
        fail "$name: exit $rc, $lines lines, max RSS ${rss:-?} kB"
        sed 's/^/    /' "$T/out" "$T/err" | head -30
    else
        ok "$(printf '%-28s %6s kB  %s' "$name" "$rss" "$(cut -d' ' -f2-3 "$T/out")")"
    fi
done
