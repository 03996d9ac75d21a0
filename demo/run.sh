#!/bin/bash
# make demo: acm-milter end to end, on this machine, in about ten seconds.
#
# Run from the repo root, as root, on Debian 12:   bash demo/run.sh   (or: make demo)
#
#  1. installs the missing build/run packages (deps/ensure.sh build demo: Postfix preseeded to
#     "No configuration": the system's Postfix instance is never configured or started);
#  2. builds acm-milter (make);
#  3. makes a throwaway test CA (tests/approval/mkca.sh) and starts the local fake of the ACM
#     approval site (tests/approval/fake_acm.py) on https://127.0.0.1:<free port>;
#  4. starts acm-milter (Mode approve, ApprovalEndpoint = the fake site, CAFile = the test CA)
#     and a private Postfix on 127.0.0.1:<free port> with the milter attached, Maildir delivery
#     of example.com into the temp dir; a syslog sink takes /dev/log in a private mount
#     namespace (the host's syslog and /dev are left alone);
#  5. sends a sample ACM validation message to admin@example.com and an ordinary one to
#     someone@example.com;
#  6. waits (bounded) for the decision, the approval on the fake site and both deliveries;
#  7. shows the milter's syslog lines, the X-ACM-Milter header, where each message was
#     delivered, what the fake site received, and `acm-milter -q`;
# then stops everything it started and removes its temp dir (also on failure or Ctrl-C; a
# failure keeps the temp dir and prints the path of its detailed log).
#
# Environment:
#   DEMO_KEEP=1          keep the temp dir (Postfix config and log, Maildirs, spool, logs)
#   DEMO_TIMEOUT=SECONDS bound of the wait for the results (default 30)
#
# Exit status: 0 the demo ran and showed an approved request; non-zero otherwise, with the
# reason on the last lines and the path of a detailed log (the temp dir is then kept).

set -u
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export LC_ALL=C
# the approver is libcurl: no proxy from the caller's environment may get in between
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$ROOT" || exit 2
TIMEOUT=${DEMO_TIMEOUT:-30}
MUSER=nobody:postfix # the milter's UserID: the socket gets group postfix, so smtpd gets in
VUSER=nobody         # owner of the delivered Maildirs
NSTEPS=7

say()  { printf '%s\n' "$*"; }
step() { printf '\n[%s/%s] %s\n' "$1" "$NSTEPS" "$2"; }
item() { printf '      %s\n' "$*"; }

