#!/bin/bash
# Benchmark of acm-milter behind a real Postfix, everything on loopback.
#
# Run from the repo root, as root:   bash bench/run.sh     (or: make bench)
#
# Recipe: milter-anchors.md section 5.2. smtp-source -> private Postfix smtpd on
# 127.0.0.1:<free port> -> relayhost [127.0.0.1]:<free port> where Postfix's
# smtp-sink accepts and discards everything. The private instance has its own
# config_directory, queue_directory and data_directory under a temp dir, no
# chroot, and logs to its own maillog_file (same approach as tests/e2e/postfix.sh).
#
# Configurations (Postfix is restarted between them):
#   none  no milter
#   unix  acm-milter -f on unix:SOCK
#   inet  acm-milter -f on inet:PORT@127.0.0.1   (Postfix: inet:127.0.0.1:PORT)
# acm-milter runs with a config derived from tests/data/test.conf (absolute
# paths, UserID nobody:postfix, Mode dry-run), milter_default_action = accept.
#
# Measurements, per configuration:
#   ordinary  smtp-source -s 1 -m 200 -l 4000 -f s@example.org -t someone@example.com
#             (no watched recipient: the milter accepts at DATA)        ms/message
#   watched   the same to postmaster@example.com (watched recipient, ordinary
#             message: ruled out at end of headers)                     ms/message
#   thruput   smtp-source -s 10 -m 2000 -l 4000 ... -t someone@example.com  messages/s
#   acm       smtp-source -F tests/data/corpus/new-alt-7bit-qp.eml -s 1 -m 100
#             -t admin@example.com (full examination, decision approve)  ms/message
# The time is what smtp-source takes to inject (the receive path with the milter
# round trips). Before the measurements of each configuration a few warm-up
# messages are sent (not timed). After every measurement the script waits until
# the sink has received everything sent so far, so one measurement's delivery
# does not load the next. The milter's VmRSS, open fds and threads are printed
# before and after its runs.
#
# There are no thresholds: the benchmark prints figures. Exit status:
#   0  figures printed, every message reached the sink
#   1  mail was lost (fewer messages at the sink than smtp-source sent), or
#      smtp-source reported errors; the shortfall is printed
#   2  cannot run (setup failed, the milter did not start or was not reached)
#
# Environment:
#   ACM_MILTER=PATH      binary under test (default milter/acm-milter)
#   BENCH_TEST_CONF=FILE milter config to derive from (default tests/data/test.conf)
#   BENCH_CONFIGS="none unix inet"   configurations to run, in this order
#   BENCH_SCALE=N        divide every message count by N (quick trial runs)
#   BENCH_KEEP=1         keep the temp dir (always kept when the exit status is not 0)
#   BENCH_TIMEOUT=SECONDS bound for one smtp-source run and one delivery wait (default 120)
#   PYTHON=python3       used only to find free ports

