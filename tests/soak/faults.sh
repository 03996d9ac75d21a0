#!/bin/bash
# Fault-injection tests of acm-milter behind a real Postfix (under 3 minutes).
#
# Run from the repo root, as root:   bash tests/soak/faults.sh
#
# Setup (tests/soak/lib.sh): smtp-source / tests/lib/smtp-send.py -> private Postfix smtpd on 127.0.0.1
# with acm-milter on a unix socket (milter_default_action = accept) -> relayhost smtp-sink, which
# counts every message; acm-milter -f in Mode approve against tests/approval/fake_acm.py
# (HTTPS, test CA), RetryInterval 1, ApprovalTimeout 3. Assertions read the milter's log lines
# (stderr), the Postfix log, the sink's count, the spool and the fake site's request log. Every
# wait is a bounded poll; the sleeps that remain only pace the reloads of case d.
#
# Cases (one ok/FAIL line per assertion, and a result per case at the end):
#  a kill9   the site down, an ACM message queued (approval=retry detail=connect); ordinary load
#            (smtp-source, 20 sessions, to postmaster@ and someone@); kill -9 of the milter while
#            smtp-source runs: Postfix keeps delivering (the sink keeps counting), smtp-source
#            sees no error, every message reaches the sink; then the site and the milter are
#            restarted and the pending entry is approved by the new daemon (one good POST).
#  b sitedown the site stopped; three ACM requests queued, each retried (detail=connect) at
#            least twice; the mail delivered meanwhile; the site back on the same port: all
#            three approved (one good POST each), the spool entries in done/.
#  c spoolfull SpoolDir on a 64 KiB tmpfs: the milter starts on it (creates its subfolders),
#            then the file system is filled; an ACM message: decision=approve, then
#            approval=failed detail=spool-write and an error line; the message is delivered;
#            the milter still runs (same pid) and answers the next message. tmpfs unmounted.
#  d reload  100 SIGUSR1 under load (three smtp-source loops, 20 sessions, ordinary and ACM),
#            the configuration file switched between two valid versions (AddHeader yes/no,
#            ApprovalTimeout 3/4) before each: 100 "reloaded" lines, no rejection, same pid,
#            every message at the sink, one decision line per watched message, the milter
#            answers afterwards, the same number of open fds before and after.
# At the end: every message of every case at the sink; nothing left running or mounted.
#
# Environment:
#   FAULTS_CASES="a b c d"   cases to run (in this order)
#   SOAK_TIMEOUT=SECONDS     bound of an ordinary poll (default 30)
#   SOAK_KEEP=1              keep the temp dir (always kept on failure)
#   ACM_MILTER=PATH          binary under test (default milter/acm-milter)
#
# Exit status: 0 all assertions passed, 1 some failed, 2 cannot run (setup).

NAME=faults
ACM_NAMES=(fault-killed fault-down-1 fault-down-2 fault-down-3 fault-full fault-reload)
# shellcheck source=tests/soak/lib.sh
. "$(dirname "$0")/lib.sh"   # re-runs this script in a private mount namespace (lib_reexec_ns)
CASES=${FAULTS_CASES:-a b c d}
for c in $CASES; do case $c in a | b | c | d) ;; *) die "unknown case '$c' in FAULTS_CASES" ;; esac; done

setup_all

ORD=(-l 2000 -f s@example.org)
ACM_FROM=$(sed -n 's/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/p' "${FILE_OF[fault-reload]}" | head -n1)
re() { printf '%s' "$1" | sed 's/[][\.*^$/+?(){}|]/\\&/g'; }
ap_re() { # ap_re QID STATE NAME: regex of an approval line
    echo "$1: approval=$2 domain=$(re "${DOMAIN_OF[$3]}") arn=$(re "${ARN_OF[$3]}")( |$)"
}
pid_has() { grep -qE "acm-milter\[$1\]: $2" "$MLOG"; }       # pid_has PID REGEX
pid_count() { grep -cE "acm-milter\[$1\]: $2" "$MLOG"; }
subdirs_made() { local s; for s in tmp pending "done" pages; do [ -d "$1/$s" ] || return 1; done; }
spool_has() { test -f "$SPOOL/$1/${KEY_OF[$2]}.req"; }     # spool_has pending|done NAME
in_done() { spool_has "done" "$1" && ! spool_has pending "$1"; }
post_good() { # exactly one POST for NAME on the fake site, and it had everything right
    test "$(fl count event=request method=POST name="$1")" = 1 &&
        test "$(fl count event=request method=POST name="$1" cookie_ok=true csrf_ok=true referer_ok=true token_ok=true status=200)" = 1
}
declare -A RESULT
case_result() { # case_result CASE FAILS-BEFORE
    if [ "$FAILS" -gt "$2" ]; then RESULT[$1]=FAIL; else RESULT[$1]=ok; fi
    info "case $1: ${RESULT[$1]} ($(($(now_s) - CASE_T0)) s)"
}
now_s() { echo "$SECONDS"; }
begin_case() { CASE_T0=$SECONDS; F0=$FAILS; info "==== case $1"; }

