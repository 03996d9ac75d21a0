# tests/lib/milter.sh: configure, start and stop acm-milter for a test (sourced after common.sh).
#
# Contract. The daemon under test is ACM_MILTER (or -b BIN). Every daemon started is stopped at
# the end (SIGTERM, SIGKILL after 15 s) by the cleanup stack; its output is kept under $T/log.
#   MUSER                 the milter's UserID (default nobody:postfix: the socket gets group
#                         postfix, so Postfix's smtpd can connect without changing any account)
#   milter_dirs DIR...    make DIR (a spool, a socket folder) owned by MUSER, mode 0700 (0755 for
#                         $T/run, where the socket and the pid file are)
#   milter_paths [DIR...] SOCK=$T/run/acm.sock, PIDFILE=$T/run/acm-milter.pid, SPOOL=$T/spool,
#                         and milter_dirs of $T/run, the spool and the DIRs
#   conf_write FILE LINE...  a configuration file, mode 0644, written atomically
#   conf_from_test FILE [SRC] LINE...  FILE from tests/data/test.conf (or SRC): relative paths
#                         made absolute, Socket/UserID/PidFile dropped, SpoolDir $SPOOL; then
#                         the LINEs (Socket, UserID, ... of the test)
#   conf_check FILE TEXT  "ok - acm-milter -n accepts TEXT", or a FAIL with what -n said
#   milter_start [-f] [-b BIN] [-n NAME] [-w "WRAPPER ARGS"] CONF
#                         starts the daemon (no -f: it daemonizes; -f: foreground) with CONF;
#                         true once its socket (the Socket of CONF, unix or inet) answers and its
#                         pid is known and new: the pid file (PidFile of CONF) for a daemon, the
#                         process itself with -f. MPID and LAUNCHER_PID are set; output appended
#                         to $T/log/milter[-NAME].out/.err; on failure MILTER_WHY says why.
#                         The wrapper runs the daemon, e.g. -w "unshare -n".
#   milter_stop [PID [S]] SIGTERM; true once it is gone (bound S, default 60 s); MPID cleared
#   milter_kill9 [PID]    SIGKILL; true once it is gone (60 s: a thread in fsync may hold it)
#   sock_connects SPEC    the socket SPEC (unix:PATH, PATH, inet:PORT@HOST) accepts a connection
#   sock_connects_as USER PATH  the same, as USER (setpriv): can Postfix's smtpd get in?
#   proc_rss PID (VmRSS kB) | proc_threads PID | proc_fds PID | proc_cpu PID (user+system s)
#   fd_list PID ("fd -> target", without inode numbers) | fds_settled PID (the fd count is the
#                         same over three readings 0.3 s apart): the daemon's figures
#   mlines REGEX | mhas REGEX | mcount REGEX   the milter's log lines "acm-milter[PID]: REGEX"
#                         in MLOG (default: the syslog sink's file, else $T/log/milter.err)

MUSER=${MUSER:-nobody:postfix}
MPID='' LAUNCHER_PID='' MILTER_WHY='' MLOG=${MLOG:-}
MILTER_PIDS=() MILTER_CLEANUP=''

milter_dirs() {
    local d uid gid
    uid=$(id -u "${MUSER%%:*}") || die "no user ${MUSER%%:*}"
    case $MUSER in
        *:*) gid=$(getent group "${MUSER#*:}" | cut -d: -f3) ;;
        *) gid=$(id -g "$MUSER") ;;
    esac
    [ -n "$gid" ] || die "no group for $MUSER"
    for d; do
        mkdir -p "$d" || die "mkdir $d"
        chown "$uid:$gid" "$d"
        if [ "$d" = "$T/run" ]; then chmod 755 "$d"; else chmod 700 "$d"; fi
    done
}

milter_paths() {
    SOCK=$T/run/acm.sock PIDFILE=$T/run/acm-milter.pid SPOOL=$T/spool
    milter_dirs "$T/run" "$SPOOL" "$@"
}

conf_write() { # conf_write FILE LINE...
    local f=$1; shift
    printf '%s\n' "$@" >"$f.tmp" && chmod 644 "$f.tmp" && mv -f "$f.tmp" "$f"
}
# conf_from_test FILE [SRC] LINE...: SRC (default tests/data/test.conf) without its Socket,
# UserID and PidFile lines and without the keys the LINEs set (a key given twice is an
# error), its relative paths made absolute and SpoolDir $SPOOL, then the LINEs
conf_from_test() {
    local f=$1 src=tests/data/test.conf given='' l; shift
    case ${1:-} in *.conf) src=$1; shift ;; esac
    [ -f "$src" ] || die "missing $src"
    for l in "$@"; do case $l in '#'* | '') ;; *) given="$given ${l%%[[:space:]]*}" ;; esac; done
    {
        awk -v root="$ROOT" -v spool="${SPOOL:-$T/spool}" -v given="$given" '
            BEGIN { n = split(tolower(given), g, " "); for (i = 1; i <= n; i++) set[g[i]] = 1 }
            { k = tolower($1) }
            k in set || k == "socket" || k == "userid" || k == "pidfile" { next }
            k == "spooldir" { print "SpoolDir " spool; next }
            (k == "allowlist" || k == "dkimtestkeys" || k == "cafile") && $2 !~ /^\// {
                print $1 " " root "/" $2; next }
            { print }' "$src"
        printf '%s\n' "$@"
    } >"$f.tmp" && chmod 644 "$f.tmp" && mv -f "$f.tmp" "$f"
}
conf_value() { # conf_value FILE KEY: the (last) value of KEY
    awk -v k="$(tr 'A-Z' 'a-z' <<<"$2")" 'tolower($1) == k { v = $2 } END { print v }' "$1"
}

