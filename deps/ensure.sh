#!/usr/bin/env bash
# deps/ensure.sh GROUP... - are the Debian packages of these groups of deps/packages installed?
#
# All present: one line, exit 0. Something missing:
#   - as root with apt-get: prints what it installs, installs it (apt-get update first; Postfix
#     preseeded to "No configuration", so the system's Postfix is never configured or started),
#     exit 0; apt-get's own output goes to $DEPS_LOG (default build/deps.log); if apt-get
#     fails (offline, no such package), its last lines and then the missing packages, exit 1;
#   - otherwise (not root, no apt-get, or DEPS_INSTALL=no): one line per missing package, with
#     why it is needed, and the apt-get command to run as root; exit 1.
# GROUP "all" means every group. Output lines start with $DEPS_PREFIX (default "deps: ").
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
list=$here/packages
prefix=${DEPS_PREFIX-deps: }
say() { printf '%s%s\n' "$prefix" "$*"; }

[ $# -gt 0 ] || { say "usage: deps/ensure.sh GROUP... (groups: $(sed -n 's/^\[\(.*\)\].*/\1/p' "$list" | tr '\n' ' ')or all)" >&2; exit 2; }

# package<TAB>group<TAB>why, for the groups asked (first mention of a package wins)
declare -A seen=()
pkgs=() why=()
for g in "$@"; do
    grep -q "^\[$g\]" "$list" || [ "$g" = all ] || { say "no group [$g] in deps/packages" >&2; exit 2; }
done
group=
while IFS= read -r line; do
    case $line in
        '['*']'*) group=${line#[}; group=${group%%]*}; continue ;;
        ''|'#'*) continue ;;
    esac
    want=0
    for g in "$@"; do [ "$g" = all ] || [ "$g" = "$group" ] && want=1; done
    [ "$want" = 1 ] || continue
    p=${line%%#*}; p=${p//[[:space:]]/}
    [ -n "$p" ] && [ -z "${seen[$p]:-}" ] || continue
    seen[$p]=1
    w=; case $line in *'#'*) w=${line#*#}; w=${w# } ;; esac
    pkgs+=("$p"); why+=("$group: $w")
done < "$list"

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
missing=() missing_why=()
find_missing() {
    missing=() missing_why=()
    local i
    for i in "${!pkgs[@]}"; do
        installed "${pkgs[$i]}" || { missing+=("${pkgs[$i]}"); missing_why+=("${why[$i]}"); }
    done
}
report_missing() {
    local i
    for i in "${!missing[@]}"; do
        say "missing Debian package ${missing[$i]} (${missing_why[$i]})" >&2
    done
    say "as root: apt-get install --no-install-recommends ${missing[*]}" >&2
}

command -v dpkg-query >/dev/null 2>&1 || { say "no dpkg-query: these checks expect Debian 12; the packages are listed in deps/packages" >&2; exit 1; }
find_missing
if [ "${#missing[@]}" = 0 ]; then
    say "all ${#pkgs[@]} packages of [$*] are installed"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || [ "${DEPS_INSTALL:-yes}" = no ]; then
    report_missing
    exit 1
fi

log=${DEPS_LOG:-$(dirname "$here")/build/deps.log}
mkdir -p "$(dirname "$log")" && : >>"$log" || log=/dev/null
say "installing with apt-get: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
t0=$SECONDS
ok=1
case " ${missing[*]} " in *" postfix "*)
    # only private test instances are run: leave the system's Postfix unconfigured
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections >>"$log" 2>&1 || ok=0 ;;
esac
lock=(-o DPkg::Lock::Timeout=900)
if [ "$ok" = 1 ]; then
    { echo "== apt-get update"; apt-get "${lock[@]}" update; } >>"$log" 2>&1 || ok=0
fi
if [ "$ok" = 1 ]; then
    { echo "== apt-get install ${missing[*]}"
      apt-get "${lock[@]}" install -y --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1 || ok=0
fi
find_missing
if [ "$ok" = 1 ] && [ "${#missing[@]}" = 0 ]; then
    say "installed in $((SECONDS - t0)) s (apt-get's output: $log)"
    exit 0
fi
say "apt-get failed (offline? see $log); its last lines:" >&2
tail -n 5 "$log" 2>/dev/null | sed "s/^/$prefix  /" >&2
report_missing
exit 1
