#!/usr/bin/env bash
# The running daemon: SIGUSR2 logs the statistics line; a reload whose allowlist has become
# writable by others is refused by the tamper guard (and the old snapshot stays); a reload
# that changes a restart-only key says so; SIGTERM stops. A background start (no -f): the
# parent exits 0 only once the daemon has started (pid file written), and a start that fails
# in the background exits 1 with the reason on stderr.
. "$(dirname "$0")/lib/common.sh"
BIN=$ACM_MILTER
lib_init daemon
LOG=$T/log/daemon.log
PID=
bad() { fail "$1"; }
logpoll() { poll "$1" grep -qE "$2" "$LOG"; } # logpoll SECONDS PATTERN: the log has PATTERN
cp tests/data/allowlist "$T/allowlist"; chmod 644 "$T/allowlist"
cat > "$T/acm.conf" <<CONF
AllowList $T/allowlist
SenderAuth authres
TrustedAuthservIDs mx.example.com
Mode dry-run
Socket unix:$T/acm.sock
SpoolDir $T/spool
UserID nobody
CONF
chmod 644 "$T/acm.conf"
bg_start PID "$BIN" -f -x "$T/acm.conf" 2> "$LOG"
logpoll 30 'starting acm-milter' && ok "daemon started" || { bad "daemon did not start: $(cat "$LOG")"; exit 1; }

kill -USR2 "$PID"
logpoll 30 'stats=signal seen=0 watched=0 recognized=0 approve=0 deny=0 .* queue=0' \
    && ok "SIGUSR2 logs the statistics line" || bad "no stats line: $(tail -3 "$LOG")"
grep -q 'deny.not-allowlisted=0' "$LOG" && ok "stats has deny counters by reason" || bad "stats: no deny.REASON"

chmod 666 "$T/allowlist"
kill -USR1 "$PID"
logpoll 30 "reload rejected: .*refusing allowlist $T/allowlist" \
    && ok "reload refused: allowlist writable by others" || bad "reload not refused: $(tail -3 "$LOG")"
logpoll 30 'reload rejected: keeping the previous configuration' && ok "old configuration kept" || bad "no keep line"
kill -0 "$PID" 2>/dev/null && ok "daemon still running" || bad "daemon died on a refused reload"
chmod 644 "$T/allowlist"
kill -USR1 "$PID"
logpoll 30 'reloaded .*3 allowlist rules' && ok "reload accepted once fixed" || bad "reload after fix: $(tail -3 "$LOG")"

# a reload that the next start would refuse (UserID root) is refused now, as -n refuses it
sed -i 's|^UserID .*|UserID root|' "$T/acm.conf"
kill -USR1 "$PID"
logpoll 30 "reload rejected: $T/acm.conf:[0-9]*: UserID root: that user has uid 0" \
    && ok "reload refused: UserID root" || bad "reload with UserID root: $(tail -3 "$LOG")"
sed -i 's|^UserID .*|UserID nobody|' "$T/acm.conf"
# a reload that changes restart-only keys names each, and changes nothing else about them
sed -i "s|^Socket .*|Socket unix:$T/other.sock|" "$T/acm.conf"
echo "PidFile $T/other.pid" >> "$T/acm.conf"
kill -USR1 "$PID"
logpoll 30 'reloaded .*3 allowlist rules.*' && logpoll 30 'takes effect only at restart' \
    && ok "reload with restart-only changes accepted" || bad "reload: $(tail -3 "$LOG")"
grep -q 'reload: the change of Socket takes effect only at restart' "$LOG" \
    && grep -q 'reload: the change of PidFile takes effect only at restart' "$LOG" \
    && ok "reload names Socket and PidFile" || bad "reload warnings: $(grep reload "$LOG")"
grep -qE 'change of (UserID|SpoolDir)' "$LOG" && bad "reload names an unchanged key"
[ -S "$T/acm.sock" ] && [ ! -e "$T/other.sock" ] && [ ! -e "$T/other.pid" ] \
    && ok "the running socket stays" || bad "socket or pid file changed by a reload"

kill -TERM "$PID"
wait "$PID"; rc=$?; PID=
[ $rc = 0 ] && ok "SIGTERM: clean exit" || bad "SIGTERM: exit $rc"

