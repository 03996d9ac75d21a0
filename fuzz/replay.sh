#!/usr/bin/env bash
# fuzz/replay.sh - runs each fuzz target once over every file of its seeds (written by
# fuzz/make_seeds.py into build/fuzz/seeds/TARGET/, plus the hand-written fuzz/seeds/TARGET/)
# and tests/fuzz-regressions/TARGET/ (libFuzzer runs files given as arguments once, no fuzzing),
# under the same sanitizers; fails on any crash, leak, timeout or OOM. Fast: for make check.
# Usage: bash fuzz/replay.sh [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. fuzz/common.sh

fuzz_targets "$@"
bash fuzz/build.sh "${FUZZ_TARGETS[@]}" || exit 1
fuzz_env
fuzz_seeds || exit 1

fail=0
for t in "${FUZZ_TARGETS[@]}"; do
    fuzz_inputs "$t"
    inputs=("${FUZZ_INPUTS[@]}")
    if [ ${#inputs[@]} -eq 0 ]; then
        echo "replay: fuzz_$t: no inputs"
        fail=1
        continue
    fi
    log="$OUT/logs/replay-$t.log"
    if "$OUT/fuzz_$t" "${FUZZ_OPTS[@]}" "${inputs[@]}" > "$log" 2>&1; then
        echo "replay: fuzz_$t: ${#inputs[@]} inputs ok"
    else
        echo "replay: fuzz_$t: FAILED (whole log: $log)"
        grep -E '^Running: ' "$log" | tail -n1
        sed -n '/ERROR: \|runtime error\|ALARM: \|out-of-memory\|==ERROR/,$p' "$log" |
            grep -vE '^(INFO:|Running: |Executed )' | head -n 80 | sed 's/^/  /'
        fail=1
    fi
done
[ "$fail" = 0 ] && echo "replay: every fuzz input passes" || echo "replay: FAILED"
exit "$fail"