# ================================================================ a: kill -9 under load
case_a() {
    begin_case "a kill9"
    local n=fault-killed q at_kill before_err dead_start nref p
    fake_stop
    check "a: fake site stopped (nothing answers on port $FPORT)" fake_down
    send_file "${FILE_OF[$n]}" admin@example.com killed
    q=${QID[killed]}
    check "a: $q: approval=queued" poll 10 mhas "$(ap_re "$q" queued $n)"
    check "a: $q: approval=retry ... detail=connect while the site is down" \
        poll "$TIMEOUT" mhas "$(ap_re "$q" retry $n).* detail=connect( |$)"
    check "a: spool entry in pending/" spool_has pending $n

    before_err=$SRC_ERRORS
    src_start a-postmaster 1500 -s 10 -m 1500 "${ORD[@]}" -t postmaster@example.com
    src_start a-someone 1500 -s 10 -m 1500 "${ORD[@]}" -t someone@example.com
    poll "$TIMEOUT" sink_ge $((SENT - 3000 + 300)) || fail "a: the load did not start (sink at $(sink_count))"
    at_kill=$(sink_count)
    if src_running; then
        p=$MPID
        nref=$(pid_count "$p" '[0-9A-Za-z]+: decision=')
        kill9_milter
        check "a: milter $p killed with SIGKILL while smtp-source was running (sink at $at_kill of $SENT)" \
            eval '! same_proc "$p" "$KILL9_START"'
        MPID=''
        info "a: the milter had logged $nref decisions before the kill"
    else
        fail "a: the load was over before the kill (sink at $at_kill): make it larger"
    fi
    dead_start=$(sink_count)
    check "a: Postfix keeps delivering with the milter dead (sink from $dead_start to >= $((dead_start + 200)))" \
        poll "$TIMEOUT" sink_ge $((dead_start + 200))
    src_wait
    check "a: smtp-source saw no error (no tempfail or reject while the milter was down)" test "$SRC_ERRORS" = "$before_err"
    check "a: every message at the sink ($SENT)" poll_slow 120 sink_ge "$SENT"
    check "a: $q (queued before the kill) delivered" relayed "$q"
    nref=$(grep -cE "warning: connect to Milter service unix:$(re "$SOCK"): " "$PLOG")
    check "a: Postfix went on without the milter (default_action accept): $nref 'connect to Milter service' warnings" \
        test "$nref" -ge 1
    info "a: Postfix milter warnings after the kill (distinct texts):"
    grep -E 'postfix/[a-z/-]+\[[0-9]+\]: warning: .*(Milter|milter)' "$PLOG" |
        sed 's/^.*warning: //; s/[0-9A-F]\{9,\}/QID/g' | sort | uniq -c | sort -rn | head -n 6 | sed 's/^/#   /'
    check "a: spool entry still pending after kill -9" spool_has pending $n

    fake_start "$FPORT" || fail "a: fake site did not restart on port $FPORT: $(tail -n3 "$T/log/fake.err")"
    if start_milter "$CONF"; then ok "a: milter restarted (pid $MPID)"; else fail "a: milter did not restart"; return; fi
    check "a: $q approved after the restart, by the new daemon $MPID" \
        poll "$TIMEOUT" pid_has "$MPID" "$(ap_re "$q" approved $n)"
    check "a: the fake site got one good POST for it" post_good $n
    check "a: spool entry moved to done/" in_done $n
    case_result a $F0
}

