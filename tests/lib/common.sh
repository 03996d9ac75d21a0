# tests/lib/common.sh: the frame of every shell test suite (sourced, never run).
#
# Contract. Sourcing sets PATH (+ /usr/sbin:/sbin), LC_ALL=C, ROOT (the repository; the shell
# is cd'ed there), PY (python3, /usr/bin first: some checks run it as user postfix), ACM_MILTER
# (absolute; default milter/acm-milter) and the counters PASSES/FAILS. It starts nothing and
# traps nothing until lib_init is called.
#
#   reporting    ok TEXT | fail TEXT | info TEXT | check TEXT CMD... (ok if CMD succeeds)
#                die TEXT: "FAIL - setup: TEXT", exit 2 (the suite cannot run)
#   namespace    lib_reexec_ns [unshare-option...] -- "$@": as root, re-runs the calling script
#                once in a private mount namespace (unshare -m --propagation private, plus the
#                options given, e.g. -u); returns at once when already inside. A mount made
#                there (a bind over /dev/log, a tmpfs) is invisible to the host and dies with
#                the namespace.
#   temp dir     lib_init NAME [BASE]: T=$(mktemp -d BASE/acm-NAME.XXXXXX) (BASE default /tmp),
#                mode 0755, $T/log and $T/run; installs the EXIT/INT/TERM/HUP traps (SIGPIPE
#                ignored) that run lib_finish. (A script with its own end sets T and LIB_NAME
#                itself and calls lib_cleanup from its own trap.)
#   cleanup      on_exit CMD...: pushes one action; lib_finish runs them last pushed first, each
#                once, even after die or Ctrl-C (lib_cleanup: the stack, then LIB_LEFT = every
#                process of ours still alive, killed: the pids in STARTED_PIDS, and any process
#                whose cwd or executable is under $T, whose command line names $T/ or whose
#                MAIL_CONFIG is $PCONF). Each left is a FAIL, otherwise one "ok - no process
#                left" line; the checks pushed with on_exit_check
#                run; on a failure the logs under $T/log are shown; $T is removed
#                unless LIB_KEEP is set, something failed, the exit status is not 0 or something
#                is still mounted under it; last "# NAME: P passed, F failed, S s". Exit status:
#                1 if any FAIL (unless already non-zero), else the script's own.
#   processes    alive PID (exists, not a zombie) | proc_start PID | same_proc PID START (the
#                same process, not a reused pid) | wait_gone PID SECONDS | term_wait PID
#                SECONDS (SIGTERM; true once gone, reaped) | stop_pid PID NAME
#                (SIGTERM, SIGKILL after 15 s, reaped) | bg_start VAR CMD... (CMD in the
#                background, under setsid when LIB_SETSID is set; pid in VAR and STARTED_PIDS)
#                | our_pids (the finder above) | describe PID
#   waiting      poll SECONDS CMD... (every 0.1 s, then CMD once more) | poll_slow (every 0.5 s)
#                Both are safety bounds for something that must happen, never timing assertions.
#   network      free_port (a loopback TCP port nobody listens on, never one handed out before
#                in this run) | port_open PORT (127.0.0.1:PORT accepts a connection)
#   text         re STRING (STRING as an ERE, escaped) | sender_of FILE DEFAULT (the message's
#                Return-Path, else DEFAULT) | secs T0 T1 (seconds between two $EPOCHREALTIME)