set -u
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$ROOT" || exit 2
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
ACM_MILTER=${ACM_MILTER:-milter/acm-milter}
case $ACM_MILTER in /*) ;; *) ACM_MILTER=$ROOT/$ACM_MILTER ;; esac
CONFIGS=${BENCH_CONFIGS:-none unix inet}
SCALE=${BENCH_SCALE:-1}
TIMEOUT=${BENCH_TIMEOUT:-120}
TEST_CONF=${BENCH_TEST_CONF:-tests/data/test.conf}
ACM_EML=tests/data/corpus/new-alt-7bit-qp.eml
MUSER=nobody:postfix

die() { echo "bench: cannot run: $*" >&2; exit 2; }
info() { echo "# $*"; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "must run as root (private Postfix instance)"
for c in postfix postconf postqueue smtp-source smtp-sink timeout "$PY"; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c (Debian: apt-get install postfix python3)"
done
id postfix >/dev/null 2>&1 || die "no user postfix (install the postfix package)"
getent group postdrop >/dev/null 2>&1 || die "no group postdrop (install the postfix package)"
id nobody >/dev/null 2>&1 || die "no user nobody"
[ -f "$TEST_CONF" ] || die "missing $TEST_CONF"
[ -f "$ACM_EML" ] || die "missing $ACM_EML"
case " $CONFIGS " in *" unix "* | *" inet "*) [ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)" ;; esac
for c in $CONFIGS; do case $c in none | unix | inet) ;; *) die "unknown configuration '$c' in BENCH_CONFIGS" ;; esac; done
case $SCALE in '' | *[!0-9]* | 0) die "BENCH_SCALE must be a positive integer" ;; esac

# ---------------------------------------------------------------- bookkeeping
T=$(mktemp -d /tmp/acm-bench.XXXXXX) || die "mktemp"
chmod 755 "$T"
PCONF=$T/etc
PLOG=$T/log/postfix.log
SOCK=$T/run/acm.sock
START=$SECONDS
SINK_PID='' MASTER_PID='' MPID='' SRC_PID='' CLEANED='' FAILED='' KEEP_T='' STATUS=0
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
# processes of the private Postfix instance: cwd in our temp dir, or
# MAIL_CONFIG pointing at our config directory
instance_pids() {
    local p cwd
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
        case $cwd in "$T" | "$T"/*) echo "$p"; continue ;; esac
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$PCONF"; then
            echo "$p"
        fi
    done | sort -u | grep -vx "$$" || true
}
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

postfix_stop() {
    local p
    if alive "$MASTER_PID"; then
        postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
        wait_gone "$MASTER_PID" 15 || kill -KILL "$MASTER_PID" 2>/dev/null
    fi
    for p in $(instance_pids); do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
    MASTER_PID=''
}
milter_stop() {
    alive "$MPID" || { MPID=''; return 0; }
    kill -TERM "$MPID" 2>/dev/null
    if ! wait_gone "$MPID" 15; then
        echo "# milter $MPID did not stop on SIGTERM; SIGKILL"
        kill -KILL "$MPID" 2>/dev/null
        wait_gone "$MPID" 5
    fi
    wait "$MPID" 2>/dev/null
    MPID=''
}

cleanup() {
    [ -n "$CLEANED" ] && return
    CLEANED=1
    local p left=''
    if alive "$SRC_PID"; then kill -TERM "$SRC_PID" 2>/dev/null; wait_gone "$SRC_PID" 5 || kill -KILL "$SRC_PID" 2>/dev/null; fi
    # Postfix: our master if we know it, else whatever runs with our config
    if [ -z "$MASTER_PID" ] && [ -f "$PCONF/main.cf" ] && postfix -c "$PCONF" status >/dev/null 2>&1; then
        MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    fi
    postfix_stop
    milter_stop
    if alive "$SINK_PID"; then
        kill -TERM "$SINK_PID" 2>/dev/null
        wait_gone "$SINK_PID" 5 || kill -KILL "$SINK_PID" 2>/dev/null
    fi
    for p in "${STARTED_PIDS[@]}" $(instance_pids); do
        alive "$p" && left="$left $p($({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-60))"
    done
    if [ -n "$left" ]; then
        echo "bench: processes left after cleanup:$left" >&2
        FAILED=1
    fi
    if [ -n "${BENCH_KEEP:-}" ] || [ -n "$FAILED" ] || [ -n "$KEEP_T" ]; then
        echo "# temp dir kept: $T"
    else
        rm -rf "$T"
    fi
}
finish() {
    local rc=$?
    [ "$rc" = 0 ] && rc=$STATUS
    [ "$rc" != 0 ] && KEEP_T=1
    cleanup
    [ -n "$FAILED" ] && [ "$rc" = 0 ] && rc=2
    echo "# bench: exit $rc after $((SECONDS - START)) s"
    exit "$rc"
}
trap finish EXIT
trap 'trap "" INT TERM HUP; echo "# interrupted"; FAILED=1; exit 2' INT TERM HUP
trap '' PIPE

mkdir -p "$PCONF" "$T/queue" "$T/data" "$T/log" "$T/run" "$T/spool" || die "mkdir"
chown postfix: "$T/data"
chmod 700 "$T/data"
MUID=$(id -u nobody)
MGID=$(getent group postfix | cut -d: -f3)
chown "$MUID:$MGID" "$T/run" "$T/spool"
chmod 755 "$T/run"
chmod 700 "$T/spool"

PORT=$(free_port) || die "no free port"
SINK_PORT=$(free_port) || die "no free port"
MPORT=$(free_port) || die "no free port"
# three separate binds may in theory return the same port
[ "$PORT" != "$SINK_PORT" ] && [ "$PORT" != "$MPORT" ] && [ "$SINK_PORT" != "$MPORT" ] || die "port collision, run again"

# ---------------------------------------------------------------- sink
# -c: running counters "sess=N quit=N mesg=N" on stdout, one update per event
smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 256 >"$T/log/sink.out" 2>"$T/log/sink.err" </dev/null &
SINK_PID=$!
STARTED_PIDS+=("$SINK_PID")
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
poll 10 port_open "$SINK_PORT" || die "smtp-sink does not listen on 127.0.0.1:$SINK_PORT: $(cat "$T/log/sink.err")"
sink_count() { # messages the sink has received (DATA completed)
    local n
    n=$(tr '\r' '\n' <"$T/log/sink.out" | sed -n 's/.* mesg=\([0-9][0-9]*\).*/\1/p' | tail -n1)
    echo "${n:-0}"
}
# the probe connection above counts as a session, not a message
BASE_SINK=$(sink_count)

