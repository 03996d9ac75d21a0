# Shared setup of tests/soak/soak.sh and tests/soak/faults.sh (sourced, not run).
#
# The caller sets NAME (soak|faults) and ACM_NAMES (the ACM requests to generate, see
# gen_soak.py) before sourcing, then calls setup_all. What it builds, all on loopback, in a
# temp dir, the host's mail setup untouched (the same approach as bench/run.sh and
# tests/approval/run.sh, copied, not shared):
#   - a test PKI (tests/approval/mkca.sh) and the fake ACM approval site
#     (tests/approval/fake_acm.py, https://127.0.0.1:FPORT, every request behaviour "ok");
#   - smtp-sink on 127.0.0.1:SINK_PORT, counting messages (-c);
#   - a private Postfix (own config, queue and data directories, no chroot, own maillog_file)
#     whose smtpd on 127.0.0.1:PORT relays everything to the sink (relayhost), with
#     smtpd_milters = unix:SOCK and milter_default_action = accept;
#   - acm-milter -f (log lines on stderr, in $MLOG; no /dev/log needed) in Mode approve against
#     the fake site: ApprovalEndpoint, CAFile = the test CA, ApprovalTimeout 3, RetryInterval 1,
#     SenderAuth authres with TrustedAuthservIDs mx.example.com, tests/data/allowlist,
#     UserID nobody:postfix.
# The caller runs in a private mount namespace (re-exec through unshare -m, see below), so a
# tmpfs it mounts disappears with it even if the cleanup never runs.
#
# Everything started is recorded and stopped by cleanup (trap on EXIT), which then checks that
# no process is left and that nothing is mounted under the temp dir.

