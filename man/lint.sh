#!/usr/bin/env bash
# man/lint.sh - check the manual pages, and that they have not fallen behind the code.
#
#   1. mandoc -T lint -W warning on both pages: any warning or error fails.
#   2. Every key of keys[] in milter/config.c has an entry (.It Cm KEY Ar ...) in
#      acm-milter.conf.5, and every such entry is a key of keys[].
#   3. Every default of keys[] (its fourth column, a string) is the "Default: VALUE." of its
#      key's entry; the keys main.c warns about as "for tests only" are marked TESTS ONLY.
#   4. Every getopt(3) option letter of milter/main.c is in the SYNOPSIS of acm-milter.8 and
#      has an entry (.It Fl X), with an argument exactly when getopt takes one, and every
#      such entry is a getopt letter.
#
# Prints every problem and exits 1 if there is any; 0 when all is clean.
# Run from anywhere: paths are relative to this script's folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
conf_c=$root/milter/config.c
main_c=$root/milter/main.c
page8=$here/acm-milter.8
page5=$here/acm-milter.conf.5
fail=0
problem() { echo "lint: $*"; fail=1; }

for f in "$conf_c" "$main_c" "$page8" "$page5"; do
    [ -r "$f" ] || { echo "lint: cannot read $f"; exit 1; }
done
if ! command -v mandoc >/dev/null 2>&1; then
    echo "lint: mandoc not found (Debian: apt-get install mandoc)"
    exit 1
fi

# ---- 1. mandoc ----------------------------------------------------------------------------
for p in "$page8" "$page5"; do
    out=$(mandoc -T lint -W warning "$p" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
        problem "mandoc -T lint -W warning ${p#"$root"/}: exit $rc"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /'
    fi
done

# ---- 2. configuration keys ----------------------------------------------------------------
# The table: from "keys[] = {" to the first "};", one {"Name", setter, offset, default,
# restart} per row (a row may continue on the next line); printed as NAME|DEFAULT, DEFAULT
# being the string without its quotes, or NULL or host_name.
table=$(awk '/keys\[\] = \{/ {f = 1; next} f && /^};/ {exit}
             f { row = row $0 }
             f && /\},[ \t]*$/ {
                 if (match(row, /\{"[A-Za-z0-9]+", *[a-z_]+, *(OFF\([a-z_]+\)|0), *("[^"]*"|NULL|host_name), *(true|false)\}/)) {
                     s = substr(row, RSTART + 2, RLENGTH - 3)
                     name = s; sub(/".*/, "", name)
                     d = s; sub(/^[^,]*,[^,]*,[^,]*, */, "", d); sub(/, *(true|false)$/, "", d)
                     gsub(/"/, "", d)
                     print name "|" d
                 }
                 row = "" }' "$conf_c")
[ -n "$table" ] || problem "no keys[] table found in ${conf_c#"$root"/}"
keys=$(printf '%s\n' "$table" | cut -d'|' -f1)
documented=$(sed -n 's/^\.It Cm \([A-Z][A-Za-z0-9]*\) Ar .*/\1/p' "$page5")
for k in $keys; do
    printf '%s\n' "$documented" | grep -qx "$k" ||
        problem "key $k (milter/config.c keys[]) has no entry \".It Cm $k Ar ...\" in acm-milter.conf.5"
done
for k in $documented; do
    printf '%s\n' "$keys" | grep -qx "$k" ||
        problem "acm-milter.conf.5 documents key $k, which is not in keys[] of milter/config.c"
done

# ---- 3. defaults and tests-only keys --------------------------------------------------------
# The rendered page, one paragraph per line, without overstrike; an entry runs from its
# head line ("     Key arg") to the next line indented like it.
rendered=$(mandoc -T ascii -O width=1000 "$page5" | sed 's/.\x08//g')
[ -n "$rendered" ] || problem "mandoc -T ascii could not render acm-milter.conf.5"
entry() {
    printf '%s\n' "$rendered" | awk -v k="$1" '
        f && /^     [^ ]/ {exit}
        f {print}
        $0 ~ "^     " k "( |$)" {f = 1}' | tr -s ' \t' '  '
}
while IFS='|' read -r key value; do
    case $value in ''|NULL|host_name) continue ;; esac
    entry "$key" | grep -qF "Default: $value." ||
        problem "acm-milter.conf.5: $key should say \"Default: $value.\" (keys[] in milter/config.c)"
done < <(printf '%s\n' "$table")
tests_only=$(sed -n 's/.*log_warn("\([A-Za-z]*\) .*for tests only.*/\1/p' "$main_c")
for k in $tests_only; do
    entry "$k" | grep -q 'TESTS ONLY' ||
        problem "acm-milter.conf.5: $k is for tests only (milter/main.c) but its entry does not say TESTS ONLY"
done

# ---- 4. command-line options ------------------------------------------------------------------
optstring=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$main_c" | head -n 1)
[ -n "$optstring" ] || problem "no getopt() option string found in ${main_c#"$root"/}"
synopsis=$(awk '/^\.Sh SYNOPSIS/ {f = 1; next} /^\.Sh / {f = 0} f' "$page8")
letters=$(printf '%s' "$optstring" | tr -d ':' | fold -w1)
for l in $letters; do
    takes_arg=no
    case $optstring in *"$l:"*) takes_arg=yes ;; esac
    printf '%s\n' "$synopsis" | grep -Eq "(^|[ .])Fl $l( |$)" ||
        problem "option -$l (getopt in milter/main.c) is missing from the SYNOPSIS of acm-milter.8"
    item=$(grep -E "^\.It Fl $l( |$)" "$page8" | head -n 1)
    if [ -z "$item" ]; then
        problem "option -$l (getopt in milter/main.c) has no entry \".It Fl $l\" in acm-milter.8"
    elif [ "$takes_arg" = yes ] && ! printf '%s\n' "$item" | grep -q ' Ar '; then
        problem "acm-milter.8: -$l takes an argument in getopt but its entry shows none: $item"
    elif [ "$takes_arg" = no ] && printf '%s\n' "$item" | grep -q ' Ar '; then
        problem "acm-milter.8: -$l takes no argument in getopt but its entry shows one: $item"
    fi
done
while read -r l; do
    printf '%s\n' "$letters" | grep -qx "$l" ||
        problem "acm-milter.8 documents option -$l, which getopt in milter/main.c does not accept"
done < <(sed -n 's/^\.It Fl \([A-Za-z0-9]\)\( .*\)\{0,1\}$/\1/p' "$page8")

if [ "$fail" -ne 0 ]; then
    echo "lint: FAILED"
    exit 1
fi
echo "lint: man/acm-milter.8 and man/acm-milter.conf.5 clean; $(printf '%s\n' "$keys" | wc -l) keys, options -$(printf '%s' "$letters" | tr -d '\n') documented"
exit 0