# ---------------------------------------------------------------- Postfix instance
cat >"$PCONF/main.cf" <<EOF
# private Postfix instance of bench/run.sh
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.bench.invalid
mydomain = bench.invalid
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
milter_default_action = accept
non_smtpd_milters =
smtpd_milters =
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

postfix -c "$PCONF" check >>"$T/log/postfix-ctl.log" 2>&1 || { cat "$T/log/postfix-ctl.log" >&2; die "postfix check failed"; }

postfix_start() {
    postfix -c "$PCONF" start >>"$T/log/postfix-ctl.log" 2>&1 || die "postfix start: $(tail -n5 "$T/log/postfix-ctl.log")"
    MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    alive "$MASTER_PID" || die "postfix master not running after start"
    STARTED_PIDS+=("$MASTER_PID")
    poll 30 port_open "$PORT" || die "smtpd does not listen on 127.0.0.1:$PORT"
}

# ---------------------------------------------------------------- milter
MCONF_BASE=$T/acm-milter.conf.base
awk -v root="$ROOT" -v spool="$T/spool" '
    { k = tolower($1) }
    k == "socket" || k == "userid" || k == "pidfile" || k == "mode" { next }
    k == "spooldir" { print "SpoolDir " spool; next }
    (k == "allowlist" || k == "dkimtestkeys" || k == "cafile") && $2 !~ /^\// {
        print $1 " " root "/" $2; next }
    { print }' "$TEST_CONF" >"$MCONF_BASE" || die "cannot derive the milter config"
printf 'UserID %s\nMode dry-run\n' "$MUSER" >>"$MCONF_BASE"