# ---- background start --------------------------------------------------------------------
# our_daemons CONF: pids of processes whose command line names CONF (only ours: private path)
our_daemons() {
    local p
    for p in $(our_pids); do
        { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$1" && echo "$p"
    done
}
stop60() { # stop60 PID: SIGTERM, bounded wait (a safety net, not a timing assertion)
    kill -TERM "$1" 2>/dev/null
    wait_gone "$1" 60 && return 0
    kill -KILL "$1" 2>/dev/null
    return 1
}
# bg_conf NAME [LINE...]: $T/bg-NAME.conf, its own socket and spool unless LINEs name them
bg_conf() {
    local name=$1 f=$T/bg-$1.conf l; shift
    {
        echo "AllowList $T/allowlist"
        echo "SenderAuth authres"
        echo "TrustedAuthservIDs mx.example.com"
        echo "Mode dry-run"
        printf '%s\n' "$@" | grep -q '^Socket ' || echo "Socket unix:$T/bg-$name.sock"
        printf '%s\n' "$@" | grep -q '^SpoolDir ' || echo "SpoolDir $T/bg-$name-spool"
        printf '%s\n' "$@" | grep -q '^UserID ' || echo "UserID nobody"
        for l in "$@"; do echo "$l"; done
    } > "$f"
    chmod 644 "$f"
    BGCONF=$f
}
# bg_fails NAME PATTERN LINE...: the background start exits 1, says PATTERN on stderr, and
# leaves no process behind
bg_fails() {
    local name=$1 pat=$2 rc left p; shift 2
    bg_conf "$name" "$@"
    timeout 120 "$BIN" -x "$BGCONF" > "$T/bg.out" 2> "$T/bg.err"; rc=$?
    [ $rc = 1 ] && ok "background start with $name: exit 1" \
        || bad "background start with $name: exit $rc, want 1: $(cat "$T/bg.err")"
    grep -qF -- "$pat" "$T/bg.err" && ok "background start with $name says why" \
        || bad "background start with $name: no '$pat' in: $(cat "$T/bg.err")"
    grep -q 'panic' "$T/bg.err" && bad "background start with $name panics"
    left=$(our_daemons "$BGCONF")
    if [ -n "$left" ]; then
        bad "background start with $name left processes: $left"
        for p in $left; do stop60 "$p"; done
    fi
}

# a good start: the parent's exit 0 comes after the pid file, the privilege drop, the queue
# and the socket (checked at once, without waiting)
bg_conf good "PidFile $T/bg-good.pid"
"$BIN" -x "$BGCONF" > "$T/bg.out" 2> "$T/bg.err"; rc=$?
if [ $rc = 0 ] && [ -s "$T/bg-good.pid" ]; then
    ok "background start: exit 0 once the pid file exists"
else
    bad "background start: exit $rc, pid file: $(cat "$T/bg-good.pid" 2>&1); $(cat "$T/bg.err")"
fi
BGPID=$(cat "$T/bg-good.pid" 2>/dev/null)
[ -n "$BGPID" ] && kill -0 "$BGPID" 2>/dev/null && ok "the pid file names the running daemon" \
    || bad "no running daemon with pid '$BGPID'"
[ -S "$T/bg-good.sock" ] && ok "background start: socket listening before the parent exits" \
    || bad "background start: no socket at exit"
[ -d "$T/bg-good-spool/pending" ] && ok "background start: spool ready" || bad "background start: no spool"
if [ -n "$BGPID" ] && [ "$(id -u)" = 0 ]; then
    [ "$(stat -c %U "/proc/$BGPID")" = nobody ] && ok "background daemon runs as UserID" \
        || bad "background daemon runs as $(stat -c %U "/proc/$BGPID")"
fi
grep -q 'starting acm-milter' "$T/bg.err" && ok "the parent shows the start-up line" \
    || bad "parent stderr: $(cat "$T/bg.err")"
# a second daemon on the same unix socket is refused; the first keeps its socket
bg_fails "the socket of a running daemon" "Socket unix:$T/bg-good.sock: another process listens there" \
    "Socket unix:$T/bg-good.sock"
[ -S "$T/bg-good.sock" ] && python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$T/bg-good.sock" \
    && ok "the first daemon still answers on its socket" || bad "the first daemon lost its socket"
# the same socket again, over TCP: the second start fails, the first goes on
port=$(free_port)
bg_conf tcp1 "Socket inet:$port@127.0.0.1" "PidFile $T/bg-tcp1.pid"
"$BIN" -x "$BGCONF" 2> "$T/bg.err" && [ -s "$T/bg-tcp1.pid" ] && ok "background start on inet:$port" \
    || bad "background start on inet:$port: $(cat "$T/bg.err")"
TCPPID=$(cat "$T/bg-tcp1.pid" 2>/dev/null)
bg_fails "a TCP port in use" "Socket inet:$port@127.0.0.1: cannot listen there" "Socket inet:$port@127.0.0.1"
[ -n "$TCPPID" ] && kill -0 "$TCPPID" 2>/dev/null && ok "the first daemon still runs" || bad "first daemon gone"
for p in "$BGPID" "$TCPPID"; do
    [ -n "$p" ] || continue
    stop60 "$p" && ok "background daemon $p stopped by SIGTERM" || bad "daemon $p still running 60 s after SIGTERM"
done

# failing starts in the background: exit 1, the reason on stderr, nothing left running
bg_fails "a PidFile in a missing folder" "PidFile $T/missing/acm.pid: cannot create it: No such file or directory" \
    "PidFile $T/missing/acm.pid"
mkdir -p "$T/piddir"
bg_fails "a PidFile that is a folder" "PidFile $T/piddir: cannot create it" "PidFile $T/piddir"
bg_fails "a socket in a missing folder" "Socket unix:$T/nodir/acm.sock: folder $T/nodir: No such file or directory" \
    "Socket unix:$T/nodir/acm.sock"
bg_fails "a SpoolDir whose parent is missing" "SpoolDir $T/nodir/spool" "SpoolDir $T/nodir/spool"
: > "$T/spool-file"
bg_fails "a SpoolDir that is a file" "SpoolDir $T/spool-file" "SpoolDir $T/spool-file"
bg_fails "UserID root" "UserID root: that user has uid 0" "UserID root"
bg_fails "a socket spec without a path" "Socket: want an absolute socket path" "Socket unix:"
: > "$T/not-a-socket"
bg_fails "a socket path that is a file" "Socket unix:$T/not-a-socket: $T/not-a-socket exists and is not a socket" \
    "Socket unix:$T/not-a-socket"
[ -f "$T/not-a-socket" ] && ok "the file in the socket's place is kept" || bad "the file in the socket's place was removed"
# not started as root: an unwritable PidFile or SpoolDir is one clear line and exit 1 too
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
    mkdir -p "$T/rootonly" "$T/nb"; chmod 755 "$T/rootonly"; chown nobody "$T/nb"
    bg_as_nobody_fails() { # NAME PATTERN LINE...
        local name=$1 pat=$2 rc left p; shift 2
        bg_conf "$name" "Socket unix:$T/nb/$name.sock" "$@"
        runuser -u nobody -- timeout 120 "$BIN" -x "$BGCONF" > "$T/bg.out" 2> "$T/bg.err"; rc=$?
        [ $rc = 1 ] && ok "background start as nobody with $name: exit 1" \
            || bad "background start as nobody with $name: exit $rc, want 1: $(cat "$T/bg.err")"
        grep -qF -- "$pat" "$T/bg.err" && ok "background start as nobody with $name says why" \
            || bad "background start as nobody with $name: no '$pat' in: $(cat "$T/bg.err")"
        left=$(our_daemons "$BGCONF")
        [ -z "$left" ] || { bad "start as nobody with $name left processes: $left"; for p in $left; do stop60 "$p"; done; }
    }
    mkdir -p "$T/nb/spool"; chown nobody "$T/nb/spool"
    bg_as_nobody_fails "an unwritable PidFile" "PidFile $T/rootonly/acm.pid: cannot create it: Permission denied" \
        "SpoolDir $T/nb/spool" "PidFile $T/rootonly/acm.pid"
    bg_as_nobody_fails "an unwritable SpoolDir" "SpoolDir $T/rootonly/spool" "SpoolDir $T/rootonly/spool"
fi
