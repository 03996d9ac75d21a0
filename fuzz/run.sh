#!/usr/bin/env bash
# fuzz/run.sh - builds the fuzz targets (fuzz/build.sh) and fuzzes each for FUZZ_SECONDS
# (default 300) on a fresh copy of its seeds (written by fuzz/make_seeds.py into
# build/fuzz/seeds/TARGET, plus the hand-written fuzz/seeds/TARGET; copied to
# build/fuzz/corpus/TARGET, fuzz/seeds is never written), with fuzz/TARGET.dict when there is one. Prints per target the executions and the
# coverage (cov: and ft: of libFuzzer's last stats line). Any crash, leak, timeout or OOM
# fails the run (exit 1): the input is copied to tests/fuzz-regressions/TARGET/ and printed,
# with the end of the sanitizer report (whole log in build/fuzz/logs/TARGET.log).
# Usage: [FUZZ_SECONDS=N] bash fuzz/run.sh [TARGET...]   (TARGET: message, html, ...)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. fuzz/common.sh

SECONDS_PER=${FUZZ_SECONDS:-300}
fuzz_targets "$@"
bash fuzz/build.sh "${FUZZ_TARGETS[@]}" || exit 1
fuzz_env
fuzz_seeds || exit 1

failed=()
summary=()
for t in "${FUZZ_TARGETS[@]}"; do
    bin="$OUT/fuzz_$t"
    corpus="$OUT/corpus/$t"
    art="$OUT/artifacts/$t"
    log="$OUT/logs/$t.log"
    rm -rf "$corpus" "$art"
    mkdir -p "$corpus" "$art" "$OUT/logs"
    fuzz_inputs "$t" generated hand
    nseeds=${#FUZZ_INPUTS[@]}
    [ "$nseeds" -gt 0 ] && cp -p "${FUZZ_INPUTS[@]}" "$corpus"/
    opts=("${FUZZ_OPTS[@]}" -max_total_time="$SECONDS_PER" -print_final_stats=1
          -artifact_prefix="$art/")
    [ -f "fuzz/$t.dict" ] && opts+=(-dict="fuzz/$t.dict")
    echo "== fuzz_$t: ${SECONDS_PER}s, $nseeds seeds$([ -f "fuzz/$t.dict" ] && echo ", dict fuzz/$t.dict")"
    "$bin" "${opts[@]}" "$corpus" > "$log" 2>&1
    rc=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    stats=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
    [ -n "$execs" ] || execs=$(printf '%s' "$stats" | sed -n 's/^#\([0-9]*\).*/\1/p')
    cov=$(printf '%s' "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s' "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s' "$stats" | sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
    rate=$(printf '%s' "$stats" | sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p')
    line=$(printf '%-8s execs=%s exec/s=%s cov=%s ft=%s corpus=%s' "$t" "${execs:-?}" \
           "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")

    found=()
    for f in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*; do
        [ -f "$f" ] && found+=("$f")
    done
    if [ "$rc" -ne 0 ] || [ ${#found[@]} -gt 0 ]; then
        kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)[^ ]*: [a-z-]+|runtime error|ALARM: working on the last Unit|out-of-memory' "$log" | head -n1)
        echo "FAIL $line rc=$rc ${kind:+($kind)}"
        summary+=("FAIL $line")
        failed+=("$t")
        if [ ${#found[@]} -gt 0 ]; then
            mkdir -p "tests/fuzz-regressions/$t"
            for f in "${found[@]}"; do
                dst="tests/fuzz-regressions/$t/$(basename "$f")"
                cp "$f" "$dst"
                echo "  input saved: $dst ($(wc -c < "$f") bytes); first 1 KiB:"
                head -c 1024 "$f" | cat -v | sed 's/^/  | /'
                echo
            done
        else
            echo "  (no input was saved by libFuzzer; see $log)"
        fi
        echo "  --- report (whole log: $log):"
        sed -n '/ERROR: \|runtime error\|ALARM: \|out-of-memory\|==ERROR/,$p' "$log" |
            grep -vE '^(#[0-9]+|MS:|base unit:|stat::)' | head -n 80 | sed 's/^/  /'
    else
        echo "ok   $line"
        summary+=("ok   $line")
    fi
done

echo "== summary (${SECONDS_PER}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (inputs under tests/fuzz-regressions/)"
    exit 1
fi
echo "fuzz: no crash, leak, timeout or OOM"