set -u
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
cd "$ROOT" || exit 2
LIB=$ROOT/tests/lib
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
ACM_MILTER=${ACM_MILTER:-milter/acm-milter}
case $ACM_MILTER in /*) ;; *) ACM_MILTER=$ROOT/$ACM_MILTER ;; esac

PASSES=0 FAILS=0
T='' LIB_NAME=${LIB_NAME:-test} LIB_KEEP=${LIB_KEEP:-} LIB_SETSID=${LIB_SETSID:-}
LIB_START=$SECONDS LIB_FINISHED=''
STARTED_PIDS=() LIB_EXIT=() LIB_EXIT_CHECKS=() LIB_PORTS=() LIB_LEFT=''

ok()   { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $*"; }
info() { echo "# $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else fail "$d"; fi
}
die() { echo "FAIL - setup: $*"; exit 2; }

# ---------------------------------------------------------------- namespace
lib_reexec_ns() { # lib_reexec_ns [unshare-option...] -- ARGS...
    local opts=() self
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    self=$(readlink -f "$0")
    [ "${ACM_TEST_IN_NS:-}" = "$self" ] && return 0
    [ "$(id -u)" = 0 ] || die "must run as root (private mount namespace, private Postfix)"
    command -v unshare >/dev/null 2>&1 || die "missing command: unshare (util-linux)"
    if [ -L /dev/log ] && [ ! -e /dev/log ]; then die "/dev/log is a dangling symlink"; fi
    unshare -m "${opts[@]}" --propagation private true 2>/dev/null ||
        die "cannot create a private namespace (unshare -m ${opts[*]}): not privileged enough"
    exec unshare -m "${opts[@]}" --propagation private env ACM_TEST_IN_NS="$self" bash "$self" "$@"
}

# ---------------------------------------------------------------- processes
alive() { # a process that exists and is not a zombie
    local st
    [ -n "${1:-}" ] || return 1
    # one read: a zombie reaped between a test of the file and its reading reads as nothing,
    # which is "gone", never "alive"
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] || return 1
    st=${st##*) } st=${st%% *}
    if [ "$st" = Z ]; then wait "$1" 2>/dev/null; return 1; fi
    return 0
}
proc_start() { # proc_start PID: the process's start time (clock ticks since boot), "" if none
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) }
    echo "$st" | cut -d' ' -f20
}
same_proc() { # same_proc PID START: PID is still the process that started at START (a pid
    # the kernel gave to another process since, on a busy machine, is not it)
    alive "$1" && [ -n "$2" ] && [ "$(proc_start "$1")" = "$2" ]
}
wait_gone() { # wait_gone PID SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do alive "$1" || return 0; sleep 0.1; done
    ! alive "$1"
}
term_wait() { # term_wait PID SECONDS: SIGTERM, then true once it is gone (and reaped)
    kill -TERM "$1" 2>/dev/null
    wait_gone "$1" "$2" || return 1
    wait "$1" 2>/dev/null
    return 0
}
stop_pid() { # stop_pid PID NAME: SIGTERM, then SIGKILL after 15 s
    alive "${1:-}" || return 0
    kill -TERM "$1" 2>/dev/null
    wait_gone "$1" 15 || { echo "# $2 $1 did not stop on SIGTERM; SIGKILL"; kill -KILL "$1" 2>/dev/null; wait_gone "$1" 5; }
    wait "$1" 2>/dev/null
    return 0
}
bg_start() { # bg_start VAR CMD...: CMD in the background (its redirections are the caller's)
    local __v=$1; shift
    if [ -n "$LIB_SETSID" ]; then setsid "$@" & else "$@" & fi
    printf -v "$__v" '%s' "$!"
    STARTED_PIDS+=("$!")
}
describe() { echo "$1($({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | cut -c1-60))"; }
our_pids() { # processes of this run: cwd, executable or command line under $T, or MAIL_CONFIG=$PCONF
    [ -n "$T" ] || return 0
    local p x
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
        x=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
        case $x in "$T" | "$T"/*) echo "$p"; continue ;; esac
        x=$(readlink "/proc/$p/exe" 2>/dev/null)
        case $x in "$T"/*) echo "$p"; continue ;; esac
        case $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) in *"$T/"*) echo "$p"; continue ;; esac
        if [ -n "${PCONF:-}" ] && { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$PCONF"; then
            echo "$p"
        fi
    done | sort -un
}

# ---------------------------------------------------------------- waiting, network, text
poll() { # poll SECONDS COMMAND...: true as soon as COMMAND succeeds
    local s=$1 i; shift
    for ((i = 0; i < s * 10; i++)); do "$@" && return 0; sleep 0.1; done
    "$@"
}
poll_slow() { # poll_slow SECONDS COMMAND...: the same, every 0.5 s (for expensive checks)
    local s=$1 i; shift
    for ((i = 0; i < s * 2; i++)); do "$@" && return 0; sleep 0.5; done
    "$@"
}
free_port() {
    local p i
    for ((i = 0; i < 20; i++)); do
        p=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || return 1
        case " ${LIB_PORTS[*]} " in *" $p "*) continue ;; esac
        LIB_PORTS+=("$p")
        echo "$p"
        return 0
    done
    return 1
}
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }
sender_of() { # sender_of FILE DEFAULT: the envelope sender, from the message's Return-Path
    local r
    r=$(sed -n '/^\r\{0,1\}$/q; s/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/Ip' "$1" | head -n1)
    echo "${r:-$2}"
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------- temp dir, cleanup
on_exit() { LIB_EXIT+=("$(printf '%q ' "$@")"); }
on_exit_check() { LIB_EXIT_CHECKS+=("$(printf '%q ' "$@")"); }

lib_init() { # lib_init NAME [BASE]
    LIB_NAME=$1
    T=$(mktemp -d "${2:-/tmp}/acm-$1.XXXXXX") || die "mktemp in ${2:-/tmp}"
    chmod 755 "$T"
    mkdir -p "$T/log" "$T/run" || die "mkdir $T/log $T/run"
    chmod 755 "$T/run"
    trap lib_finish EXIT
    trap 'trap "" INT TERM HUP; echo "# interrupted"; FAILS=$((FAILS + 1)); exit 1' INT TERM HUP
    # if whoever reads our output goes away (| head), keep going and clean up
    trap '' PIPE
}

show_logs() {
    local f
    for f in "$T"/log/*; do
        [ -f "$f" ] && [ -s "$f" ] || continue
        echo "# ---- $f (last 40 lines)"
        tail -n 40 "$f" | cut -c1-400 | sed 's/^/#   /'
    done
}

lib_cleanup() { # the cleanup stack, then LIB_LEFT: the processes of ours still alive (killed)
    local i p left=()
    for ((i = ${#LIB_EXIT[@]} - 1; i >= 0; i--)); do eval "${LIB_EXIT[i]}"; done
    LIB_EXIT=()
    LIB_LEFT=''
    [ -n "$T" ] || return 0
    for p in $( { printf '%s\n' "${STARTED_PIDS[@]}"; our_pids; } | sort -un); do
        alive "$p" && { LIB_LEFT="$LIB_LEFT $(describe "$p")"; left+=("$p"); }
    done
    for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null; done
}

lib_finish() {
    local rc=$? i
    [ -n "$LIB_FINISHED" ] && return
    LIB_FINISHED=1
    trap '' INT TERM HUP    # the cleanup must run to its end
    lib_cleanup
    if [ -n "$T" ]; then
        if [ -n "$LIB_LEFT" ]; then
            fail "processes left after cleanup (killed now):$LIB_LEFT"
        else
            ok "no process left (of ${#STARTED_PIDS[@]} started)"
        fi
    fi
    for ((i = 0; i < ${#LIB_EXIT_CHECKS[@]}; i++)); do eval "${LIB_EXIT_CHECKS[i]}"; done
    if [ -n "$T" ]; then
        [ "$FAILS" -gt 0 ] && show_logs
        if findmnt -rn -o TARGET 2>/dev/null | grep -q "^$T"; then
            fail "something is still mounted under $T: not removing it"
        elif [ -n "$LIB_KEEP" ] || [ "$FAILS" -gt 0 ] || [ "$rc" != 0 ]; then
            echo "# temp dir kept: $T"
        else
            rm -rf "$T"
        fi
    fi
    echo "# $LIB_NAME: $PASSES passed, $FAILS failed, $((SECONDS - LIB_START)) s"
    [ "$FAILS" -gt 0 ] && [ "$rc" = 0 ] && rc=1
    exit "$rc"
}