# ================================================================ outside the namespace
if [ -z "${DEMO_IN_NS:-}" ]; then
    START_NS=$(date +%s%N)
    say "acm-milter demo: a private Postfix with acm-milter, and a local fake of the ACM approval site"
    if [ "$(id -u)" != 0 ]; then
        say "demo FAILED: run it as root (it installs packages and starts a private Postfix)" >&2
        exit 2
    fi
    T=$(mktemp -d /tmp/acm-milter-demo.XXXXXX) || { say "demo FAILED: mktemp" >&2; exit 2; }
    chmod 755 "$T"
    LOG=$T/demo.log
    : >"$LOG"
    trap 'trap "" INT TERM HUP; say ""; say "demo interrupted"; rm -rf "$T"; exit 130' INT TERM HUP
    early_fail() {
        say ""
        say "demo FAILED: $*" >&2
        say "details: $LOG" >&2
        exit 1
    }

    # ---------------------------------------------------------------- 1. packages
    step 1 "Packages"
    # the list and the installing are deps/ensure.sh's (deps/packages, groups build and demo)
    DEPS_PREFIX="      " DEPS_LOG="$LOG" bash "$ROOT/deps/ensure.sh" build demo ||
        early_fail "missing packages (listed above)"

    # ---------------------------------------------------------------- 2. build
    step 2 "Build (make)"
    t0=$SECONDS
    if ! { echo "== make"; make; } >>"$LOG" 2>&1; then
        grep -m3 -E ': (fatal )?error:|\*\*\*' "$LOG" | cut -c1-200 | sed 's/^/      /'
        early_fail "make failed (the full output is in the log)"
    fi
    [ -x milter/acm-milter ] || early_fail "make succeeded but milter/acm-milter is missing"
    item "milter/acm-milter built: $(milter/acm-milter -V 2>/dev/null | head -n1) ($((SECONDS - t0)) s)"

    # what the rest needs (all from the packages above, util-linux and coreutils)
    for c in postfix postconf python3 openssl setpriv setsid unshare mount umount findmnt; do
        command -v "$c" >/dev/null 2>&1 || early_fail "missing command: $c"
    done
    id postfix >/dev/null 2>&1 || early_fail "no user postfix (the postfix package is not set up)"
    getent group postdrop >/dev/null 2>&1 || early_fail "no group postdrop (the postfix package is not set up)"
    id nobody >/dev/null 2>&1 || early_fail "no user nobody"
    if [ -L /dev/log ] && [ ! -e /dev/log ]; then early_fail "/dev/log is a dangling symlink"; fi

    # The rest runs in a private mount namespace (the syslog sink takes /dev/log there only), as a
    # background job: it ignores the terminal's SIGINT, and this shell, waiting in `wait` (which a
    # trapped signal interrupts at once), turns Ctrl-C into a SIGTERM that makes it stop everything.
    # (A foreground child that survives SIGINT, such as `postfix start`, would otherwise make bash
    # drop the Ctrl-C and carry on.)
    unshare -m --propagation private env DEMO_IN_NS=1 DEMO_T="$T" DEMO_START_NS="$START_NS" \
        bash "$ROOT/demo/run.sh" &
    INNER=$!
    trap 'kill -TERM "$INNER" 2>/dev/null' INT TERM HUP
    while :; do
        wait "$INNER"
        rc=$?
        kill -0 "$INNER" 2>/dev/null || exit "$rc"
    done
fi

# ================================================================ inside the namespace
T=$DEMO_T
LOG=$T/demo.log
START_NS=$DEMO_START_NS
PY=$(command -v /usr/bin/python3 || command -v python3)
HERE=$ROOT/tests/approval
E2E=$ROOT/tests/lib
ACM_MILTER=$ROOT/milter/acm-milter
PCONF=$T/postfix
PLOG=$T/log/postfix.log
SYSLOG=$T/log/syslog.log
FLOG=$T/log/fake-site.jsonl
SOCK=$T/run/acm-milter.sock
PIDFILE=$T/run/acm-milter.pid
SPOOL=$T/spool
PKI=$T/pki
MSG=$T/msg
CONF=$T/acm-milter.conf

SINK_PID='' LAUNCHER_PID='' MPID='' MASTER_PID='' FAKE_PID='' DEVLOG_MODE='' DEVLOG_ID=''
CLEANED='' FAILED='' INTERRUPTED=''
STARTED_PIDS=()