milter_start() { # milter_start unix|inet
    local kind=$1 conf=$T/acm-milter-$1.conf i
    cp "$MCONF_BASE" "$conf"
    if [ "$kind" = unix ]; then
        echo "Socket unix:$SOCK" >>"$conf"
    else
        echo "Socket inet:$MPORT@127.0.0.1" >>"$conf"
    fi
    chmod 644 "$conf"
    "$ACM_MILTER" -x "$conf" -n >"$T/log/milter-$kind-n.out" 2>&1 ||
        die "acm-milter -n rejects $conf: $(cat "$T/log/milter-$kind-n.out")"
    MERR=$T/log/milter-$kind.err
    "$ACM_MILTER" -f -x "$conf" </dev/null >"$T/log/milter-$kind.out" 2>"$MERR" &
    MPID=$!
    STARTED_PIDS+=("$MPID")
    # "starting acm-milter" is logged after the socket is open and listening
    for ((i = 0; i < 300; i++)); do
        grep -q 'starting acm-milter' "$MERR" 2>/dev/null && break
        alive "$MPID" || die "acm-milter ($kind) exited at start: $(tail -n5 "$MERR")"
        sleep 0.1
    done
    grep -q 'starting acm-milter' "$MERR" || die "acm-milter ($kind) did not start in 30 s: $(tail -n5 "$MERR")"
    if [ "$kind" = unix ]; then
        [ -S "$SOCK" ] || die "milter socket $SOCK missing"
        MILTER_SPEC=unix:$SOCK
    else
        MILTER_SPEC=inet:127.0.0.1:$MPORT
    fi
}
proc_res() { # proc_res PID -> "RSS_kB fds threads"
    local rss thr fds
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
    fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
    echo "${rss:-?} ${fds:-?} ${thr:-?}"
}

# ---------------------------------------------------------------- measuring
SENT=0            # messages smtp-source was asked to send, all configurations
SRC_ERRORS=0
declare -A FIG     # FIG[config.measure] = figure
declare -A RAW     # RAW[config.measure] = "N msgs in S s"
declare -A DELIV   # DELIV[config] = "got/expected"
declare -A RES     # RES[config.before|after] = "RSS fds threads"

# run_src NAME COUNT smtp-source-args...: time one smtp-source run; sets ELAPSED
run_src() {
    local name=$1 count=$2 t0 t1 rc; shift 2
    SENT=$((SENT + count))
    t0=$EPOCHREALTIME
    timeout "$TIMEOUT" smtp-source "$@" "127.0.0.1:$PORT" >"$T/log/src-$name.out" 2>"$T/log/src-$name.err" </dev/null &
    SRC_PID=$!
    wait "$SRC_PID"; rc=$?
    t1=$EPOCHREALTIME
    SRC_PID=''
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    if [ "$rc" != 0 ] || [ -s "$T/log/src-$name.err" ]; then
        SRC_ERRORS=$((SRC_ERRORS + 1))
        echo "# smtp-source $name: exit $rc$([ "$rc" = 124 ] && echo " (timeout ${TIMEOUT} s)")"
        head -n5 "$T/log/src-$name.err" | sed 's/^/#   /'
        return 1
    fi
    return 0
}
delivered_all() { [ "$(($(sink_count) - BASE_SINK))" -ge "$SENT" ]; }
DELIVERY_LATE=''
wait_delivery() { # wait until the sink has all messages sent so far
    # after one wait ran out, wait only briefly: the shortfall is reported at the end
    if [ -n "$DELIVERY_LATE" ]; then poll 10 delivered_all; return; fi
    poll "$TIMEOUT" delivered_all || { DELIVERY_LATE=1; return 1; }
}
# measure CONFIG MEASURE UNIT COUNT smtp-source-args...
measure() {
    local cfg=$1 what=$2 unit=$3 count=$4 fig; shift 4
    if run_src "$cfg-$what" "$count" "$@"; then
        if [ "$unit" = ms ]; then
            fig=$(awk -v s="$ELAPSED" -v n="$count" 'BEGIN { printf "%.2f", s * 1000 / n }')
        else
            fig=$(awk -v s="$ELAPSED" -v n="$count" 'BEGIN { printf "%.1f", n / s }')
        fi
    else
        fig=error
    fi
    FIG[$cfg.$what]=$fig
    RAW[$cfg.$what]="$count msgs in $ELAPSED s"
    info "$cfg $what: $fig $([ "$unit" = ms ] && echo ms/msg || echo msg/s) ($count msgs in $ELAPSED s)"
    wait_delivery || info "$cfg $what: sink has $(($(sink_count) - BASE_SINK)) of $SENT messages after ${TIMEOUT} s"
}