set -u
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C
# the approver is libcurl: no proxy from the caller's environment may get in between
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
# under systemd the milter would not copy its log lines to stderr, where the tests read them
unset JOURNAL_STREAM

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
cd "$ROOT" || exit 2
HERE=$ROOT/tests/soak
APPROVAL=$ROOT/tests/approval
E2E=$ROOT/tests/lib
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
MUSER=nobody:postfix
ACM_MILTER=${ACM_MILTER:-milter/acm-milter}
case $ACM_MILTER in /*) ;; *) ACM_MILTER=$ROOT/$ACM_MILTER ;; esac
TIMEOUT=${SOAK_TIMEOUT:-30}     # bound of an ordinary poll

FAILS=0
PASSES=0
ok()   { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $*"; }
info() { echo "# $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else fail "$d"; fi
}
die() { echo "FAIL - setup: $*"; exit 2; }

lib_prereq() {
    [ "$(id -u)" = 0 ] || die "must run as root (private Postfix instance, tmpfs, mount namespace)"
    local c f
    for c in postfix postconf postqueue smtp-source smtp-sink timeout openssl curl unshare mount \
        umount findmnt "$PY"; do
        command -v "$c" >/dev/null 2>&1 || die "missing command: $c (Debian: apt-get install postfix python3 openssl curl util-linux)"
    done
    id postfix >/dev/null 2>&1 || die "no user postfix (install the postfix package)"
    getent group postdrop >/dev/null 2>&1 || die "no group postdrop (install the postfix package)"
    id nobody >/dev/null 2>&1 || die "no user nobody"
    [ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"
    for f in "$APPROVAL/fake_acm.py" "$APPROVAL/fakelog.py" "$APPROVAL/mkca.sh" "$E2E/smtp-send.py" \
        "$HERE/gen_soak.py" "$ROOT/tests/data/allowlist"; do
        [ -f "$f" ] || die "missing $f"
    done
}

# ---------------------------------------------------------------- processes
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
poll() { # poll SECONDS COMMAND...: true as soon as COMMAND succeeds (checked every 0.1 s)
    local s=$1 i; shift
    for ((i = 0; i < s * 10; i++)); do "$@" && return 0; sleep 0.1; done
    "$@"
}
poll_slow() { # poll_slow SECONDS COMMAND...: the same, every 0.5 s (for expensive checks)
    local s=$1 i; shift
    for ((i = 0; i < s * 2; i++)); do "$@" && return 0; sleep 0.5; done
    "$@"
}
stop_pid() { # stop_pid PID NAME: SIGTERM, then SIGKILL after 15 s
    alive "$1" || return 0
    kill -TERM "$1" 2>/dev/null
    wait_gone "$1" 15 || { echo "# $2 $1 did not stop on SIGTERM; SIGKILL"; kill -KILL "$1" 2>/dev/null; wait_gone "$1" 5; }
    wait "$1" 2>/dev/null
    return 0
}
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# ---------------------------------------------------------------- bookkeeping
T=$(mktemp -d "/tmp/acm-$NAME.XXXXXX") || die "mktemp"
chmod 755 "$T"
PCONF=$T/etc
PLOG=$T/log/postfix.log
MLOG=$T/log/milter.err
FLOG=$T/log/fake-requests.jsonl
SOCK=$T/run/acm.sock
SPOOL=$T/spool
PKI=$T/pki
MSG=$T/msg
START=$SECONDS
SINK_PID='' MASTER_PID='' MPID='' FAKE_PID='' FPORT='' PORT='' SINK_PORT='' CLEANED='' KEEP=''
STARTED_PIDS=()
SRC_PIDS=()       # smtp-source processes running in the background (src_start)
PIDFILES=()       # files holding the pid of a process a background loop started
LOOP_PIDS=()      # background loops (bash subshells) that start such processes
MOUNTS=()         # mount points to unmount at the end

instance_pids() { # processes of the private Postfix instance
    local p cwd
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
        case $cwd in "$T/queue" | "$T/queue"/*) echo "$p"; continue ;; esac
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$PCONF"; then
            echo "$p"
        fi
    done | sort -u | grep -vx "$$" || true
}

show_logs() {
    local f
    for f in "$PLOG" "$MLOG" "$FLOG" "$T/log/fake.err" "$T/log/postfix-ctl.log" "$T/log/sink.err" \
        "$T/log/send.err" "$T"/log/src-*.err; do
        [ -s "$f" ] || continue
        echo "# ---- $f (last 30 lines)"
        tail -n 30 "$f" | cut -c1-300 | sed 's/^/#   /'
    done
}

cleanup() {
    [ -n "$CLEANED" ] && return
    CLEANED=1
    local p f m left=''
    # background load loops (faults.sh case d): tell them to stop, stop what they run, wait
    [ -n "${LOAD_STOP:-}" ] && : >"$LOAD_STOP" 2>/dev/null
    for f in "${PIDFILES[@]}"; do
        [ -s "$f" ] && for p in $(cat "$f"); do stop_pid "$p" "load process"; done
    done
    for p in "${LOOP_PIDS[@]}"; do wait_gone "$p" 5 || kill -TERM "$p" 2>/dev/null; done
    for f in "${PIDFILES[@]}"; do    # one a loop may have started meanwhile
        [ -s "$f" ] && for p in $(cat "$f"); do stop_pid "$p" "load process"; done
    done
    for p in "${SRC_PIDS[@]}"; do stop_pid "$p" smtp-source; done
    if alive "$MASTER_PID" || { [ -z "$MASTER_PID" ] && [ -f "$PCONF/main.cf" ] &&
        postfix -c "$PCONF" status >/dev/null 2>&1; }; then
        postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
    fi
    [ -n "$MASTER_PID" ] && { wait_gone "$MASTER_PID" 15 || kill -KILL "$MASTER_PID" 2>/dev/null; }
    for p in $(instance_pids); do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
    stop_pid "$MPID" milter
    stop_pid "$FAKE_PID" "fake site"
    stop_pid "$SINK_PID" smtp-sink
    for m in "${MOUNTS[@]}"; do
        findmnt -rn --mountpoint "$m" >/dev/null 2>&1 && { umount "$m" 2>/dev/null || umount -l "$m"; }
    done
    for p in "${STARTED_PIDS[@]}" "${SRC_PIDS[@]}" $(instance_pids); do
        alive "$p" && left="$left $p($({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-60))"
    done
    if [ -n "$left" ]; then
        fail "processes left after cleanup:$left"
    else
        ok "cleanup: no process left (postfix master ${MASTER_PID:-none}, milter ${MPID:-none}, fake site ${FAKE_PID:-none}, sink ${SINK_PID:-none})"
    fi
    if findmnt -rn -o TARGET | grep -q "^$T"; then
        fail "cleanup: something is still mounted under $T"
        echo "# temp dir kept: $T"
        return
    fi
    [ "$FAILS" -gt 0 ] && show_logs
    if [ -n "${SOAK_KEEP:-}" ] || [ "$FAILS" -gt 0 ] || [ -n "$KEEP" ]; then
        echo "# temp dir kept: $T"
    else
        rm -rf "$T"
    fi
}
finish() {
    local rc=$?
    [ "$rc" != 0 ] && KEEP=1
    cleanup
    echo "# $NAME: $PASSES passed, $FAILS failed, $((SECONDS - START)) s"
    [ "$FAILS" -gt 0 ] && [ "$rc" = 0 ] && rc=1
    exit "$rc"
}
trap finish EXIT
trap 'trap "" INT TERM HUP; echo "# interrupted"; FAILS=$((FAILS + 1)); exit 1' INT TERM HUP
trap '' PIPE

# ---------------------------------------------------------------- sink
SINK_BASE=0
sink_count() { # messages the sink has received (DATA completed) since SINK_BASE was taken
    local s r n
    s=$(tail -c 400 "$T/log/sink.out" 2>/dev/null)
    # records are "sess=N quit=N mesg=N" each followed by CR; drop a record still being written
    case $s in *$'\r') s=${s%$'\r'} ;; *$'\r'*) s=${s%$'\r'*} ;; *) s='' ;; esac
    r=${s##*$'\r'}
    n=$(sed -n 's/^sess=[0-9]* quit=[0-9]* mesg=\([0-9][0-9]*\)$/\1/p' <<<"$r")
    echo $((${n:-0} - SINK_BASE))
}
sink_ge() { [ "$(sink_count)" -ge "$1" ]; }
start_sink() {
    smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 256 >"$T/log/sink.out" 2>"$T/log/sink.err" </dev/null &
    SINK_PID=$!
    STARTED_PIDS+=("$SINK_PID")
    poll 10 port_open "$SINK_PORT" || die "smtp-sink does not listen on 127.0.0.1:$SINK_PORT: $(cat "$T/log/sink.err")"
    SINK_BASE=0
    SINK_BASE=$(sink_count)    # the probe connection is a session, not a message
}

# ---------------------------------------------------------------- fake ACM site
fl() { "$PY" "$APPROVAL/fakelog.py" "$FLOG" "$@"; }
start_fake() { # start_fake PORT (0: pick one)
    rm -f "$T/run/fake.ready"
    "$PY" "$APPROVAL/fake_acm.py" --port "$1" --cert "$PKI/server.pem" --key "$PKI/server.key" \
        --sites "$MSG/sites.json" --log "$FLOG" --ready "$T/run/fake.ready" 2>>"$T/log/fake.err" &
    FAKE_PID=$!
    STARTED_PIDS+=("$FAKE_PID")
    poll 10 test -s "$T/run/fake.ready" || return 1
    FPORT=$(cat "$T/run/fake.ready")
    poll 10 curl -s -o /dev/null --max-time 2 --cacert "$PKI/ca.pem" "https://127.0.0.1:$FPORT/"
}
stop_fake() {
    kill -TERM "$FAKE_PID" 2>/dev/null
    wait_gone "$FAKE_PID" 10
    wait "$FAKE_PID" 2>/dev/null
    ! alive "$FAKE_PID"
}
fake_down() { ! curl -s -o /dev/null --max-time 2 --cacert "$PKI/ca.pem" "https://127.0.0.1:$FPORT/"; }

# ---------------------------------------------------------------- messages
declare -A FILE_OF DOMAIN_OF ARN_OF KEY_OF
gen_messages() { # gen_messages NAME...
    "$PY" "$HERE/gen_soak.py" "$MSG" "$@" >"$T/log/gen.log" 2>&1 || die "gen_soak.py: $(cat "$T/log/gen.log")"
    local name file domain arn key
    # shellcheck disable=SC2034  # the arrays are used by the scripts that source this file
    while IFS=$'\t' read -r name file _ domain arn key; do
        [ -n "$name" ] || continue
        FILE_OF[$name]=$MSG/$file DOMAIN_OF[$name]=$domain ARN_OF[$name]=$arn KEY_OF[$name]=$key
    done <"$MSG/manifest.tsv"
    # an ordinary message (for smtp-send.py) to a watched address: ruled out at end of headers
    printf 'From: someone <s@example.org>\nTo: postmaster@example.com\nSubject: hello\nDate: %s\nMessage-ID: <ordinary.%s@example.org>\n\nan ordinary message\n' \
        "$(date -R)" "$$" >"$MSG/ordinary.eml"
    chmod 644 "$MSG"/*
}

# ---------------------------------------------------------------- Postfix instance
write_postfix() {
    cat >"$PCONF/main.cf" <<EOF
# private Postfix instance of tests/soak ($NAME)
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.soak.invalid
mydomain = soak.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
relayhost = [127.0.0.1]:$SINK_PORT
alias_maps =
alias_database =
local_recipient_maps =
append_dot_mydomain = no
biff = no
smtpd_banner = \$myhostname ESMTP
smtpd_peername_lookup = no
maillog_file = $PLOG
maillog_file_prefixes = $T/log
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
smtpd_milters = unix:$SOCK
non_smtpd_milters =
milter_default_action = accept
EOF
    cat >"$PCONF/master.cf" <<EOF
# service        type  private unpriv  chroot  wakeup  maxproc command
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
discard          unix  -       -       n       -       -       discard
smtp             unix  -       -       n       -       -       smtp
relay            unix  -       -       n       -       -       smtp
anvil            unix  -       -       n       -       1       anvil
scache           unix  -       -       n       -       1       scache
postlog          unix-dgram n  -       n       -       1       postlogd
EOF
    postfix -c "$PCONF" check >>"$T/log/postfix-ctl.log" 2>&1 || { cat "$T/log/postfix-ctl.log"; die "postfix check failed"; }
}
start_postfix() {
    postfix -c "$PCONF" start >>"$T/log/postfix-ctl.log" 2>&1 || die "postfix start: $(tail -n5 "$T/log/postfix-ctl.log")"
    MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    alive "$MASTER_PID" || die "postfix master not running after start"
    STARTED_PIDS+=("$MASTER_PID")
    poll "$TIMEOUT" port_open "$PORT" || die "smtpd does not listen on 127.0.0.1:$PORT"
}
# the Postfix log line of a message handed to the sink: QID: to=<...>, relay=127.0.0.1[...]:SINK, ... status=sent
relayed() { grep -qE "postfix/smtp\[[0-9]+\]: $1: to=<[^>]*>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK_PORT,.* status=sent" "$PLOG"; }

# ---------------------------------------------------------------- milter
# write_conf FILE [EXTRA-LINE...]; CONF_SPOOL, CONF_ADDHEADER, CONF_TIMEOUT change SpoolDir
# ($SPOOL), AddHeader (yes) and ApprovalTimeout (3) (a key given twice is an error)
write_conf() {
    local f=$1; shift
    {
        echo "# acm-milter configuration of tests/soak ($NAME)"
        echo "AllowList $ROOT/tests/data/allowlist"
        echo "SenderAuth authres"
        echo "TrustedAuthservIDs mx.example.com"
        echo "Mode approve"
        echo "SpoolDir ${CONF_SPOOL:-$SPOOL}"
        echo "AddHeader ${CONF_ADDHEADER:-yes}"
        echo "ApprovalEndpoint https://127.0.0.1:$FPORT"
        echo "CAFile $PKI/ca.pem"
        echo "ApprovalTimeout ${CONF_TIMEOUT:-3}"
        echo "RetryInterval 1"
        echo "Socket unix:$SOCK"
        echo "UserID $MUSER"
        local l
        for l; do echo "$l"; done
    } >"$f.tmp" && chmod 644 "$f.tmp" && mv -f "$f.tmp" "$f"
}
mlines() { grep -E "acm-milter\[[0-9]+\]: $1" "$MLOG"; }      # mlines REGEX
mhas() { mlines "$1" >/dev/null; }
mcount() { mlines "$1" | grep -c .; }
sock_connects() {
    "$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>/dev/null
}
start_milter() { # start_milter CONF: acm-milter -f; true once "starting acm-milter" is logged
    local i
    "$ACM_MILTER" -f -x "$1" </dev/null >>"$T/log/milter.out" 2>>"$MLOG" &
    MPID=$!
    STARTED_PIDS+=("$MPID")
    # "starting acm-milter" is logged after the socket is open and listening
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        grep -q "acm-milter\[$MPID\]: starting acm-milter" "$MLOG" 2>/dev/null && break
        alive "$MPID" || { echo "# acm-milter exited at start: $(tail -n5 "$MLOG")"; return 1; }
        sleep 0.1
    done
    grep -q "acm-milter\[$MPID\]: starting acm-milter" "$MLOG" && sock_connects
}
stop_milter() { # SIGTERM, must be gone within 60 s (a safety bound)
    local p=$MPID
    kill -TERM "$p" 2>/dev/null
    wait_gone "$p" 60 || { fail "milter $p did not stop on SIGTERM in 60 s"; kill -KILL "$p" 2>/dev/null; wait_gone "$p" 5; }
    wait "$p" 2>/dev/null
    MPID=''
}
kill9_milter() {
    local p=$MPID
    disown "$p" 2>/dev/null    # no "Killed" job report from bash
    kill -KILL "$p" 2>/dev/null
    # A killed process dies only when every thread leaves the kernel: one blocked in fsync on a
    # busy disk can take seconds. 60 s is a safety bound, not a timing assertion.
    wait_gone "$p" 60
}
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
no_smtp_sessions() { # no SMTP session is open on the private smtpd (all clients gone)
    ! ss -Htn state established "( sport = :$PORT )" 2>/dev/null | grep -q .
}

# ---------------------------------------------------------------- sending
SENT=0
SRC_ERRORS=0
# shellcheck disable=SC2034  # used by the scripts that source this file
declare -A QID
send_file() { # send_file FILE RCPT KEY: one message through smtp-send.py, queue id in QID[KEY]
    local f=$1 q from
    from=$(sed -n '/^\r\{0,1\}$/q; s/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/Ip' "$f" | head -n1)
    q=$("$PY" "$E2E/smtp-send.py" 127.0.0.1 "$PORT" "${from:-s@example.org}" "$2" "$f" 2>>"$T/log/send.err")
    if [ -n "$q" ]; then
        QID[$3]=$q
        SENT=$((SENT + 1))
        return 0
    fi
    fail "SMTP refused $(basename "$f") for $2: $(tail -n1 "$T/log/send.err")"
    # shellcheck disable=SC2034
    QID[$3]=NOQID
    return 1
}
# src_start TAG COUNT smtp-source-args...: one smtp-source in the background (bounded by
# SRC_TIMEOUT); COUNT messages are counted as sent
SRC_TIMEOUT=${SOAK_SRC_TIMEOUT:-600}
declare -A SRC_TAG
src_start() {
    local tag=$1 count=$2; shift 2
    timeout "$SRC_TIMEOUT" smtp-source "$@" "127.0.0.1:$PORT" >"$T/log/src-$tag.out" 2>"$T/log/src-$tag.err" </dev/null &
    SRC_PIDS+=("$!")
    SRC_TAG[$!]=$tag
    SENT=$((SENT + count))
}
src_running() { local p; for p in "${SRC_PIDS[@]}"; do alive "$p" && return 0; done; return 1; }
src_wait() { # wait for every smtp-source started; count failures (exit status, or anything on stderr)
    local p rc tag
    for p in "${SRC_PIDS[@]}"; do
        wait "$p"; rc=$?
        tag=${SRC_TAG[$p]}
        if [ "$rc" != 0 ] || [ -s "$T/log/src-$tag.err" ]; then
            SRC_ERRORS=$((SRC_ERRORS + 1))
            echo "# smtp-source $tag: exit $rc$([ "$rc" = 124 ] && echo " (timeout ${SRC_TIMEOUT} s)")"
            head -n5 "$T/log/src-$tag.err" | sed 's/^/#   /'
        fi
    done
    SRC_PIDS=()
}

# ---------------------------------------------------------------- all of it
setup_all() {
    lib_prereq
    mkdir -p "$PCONF" "$T/queue" "$T/data" "$T/log" "$T/run" "$SPOOL" "$MSG" || die "mkdir"
    chown postfix: "$T/data"
    chmod 700 "$T/data"
    chown nobody:postfix "$T/run" "$SPOOL"
    chmod 755 "$T/run"
    chmod 700 "$SPOOL"
    : >"$MLOG"
    bash "$APPROVAL/mkca.sh" "$PKI" >"$T/log/mkca.log" 2>&1 || die "mkca.sh: $(cat "$T/log/mkca.log")"
    chmod 755 "$PKI"
    gen_messages "${ACM_NAMES[@]}"
    start_fake 0 || die "fake ACM site did not start: $(cat "$T/log/fake.err")"
    PORT=$(free_port) || die "no free port"
    SINK_PORT=$(free_port) || die "no free port"
    [ "$PORT" != "$SINK_PORT" ] && [ "$PORT" != "$FPORT" ] && [ "$SINK_PORT" != "$FPORT" ] || die "port collision, run again"
    start_sink
    write_postfix
    CONF=$T/acm-milter.conf
    write_conf "$CONF"
    "$ACM_MILTER" -x "$CONF" -n >"$T/log/milter-n.out" 2>&1 || die "acm-milter -n rejects $CONF: $(cat "$T/log/milter-n.out")"
    start_milter "$CONF" || die "acm-milter did not start: $(tail -n5 "$MLOG")"
    start_postfix
    info "acm-milter $("$ACM_MILTER" -V 2>&1 | head -n1) pid $MPID on unix:$SOCK, Mode approve against the fake site https://127.0.0.1:$FPORT (pid $FAKE_PID)"
    info "Postfix $(postconf -h mail_version) smtpd 127.0.0.1:$PORT -> smtp-sink 127.0.0.1:$SINK_PORT; $(nproc) CPUs; temp dir $T; test pid $$"
}