alive() { # a process that exists and is not a zombie
    local st
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    if [ "$st" = Z ]; then wait "$1" 2>/dev/null; return 1; fi
    return 0
}
wait_gone() { # wait_gone PID SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do alive "$1" || return 0; sleep 0.1; done
    ! alive "$1"
}
poll() { # poll SECONDS COMMAND...: true as soon as COMMAND succeeds
    local s=$1 i; shift
    for ((i = 0; i < s * 10; i++)); do "$@" && return 0; sleep 0.1; done
    "$@"
}
stop_pid() { # SIGTERM, SIGKILL after 10 s
    alive "$1" || return 0
    kill -TERM "$1" 2>/dev/null
    wait_gone "$1" 10 || { echo "$2 $1 ignored SIGTERM: SIGKILL" >>"$LOG"; kill -KILL "$1" 2>/dev/null; wait_gone "$1" 5; }
}
instance_pids() { # processes of the private Postfix instance: cwd in its queue, or its MAIL_CONFIG
    {
        find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$T/queue" -o -lname "$T/queue/*" \) 2>/dev/null
        grep -lzxF "MAIL_CONFIG=$PCONF" /proc/[0-9]*/environ 2>/dev/null
    } | cut -d/ -f3 | sort -u | grep -vx "$$" || true
}
elapsed() { awk -v a="$START_NS" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

append_logs() { # everything useful for a post-mortem, into the detailed log
    local f
    for f in "$T/log/postfix-ctl.log" "$PLOG" "$SYSLOG" "$T/log/milter.out" "$T/log/milter.err" \
        "$FLOG" "$T/log/fake.err" "$T/log/sink.err" "$T/log/send.err" "$T/log/mkca.log" "$T/log/gen.log" \
        "$T/log/milter-n.out" "$T/log/q.out" "$T/log/q.err"; do
        [ -s "$f" ] || continue
        { echo "== $f (last 80 lines)"; tail -n 80 "$f"; } >>"$LOG"
    done
}

our_pids() { # the Postfix instance, and every process with our temp dir in its command line
    # (the regex, [.] for the dot, does not match grep's own command line)
    { grep -lzE -- "${T%.*}[.]${T##*.}/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3; instance_pids; } |
        sort -u | grep -vxE "$$|$BASHPID" || true
}

cleanup() {
    [ -n "$CLEANED" ] && return
    CLEANED=1
    local p left=''
    if [ -f "$PCONF/main.cf" ] && { alive "$MASTER_PID" || postfix -c "$PCONF" status >/dev/null 2>&1; }; then
        postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
    fi
    [ -n "$MASTER_PID" ] && { wait_gone "$MASTER_PID" 15 || kill -KILL "$MASTER_PID" 2>/dev/null; }
    for p in $(instance_pids); do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
    # a milter interrupted while starting: let the launcher finish, the daemon's pid is then known
    wait_gone "$LAUNCHER_PID" 5
    [ -z "$MPID" ] && [ -s "$PIDFILE" ] && MPID=$(head -n1 "$PIDFILE" | tr -d ' ')
    # libmilter notices SIGTERM within 5 s (its listener's poll interval): stop the fake meanwhile
    for p in $MPID $FAKE_PID; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in $MPID $LAUNCHER_PID; do stop_pid "$p" acm-milter; done
    stop_pid "$FAKE_PID" "fake site"
    # anything else of ours (a start cut short by Ctrl-C), but the sink
    for p in $(our_pids); do [ "$p" = "$SINK_PID" ] || stop_pid "$p" "process"; done
    stop_pid "$SINK_PID" "syslog sink"
    case $DEVLOG_MODE in
        bind) umount /dev/log 2>/dev/null ;;
        overlay) [ "$(findmnt -rn -o FSTYPE --mountpoint /dev | tail -n1)" = overlay ] && umount -l /dev ;;
        create) [ -S /dev/log ] && [ "$(stat -c %d:%i /dev/log 2>/dev/null)" = "$DEVLOG_ID" ] && rm -f /dev/log ;;
    esac
    for p in $( { printf '%s\n' "${STARTED_PIDS[@]}"; our_pids; } | sort -u); do
        alive "$p" && left="$left $p($({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-60))"
    done
    if [ -n "$left" ]; then
        FAILED=1
        say "demo FAILED: processes still running after the stop:$left" >&2
    fi
}

finish() {
    local rc=$?
    trap '' INT TERM HUP # the stop must run to its end
    [ -n "$FAILED" ] && rc=1
    if [ "$rc" = 0 ]; then
        say ""
        say "Stopping: Postfix, acm-milter, the fake site and the syslog sink"
    fi
    cleanup
    [ -n "$FAILED" ] && rc=1
    if [ -n "$INTERRUPTED" ] && [ -z "$FAILED" ]; then
        rc=130
        if [ -z "${DEMO_KEEP:-}" ]; then rm -rf "$T"; item "nothing left running; temp dir removed"; fi
    elif [ "$rc" != 0 ]; then
        append_logs
        say "details: $LOG" >&2
        say "temp dir kept: $T" >&2
    elif findmnt -rn -o TARGET | grep -q "^$T"; then
        say "something is still mounted under $T: not removing it"
    elif [ -n "${DEMO_KEEP:-}" ]; then
        item "nothing left running; temp dir kept (DEMO_KEEP=1): $T"
    else
        rm -rf "$T"
        item "nothing left running; temp dir removed"
    fi
    [ "$rc" = 0 ] && say "" && say "demo OK ($(elapsed) s)"
    exit "$rc"
}
fail() { # fail MESSAGE: stop here, with the reason on the last lines
    say ""
    say "demo FAILED: $*" >&2
    FAILED=1
    exit 1
}
trap finish EXIT
trap 'trap "" INT TERM HUP; say ""; say "demo interrupted: stopping everything"; INTERRUPTED=1; exit 130' INT TERM HUP
trap '' PIPE