N_SEQ=$((200 / SCALE)); N_THR=$((2000 / SCALE)); N_ACM=$((100 / SCALE))
[ "$N_SEQ" -ge 1 ] && [ "$N_THR" -ge 10 ] && [ "$N_ACM" -ge 1 ] || die "BENCH_SCALE too large"
ORD=(-l 4000 -f s@example.org)

info "acm-milter: $ACM_MILTER ($("$ACM_MILTER" -V 2>&1 | head -n1))"
info "Postfix $(postconf -h mail_version) smtpd 127.0.0.1:$PORT -> smtp-sink 127.0.0.1:$SINK_PORT; $(nproc) CPUs; temp dir $T"

for cfg in $CONFIGS; do
    info "---- configuration: $cfg"
    postfix_stop
    milter_stop
    MILTER_SPEC=''
    [ "$cfg" != none ] && milter_start "$cfg"
    postconf -c "$PCONF" -e "smtpd_milters = $MILTER_SPEC" || die "postconf -e smtpd_milters"
    postfix_start
    cfg_base=$(($(sink_count) - BASE_SINK))
    cfg_sent0=$SENT
    log_lines0=$(wc -l <"$PLOG" 2>/dev/null || echo 0)
    [ -n "$MPID" ] && { RES[$cfg.before]=$(proc_res "$MPID"); info "milter pid $MPID ($MILTER_SPEC): RSS kB, fds, threads before: ${RES[$cfg.before]}"; }
    # warm-up (not timed): smtpd processes, milter threads, the ACM code path
    run_src "$cfg-warmup" 20 -s 2 -m 20 "${ORD[@]}" -t someone@example.com
    run_src "$cfg-warmup-acm" 2 -F "$ACM_EML" -s 1 -m 2 -t admin@example.com
    wait_delivery || info "$cfg warm-up: not all delivered"

    measure "$cfg" ordinary ms "$N_SEQ" -s 1 -m "$N_SEQ" "${ORD[@]}" -t someone@example.com
    measure "$cfg" watched ms "$N_SEQ" -s 1 -m "$N_SEQ" "${ORD[@]}" -t postmaster@example.com
    measure "$cfg" thruput msg/s "$N_THR" -s 10 -m "$N_THR" "${ORD[@]}" -t someone@example.com
    acm_dec0=0
    [ -n "$MPID" ] && acm_dec0=$(grep -c 'decision=approve reason=allowlisted' "$MERR")
    measure "$cfg" acm ms "$N_ACM" -F "$ACM_EML" -s 1 -m "$N_ACM" -t admin@example.com

    got=$(($(sink_count) - BASE_SINK - cfg_base))
    exp=$((SENT - cfg_sent0))
    DELIV[$cfg]="$got/$exp"
    if [ "$got" -lt "$exp" ]; then
        echo "# $cfg: MAIL LOST: the sink received $got of $exp messages ($((exp - got)) missing)"
        postqueue -c "$PCONF" -p 2>&1 | tail -n 5 | sed 's/^/#   /'
        STATUS=1
    fi
    # Postfix's view of this configuration: trouble with the milter?
    sed -n "$((log_lines0 + 1)),\$p" "$PLOG" >"$T/log/postfix-$cfg.log" 2>/dev/null
    mw=$(grep -iE 'milter' "$T/log/postfix-$cfg.log" | grep -iE 'warning|error|fatal|panic' | head -n 5)
    if [ -n "$mw" ]; then
        echo "# $cfg: Postfix reports milter trouble (milter_default_action = accept hides it from the figures):"
        sed 's/^/#   /' <<<"$mw"
        FAILED=1
    fi
    if [ -n "$MPID" ]; then
        RES[$cfg.after]=$(proc_res "$MPID")
        info "milter pid $MPID: RSS kB, fds, threads after: ${RES[$cfg.after]}"
        alive "$MPID" || { echo "# $cfg: the milter died during the runs"; FAILED=1; }
        # the milter must really have been in the path: one approve per ACM message
        acm_dec=$(($(grep -c 'decision=approve reason=allowlisted' "$MERR") - acm_dec0))
        info "$cfg: milter decision lines for the $N_ACM ACM messages: $acm_dec approve"
        if [ "$acm_dec" != "$N_ACM" ]; then
            echo "# $cfg: expected $N_ACM 'decision=approve' lines from the milter, got $acm_dec: the figures do not measure the milter"
            FAILED=1
        fi
    fi