# ================================================================ b: approval site down, then back
case_b() {
    begin_case "b sitedown"
    local i n q
    fake_stop
    check "b: fake site stopped" fake_down
    for i in 1 2 3; do send_file "${FILE_OF[fault-down-$i]}" admin@example.com down-$i; done
    for i in 1 2 3; do
        n=fault-down-$i q=${QID[down-$i]}
        check "b: $q ($n): approval=queued" poll 10 mhas "$(ap_re "$q" queued $n)"
    done
    # "down for a while": every request tried and failed at least twice
    for i in 1 2 3; do
        n=fault-down-$i q=${QID[down-$i]}
        check "b: $q ($n): approval=retry attempt=2 detail=connect" \
            poll "$TIMEOUT" mhas "$(ap_re "$q" retry $n)attempt=2 .* detail=connect( |$)"
    done
    for i in 1 2 3; do
        n=fault-down-$i q=${QID[down-$i]}
        check "b: $n pending in the spool, its mail delivered meanwhile" \
            eval 'spool_has pending $n && poll 10 relayed "$q"'
    done
    info "b: $(mcount "[0-9A-Za-z]+: approval=retry domain=fault-down-[0-9]\.example\.com .*detail=connect") connect retries while the site was down"
    fake_start "$FPORT" || fail "b: fake site did not restart on port $FPORT: $(tail -n3 "$T/log/fake.err")"
    ok "b: fake site back on port $FPORT (pid $FAKE_PID)"
    for i in 1 2 3; do
        n=fault-down-$i q=${QID[down-$i]}
        check "b: $q ($n): approval=approved after the site came back" poll "$TIMEOUT" mhas "$(ap_re "$q" approved $n)attempt=[3-9]"
        check "b: $n: one good POST, entry in done/" eval 'post_good $n && in_done $n'
    done
    case_result b $F0
}

# ================================================================ c: spool on a full file system
case_c() {
    begin_case "c spoolfull"
    local n=fault-full q q2 p FULL=$T/fullspool CONF_FULL=$T/acm-milter-full.conf left
    stop_milter
    mkdir -p "$FULL"
    if ! mount -t tmpfs -o "size=64k,mode=0700,uid=$(id -u nobody),gid=$(getent group postfix | cut -d: -f3)" tmpfs "$FULL"; then
        fail "c: cannot mount a tmpfs on $FULL"; start_milter "$CONF"; case_result c $F0; return
    fi
    MOUNTS+=("$FULL")
    ok "c: 64 KiB tmpfs mounted on $FULL"
    CONF_SPOOL=$FULL write_conf "$CONF_FULL"
    if start_milter "$CONF_FULL"; then ok "c: milter started with SpoolDir on the tmpfs (pid $MPID)"; else
        fail "c: milter did not start with SpoolDir $FULL: $(tail -n3 "$MLOG")"; umount "$FULL"; start_milter "$CONF"; case_result c $F0; return
    fi
    p=$MPID
    check "c: the milter created its subfolders (tmp pending done pages)" subdirs_made "$FULL"
    dd if=/dev/zero of="$FULL/filler" bs=1k 2>/dev/null
    check "c: the file system is full (available: $(df -k --output=avail "$FULL" | tail -n1 | tr -d ' ') KiB)" \
        test "$(df -k --output=avail "$FULL" | tail -n1 | tr -d ' ')" = 0
    send_file "${FILE_OF[$n]}" admin@example.com full
    q=${QID[full]}
    check "c: $q: decision=approve" poll 10 mhas "$q: decision=approve reason=allowlisted domain=$(re "${DOMAIN_OF[$n]}") "
    check "c: $q: approval=failed ... detail=spool-write" poll 10 mhas "$(ap_re "$q" failed $n).* detail=spool-write( |$)"
    info "c: $(mlines "$q: approval=failed" | head -n1 | sed 's/^.*approval=/approval=/')"
    check "c: an error line names the spool: '$(mlines "error: $q: " | head -n1 | sed 's/^.*error:/error:/')'" \
        mhas "error: $q: cannot write the approval queue"
    check "c: $q delivered nevertheless" poll "$TIMEOUT" relayed "$q"
    check "c: the milter still runs (pid $p)" alive "$p"
    send_file "$MSG/ordinary.eml" postmaster@example.com full-after
    q2=${QID[full-after]}
    check "c: the milter answers the next message ($q2: decision=ignore by pid $p)" \
        poll 10 pid_has "$p" "$q2: decision=ignore reason=not-acm"
    check "c: $q2 delivered" poll "$TIMEOUT" relayed "$q2"
    left=$(find "$FULL/tmp" "$FULL/pending" -mindepth 1 2>/dev/null | grep -c .)
    check "c: no partial entry left in tmp/ or pending/ (found $left)" test "$left" = 0
    [ "$left" != 0 ] && ls -la "$FULL/tmp" "$FULL/pending" | sed 's/^/#   /'
    stop_milter
    umount "$FULL" && ok "c: tmpfs unmounted" || fail "c: cannot unmount $FULL"
    if start_milter "$CONF"; then ok "c: milter restarted on the ordinary spool (pid $MPID)"; else fail "c: milter did not restart"; fi
    case_result c $F0
}