mkdir -p "$PCONF" "$T/queue" "$T/data" "$T/mail" "$T/log" "$T/run" "$SPOOL" "$MSG" || fail "mkdir in $T"
chown postfix: "$T/data" && chmod 700 "$T/data"
MUID=$(id -u "${MUSER%%:*}") MGID=$(getent group "${MUSER#*:}" | cut -d: -f3)
VUID=$(id -u "$VUSER") VGID=$(id -g "$VUSER")
chown "$VUID:$VGID" "$T/mail"
chown "$MUID:$MGID" "$T/run" "$SPOOL"
chmod 755 "$T/run"
chmod 700 "$SPOOL"

# ---------------------------------------------------------------- 3. CA + fake site
step 3 "Test CA and the local fake of the ACM approval site"
bash "$HERE/mkca.sh" "$PKI" >"$T/log/mkca.log" 2>&1 || fail "tests/approval/mkca.sh could not make the test CA"
chmod 755 "$PKI"
"$PY" "$HERE/gen_msgs.py" "$MSG" >"$T/log/gen.log" 2>&1 || fail "tests/approval/gen_msgs.py could not make the sample messages"
ACM_EML=$MSG/happy.eml
ORD_EML=$ROOT/tests/data/corpus/ordinary.eml
[ -f "$ACM_EML" ] || fail "gen_msgs.py made no happy.eml"
[ -f "$ORD_EML" ] || fail "missing $ORD_EML"
IFS=$'\t' read -r _ _ ACM_RCPT ACM_DOMAIN ACM_ARN _ _ < <(grep -m1 $'^happy\t' "$MSG/manifest.tsv")
# the long-running helpers get their own session: a Ctrl-C reaches them only through cleanup()
setsid "$PY" "$HERE/fake_acm.py" --port 0 --cert "$PKI/server.pem" --key "$PKI/server.key" \
    --sites "$MSG/sites.json" --log "$FLOG" --ready "$T/run/fake.ready" 2>>"$T/log/fake.err" &
FAKE_PID=$!
STARTED_PIDS+=("$FAKE_PID")
poll 10 test -s "$T/run/fake.ready" || fail "the fake ACM site did not start"
FPORT=$(cat "$T/run/fake.ready")
tls_ok() { # a TLS handshake verified against the test CA (no HTTP request: the site's log stays clean)
    "$PY" - "$PKI/ca.pem" "$FPORT" <<'EOF' 2>/dev/null
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2) as s:
    with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
        pass
EOF
}
poll 10 tls_ok || fail "the fake ACM site does not answer TLS with the test CA on 127.0.0.1:$FPORT"
item "test CA (made now):  $PKI/ca.pem"
item "fake approval site:  https://127.0.0.1:$FPORT  (pid $FAKE_PID)"

# ---------------------------------------------------------------- syslog sink on /dev/log
start_sink() {
    setsid "$PY" "$E2E/syslog-sink.py" "$1" "$SYSLOG" "$T/run/sink.ready" 2>"$T/log/sink.err" &
    SINK_PID=$!
    STARTED_PIDS+=("$SINK_PID")
    poll 10 test -s "$T/run/sink.ready" || fail "the syslog sink did not start"
}
devlog_overlay() { # no /dev/log: a private overlay on /dev (this namespace only) to create one in
    mkdir -p "$T/dev/up" "$T/dev/work" || return 1
    mount -t overlay overlay -o "lowerdir=/dev,upperdir=$T/dev/up,workdir=$T/dev/work" /dev 2>>"$LOG" || return 1
    [ -c /dev/null ] && [ -w /dev/null ] && return 0
    umount /dev
    return 1
}
: >"$SYSLOG"
if [ -e /dev/log ]; then
    start_sink "$T/run/devlog"
    mount --bind "$T/run/devlog" /dev/log 2>>"$LOG" || fail "cannot bind-mount the syslog sink over /dev/log"
    DEVLOG_MODE=bind
