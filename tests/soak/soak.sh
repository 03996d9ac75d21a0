#!/bin/bash
# Soak test of acm-milter behind a real Postfix: many messages, many concurrent sessions, mixed
# ordinary and ACM mail, the milter in Mode approve against a local fake of the approval site.
#
# Run from the repo root, as root:   bash tests/soak/soak.sh     (not part of make check)
#
# Setup (tests/soak/lib.sh): smtp-source -> private Postfix smtpd on 127.0.0.1 with acm-milter
# on a unix socket (milter_default_action = accept) -> relayhost smtp-sink, which counts every
# message; acm-milter -f in Mode approve, ApprovalEndpoint = tests/approval/fake_acm.py over
# HTTPS with a test CA, RetryInterval 1.
#
# Load: SOAK_MESSAGES (20000) messages in rounds; the first round (SOAK_WARMUP, 1000) is the
# warm-up, the others have SOAK_ROUND (2000) messages. Each round runs three smtp-source
# processes in parallel, SOAK_SESSIONS (50) sessions in all:
#   45%  ordinary to someone@example.com   (no watched recipient: ACCEPT at DATA)
#   45%  ordinary to postmaster@example.com (watched, ruled out at end of headers: decision=ignore)
#   10%  an ACM validation message to admin@example.com (full examination, decision=approve)
# The ACM message of round k is request soak-(k mod 10): ten distinct requests, each sent many
# times; the first copy of each is queued and approved on the fake site, every later copy is an
# approval=duplicate.
#
# Figures: elapsed time and messages/s (from the first injection to the last message at the
# sink, without the pause for the warm-up measurement); the milter's VmRSS, open fds, threads and
# CPU time after the warm-up and at the end, each taken when the system is quiet (every message
# at the sink, no pending approval, no SMTP session open, the fd count steady).
#
# Checks (ok/FAIL lines): every message at the sink; smtp-source reported no error; the milter
# ran throughout (one pid); one decision line per watched message (approve for ACM, ignore for
# postmaster@); queued/approved/duplicate counts; one good POST per request on the fake site; no
# approval retry or failure; the same number of open fds at the end as after the warm-up; no
# `warning` line in the Postfix log. RSS is printed, never judged.
#
# Environment:
#   SOAK_MESSAGES=N (20000)  SOAK_WARMUP=N (1000)  SOAK_ROUND=N (2000)  SOAK_SESSIONS=N (50)
#   SOAK_DELIVERY_TIMEOUT=SECONDS (300)  bound of the wait for every message at the sink
#   SOAK_KEEP=1                keep the temp dir (always kept on failure)
#   ACM_MILTER=PATH            binary under test (default milter/acm-milter)
#
# Exit status: 0 all checks passed, 1 some failed, 2 cannot run (setup).

NAME=soak
NREQ=10
ACM_NAMES=()
for ((i = 0; i < NREQ; i++)); do ACM_NAMES+=("soak-$i"); done
# shellcheck source=tests/soak/lib.sh
. "$(dirname "$0")/lib.sh"   # re-runs this script in a private mount namespace (lib_reexec_ns)

TOTAL=${SOAK_MESSAGES:-20000}
WARMUP=${SOAK_WARMUP:-1000}
ROUND=${SOAK_ROUND:-2000}
SESSIONS=${SOAK_SESSIONS:-50}
DELIV_TIMEOUT=${SOAK_DELIVERY_TIMEOUT:-300}
for v in TOTAL WARMUP ROUND SESSIONS DELIV_TIMEOUT; do
    case ${!v} in '' | *[!0-9]* | 0) die "$v must be a positive integer" ;; esac
done
[ "$WARMUP" -lt "$TOTAL" ] || die "SOAK_WARMUP must be less than SOAK_MESSAGES"
[ "$SESSIONS" -ge 3 ] || die "SOAK_SESSIONS must be at least 3"

setup_all