# ================================================================ d: 100 reloads under load
LOAD_STOP=$T/run/load.stop
stream() { # stream TAG PER-ROUND smtp-source-args...: rounds until LOAD_STOP exists
    local tag=$1 per=$2 pid rc; shift 2
    while [ ! -e "$LOAD_STOP" ]; do
        timeout 120 smtp-source "$@" "127.0.0.1:$PORT" >>"$T/log/src-d-$tag.out" 2>>"$T/log/src-d-$tag.err" </dev/null &
        pid=$!
        echo "$pid" >"$T/run/stream-$tag.pid"
        wait "$pid"; rc=$?
        echo "$per $rc" >>"$T/log/stream-$tag.count"
    done
    : >"$T/run/stream-$tag.pid"
}
reloads_logged() { [ "$(pid_count "$1" 'reloaded ')" -ge "$RELOAD_WANT" ]; }
streams_running() { local f; for f in "$T"/run/stream-*.pid; do [ -s "$f" ] && alive "$(cat "$f")" && return 0; done; return 1; }
case_d() {
    begin_case "d reload"
    local LIVE=$T/acm-milter-live.conf A=$T/acm-milter-a.conf B=$T/acm-milter-b.conf p i r0 under=0 base
    local fd0 fd1 tag sent_d=0 errs=0 acm_d=0 post_d=0 n loops=() lp
    write_conf "$A"
    CONF_ADDHEADER=no CONF_TIMEOUT=4 write_conf "$B"
    for f in "$A" "$B"; do
        check "d: acm-milter -n accepts $(basename "$f")" eval '"$ACM_MILTER" -x "$f" -n >>"$T/log/milter-n.out" 2>&1'
    done
    cp "$A" "$LIVE"; chmod 644 "$LIVE"
    stop_milter
    if start_milter "$LIVE"; then ok "d: milter started with $(basename "$LIVE") (pid $MPID)"; else
        fail "d: milter did not start"; case_result d $F0; return; fi
    p=$MPID
    # warm it up (the ACM path and one approval), then take the fd count when quiet
    send_file "${FILE_OF[fault-reload]}" admin@example.com reload-warm
    poll "$TIMEOUT" mhas "$(ap_re "${QID[reload-warm]}" approved fault-reload)" || fail "d: warm-up request not approved"
    poll 15 fds_settled "$p"
    fd0=$(proc_fds "$p"); fd_list "$p" >"$T/log/fds-d-before.txt"
    base=$SENT
    rm -f "$LOAD_STOP" "$T"/log/stream-*.count
    stream someone 300 -s 8 -m 300 "${ORD[@]}" -t someone@example.com & loops+=("$!")
    stream postmaster 300 -s 8 -m 300 "${ORD[@]}" -t postmaster@example.com & loops+=("$!")
    stream acm 40 -s 4 -m 40 -F "${FILE_OF[fault-reload]}" -f "$ACM_FROM" -t admin@example.com & loops+=("$!")
    for lp in "${loops[@]}"; do STARTED_PIDS+=("$lp"); LOOP_PIDS+=("$lp"); done
    PIDFILES+=("$T/run/stream-someone.pid" "$T/run/stream-postmaster.pid" "$T/run/stream-acm.pid")
    poll "$TIMEOUT" sink_ge $((base + 100)) || fail "d: the load did not start"
    r0=$(pid_count "$p" 'reloaded ')
    for ((i = 1; i <= 100; i++)); do
        if [ $((i % 2)) = 1 ]; then cp "$B" "$LIVE.tmp"; else cp "$A" "$LIVE.tmp"; fi
        chmod 644 "$LIVE.tmp"; mv -f "$LIVE.tmp" "$LIVE"
        streams_running && under=$((under + 1))
        kill -USR1 "$p" 2>/dev/null || { fail "d: cannot signal the milter $p at reload $i"; break; }
        RELOAD_WANT=$((r0 + i))
        poll 5 reloads_logged "$p" || { fail "d: reload $i not logged in 5 s"; break; }
        sleep 0.05   # pacing, spreads the reloads over the load
    done
    : >"$LOAD_STOP"
    for lp in "${loops[@]}"; do
        wait_gone "$lp" 150 || fail "d: load loop $lp did not finish"
        wait "$lp" 2>/dev/null
    done
    for tag in someone postmaster acm; do
        while read -r n rc; do
            sent_d=$((sent_d + n))
            [ "$rc" != 0 ] && errs=$((errs + 1))
            [ $tag = acm ] && acm_d=$((acm_d + n))
            [ $tag = postmaster ] && post_d=$((post_d + n))
        done <"$T/log/stream-$tag.count"
        [ -s "$T/log/src-d-$tag.err" ] && { errs=$((errs + 1)); head -n3 "$T/log/src-d-$tag.err" | sed 's/^/#   /'; }
    done
    SENT=$((SENT + sent_d))
    info "d: load of $sent_d messages ($post_d postmaster@, $acm_d ACM, the rest someone@); $under of 100 reloads sent while smtp-source ran"
    check "d: 100 reloads logged by pid $p (got $(($(pid_count "$p" 'reloaded ') - r0)))" \
        test "$(($(pid_count "$p" 'reloaded ') - r0))" = 100
    check "d: no reload rejected" test "$(pid_count "$p" 'reload rejected')" = 0
    check "d: the reloads ran under load ($under of 100 with smtp-source running; at least 90)" test "$under" -ge 90
    check "d: the milter survived (pid $p alive, no restart)" eval 'alive "$p" && [ "$(pid_count "$p" "starting acm-milter")" = 1 ]'
    check "d: smtp-source saw no error ($errs runs failed)" test "$errs" = 0
    check "d: every message at the sink ($SENT in all cases so far)" poll_slow 120 sink_ge "$SENT"
    n=$(pid_count "$p" '[0-9A-Za-z]+: decision=approve reason=allowlisted domain=fault-reload\.example\.com ')
    check "d: one decision=approve per ACM message ($n of $((acm_d + 1)), with the warm-up)" test "$n" = $((acm_d + 1))
    n=$(pid_count "$p" '[0-9A-Za-z]+: decision=ignore reason=not-acm .*rcpt=postmaster@example\.com')
    check "d: one decision=ignore per message to postmaster@ ($n of $post_d)" test "$n" = "$post_d"
    send_file "$MSG/ordinary.eml" postmaster@example.com reload-after
    check "d: the milter answers afterwards (${QID[reload-after]}: decision=ignore by pid $p)" \
        poll 10 pid_has "$p" "${QID[reload-after]}: decision=ignore reason=not-acm"
    check "d: ${QID[reload-after]} delivered" poll "$TIMEOUT" relayed "${QID[reload-after]}"
    poll "$TIMEOUT" no_smtp_sessions
    poll 15 fds_settled "$p"
    fd1=$(proc_fds "$p"); fd_list "$p" >"$T/log/fds-d-after.txt"
    check "d: open fds before and after the reloads are equal ($fd0 -> $fd1)" test "$fd0" = "$fd1"
    [ "$fd0" != "$fd1" ] && diff "$T/log/fds-d-before.txt" "$T/log/fds-d-after.txt" | grep '^[<>]' | sed 's/^/#   /'
    info "d: milter VmRSS $(proc_rss "$p") kB, $(proc_threads "$p") threads after the reloads"
    case_result d $F0
}