elif devlog_overlay; then
    DEVLOG_MODE=overlay
    start_sink /dev/log
else
    start_sink /dev/log # last resort: in the real /dev, removed at the end
    DEVLOG_MODE=create
    DEVLOG_ID=$(stat -c %d:%i /dev/log)
fi
probe="acm-milter-demo-probe-$$-$RANDOM"
"$PY" -c 'import sys, syslog; syslog.openlog("acm-milter-demo"); syslog.syslog(syslog.LOG_INFO, sys.argv[1])' "$probe"
poll 5 grep -q "$probe" "$SYSLOG" || fail "the syslog sink does not receive /dev/log messages"

# ---------------------------------------------------------------- 4. milter + Postfix
step 4 "acm-milter (Mode approve) and a private Postfix on 127.0.0.1"
cp "$ROOT/tests/data/allowlist" "$T/allowlist" && chmod 644 "$T/allowlist" || fail "cannot copy the allowlist"
cat >"$CONF" <<EOF
# acm-milter configuration of the demo (demo/run.sh)
Socket unix:$SOCK
UserID $MUSER
PidFile $PIDFILE
Mode approve
AllowList $T/allowlist
# the sample message carries Authentication-Results of mx.example.com (dkim=pass for
# certificates.amazon.com); a real MX would use SenderAuth dkim (the default)
SenderAuth authres
TrustedAuthservIDs mx.example.com
SpoolDir $SPOOL
AddHeader yes
# TESTS ONLY: the local fake instead of https://REGION.acm-certificates.amazon.com
ApprovalEndpoint https://127.0.0.1:$FPORT
CAFile $PKI/ca.pem
ApprovalTimeout 5
RetryInterval 2
EOF
chmod 644 "$CONF"
"$ACM_MILTER" -x "$CONF" -n >"$T/log/milter-n.out" 2>&1 || fail "acm-milter -n rejects the demo configuration: $(head -n3 "$T/log/milter-n.out")"

sock_connects() {
    "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>/dev/null
}
milter_ready() {
    local p
    sock_connects && [ -s "$PIDFILE" ] || return 1
    p=$(head -n1 "$PIDFILE" | tr -d ' ')
    alive "$p" && MPID=$p
}
setsid "$ACM_MILTER" -x "$CONF" </dev/null >"$T/log/milter.out" 2>"$T/log/milter.err" &
LAUNCHER_PID=$!
STARTED_PIDS+=("$LAUNCHER_PID")
poll 15 milter_ready || fail "acm-milter did not start (no answering socket $SOCK and live pid in $PIDFILE): $(tail -n2 "$T/log/milter.err")"
STARTED_PIDS+=("$MPID")
setpriv --reuid=postfix --regid=postfix --init-groups "$PY" -c \
    'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>>"$LOG" ||
    fail "user postfix cannot connect to the milter socket ($(stat -c '%A %U:%G' "$SOCK"))"
