#!/bin/bash
# Comparative benchmark: no milter, the floor filter, acm-milter and OpenDKIM (verify mode),
# each over a unix and an inet socket, behind one real Postfix, everything on loopback.
#
# Run from the repo root, as root:   make bench       (make bench-quick: one short round)
#
# Setup: one private Postfix instance (own config, queue and data directories under a temp
# dir, no chroot, own log file) relaying everything to smtp-sink. It has one smtpd
# listener per configuration, each with its own smtpd_milters, so nothing restarts between
# runs and every configuration sees the same Postfix:
#   none          no milter
#   floor/S       bench/floor.c: accepts at connect, negotiates nothing (the price of any milter)
#   acm/S         acm-milter, config from tests/data/test.conf, Mode dry-run
#   opendkim/S    Debian's opendkim, Mode v, configured here (no keys, no DNS needed: the
#                 test messages are unsigned)
# with S = unix (unix:PATH) or inet (inet:127.0.0.1:PORT); milter_default_action = accept.
#
# Mail: ordinary  4 KB to someone@example.com (no watched recipient)
#       watched   4 KB to postmaster@example.com (watched recipient, not an ACM message)
#       acm       tests/data/corpus/new-alt-7bit-qp.eml to admin@example.com (approved, dry run)
#
# Phases:
#  1 throughput: ROUNDS passes over every configuration x mail kind, the order of the
#    configurations reversed every other pass (ABBA), smtp-source -s 10 -m N each; msg/s,
#    and the milter's CPU time (utime+stime of its process in /proc) per 1,000 messages.
#    Every run waits until the sink has everything before the next starts.
#  2 latency: per configuration and kind, one SMTP session of LAT messages (bench/latency.py):
#    median, p99 and max ms per message, messages over 30 ms, and the delayed-ACK timer
#    expiries of the bench's own network namespace per message (/proc/net/netstat): a
#    Nagle + delayed-ACK stall shows there whatever the load of the machine.
#  3 instructions: floor, acm-milter and opendkim (unix) restarted under valgrind callgrind;
#    per kind, counters zeroed, IR messages sent one session at a time, dumped: instructions
#    per message in the milter process (all threads). Deterministic where msg/s is not.
#
# Exit status: 0 figures printed; 1 mail lost, smtp-source errors, or a milter bypassed
# (any milter warning in the Postfix log, a milter died, acm-milter missed a decision):
# the figures are then void and say so; 2 cannot run.
#
# Environment: BENCH_QUICK=1 (one ABBA pair, fewer messages, under a minute),
# BENCH_ROUNDS, BENCH_N (messages per throughput run), BENCH_LAT, BENCH_IR,
# BENCH_PHASES="1 2 3" (a subset), BENCH_CALLGRIND=0 (no phase 3), BENCH_CONFIGS (a subset
# of the configurations), BENCH_KEEP=1 (keep the temp dir), ACM_MILTER, FLOOR.
set -u
{ # the whole script is read before it runs (an edit during a run cannot break it)
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$ROOT" || exit 2
# A network namespace of its own: the loopback traffic of other programs cannot disturb the
# figures, no port can collide, and the kernel's TCP counters (delayed ACKs) are the bench's.
if [ -z "${BENCH_NETNS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "bench: cannot run: must run as root (private Postfix instance)" >&2; exit 2; }
    exec env BENCH_NETNS=1 unshare --net -- bash "$0" "$@"
fi
ip link set lo up || { echo "bench: cannot run: no loopback in the network namespace" >&2; exit 2; }
PY=${PYTHON:-$(command -v python3)}
ACM_MILTER=${ACM_MILTER:-$ROOT/milter/acm-milter}
FLOOR=${FLOOR:-$ROOT/build/bench/floor}
ACM_EML=$ROOT/tests/data/corpus/new-alt-7bit-qp.eml
TEST_CONF=$ROOT/tests/data/test.conf
if [ -n "${BENCH_QUICK:-}" ]; then
    ROUNDS=${BENCH_ROUNDS:-2} N=${BENCH_N:-100} LAT=${BENCH_LAT:-50} IR=${BENCH_IR:-10}
else
    ROUNDS=${BENCH_ROUNDS:-4} N=${BENCH_N:-1000} LAT=${BENCH_LAT:-200} IR=${BENCH_IR:-100}
fi
CALLGRIND=${BENCH_CALLGRIND:-1}
PHASES=" ${BENCH_PHASES:-1 2 3} "
[ "$CALLGRIND" = 0 ] && PHASES=${PHASES/ 3 / }
TIMEOUT=300
MUSER=nobody
MGROUP=postfix
CONFIGS=(none floor/unix acm/unix opendkim/unix floor/inet acm/inet opendkim/inet)
# shellcheck disable=SC2206
[ -n "${BENCH_CONFIGS:-}" ] && CONFIGS=($BENCH_CONFIGS)   # a subset, e.g. "none acm/inet"
KINDS=(ordinary watched acm)

die() { echo "bench: cannot run: $*" >&2; exit 2; }
info() { echo "# $*"; }

[ "$(id -u)" = 0 ] || die "must run as root (private Postfix instance)"
for c in postfix postconf smtp-source smtp-sink opendkim setpriv timeout "$PY"; do
    command -v "$c" >/dev/null 2>&1 || die "missing $c (Debian: postfix opendkim python3 util-linux)"
done
if [[ $PHASES == *" 3 "* ]] && ! command -v valgrind >/dev/null; then die "missing valgrind (or BENCH_PHASES=\"1 2\")"; fi
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (make)"
[ -x "$FLOOR" ] || die "missing $FLOOR (make build/bench/floor)"

# ---------------------------------------------------------------- processes
T=$(mktemp -d /tmp/acm-bench.XXXXXX) || die mktemp
chmod 755 "$T"
mkdir -p "$T/etc" "$T/queue" "$T/data" "$T/log" "$T/run" "$T/spool" "$T/cg" || die mkdir
chown postfix: "$T/data" && chmod 700 "$T/data"
chown "$MUSER:$MGROUP" "$T/run" "$T/spool" "$T/cg" && chmod 770 "$T/run" && chmod 700 "$T/spool"
PCONF=$T/etc PLOG=$T/log/postfix.log RES=$T/results
: >"$RES"
STATUS=0 VOID='' MASTER_PID='' SINK_PID=''
declare -A MPID PORT SPEC
START=$SECONDS

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
wait_gone() { local i; for ((i = 0; i < $2 * 10; i++)); do alive "$1" || return 0; sleep 0.1; done; ! alive "$1"; }
poll() { local s=$1 i; shift; for ((i = 0; i < s * 10; i++)); do "$@" && return 0; sleep 0.1; done; "$@"; }
stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 15 s
    alive "$1" || return 0
    kill -TERM "$1" 2>/dev/null
    wait_gone "$1" 15 || { kill -KILL "$1" 2>/dev/null; wait_gone "$1" 5; }
    wait "$1" 2>/dev/null
}
instance_pids() { # processes of the private Postfix: MAIL_CONFIG or cwd in our temp dir
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        case $(readlink "/proc/$p/cwd" 2>/dev/null) in "$T" | "$T"/*) echo "$p"; continue ;; esac
        { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$PCONF" && echo "$p"
    done
}
cleanup() {
    local p
    if alive "$MASTER_PID"; then postfix -c "$PCONF" stop >>"$T/log/ctl.log" 2>&1; wait_gone "$MASTER_PID" 15; fi
    for p in $(instance_pids); do stop_pid "$p"; done
    for p in "${MPID[@]}" "$SINK_PID"; do stop_pid "$p"; done
    if [ -n "${BENCH_KEEP:-}" ] || [ "$STATUS" != 0 ]; then info "temp dir kept: $T"; else rm -rf "$T"; fi
}
trap 'rc=$?; [ "$rc" != 0 ] && STATUS=$rc; cleanup; echo "# bench: exit $STATUS after $((SECONDS - START)) s"; exit "$STATUS"' EXIT
trap 'echo "# interrupted"; exit 2' INT TERM HUP

free_ports() { # free_ports N: N distinct free loopback ports
    "$PY" -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
cpu_ticks() { # utime+stime of a process, all its threads, in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}
HZ=$(getconf CLK_TCK)
delayed_acks() { # delayed-ACK timer expiries in this network namespace so far
    awk '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "DelayedACKs") c = i; h = 1 } else print $c }' /proc/net/netstat
}

read -r SINK_PORT P_NONE P_FU P_AU P_DU P_FI P_AI P_DI M_FI M_AI M_DI <<<"$(free_ports 11)" || die "no free ports"
PORT[none]=$P_NONE PORT[floor/unix]=$P_FU PORT[acm/unix]=$P_AU PORT[opendkim/unix]=$P_DU
PORT[floor/inet]=$P_FI PORT[acm/inet]=$P_AI PORT[opendkim/inet]=$P_DI
SPEC[none]='' SPEC[floor/unix]=unix:$T/run/floor.sock SPEC[acm/unix]=unix:$T/run/acm.sock
SPEC[opendkim/unix]=unix:$T/run/opendkim.sock SPEC[floor/inet]=inet:127.0.0.1:$M_FI
SPEC[acm/inet]=inet:127.0.0.1:$M_AI SPEC[opendkim/inet]=inet:127.0.0.1:$M_DI
lspec() { # libmilter's spelling of a Postfix milter address
    case $1 in unix:*) echo "$1" ;; inet:127.0.0.1:*) echo "inet:${1##*:}@127.0.0.1" ;; esac
}

# ---------------------------------------------------------------- milters
awk -v root="$ROOT" -v spool="$T/spool" '
    { k = tolower($1) }
    k == "socket" || k == "userid" || k == "pidfile" || k == "mode" { next }
    k == "spooldir" { print "SpoolDir " spool; next }
    (k == "allowlist" || k == "dkimtestkeys" || k == "cafile") && $2 !~ /^\// { print $1 " " root "/" $2; next }
    { print }' "$TEST_CONF" >"$T/acm.base" || die "cannot derive the acm-milter config"
printf 'UserID %s:%s\nMode dry-run\n' "$MUSER" "$MGROUP" >>"$T/acm.base"

# start_milter CONFIG [WRAPPER...]: start the milter of CONFIG, wait until it listens; with
# a wrapper (valgrind) the milter starts as the unprivileged user (callgrind writes its
# results at exit, after the milter's own privilege drop it could not)
start_milter() {
    local cfg=$1 name=${1%/*} spec ls log i; shift
    [ $# -gt 0 ] && set -- setpriv --reuid="$MUSER" --regid="$MGROUP" --clear-groups "$@"
    spec=${SPEC[$cfg]} ls=$(lspec "${SPEC[$cfg]}") log=$T/log/${cfg/\//-}.log
    case $name in
    acm)
        cp "$T/acm.base" "$T/${cfg/\//-}.conf" && echo "Socket $ls" >>"$T/${cfg/\//-}.conf"
        chmod 644 "$T/${cfg/\//-}.conf"
        "$@" "$ACM_MILTER" -f -x "$T/${cfg/\//-}.conf" </dev/null >>"$log" 2>&1 & ;;
    floor)
        [ $# -gt 0 ] || set -- setpriv --reuid="$MUSER" --regid="$MGROUP" --clear-groups
        (umask 0; exec "$@" "$FLOOR" "$ls") </dev/null >>"$log" 2>&1 & ;;
    opendkim)
        printf 'Mode v\nSyslog no\nUMask 000\nSocket %s\nCanonicalization relaxed/simple\n' "$ls" >"$T/${cfg/\//-}.conf"
        [ $# -gt 0 ] || echo "UserID $MUSER:$MGROUP" >>"$T/${cfg/\//-}.conf"
        "$@" opendkim -f -x "$T/${cfg/\//-}.conf" </dev/null >>"$log" 2>&1 & ;;
    esac
    MPID[$cfg]=$!
    for ((i = 0; i < 600; i++)); do
        alive "${MPID[$cfg]}" || die "$cfg exited at start: $(tail -n5 "$log")"
        case $spec in
        unix:*) [ -S "${spec#unix:}" ] && break ;;
        inet:*) port_open "${spec##*:}" && break ;;
        esac
        sleep 0.1
    done
    [ "$i" -lt 600 ] || die "$cfg does not listen on $spec after 60 s: $(tail -n5 "$log")"
}
for cfg in "${CONFIGS[@]}"; do [ "$cfg" = none ] || start_milter "$cfg"; done

# ---------------------------------------------------------------- sink and Postfix
smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 256 >"$T/log/sink.out" 2>"$T/log/sink.err" </dev/null &
SINK_PID=$!
poll 10 port_open "$SINK_PORT" || die "smtp-sink does not listen: $(cat "$T/log/sink.err")"
sink_count() { local n; n=$(tr '\r' '\n' <"$T/log/sink.out" | sed -n 's/.* mesg=\([0-9]*\).*/\1/p' | tail -n1); echo "${n:-0}"; }

cat >"$PCONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.bench.invalid
mydomain = bench.invalid
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
smtpd_peername_lookup = no
maillog_file = $PLOG
maillog_file_prefixes = $T/log
milter_default_action = accept
smtpd_milters =
non_smtpd_milters =
EOF
{
    echo "# service type private unpriv chroot wakeup maxproc command"
    for cfg in "${CONFIGS[@]}"; do
        echo "127.0.0.1:${PORT[$cfg]} inet n - n - - smtpd -o smtpd_milters=${SPEC[$cfg]}"
    done
    cat <<'EOF'
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
smtp unix - - n - - smtp
relay unix - - n - - smtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOF
} >"$PCONF/master.cf"
postfix -c "$PCONF" check >>"$T/log/ctl.log" 2>&1 || die "postfix check: $(tail -n5 "$T/log/ctl.log")"
postfix -c "$PCONF" start >>"$T/log/ctl.log" 2>&1 || die "postfix start: $(tail -n5 "$T/log/ctl.log")"
MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
for cfg in "${CONFIGS[@]}"; do poll 30 port_open "${PORT[$cfg]}" || die "smtpd $cfg does not listen"; done
BASE_SINK=$(sink_count)

# ---------------------------------------------------------------- the run
SENT=0 ACM_N=0 WATCHED_N=0
mail_args() { # mail_args KIND: smtp-source arguments for that kind of mail
    case $1 in
    ordinary) echo "-l 4000 -f s@example.org -t someone@example.com" ;;
    watched) echo "-l 4000 -f s@example.org -t postmaster@example.com" ;;
    acm) echo "-F $ACM_EML -f s@example.org -t admin@example.com" ;;
    esac
}
delivered_all() { [ "$(($(sink_count) - BASE_SINK))" -ge "$SENT" ]; }
# source CFG COUNT ARGS...: one smtp-source run against the listener of CFG; sets ELAPSED
source_run() {
    local cfg=$1 count=$2 t0 rc; shift 2
    SENT=$((SENT + count))
    case "$cfg $*" in acm/*"$ACM_EML"*) ACM_N=$((ACM_N + count)) ;; acm/*postmaster@*) WATCHED_N=$((WATCHED_N + count)) ;; esac
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2046
    timeout "$TIMEOUT" smtp-source "$@" -m "$count" "127.0.0.1:${PORT[$cfg]}" >>"$T/log/src.out" 2>"$T/log/src.err" </dev/null
    rc=$?
    ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
    if [ "$rc" != 0 ] || [ -s "$T/log/src.err" ]; then
        echo "# smtp-source $cfg: exit $rc: $(head -n3 "$T/log/src.err")"
        STATUS=1
    fi
    poll "$TIMEOUT" delivered_all || { echo "# $cfg: the sink has $(($(sink_count) - BASE_SINK)) of $SENT messages"; STATUS=1; }
}

HOSTINFO="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
VERSIONS="Postfix $(postconf -c "$PCONF" -h mail_version); libmilter $(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null); $("$ACM_MILTER" -V 2>&1 | head -n1); OpenDKIM $(opendkim -V 2>&1 | sed -n 's/.*Filter v//p'); $(valgrind --version 2>/dev/null)"
info "machine: $HOSTINFO"
info "versions: $VERSIONS"

info "warm-up"
for cfg in "${CONFIGS[@]}"; do for k in "${KINDS[@]}"; do
    # shellcheck disable=SC2046
    source_run "$cfg" 10 -s 2 $(mail_args "$k")
done; done

[ "$ROUNDS" -gt 0 ] && info "phase 1: throughput, $ROUNDS passes (ABBA) x ${#CONFIGS[@]} configurations x ${#KINDS[@]} kinds x $N messages, 10 sessions"
case $PHASES in *" 1 "*) ;; *) ROUNDS=0 ;; esac
for ((r = 0; r < ROUNDS; r++)); do
    order=("${CONFIGS[@]}")
    if [ $((r % 4)) = 1 ] || [ $((r % 4)) = 2 ]; then
        order=(); for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do order+=("${CONFIGS[$i]}"); done
    fi
    for cfg in "${order[@]}"; do for k in "${KINDS[@]}"; do
        c0=0; [ "$cfg" != none ] && c0=$(cpu_ticks "${MPID[$cfg]}")
        # shellcheck disable=SC2046
        source_run "$cfg" "$N" -s 10 $(mail_args "$k")
        c1=0; [ "$cfg" != none ] && c1=$(cpu_ticks "${MPID[$cfg]}")
        echo "tput $cfg $k $r $N $ELAPSED $((c1 - c0)) $HZ" >>"$RES"
    done; done
    info "pass $((r + 1)) done ($((SECONDS - START)) s)"
done

case $PHASES in *" 2 "*) ;; *) LAT=0 ;; esac
[ "$LAT" -gt 0 ] && info "phase 2: latency, one SMTP session of $LAT messages per configuration and kind"
[ "$LAT" -gt 0 ] && for cfg in "${CONFIGS[@]}"; do for k in "${KINDS[@]}"; do
    case $k in ordinary) a=(s@example.org someone@example.com -4000) ;;
        watched) a=(s@example.org postmaster@example.com -4000) ;; acm) a=(s@example.org admin@example.com "$ACM_EML") ;; esac
    SENT=$((SENT + LAT))
    case $cfg/$k in acm/*/acm) ACM_N=$((ACM_N + LAT)) ;; acm/*/watched) WATCHED_N=$((WATCHED_N + LAT)) ;; esac
    lerr=$T/log/latency-${cfg/\//-}-$k.err
    d0=$(delayed_acks)
    if out=$(timeout "$TIMEOUT" "$PY" bench/latency.py 127.0.0.1 "${PORT[$cfg]}" "$LAT" "${a[@]}" 2>"$lerr"); then
        echo "lat $cfg $k $out dacks=$(($(delayed_acks) - d0))" >>"$RES"
    else
        echo "# latency $cfg $k: $out $(cat "$lerr")"; STATUS=1
    fi
done; done
poll "$TIMEOUT" delivered_all || { echo "# latency: the sink has $(($(sink_count) - BASE_SINK)) of $SENT messages"; STATUS=1; }

# cg_total CFG KIND COUNT: the milter of CFG restarted under callgrind, a warm-up of 3
# messages of each kind, COUNT messages of KIND one session at a time, SIGTERM: the
# instructions the whole process executed, in CG (the warm-up cancels out in the differences)
cg_total() {
    local cfg=$1 kind=$2 count=$3 out=$T/cg/${1%/*}-$2-$3.out k
    stop_pid "${MPID[$cfg]}"
    rm -f "${SPEC[$cfg]#unix:}"
    start_milter "$cfg" valgrind --tool=callgrind --callgrind-out-file="$out"
    for k in "${KINDS[@]}"; do
        # shellcheck disable=SC2046
        source_run "$cfg" 3 -s 1 $(mail_args "$k")
    done
    # shellcheck disable=SC2046
    [ "$count" -gt 0 ] && source_run "$cfg" "$count" -s 1 $(mail_args "$kind")
    stop_pid "${MPID[$cfg]}"
    CG=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -n1)
}
if [[ $PHASES == *" 3 "* ]]; then
    info "phase 3: instructions per message under callgrind, $IR messages per kind, one session at a time"
    for cfg in floor/unix acm/unix opendkim/unix; do
        [[ " ${CONFIGS[*]} " == *" $cfg "* ]] || continue
        cg_total "$cfg" none 0; base=$CG
        for k in "${KINDS[@]}"; do
            cg_total "$cfg" "$k" "$IR"; tot=$CG
            if [ -n "$base" ] && [ -n "$tot" ]; then
                echo "ir ${cfg%/*} $k $IR $((tot - base))" >>"$RES"
            else
                echo "# callgrind: no totals for $cfg $k (see $T/cg)"; STATUS=1
            fi
        done
        rm -f "${SPEC[$cfg]#unix:}"
        start_milter "$cfg"
    done
fi

# ---------------------------------------------------------------- was every milter in the path?
mw=$(grep -i 'milter' "$PLOG" | grep -iE 'warning|error|fatal|panic' | head -n5)
if [ -n "$mw" ]; then
    echo "BENCH VOID: Postfix reports milter trouble; with milter_default_action = accept it bypassed the milter:"
    sed 's/^/  /' <<<"$mw"
    VOID=1
fi
for cfg in "${CONFIGS[@]}"; do
    [ "$cfg" = none ] || alive "${MPID[$cfg]}" || { echo "BENCH VOID: the $cfg milter died"; VOID=1; }
done
acm_dec=$(cat "$T"/log/acm-*.log | grep -c 'decision=approve reason=allowlisted')
[ "$acm_dec" = "$ACM_N" ] || { echo "BENCH VOID: acm-milter logged $acm_dec approvals for the $ACM_N ACM messages sent to it"; VOID=1; }
w_dec=$(cat "$T"/log/acm-*.log | grep -c 'decision=ignore reason=not-acm')
[ "$w_dec" = "$WATCHED_N" ] || { echo "BENCH VOID: acm-milter logged $w_dec not-acm decisions for the $WATCHED_N watched messages sent to it"; VOID=1; }
total=$(($(sink_count) - BASE_SINK))
[ "$total" -ge "$SENT" ] || { echo "MAIL LOST: the sink has $total of $SENT messages"; STATUS=1; }
[ -n "$VOID" ] && STATUS=1

echo
"$PY" bench/report.py "$RES" "$HOSTINFO, end load $(cut -d' ' -f1-3 /proc/loadavg)" "$VERSIONS" ${VOID:+VOID}
exit "$STATUS"
}