for c in $CASES; do "case_$c"; done

# ================================================================ all cases
info "==== all cases"
check "every message of every case at the sink ($SENT; sink $(sink_count))" poll_slow 60 sink_ge "$SENT"
check "no extra message at the sink" test "$(sink_count)" = "$SENT"
check "Postfix log: no fatal/panic" test "$(grep -cE 'postfix/[a-z/-]+\[[0-9]+\]: (fatal|panic):' "$PLOG")" = 0
# Postfix's cleanup warns when the host's file system clock runs ahead of its own under heavy
# load ("file system clock is N seconds ahead", "resetting file time stamps"): a property of
# the host, not of mail handling, and timing-dependent; everything else counts.
pw=$(grep -E 'postfix/[a-z/-]+\[[0-9]+\]: warning:' "$PLOG" | grep -vE 'Milter|milter' |
    grep -vE 'warning: (file system clock is [0-9]+ seconds ahead of local clock|resetting file time stamps - this hurts performance)$')
npw=0; [ -n "$pw" ] && npw=$(grep -c . <<<"$pw")
check "Postfix log: no warning other than about the milter being down in case a ($npw found)" test "$npw" = 0
[ -n "$pw" ] && head -n 5 <<<"$pw" | sed 's/^/#   /'
leaks=''
while read -r s; do
    [ -n "$s" ] && grep -qF "$s" "$MLOG" "$PLOG" && leaks="$leaks ${s:0:8}..."
done <"$MSG/secrets.txt"
check "no validation code or context in the milter's or Postfix's log${leaks:+:$leaks}" test -z "$leaks"
[ -n "$MPID" ] && stop_milter
info "results per case:"
for c in $CASES; do
    case $c in a) d="a kill9" ;; b) d="b sitedown" ;; c) d="c spoolfull" ;; d) d="d reload" ;; esac
    info "  $(printf '%-12s %s' "$d" "${RESULT[$c]:-not run}")"
done
exit 0