item "acm-milter:  pid $MPID, user ${MUSER%%:*}, socket $SOCK"
item "             config $CONF"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || fail "no free TCP port"
cat >"$PCONF/main.cf" <<EOF
# private Postfix instance of the acm-milter demo (demo/run.sh)
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.demo.invalid
mydomain = demo.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
relayhost =
default_transport = error:the demo delivers no outbound mail
alias_maps =
alias_database =
local_recipient_maps =
append_dot_mydomain = no
biff = no
smtpd_banner = \$myhostname ESMTP
smtpd_peername_lookup = no
maillog_file = $PLOG
maillog_file_prefixes = $T/log
virtual_mailbox_domains = example.com
virtual_mailbox_base = $T/mail
virtual_mailbox_maps = texthash:$PCONF/vmailbox
virtual_uid_maps = static:$VUID
virtual_gid_maps = static:$VGID
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
smtpd_milters = { unix:$SOCK, default_action=accept }
non_smtpd_milters =
EOF
cat >"$PCONF/master.cf" <<EOF
127.0.0.1:$PORT  inet  n       -       n       -       -       smtpd
cleanup          unix  n       -       n       -       0       cleanup
qmgr             unix  n       -       n       300     1       qmgr
rewrite          unix  -       -       n       -       -       trivial-rewrite
bounce           unix  -       -       n       -       0       bounce
defer            unix  -       -       n       -       0       bounce
trace            unix  -       -       n       -       0       bounce
verify           unix  -       -       n       -       1       verify
flush            unix  n       -       n       1000?   0       flush
proxymap         unix  -       -       n       -       -       proxymap
showq            unix  n       -       n       -       -       showq
error            unix  -       -       n       -       -       error
retry            unix  -       -       n       -       -       error
discard          unix  -       -       n       -       0       discard
virtual          unix  -       n       n       -       -       virtual
anvil            unix  -       -       n       -       1       anvil
scache           unix  -       -       n       -       1       scache
postlog          unix-dgram n  -       n       -       1       postlogd
EOF
cat >"$PCONF/vmailbox" <<EOF
admin@example.com    example.com/admin/
someone@example.com  example.com/someone/
EOF
# (no separate `postfix check`: it takes seconds; `postfix start` refuses a broken configuration)
postfix -c "$PCONF" start >>"$T/log/postfix-ctl.log" 2>&1 || fail "postfix start failed: $(tail -n2 "$T/log/postfix-ctl.log")"
MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
STARTED_PIDS+=("$MASTER_PID")
port_open() { "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()' "$PORT" 2>/dev/null; }
poll 15 port_open || fail "Postfix's smtpd does not listen on 127.0.0.1:$PORT"
item "Postfix:     master pid $MASTER_PID, smtpd 127.0.0.1:$PORT, config $PCONF/main.cf"
item "             smtpd_milters = { unix:$SOCK, default_action=accept }"

# ---------------------------------------------------------------- 5. send
step 5 "Sending two messages over SMTP"
envelope_from() { # the message's Return-Path, else $2
    local r
    r=$(sed -n '/^\r\{0,1\}$/q; s/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/Ip' "$1" | head -n1)
    echo "${r:-$2}"
}
send() { "$PY" "$E2E/smtp-send.py" 127.0.0.1 "$PORT" "$(envelope_from "$3" "$2")" "$1" "$3" 2>>"$T/log/send.err"; }
subject() { sed -n '/^\r\{0,1\}$/q; s/^Subject:[[:space:]]*//p' "$1" | head -n1 | tr -d '\r'; }
QID_ACM=$(send "$ACM_RCPT" no-reply@certificates.amazon.com "$ACM_EML") ||
    fail "Postfix refused the ACM message: $(tail -n1 "$T/log/send.err")"
item "$(printf 'ACM validation message -> %-20s queue id %s  ("%s")' "$ACM_RCPT" "$QID_ACM" "$(subject "$ACM_EML")")"
QID_ORD=$(send someone@example.com sender@example.org "$ORD_EML") ||
    fail "Postfix refused the ordinary message: $(tail -n1 "$T/log/send.err")"
item "$(printf 'ordinary message       -> %-20s queue id %s  ("%s")' someone@example.com "$QID_ORD" "$(subject "$ORD_EML")")"

# ---------------------------------------------------------------- 6. wait
step 6 "Waiting for the decision, the approval and the deliveries (at most $TIMEOUT s)"
mlines() { grep -E "acm-milter\[[0-9]+\]: $1" "$SYSLOG" | sed 's/^.*\(acm-milter\[\)/\1/'; }
maildir_file() { local f; for f in "$T/mail/$1/new/"*; do [ -f "$f" ] && { echo "$f"; return 0; }; done; return 1; }
approval_final() { mlines "$QID_ACM: approval=(approved|already-approved|failed|expired) " | grep -q .; }
decided_other() { mlines "$QID_ACM: decision=" | grep -qv ': decision=approve '; }
all_done() {
    maildir_file example.com/admin >/dev/null && maildir_file example.com/someone >/dev/null &&
        { approval_final || decided_other; }
}
t0=$(date +%s%N)
if ! poll "$TIMEOUT" all_done; then
    why=''
    mlines "$QID_ACM: decision=" | grep -q . || why="$why; no decision line for $QID_ACM in syslog"
    approval_final || why="$why; the request is not approved yet (last line: $(mlines "$QID_ACM: approval=" | tail -n1 | sed 's/^[^ ]* [^ ]* //; s/ arn=[^ ]*//'))"
    maildir_file example.com/admin >/dev/null || why="$why; the ACM message was not delivered"
    maildir_file example.com/someone >/dev/null || why="$why; the ordinary message was not delivered"
    postqueue -c "$PCONF" -p >>"$LOG" 2>&1
    fail "not done after $TIMEOUT s${why}"
fi
item "done in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
decided_other && fail "acm-milter did not approve: $(mlines "$QID_ACM: decision=" | sed 's/^[^ ]* [^ ]* //')"
F_ACM=$(maildir_file example.com/admin)
F_ORD=$(maildir_file example.com/someone)
mlines "$QID_ACM: approval=approved " | grep -q . ||
    fail "the request was not approved: $(mlines "$QID_ACM: approval=" | tail -n1)"

# ---------------------------------------------------------------- 7. results
step 7 "What happened"
"$ACM_MILTER" -x "$CONF" -q >"$T/log/q.out" 2>"$T/log/q.err" || fail "acm-milter -q failed: $(head -n2 "$T/log/q.err")"
hdr=$("$PY" "$E2E/msgcheck.py" header "$F_ACM" X-ACM-Milter)
[ -n "$hdr" ] || fail "the delivered ACM message has no X-ACM-Milter header"
ord_diff=$("$PY" "$E2E/msgcheck.py" same "$ORD_EML" "$F_ORD") || fail "the ordinary message was changed: $ord_diff"
# everything is gathered: start stopping now (libmilter notices SIGTERM only every 5 s)
postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
for p in $MPID $FAKE_PID; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
say ""
say "  acm-milter's syslog lines (facility mail), decision= and approval=:"
mlines '[0-9A-Za-z]+: (decision|approval)=' | sed 's/^/    /'
ord_lines=$(mlines "$QID_ORD: ")
if [ -z "$ord_lines" ]; then
    say "    (none for $QID_ORD: someone@ is not a watched recipient, so the milter accepted it unread)"
fi

say ""
say "  X-ACM-Milter header of the delivered ACM message:"
sed 's/^/    X-ACM-Milter: /' <<<"$hdr"

say ""
say "  Delivered (Maildir, in the temp dir):"
say "    $QID_ACM  ACM message       -> $F_ACM"
say "    $QID_ORD  ordinary message  -> $F_ORD  (as sent: only Postfix's trace headers added)"

say ""
say "  What the fake ACM approval site received:"
"$PY" - "$FLOG" <<'EOF' | sed 's/^/    /'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("event") != "request":
        continue
    m, st = r.get("method"), r.get("status")
    if m == "GET":
        what = {"form": "approval page with the I Approve form, session cookie set",
                "already": "page 'already been approved'"}.get(r.get("page"), "")
        print("GET  %-36s -> %s %s" % (r.get("path") + "?code=...&context=...", st, what))
        print("     %-36s    (User-Agent %s)" % ("", r.get("ua")))
    else:
        names = (("cookie", "session cookie"), ("csrf", "CSRF token"), ("referer", "Referer"),
                 ("token", "validation_token+context"))
        ok = [n for k, n in names if r.get(k + "_ok")]
        print("POST %-36s -> %s %s" % (r.get("path"), st,
              "success page: request APPROVED" if r.get("approved") else "not approved"))
        print("     %-36s    (valid: %s)" % ("", ", ".join(ok) or "nothing"))
EOF

say ""
say "  acm-milter -q (the approval queue):"
sed 's/^/    /' "$T/log/q.out"
exit 0
