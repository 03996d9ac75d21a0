# shellcheck shell=bash
# fuzz/common.sh - shared by fuzz/run.sh and fuzz/replay.sh (sourced, from the repository root).
# Sets FUZZ_TARGETS (from the arguments, or every fuzz/fuzz_*.c) and the sanitizer environment,
# writes the seeds (fuzz/make_seeds.py) and lists each target's inputs.

OUT=build/fuzz

fuzz_targets() {
    if [ $# -gt 0 ]; then
        FUZZ_TARGETS=("$@")
    else
        FUZZ_TARGETS=()
        for f in fuzz/fuzz_*.c; do
            n=$(basename "$f" .c)
            FUZZ_TARGETS+=("${n#fuzz_}")
        done
    fi
}

# Writes the generated seeds into $OUT/seeds/TARGET/ (never committed: they follow tests/data).
fuzz_seeds() {
    mkdir -p "$OUT/logs"
    if ! python3 fuzz/make_seeds.py "$OUT/seeds" > "$OUT/logs/make_seeds.log" 2>&1; then
        echo "fuzz: fuzz/make_seeds.py failed:"
        sed 's/^/  /' "$OUT/logs/make_seeds.log"
        return 1
    fi
}

# fuzz_inputs TARGET [KIND...]: sets FUZZ_INPUTS to the files of the generated seeds, the
# hand-written seeds (fuzz/seeds/TARGET/) and the regressions (tests/fuzz-regressions/TARGET/),
# or of the KINDs named (generated, hand, regressions).
fuzz_inputs() {
    local t=$1 k d f
    shift
    local kinds=("$@")
    [ ${#kinds[@]} -gt 0 ] || kinds=(generated hand regressions)
    FUZZ_INPUTS=()
    for k in "${kinds[@]}"; do
        case $k in
            generated) d="$OUT/seeds/$t" ;;
            hand) d="fuzz/seeds/$t" ;;
            regressions) d="tests/fuzz-regressions/$t" ;;
        esac
        [ -d "$d" ] || continue
        for f in "$d"/*; do [ -f "$f" ] && FUZZ_INPUTS+=("$f"); done
    done
}

fuzz_env() {
    mkdir -p "$OUT"
    # LSAN_OPTIONS takes one suppressions file: the unit tests' and ours, joined.
    cat tests/unit/lsan.supp fuzz/lsan.supp > "$OUT/lsan.supp"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1:handle_abort=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export LSAN_OPTIONS="suppressions=$PWD/$OUT/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    # GLib: no slice allocator tricks, so ASan and LSan see every block
    export G_SLICE=always-malloc
}

# The options every libFuzzer run gets.
# shellcheck disable=SC2034  # used by run.sh and replay.sh
FUZZ_OPTS=(-max_len=262144 -timeout=10 -rss_limit_mb=2048)