done

postfix_stop
milter_stop
sent_log=$(grep -cE "postfix/smtp\[[0-9]+\]: [0-9A-Za-z]+: to=<[^>]*>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK_PORT,.* status=sent" "$PLOG" 2>/dev/null)
total_sink=$(($(sink_count) - BASE_SINK))

# ---------------------------------------------------------------- report
echo
echo "acm-milter benchmark: Postfix $(postconf -h mail_version), loopback, $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "ordinary/watched: -s 1 -m $N_SEQ -l 4000 (ms per message, sequential, one SMTP session per message)"
echo "thruput: -s 10 -m $N_THR -l 4000 to someone@ (messages/s); acm: -F $ACM_EML -s 1 -m $N_ACM to admin@ (ms per message)"
echo
printf '%-6s %14s %14s %14s %12s %12s\n' config "ordinary ms" "watched ms" "thruput msg/s" "acm ms" delivered
for cfg in $CONFIGS; do
    printf '%-6s %14s %14s %14s %12s %12s\n' "$cfg" "${FIG[$cfg.ordinary]:--}" "${FIG[$cfg.watched]:--}" \
        "${FIG[$cfg.thruput]:--}" "${FIG[$cfg.acm]:--}" "${DELIV[$cfg]:--}"
done
echo
printf '%-6s %12s %12s %10s %10s %12s %12s\n' milter "RSS kB bef" "RSS kB aft" "fds bef" "fds aft" "threads bef" "threads aft"
for cfg in $CONFIGS; do
    [ "$cfg" = none ] && continue
    read -r rb fb tb <<<"${RES[$cfg.before]:-- - -}"
    read -r ra fa ta <<<"${RES[$cfg.after]:-- - -}"
    printf '%-6s %12s %12s %10s %10s %12s %12s\n' "$cfg" "$rb" "$ra" "$fb" "$fa" "$tb" "$ta"
done
echo
# differences to no milter, per message (information, not a verdict)
case " $CONFIGS " in *" none "*)
    for cfg in $CONFIGS; do
        [ "$cfg" = none ] && continue
        for w in ordinary watched acm; do
            a=${FIG[$cfg.$w]:-} b=${FIG[none.$w]:-}
            case "$a$b" in *error* | '') continue ;; esac
            printf '%s %s: %+.2f ms/msg over no milter\n' "$cfg" "$w" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a - b }')"
        done
    done ;;
esac
echo "raw:"
for cfg in $CONFIGS; do
    for w in ordinary watched thruput acm; do
        echo "  $cfg $w: ${RAW[$cfg.$w]:--}"
    done
done
echo "messages sent $SENT (incl. warm-up), received by the sink $total_sink, Postfix log status=sent $sent_log"
if [ "$total_sink" -lt "$SENT" ]; then
    echo "MAIL LOST: $((SENT - total_sink)) of $SENT messages did not reach the sink"
    STATUS=1
fi
if [ "$SRC_ERRORS" -gt 0 ]; then
    echo "smtp-source reported errors in $SRC_ERRORS runs (see above)"
    STATUS=1
fi
[ -n "$FAILED" ] && echo "the benchmark did not run as intended (see the lines starting with # above)"
exit "$STATUS"
