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
#   floor/S       bench/floor.c "Floor connect": accepts at connect, negotiates nothing (the
#                 price of any milter)
#   pfloor/S      bench/floor.c "Floor protocol": the protocol floor, the same exchange with
#                 Postfix as acm-milter (same negotiated steps, same turns) and none of its work
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
#  3 instructions: both floors, acm-milter and opendkim (unix) restarted under valgrind callgrind;
#    per kind, counters zeroed, IR messages sent one session at a time, dumped: instructions
#    per message in the milter process (all threads). Deterministic where msg/s is not.
#
# The harness is tests/lib (private Postfix relaying to smtp-sink, milter start and stop,
# cleanup); the bench runs in private mount and network namespaces (lib_reexec_ns -n).
# Exit status: 0 figures printed; 1 mail lost, smtp-source errors, or a milter bypassed
# (any milter warning in the Postfix log, a milter died, acm-milter missed a decision):
# the figures are then void and say so; 2 cannot run.
#
# Environment: BENCH_QUICK=1 (one ABBA pair, fewer messages, no callgrind: about a minute),
# BENCH_ROUNDS, BENCH_N (messages per throughput run), BENCH_LAT, BENCH_IR,
# BENCH_PHASES="1 2 3" (a subset), BENCH_CALLGRIND=0 (no phase 3), BENCH_CONFIGS (a subset
# of the configurations), BENCH_KINDS (a subset of the kinds), BENCH_KEEP=1 (keep the temp dir), ACM_MILTER, FLOOR.
{ # the whole script is read before it runs (an edit during a run cannot break it)
. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/common.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
. "$LIB/syslog.sh"
unset JOURNAL_STREAM   # acm-milter's log lines on stderr, where the bench counts decisions

FLOOR=${FLOOR:-$ROOT/build/bench/floor}
ACM_EML=$ROOT/tests/data/corpus/new-alt-7bit-qp.eml
if [ -n "${BENCH_QUICK:-}" ]; then
    # one ABBA pair of short runs, no callgrind (restarting three milters under valgrind
    # alone takes longer than a minute on a loaded machine)
    ROUNDS=${BENCH_ROUNDS:-2} N=${BENCH_N:-60} LAT=${BENCH_LAT:-30} IR=${BENCH_IR:-10} WARM=4
    BENCH_PHASES=${BENCH_PHASES:-1 2}
else
    ROUNDS=${BENCH_ROUNDS:-4} N=${BENCH_N:-1000} LAT=${BENCH_LAT:-200} IR=${BENCH_IR:-100} WARM=10
fi
PHASES=" ${BENCH_PHASES:-1 2 3} "
[ "${BENCH_CALLGRIND:-1}" = 0 ] && PHASES=${PHASES/ 3 / }
TIMEOUT=300
LIB_KEEP=${BENCH_KEEP:-}
CONFIGS=(none floor/unix pfloor/unix acm/unix opendkim/unix floor/inet pfloor/inet acm/inet opendkim/inet)
# shellcheck disable=SC2206
[ -n "${BENCH_CONFIGS:-}" ] && CONFIGS=($BENCH_CONFIGS)   # a subset, e.g. "none acm/inet"
KINDS=(ordinary watched acm)
# shellcheck disable=SC2206
[ -n "${BENCH_KINDS:-}" ] && KINDS=($BENCH_KINDS)       # a subset, e.g. "ordinary"

for c in smtp-source opendkim setpriv timeout ip "$PY"; do
    command -v "$c" >/dev/null 2>&1 || die "missing $c (deps/ensure.sh bench)"
done
[[ $PHASES == *" 3 "* ]] && ! command -v valgrind >/dev/null && die "missing valgrind (or BENCH_PHASES=\"1 2\")"
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (make)"
[ -x "$FLOOR" ] || die "missing $FLOOR (make build/bench/floor)"

# Private mount and network namespaces: the loopback traffic of other programs cannot disturb
# the figures, no port can collide, and the kernel's TCP counters (delayed ACKs) are ours.
lib_reexec_ns -n -- "$@"
ip link set lo up || die "no loopback in the network namespace"
lib_init bench
# acm-milter logs one line per decision: to a sink on /dev/log, as to journald or rsyslog on a
# server (without one, glibc would try to connect again for every line, which no server pays)
syslog_start
RES=$T/results
: >"$RES"
VOID=''
declare -A PORT SPEC PIDOF
HZ=$(getconf CLK_TCK)
cpu_ticks() { # utime+stime of a process, all its threads (also those gone), in clock ticks
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}
delayed_acks() { # delayed-ACK timer expiries in this network namespace so far
    awk '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "DelayedACKs") c = i; h = 1 } else print $c }' /proc/net/netstat
}

# ---------------------------------------------------------------- milters
milter_dirs "$T/run" "$T/spool" "$T/cg"
smtpd=()
for cfg in "${CONFIGS[@]}"; do
    PORT[$cfg]=$(free_port) || die "no free port"
    case $cfg in
        none) SPEC[$cfg]='' ;;
        */unix) SPEC[$cfg]=unix:$T/run/${cfg%/*}.sock ;;
        */inet) SPEC[$cfg]=inet:$(free_port)@127.0.0.1 || die "no free port" ;;
    esac
    # Postfix's spelling of the address: inet:HOST:PORT
    ps=${SPEC[$cfg]}
    case $ps in inet:*) ps=${ps%@*}; ps=inet:127.0.0.1:${ps#inet:} ;; esac
    [ "$cfg" = none ] || smtpd+=(--smtpd "${PORT[$cfg]} -o smtpd_milters=$ps")
done

# start_one CONFIG [WRAPPER]: the milter of CONFIG in the foreground, with its own config file
# and log ($T/log/milter-NAME-SOCKET.err); with a wrapper (callgrind) it starts as the
# unprivileged user, since callgrind writes its results at exit, after any privilege drop
start_one() {
    local cfg=$1 wrap=${2:-} name=${1%/*} conf=$T/${1/\//-}.conf bin
    case $name in
        acm) bin=$ACM_MILTER
             # dry run whatever the test config says: the bench never posts an approval
             conf_from_test "$conf" "Socket ${SPEC[$cfg]}" "UserID $MUSER" "Mode dry-run" ;;
        floor|pfloor) bin=$FLOOR
             local kind=connect; [ "$name" = pfloor ] && kind=protocol
             conf_write "$conf" "Socket ${SPEC[$cfg]}" "Floor $kind"
             [ -n "$wrap" ] || wrap=setpriv ;;
        opendkim) bin=$(command -v opendkim)
             local user=("UserID $MUSER")
             [ -n "$wrap" ] && user=()
             conf_write "$conf" "Mode v" "Syslog no" "UMask 007" "Socket ${SPEC[$cfg]}" \
                 "Canonicalization relaxed/simple" "${user[@]}" ;;
    esac
    case $wrap in
        setpriv) wrap="setpriv --reuid=${MUSER%%:*} --regid=${MUSER#*:} --clear-groups" ;;
        ?*) wrap="setpriv --reuid=${MUSER%%:*} --regid=${MUSER#*:} --clear-groups $wrap" ;;
    esac
    milter_start -f -b "$bin" -n "${cfg/\//-}" ${wrap:+-w "$wrap"} "$conf" ||
        die "$cfg did not start: $MILTER_WHY"
    PIDOF[$cfg]=$MPID
}
for cfg in "${CONFIGS[@]}"; do [ "$cfg" = none ] || start_one "$cfg"; done

# ---------------------------------------------------------------- sink and Postfix
smtp_sink_start
PORT[none]=${PORT[none]:-$(free_port)}
postfix_setup --name bench --port "${PORT[none]}" --relay "$SINK_PORT" "${smtpd[@]}"
postfix_start

# ---------------------------------------------------------------- the run
SENT=0 ACM_N=0 WATCHED_N=0
# each kind of mail: its recipient, and its content (-SIZE: smtp-source's own, or a FILE)
SENDER=s@example.org
declare -A RCPT_OF=([ordinary]=someone@example.com [watched]=postmaster@example.com
                    [acm]=admin@example.com)
declare -A BODY_OF=([ordinary]=-4000 [watched]=-4000 [acm]=$ACM_EML)
# count_sent CFG KIND N: N more messages sent; acm-milter must log a decision for each
# watched and each ACM one (see the end)
count_sent() {
    SENT=$((SENT + $3))
    case $1/$2 in acm/*/acm) ACM_N=$((ACM_N + $3)) ;; acm/*/watched) WATCHED_N=$((WATCHED_N + $3)) ;; esac
}
delivered_all() { sink_ge "$SENT"; }
# source_run CFG KIND COUNT SESSIONS: one smtp-source run of COUNT messages of KIND against
# the listener of CFG; sets ELAPSED
source_run() {
    local cfg=$1 kind=$2 count=$3 body=${BODY_OF[$2]} t0 rc content
    count_sent "$cfg" "$kind" "$count"
    case $body in -*) content=(-l "${body#-}") ;; *) content=(-F "$body") ;; esac
    t0=$EPOCHREALTIME
    timeout "$TIMEOUT" smtp-source "${content[@]}" -f "$SENDER" -t "${RCPT_OF[$kind]}" -s "$4" \
        -m "$count" "127.0.0.1:${PORT[$cfg]}" >>"$T/log/src.out" 2>"$T/log/src.err" </dev/null
    rc=$?
    ELAPSED=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
    if [ "$rc" != 0 ] || [ -s "$T/log/src.err" ]; then
        fail "smtp-source $cfg: exit $rc: $(head -n3 "$T/log/src.err")"
    fi
    poll "$TIMEOUT" delivered_all || fail "$cfg: the sink has $(sink_count) of $SENT messages"
}

HOSTINFO="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
VERSIONS="Postfix $(postconf -c "$PCONF" -h mail_version); libmilter $(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null); $("$ACM_MILTER" -V 2>&1 | head -n1); OpenDKIM $(opendkim -V 2>&1 | sed -n 's/.*Filter v//p'); $(valgrind --version 2>/dev/null)"
info "machine: $HOSTINFO"
info "versions: $VERSIONS"

info "warm-up"
for cfg in "${CONFIGS[@]}"; do for k in "${KINDS[@]}"; do
    source_run "$cfg" "$k" "$WARM" 2
done; done

[ "$ROUNDS" -gt 0 ] && info "phase 1: throughput, $ROUNDS passes (ABBA) x ${#CONFIGS[@]} configurations x ${#KINDS[@]} kinds x $N messages, 10 sessions"
case $PHASES in *" 1 "*) ;; *) ROUNDS=0 ;; esac
for ((r = 0; r < ROUNDS; r++)); do
    order=("${CONFIGS[@]}")
    if [ $((r % 4)) = 1 ] || [ $((r % 4)) = 2 ]; then
        order=(); for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do order+=("${CONFIGS[$i]}"); done
    fi
    for cfg in "${order[@]}"; do for k in "${KINDS[@]}"; do
        c0=0; [ "$cfg" != none ] && c0=$(cpu_ticks "${PIDOF[$cfg]}")
        source_run "$cfg" "$k" "$N" 10
        c1=0; [ "$cfg" != none ] && c1=$(cpu_ticks "${PIDOF[$cfg]}")
        echo "tput $cfg $k $r $N $ELAPSED $((c1 - c0)) $HZ" >>"$RES"
    done; done
    info "pass $((r + 1)) done ($((SECONDS - LIB_START)) s)"
done

case $PHASES in *" 2 "*) ;; *) LAT=0 ;; esac
[ "$LAT" -gt 0 ] && info "phase 2: latency, one SMTP session of $LAT messages per configuration and kind"
[ "$LAT" -gt 0 ] && for cfg in "${CONFIGS[@]}"; do for k in "${KINDS[@]}"; do
    count_sent "$cfg" "$k" "$LAT"
    lerr=$T/log/latency-${cfg/\//-}-$k.err
    d0=$(delayed_acks)
    if out=$(timeout "$TIMEOUT" "$PY" bench/latency.py 127.0.0.1 "${PORT[$cfg]}" "$LAT" "$SENDER" "${RCPT_OF[$k]}" "${BODY_OF[$k]}" 2>"$lerr"); then
        echo "lat $cfg $k $out dacks=$(($(delayed_acks) - d0))" >>"$RES"
    else
        fail "latency $cfg $k: $out $(cat "$lerr")"
    fi
done; done
poll "$TIMEOUT" delivered_all || fail "latency: the sink has $(sink_count) of $SENT messages"

# cg_total CFG KIND COUNT: the milter of CFG restarted under callgrind, a warm-up of 3
# messages of each kind, COUNT messages of KIND one session at a time, SIGTERM: the
# instructions the whole process executed, in CG (the warm-up cancels out in the differences)
cg_total() {
    local cfg=$1 kind=$2 count=$3 out=$T/cg/${1%/*}-$2-$3.out k
    milter_stop "${PIDOF[$cfg]}" || die "$cfg did not stop"
    start_one "$cfg" "valgrind --tool=callgrind --callgrind-out-file=$out"
    for k in "${KINDS[@]}"; do
        source_run "$cfg" "$k" 3 1
    done
    [ "$count" -gt 0 ] && source_run "$cfg" "$kind" "$count" 1
    milter_stop "${PIDOF[$cfg]}" || die "$cfg under callgrind did not stop"
    CG=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -n1)
}
if [[ $PHASES == *" 3 "* ]]; then
    info "phase 3: instructions per message under callgrind, $IR messages per kind, one session at a time"
    for cfg in floor/unix pfloor/unix acm/unix opendkim/unix; do
        [[ " ${CONFIGS[*]} " == *" $cfg "* ]] || continue
        cg_total "$cfg" none 0; base=$CG
        for k in "${KINDS[@]}"; do
            cg_total "$cfg" "$k" "$IR"; tot=$CG
            if [ -n "$base" ] && [ -n "$tot" ]; then
                echo "ir ${cfg%/*} $k $IR $((tot - base))" >>"$RES"
            else
                fail "callgrind: no totals for $cfg $k (see $T/cg)"
            fi
        done
        start_one "$cfg"
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
    [ "$cfg" = none ] || alive "${PIDOF[$cfg]}" || { echo "BENCH VOID: the $cfg milter died"; VOID=1; }
done
acm_dec=$(cat "$T"/log/milter-acm-*.err 2>/dev/null | grep -c 'decision=approve reason=allowlisted')
[ "$acm_dec" = "$ACM_N" ] || { echo "BENCH VOID: acm-milter logged $acm_dec approvals for the $ACM_N ACM messages sent to it"; VOID=1; }
w_dec=$(cat "$T"/log/milter-acm-*.err 2>/dev/null | grep -c 'decision=ignore reason=not-acm')
[ "$w_dec" = "$WATCHED_N" ] || { echo "BENCH VOID: acm-milter logged $w_dec not-acm decisions for the $WATCHED_N watched messages sent to it"; VOID=1; }
total=$(sink_count)
[ "$total" -ge "$SENT" ] || fail "MAIL LOST: the sink has $total of $SENT messages"
[ -n "$VOID" ] && fail "the figures are void (see BENCH VOID above)"

echo
"$PY" bench/report.py "$RES" "$HOSTINFO, end load $(cut -d' ' -f1-3 /proc/loadavg)" "$VERSIONS" ${VOID:+VOID}
exit 0
}
