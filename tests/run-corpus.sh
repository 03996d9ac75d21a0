#!/usr/bin/env bash
# Run `acm-milter -t` over the message corpus and compare with tests/data/corpus/EXPECTED.
#
#   tests/run-corpus.sh [SUBSTRING...]     only the cases whose file name contains one of them
#   ACM_MILTER=path/to/acm-milter tests/run-corpus.sh
#
# For every line of EXPECTED (format described at its top) this runs, from the repository root,
#   $ACM_MILTER -x tests/data/test.conf -t FILE [-r ADDR]... [-s ADDR]
# and checks: exit status 0; exactly one line on stdout; that line is
# "offline: decision=D reason=R ..." with D and R as expected; every key=value token expected is
# there (and no !key=value one); no validation code or context of the message, nor the UUID part of
# a context, appears on stdout or stderr (safety rule 7).  Before that, it checks that the committed
# corpus is what tests/data/gen_corpus.py generates.  Prints one "ok"/"FAIL" line per case and
# exits 1 if anything failed or the binary is missing.
orig=$PWD BIN=${ACM_MILTER:-milter/acm-milter}
. "$(dirname "$0")/lib/common.sh"
if [[ $BIN != /* && ! -e $BIN && -e $orig/$BIN ]]; then BIN=$orig/$BIN; fi
CONF=tests/data/test.conf
CORPUS=tests/data/corpus
GEN=tests/data/gen_corpus.py
filters=("$@")
passed=0

check "corpus: committed files are what gen_corpus.py generates" "$PY" "$GEN" --check
[[ -x $BIN ]] || die "binary $BIN is missing or not executable (run make, or set ACM_MILTER=...)"

lib_init corpus "${TMPDIR:-/tmp}"
tmp=$T
"$PY" "$GEN" --runtime "$tmp/runtime" || die "gen_corpus.py --runtime"

# the validation codes and contexts of every message, as "FILE<TAB>SECRET" lines
: >"$tmp/secrets"
mapfile -t msgs < <(ls "$CORPUS"/*.eml "$tmp"/runtime/*.eml 2>/dev/null)
if [[ ${#msgs[@]} -gt 0 ]] && ! "$PY" "$GEN" --secrets "${msgs[@]}" >"$tmp/secrets" </dev/null; then
    die "gen_corpus.py --secrets"
fi

limit=()
command -v timeout >/dev/null 2>&1 && limit=(timeout 60)

# any_of ALTERNATIVES VALUE: is VALUE one of the '|'-separated ALTERNATIVES?
any_of() {
    local alt
    local -a alts
    IFS='|' read -ra alts <<<"$1"
    for alt in "${alts[@]}"; do
        [[ $alt == "$2" ]] && return 0
    done
    return 1
}

selected() {
    local f
    [[ ${#filters[@]} -eq 0 ]] && return 0
    for f in "${filters[@]}"; do
        [[ $1 == *"$f"* ]] && return 0
    done
    return 1
}

while read -r file decision reason rest; do
    case $file in '' | '#'*) continue ;; esac
    if [[ $file == @* ]]; then
        name=${file#@}
        path=$tmp/runtime/$name
    else
        name=$file
        path=$CORPUS/$file
    fi
    selected "$name" || continue

    args=()
    want=()
    read -ra toks <<<"$rest"
    i=0
    while [[ $i -lt ${#toks[@]} ]]; do
        case ${toks[$i]} in
            -r | -s)
                args+=("${toks[$i]}" "${toks[$((i + 1))]:-}")
                i=$((i + 2))
                ;;
            *)
                want+=("${toks[$i]}")
                i=$((i + 1))
                ;;
        esac
    done

    problems=()
    if [[ ! -f $path ]]; then
        fail "$name: message file $path is missing"
        continue
    fi

    ${limit[@]+"${limit[@]}"} "$BIN" -x "$CONF" -t "$path" ${args[@]+"${args[@]}"} \
        >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [[ $rc -eq 0 ]] || problems+=("exit status $rc")

    nlines=$(wc -l <"$tmp/out")
    if [[ $nlines -ne 1 || -n $(tail -c 1 "$tmp/out") ]]; then
        problems+=("stdout is not exactly one line ($nlines newline(s))")
    fi
    line=$(head -n 1 "$tmp/out")
    read -ra got <<<"$line"
    if [[ ${got[0]:-} != "offline:" ]]; then
        problems+=("line does not start with 'offline:'")
    fi
    if [[ ${got[1]:-} != decision=* ]] || ! any_of "$decision" "${got[1]#decision=}"; then
        problems+=("expected decision=$decision")
    fi
    if [[ ${got[2]:-} != reason=* ]] || ! any_of "$reason" "${got[2]#reason=}"; then
        problems+=("expected reason=$reason")
    fi
    for w in ${want[@]+"${want[@]}"}; do
        if [[ $w == !* ]]; then
            [[ " $line " == *" ${w#!} "* ]] && problems+=("unexpected ${w#!}")
        else
            [[ " $line " == *" $w "* ]] || problems+=("missing $w")
        fi
    done

    # safety rule 7: the validation code and context are never printed in full
    while read -r secret; do
        [[ -n $secret ]] || continue
        if grep -qiF -- "$secret" "$tmp/out" "$tmp/err"; then
            problems+=("prints a validation code/context (${secret:0:8}...)")
        fi
    done < <(awk -F '\t' -v p="$path" '$1 == p { print $2 }' "$tmp/secrets")

    if [[ ${#problems[@]} -eq 0 ]]; then
        ok "$name"
        passed=$((passed + 1))
    else
        joined=$(printf '%s; ' "${problems[@]}")
        fail "$name: ${joined%; }"
        echo "     expected: $decision $reason ${rest}"
        sed 's/^/     stdout: /' "$tmp/out"
        head -n 5 "$tmp/err" | sed 's/^/     stderr: /'
    fi
done <"$CORPUS/EXPECTED"

check "corpus: at least one case ran ($passed passed)" test "$passed" -gt 0