# ---------------------------------------------------------------- load
N_SOMEONE=0 N_POSTMASTER=0 N_ACM=0
declare -A ACM_USED
ORD=(-l 4000 -f s@example.org)
ACM_FROM=$(sed -n 's/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/p' "${FILE_OF[soak-0]}" | head -n1)
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
round() { # round K N: N messages, three smtp-source in parallel, SESSIONS sessions in all
    local k=$1 n=$2 acm some post sa ss sp req
    acm=$(((n + 5) / 10)); some=$(((n - acm) / 2)); post=$((n - acm - some))
    sa=$((SESSIONS / 10)); [ "$sa" -lt 1 ] && sa=1
    ss=$(((SESSIONS - sa) / 2)); sp=$((SESSIONS - sa - ss))
    req=soak-$((k % NREQ))
    ACM_USED[$req]=1
    [ "$some" -gt 0 ] && src_start "r$k-someone" "$some" -s "$(min "$ss" "$some")" -m "$some" "${ORD[@]}" -t someone@example.com
    [ "$post" -gt 0 ] && src_start "r$k-postmaster" "$post" -s "$(min "$sp" "$post")" -m "$post" "${ORD[@]}" -t postmaster@example.com
    [ "$acm" -gt 0 ] && src_start "r$k-acm" "$acm" -s "$(min "$sa" "$acm")" -m "$acm" -F "${FILE_OF[$req]}" -f "$ACM_FROM" -t admin@example.com
    N_SOMEONE=$((N_SOMEONE + some)) N_POSTMASTER=$((N_POSTMASTER + post)) N_ACM=$((N_ACM + acm))
    sample_peaks
    src_wait
}
PEAK_SESS=0 PEAK_THR=0
sample_peaks() { # while smtp-source runs: most SMTP sessions open at once, most milter threads
    local s t
    while src_running; do
        s=$(ss -Htn state established "( sport = :$PORT )" 2>/dev/null | grep -c .)
        t=$(proc_threads "$MPID")
        [ "${s:-0}" -gt "$PEAK_SESS" ] && PEAK_SESS=$s
        [ "${t:-0}" -gt "$PEAK_THR" ] && PEAK_THR=$t
        sleep 0.2
    done
}
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
pending_empty() { [ -z "$(ls -A "$SPOOL/pending" 2>/dev/null)" ]; }

declare -A RES
measure() { # measure LABEL: wait until quiet, then take the milter's figures
    local l=$1 t0
    t0=$(now)
    poll "$TIMEOUT" pending_empty || info "$l: approvals still pending after ${TIMEOUT} s: $(ls "$SPOOL/pending" | wc -l)"
    poll "$TIMEOUT" no_smtp_sessions || info "$l: SMTP sessions still open after ${TIMEOUT} s"
    poll 15 fds_settled "$MPID" || info "$l: the fd count was still changing after 15 s"
    RES[$l.rss]=$(proc_rss "$MPID") RES[$l.fds]=$(proc_fds "$MPID") RES[$l.thr]=$(proc_threads "$MPID") RES[$l.cpu]=$(proc_cpu "$MPID")
    fd_list "$MPID" >"$T/log/fds-$l.txt"
    info "$l: milter pid $MPID VmRSS ${RES[$l.rss]} kB, ${RES[$l.fds]} open fds, ${RES[$l.thr]} threads, CPU ${RES[$l.cpu]} s (quiet after $(secs "$t0" "$(now)") s)"
}

info "load: $TOTAL messages, $SESSIONS sessions (smtp-source -s), warm-up $WARMUP, then rounds of $ROUND; 45% someone@, 45% postmaster@, 10% ACM to admin@ ($NREQ distinct requests)"
T0=$(now)
round 0 "$WARMUP"
poll_slow "$DELIV_TIMEOUT" sink_ge "$SENT" || fail "warm-up: the sink has $(sink_count) of $SENT messages after ${DELIV_TIMEOUT} s"
T1=$(now)
info "warm-up: $SENT messages injected and at the sink in $(secs "$T0" "$T1") s"
measure warmup

T2=$(now)
k=1
while [ "$SENT" -lt "$TOTAL" ]; do
    n=$(min "$ROUND" $((TOTAL - SENT)))
    round "$k" "$n"
    info "round $k: $n messages injected ($SENT in all, the sink has $(sink_count), $(secs "$T2" "$(now)") s; milter VmRSS $(proc_rss "$MPID") kB, $(proc_fds "$MPID") fds)"
    k=$((k + 1))
done
T3=$(now)
poll_slow "$DELIV_TIMEOUT" sink_ge "$SENT"
T4=$(now)
measure end

# ---------------------------------------------------------------- checks
GOT=$(sink_count)
ELAPSED=$(awk -v a="$T0" -v b="$T1" -v c="$T2" -v d="$T4" 'BEGIN { printf "%.1f", (b - a) + (d - c) }')
INJECT=$(awk -v a="$T0" -v b="$T1" -v c="$T2" -v d="$T3" 'BEGIN { printf "%.1f", (b - a) + (d - c) }')
RATE=$(awk -v n="$GOT" -v s="$ELAPSED" 'BEGIN { printf "%.0f", n / s }')
check "all $SENT messages at the sink (got $GOT)" test "$GOT" = "$SENT"
check "smtp-source reported no error (failed runs: $SRC_ERRORS)" test "$SRC_ERRORS" = 0
check "the milter ran throughout: pid $MPID alive, started once" \
    eval 'alive "$MPID" && [ "$(mcount "starting acm-milter")" = 1 ]'