conf_check() { # conf_check FILE TEXT
    if "$ACM_MILTER" -x "$1" -n >"$T/log/milter-n.out" 2>&1; then
        ok "acm-milter -n accepts $2"
    else
        fail "acm-milter -n rejects $2: $(cat "$T/log/milter-n.out")"
    fi
}

sock_connects() {
    local s=$1
    case $s in
        inet:*) s=${s#inet:}; port_open "${s%@*}" ;;
        *) s=${s#unix:}; s=${s#local:}
           "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$s" 2>/dev/null ;;
    esac
}
sock_connects_as() { # sock_connects_as USER PATH
    setpriv --reuid="$1" --regid="$1" --init-groups "$PY" -c \
        'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "${2#unix:}"
}

milter_cleanup() {
    local p
    # libmilter notices SIGTERM within its listener's poll interval: signal all, then wait each
    for p in "${MILTER_PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in "${MILTER_PIDS[@]}"; do stop_pid "$p" milter; done
}

milter_start() {
    local fg='' bin=$ACM_MILTER name='' wrap=() conf sock pidf rc='' i p out err old
    while [ $# -gt 1 ]; do
        case $1 in
            -f) fg=1 ;;
            -b) bin=$2; shift ;;
            -n) name=-$2; shift ;;
            -w) read -r -a wrap <<<"$2"; shift ;;
            *) break ;;
        esac
        shift
    done
    conf=$1
    sock=$(conf_value "$conf" Socket)
    pidf=$(conf_value "$conf" PidFile)
    out=$T/log/milter$name.out err=$T/log/milter$name.err
    [ -z "$MILTER_CLEANUP" ] && { on_exit milter_cleanup; MILTER_CLEANUP=1; }
    MPID='' MILTER_WHY='' old=" ${MILTER_PIDS[*]} "
    bg_start LAUNCHER_PID "${wrap[@]}" "$bin" ${fg:+-f} -x "$conf" </dev/null >>"$out" 2>>"$err"
    MILTER_PIDS+=("$LAUNCHER_PID")
    for ((i = 0; i < 600; i++)); do
        p=''
        if [ -n "$fg" ]; then
            p=$LAUNCHER_PID
        elif [ -n "$pidf" ] && [ -s "$pidf" ]; then
            p=$(head -n1 "$pidf" | tr -d ' ')
        fi
        case $old in *" $p "*) p='' ;; esac     # a daemon of an earlier start (stale pid file)
        if [ -n "$p" ] && alive "$p" && sock_connects "$sock"; then
            MPID=$p
            break
        fi
        if [ -z "$rc" ] && ! alive "$LAUNCHER_PID"; then
            wait "$LAUNCHER_PID"; rc=$?
            [ "$rc" = 0 ] && [ -z "$fg" ] || break
        fi
        sleep 0.1
    done
    if [ -z "$MPID" ]; then
        MILTER_WHY="socket $sock $(sock_connects "$sock" && echo answers || echo silent), launcher $LAUNCHER_PID $(alive "$LAUNCHER_PID" && echo running || echo "exited ${rc:-?}"): $(tail -n3 "$err" | tr '\n' ' ')"
        return 1
    fi
    [ "$MPID" != "$LAUNCHER_PID" ] && { MILTER_PIDS+=("$MPID"); STARTED_PIDS+=("$MPID"); }
    return 0
}

milter_stop() { # milter_stop [PID [SECONDS]]
    local p=${1:-$MPID}
    term_wait "$p" "${2:-60}" || return 1
    [ "$p" = "$MPID" ] && MPID=''
    return 0
}
KILL9_START=''
milter_kill9() { # milter_kill9 [PID]; KILL9_START: the killed process's start time
    local p=${1:-$MPID} i
    KILL9_START=$(proc_start "$p")
    disown "$p" 2>/dev/null    # no "Killed" job report from bash
    kill -KILL "$p" 2>/dev/null
    [ "$p" = "$MPID" ] && MPID=''
    # gone, or its pid already given to another process (same_proc): a safety bound of 60 s
    for ((i = 0; i < 600; i++)); do same_proc "$p" "$KILL9_START" || return 0; sleep 0.1; done
    ! same_proc "$p" "$KILL9_START"
}

mlines() { grep -E "acm-milter\[[0-9]+\]: $1" "${MLOG:-${SYSLOG:-$T/log/milter.err}}"; }
mhas() { mlines "$1" >/dev/null; }
mcount() { mlines "$1" | grep -c .; }

proc_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
proc_threads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
proc_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
proc_cpu() { # user+system CPU seconds
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null
}
fd_list() { # fd_list PID: "fd -> target", sockets and pipes without their inode
    local f
    for f in /proc/"$1"/fd/*; do
        printf '%s -> %s\n' "${f##*/}" "$(readlink "$f" 2>/dev/null | sed 's/:\[[0-9]*\]$/:[]/')"
    done | sort -n
}
fds_settled() { # fds_settled PID: the fd count is the same over three readings 0.3 s apart
    local a b c
    a=$(proc_fds "$1"); sleep 0.3; b=$(proc_fds "$1"); sleep 0.3; c=$(proc_fds "$1")
    [ "$a" = "$b" ] && [ "$b" = "$c" ]
}