n=$(mcount '[0-9A-Za-z]+: decision=approve reason=allowlisted domain=soak-[0-9]+\.example\.com ')
check "one decision=approve line per ACM message ($n of $N_ACM)" test "$n" = "$N_ACM"
n=$(mcount '[0-9A-Za-z]+: decision=ignore reason=not-acm .*rcpt=postmaster@example\.com')
check "one decision=ignore reason=not-acm line per message to postmaster@ ($n of $N_POSTMASTER)" test "$n" = "$N_POSTMASTER"
n=$(mcount '[0-9A-Za-z]+: decision='); exp=$((N_ACM + N_POSTMASTER))
check "no other decision line (someone@ is not watched: accepted at DATA, never logged; $n lines, expected $exp)" test "$n" = "$exp"
NUSED=${#ACM_USED[@]}
nq=$(mcount '[0-9A-Za-z]+: approval=queued domain=soak-')
na=$(mcount '[0-9A-Za-z]+: approval=approved domain=soak-')
nd=$(mcount '[0-9A-Za-z]+: approval=duplicate domain=soak-')
nbad=$(mcount 'approval=(retry|failed|expired|already-approved) ')
check "approval=queued once per distinct request ($nq of $NUSED)" test "$nq" = "$NUSED"
check "approval=approved once per distinct request ($na of $NUSED)" test "$na" = "$NUSED"
check "every other ACM copy is approval=duplicate ($nd of $((N_ACM - NUSED)))" test "$nd" = $((N_ACM - NUSED))
check "no approval=retry/failed/expired/already-approved line (got $nbad)" test "$nbad" = 0
bad=''
for r in "${!ACM_USED[@]}"; do
    [ "$(fl count event=request method=POST name="$r" cookie_ok=true csrf_ok=true referer_ok=true token_ok=true status=200)" = 1 ] &&
        [ "$(fl count event=request method=POST name="$r")" = 1 ] || bad="$bad $r"
done
check "the fake site got exactly one good POST per request${bad:+; not for:$bad}" test -z "$bad"
check "open fds at the end equal those after the warm-up (${RES[warmup.fds]} -> ${RES[end.fds]})" \
    test "${RES[warmup.fds]}" = "${RES[end.fds]}"
if [ "${RES[warmup.fds]}" != "${RES[end.fds]}" ]; then
    info "fd difference (warm-up < > end):"
    diff "$T/log/fds-warmup.txt" "$T/log/fds-end.txt" | grep '^[<>]' | sed 's/^/#   /'
fi
PW=$(grep -E 'postfix/[a-z/-]+\[[0-9]+\]: warning:' "$PLOG" |
    grep -vE 'warning: (file system clock is [0-9]+ seconds ahead of local clock|resetting file time stamps - this hurts performance)$')  # host clock, see faults.sh
NPW=$(grep -c . <<<"$PW")
[ -z "$PW" ] && NPW=0
check "the Postfix log has no warning line (got $NPW)" test "$NPW" = 0
[ "$NPW" -gt 0 ] && { info "Postfix warnings (first 10, then the distinct texts):"; head -n 10 <<<"$PW" | sed 's/^/#   /'
    sed 's/^.*warning: //; s/[0-9]\{2,\}/N/g' <<<"$PW" | sort | uniq -c | sort -rn | head -n 10 | sed 's/^/#   /'; }
MW=$(mlines '(warning|error): ' | grep -v 'ApprovalEndpoint .* for tests only')
NMW=0; [ -n "$MW" ] && NMW=$(grep -c . <<<"$MW")
check "the milter logged no error or warning (besides ApprovalEndpoint's for-tests-only one; got $NMW)" test "$NMW" = 0
[ -n "$MW" ] && head -n 10 <<<"$MW" | sed 's/^/#   /'
nsent=$(grep -cE "postfix/smtp\[[0-9]+\]: [0-9A-Za-z]+: to=<[^>]*>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK_PORT,.* status=sent" "$PLOG")
info "Postfix log: $nsent status=sent lines to the sink (information)"
kill -USR2 "$MPID" 2>/dev/null
poll 5 mhas 'stats=signal ' && info "milter statistics: $(mlines 'stats=signal ' | tail -n1 | sed 's/^.*stats=/stats=/')"

echo
echo "acm-milter soak: Postfix $(postconf -h mail_version), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "messages: $SENT sent ($N_SOMEONE someone@, $N_POSTMASTER postmaster@, $N_ACM ACM to admin@ over $NUSED requests), $GOT at the sink"
echo "sessions: $SESSIONS concurrent (smtp-source -s, three processes per round; peak seen: $PEAK_SESS SMTP sessions open, $PEAK_THR milter threads); milter on unix socket, Mode approve (fake site)"
echo "elapsed: $ELAPSED s from the first injection to the last message at the sink (injection alone $INJECT s), $RATE messages/s"
printf '%-8s %10s %6s %8s %10s\n' point "VmRSS kB" fds threads "CPU s"
for l in warmup end; do
    printf '%-8s %10s %6s %8s %10s\n' "$l" "${RES[$l.rss]}" "${RES[$l.fds]}" "${RES[$l.thr]}" "${RES[$l.cpu]}"
done
echo "RSS growth warm-up -> end: $(( ${RES[end.rss]:-0} - ${RES[warmup.rss]:-0} )) kB over $((SENT - WARMUP)) messages (reported, not judged)"
echo "Postfix warning lines: $NPW"
stop_milter
exit 0
