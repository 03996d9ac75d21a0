#!/bin/bash
# Notices and metrics of acm-milter, end to end, through a real Postfix.
#
# Run from the repo root, as root:   bash tests/notify/run.sh
#
# What it does:
#  - a private mount namespace (tests/lib): the syslog sink on /dev/log, and the private
#    an overlay on /etc/postfix there whose main.cf names the private instance, so that its
#    /usr/sbin/sendmail -C DIR works for the milter's unprivileged user (Postfix lets a
#    non-root user name only a config directory that the default main.cf lists in
#    alternate_config_directories); the host's /etc/postfix is never changed;
#  - a private Postfix delivering example.com's five watched addresses and the operator's
#    ops@ops.example.org to Maildirs; the fake ACM approval site (tests/lib/fake.sh);
#  - acm-milter with NotifyAddress ops@ops.example.org, NotifyCommand "/usr/sbin/sendmail -C
#    PCONF -t -i" (the instance's sendmail) and MetricsFile; messages from
#    tests/notify/gen_msgs.py; then it checks:
#      * a notice for each of: not-allowlisted (five copies: one notice), domain-mismatch,
#        approval=failed, approval=expired, delivered to the operator's Maildir, with the
#        Subject, Auto-Submitted, the fields, the queue id of the original message, and no
#        code, context or approval URL; none for an approved or a forged request;
#      * after a restart, another copy of a notified request is notify=suppressed duplicate;
#      * the hourly limit: 20 sent, the rest notify=suppressed hourly-limit; an hour later
#        (the state file's times moved back, milter restarted) the next notice names them;
#      * a failing NotifyCommand: notify=failed detail=exit-status, the mail delivered;
#        a hanging one: the mail delivered and an approval made, then notify=failed
#        detail=timeout and the command killed;
#      * deny unauthenticated detail=dkim-dns-failure (SenderAuth dkim, the milter in
#        `unshare -n`, the message signed at test time): one notice;
#      * MetricsFile: promtool check metrics, the values against the decisions logged,
#        counters not going backwards across a reload (SIGUSR1), an unwritable folder logged
#        once; contrib/acm-milter.mtail run by mtail over the syslog of this test;
#      * acm-milter -n on bad NotifyAddress, NotifyCommand and MetricsFile: file:line each.
#    Every message must be delivered. Everything started is stopped at the end.
#
# Environment: NOTIFY_TIMEOUT=SECONDS bound of each poll (default 60); LIB_KEEP=1 keeps the
# temp dir (always kept on failure).
# Exit status: 0 all assertions passed, 1 some failed, 2 cannot run (setup).

source "$(dirname "$0")/../lib/common.sh"
source "$LIB/syslog.sh"
source "$LIB/postfix.sh"
source "$LIB/milter.sh"
source "$LIB/fake.sh"
HERE=$ROOT/tests/notify
TIMEOUT=${NOTIFY_TIMEOUT:-60}
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

for c in promtool mtail postfix; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c (deps/packages: prometheus, mtail, postfix)"
done
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"

lib_reexec_ns -- "$@"
lib_init notify

MSG=$T/msg
METRICS_DIR=$T/metrics
PROM=$METRICS_DIR/acm-milter.prom
OPS=ops@ops.example.org
milter_paths "$METRICS_DIR"
chmod 755 "$METRICS_DIR"
mkdir -p "$MSG" || die "mkdir"
"$PY" "$HERE/gen_msgs.py" "$MSG" >"$T/log/gen.log" 2>&1 || die "gen_msgs.py: $(cat "$T/log/gen.log")"
declare -A FILE_OF RCPT_OF DOMAIN_OF ARN_OF REQ_OF
while IFS=$'\t' read -r name file rcpt domain arn req; do
    [ -n "$name" ] || continue
    FILE_OF[$name]=$MSG/$file RCPT_OF[$name]=$rcpt DOMAIN_OF[$name]=$domain ARN_OF[$name]=$arn REQ_OF[$name]=$req
done <"$MSG/manifest.tsv"

pki_make
fake_start 0 "$MSG/sites.json" || die "fake ACM site did not start: $(cat "$T/log/fake.err")"
syslog_start

WATCHED_BOXES="admin@example.com administrator@example.com hostmaster@example.com postmaster@example.com webmaster@example.com"
postfix_setup --boxes "$WATCHED_BOXES $OPS" --milter "unix:$SOCK" \
    --main "alternate_config_directories = $T/etc"
# the instance's sendmail hands notices to its pickup service
printf '%-16s unix  n       -       n       60      1       pickup\n' pickup >>"$PCONF/master.cf"
# /etc/postfix seen through a private overlay in this namespace, its main.cf naming ours
[ -d /etc/postfix ] || die "no /etc/postfix (install postfix)"
mkdir -p "$T/pfetc/up" "$T/pfetc/work" || die mkdir
mount -t overlay overlay -o "lowerdir=/etc/postfix,upperdir=$T/pfetc/up,workdir=$T/pfetc/work" /etc/postfix \
    2>"$T/log/overlay.err" || die "cannot put an overlay on /etc/postfix: $(cat "$T/log/overlay.err")"
on_exit umount -l /etc/postfix
printf '# tests/notify/run.sh: this namespace only\nalternate_config_directories = %s\n' "$PCONF" >/etc/postfix/main.cf
PORT=$PF_PORT
postfix_start

NOTIFY_CMD="/usr/sbin/sendmail -C $PCONF -t -i"
write_conf() { # write_conf FILE NOTIFYCOMMAND [SENDERAUTH]
    conf_write "$1" "# acm-milter configuration of tests/notify/run.sh" \
        "AllowList $ROOT/tests/data/allowlist" "SenderAuth ${3:-authres}" "TrustedAuthservIDs mx.example.com" \
        "Mode approve" "SpoolDir $SPOOL" "ApprovalEndpoint https://127.0.0.1:$FPORT" "CAFile $PKI/ca.pem" \
        "ApprovalTimeout 3" "RetryInterval 1" "Socket unix:$SOCK" "UserID $MUSER" "PidFile $PIDFILE" \
        "NotifyAddress $OPS" "NotifyCommand $2" "MetricsFile $PROM"
}
CONF=$T/acm-milter.conf
write_conf "$CONF" "$NOTIFY_CMD"
conf_check "$CONF" "the configuration with NotifyAddress, NotifyCommand and MetricsFile"
start_milter() {
    if milter_start "$1"; then
        ok "milter started with $(basename "$1") (pid $MPID)"
    else
        fail "milter did not start with $(basename "$1") ($MILTER_WHY)"
        exit 1
    fi
}
restart_milter() { # restart_milter CONF
    local p=$MPID
    check "milter $p stops on SIGTERM" milter_stop "$p" 30
    start_milter "$1"
}

# ---------------------------------------------------------------- helpers
declare -A QID
SENT=0
send_file() { # send_file FILE RCPT KEY
    local q
    q=$(send_msg "$PORT" no-reply@certificates.amazon.com "$2" "$1")
    if [ -n "$q" ]; then QID[$3]=$q; SENT=$((SENT + 1)); else fail "SMTP refused $(basename "$1"): $(tail -n1 "$T/log/send.err")"; fi
}
send_case() { send_file "${FILE_OF[$1]}" "${RCPT_OF[$1]}" "$1"; }
delivered_count() { # messages delivered into the watched Maildirs
    find "$PF_MAIL/example.com" -path '*/new/*' -type f 2>/dev/null | grep -c .
}
ops_count() { find "$PF_MAIL/ops.example.org/ops/new" -type f 2>/dev/null | grep -c .; }
ops_file_for() { # the notice whose Subject names DOMAIN
    grep -l -E "^Subject: acm-milter: .* for $(re "$1")\$" "$PF_MAIL/ops.example.org/ops/new/"* 2>/dev/null | head -n1
}
# per-message lines are "acm-milter[PID]: QID: key=value ..."
ncount() { mcount "[^ ]+: notify=$1 ${2:-}"; }
ncount_ge() { [ "$(ncount "$1" "${2:-}")" -ge "$3" ]; }
metric() { # metric 'NAME{LABELS}' : its value in the metrics file
    awk -v k="$1" '$1 == k { print $2 }' "$PROM"
}
val() { # val OP VALUE CMD...: CMD's output compared with VALUE (for poll: CMD runs each time)
    local op=$1 v=$2 got
    shift 2
    got=$("$@")
    [ "$got" "$op" "$v" ]
}
usr2_and_wait() { # SIGUSR2: a new stats line and the metrics file written again (removed first)
    local before
    before=$(mcount 'stats=signal')
    rm -f "$PROM"
    kill -USR2 "$MPID"
    poll "$TIMEOUT" val -gt "$before" mcount 'stats=signal' || return 1
    poll "$TIMEOUT" test -s "$PROM"
}

start_milter "$CONF"

# ---------------------------------------------------------------- 1. the outcomes that need a person
for l in admin administrator hostmaster postmaster webmaster; do
    send_file "$MSG/denied-$l.eml" "$l@example.com" "denied-$l"
done
for c in mismatch failed expired happy forged; do send_case "$c"; done
check "all $SENT messages delivered to the watched Maildirs" poll "$TIMEOUT" val -ge "$SENT" delivered_count
check "approval=approved for happy (no notice for it)" poll "$TIMEOUT" mhas "[^ ]+: approval=approved domain=happy\\.example\\.com"
check "approval=failed for failed" poll "$TIMEOUT" mhas "[^ ]+: approval=failed domain=failed\\.example\\.com"
check "approval=expired for expired" poll "$TIMEOUT" mhas "[^ ]+: approval=expired domain=expired\\.example\\.com"
check "four notify=sent lines (not-allowlisted, domain-mismatch, failed, expired)" poll "$TIMEOUT" ncount_ge sent "" 4
check "four notices in the operator's Maildir" poll "$TIMEOUT" val -ge 4 ops_count
check "the four other copies of denied: notify=suppressed detail=duplicate" \
    poll "$TIMEOUT" val = 4 ncount suppressed 'detail=duplicate outcome=deny-not-allowlisted domain=denied\.example\.com'
check "exactly 4 notices sent and 4 delivered" test "$(ncount sent)" = 4 -a "$(ops_count)" = 4
check "no notice for the approved or the forged request" \
    bash -c "! grep -qE 'acm-milter\\[[0-9]+\\]: .*notify=.*domain=(happy|forged)\\.example\\.com' '$SYSLOG'"
check "forged was denied unauthenticated" mhas "[^ ]+: decision=deny reason=unauthenticated domain=forged\\.example\\.com"
for c in denied mismatch failed expired; do
    f=$(ops_file_for "${DOMAIN_OF[$c]}")
    if [ -z "$f" ]; then fail "no notice for $c (${DOMAIN_OF[$c]}) in the operator's Maildir"; continue; fi
    cp "$f" "$T/notice-$c.eml"
    q=${QID[$c]:-${QID[denied-admin]}}
    check "notice $c: Auto-Submitted: auto-generated" grep -q '^Auto-Submitted: auto-generated' "$f"
    check "notice $c: To the operator, From (a qualified address)/Date/Message-ID present" \
        bash -c "grep -q '^To: $OPS' '$f' && grep -qE '^From: acm-milter <acm-milter@[a-z0-9.-]+\\.[a-z0-9-]+>' '$f' && grep -q '^Date: ' '$f' && grep -q '^Message-ID: <acm-milter\\.' '$f'"
    check "notice $c: names the domain, region, ARN" \
        bash -c "grep -qF 'Domain:      ${DOMAIN_OF[$c]}' '$f' && grep -qF 'Region:      eu-west-1' '$f' && grep -qF 'Certificate: ${ARN_OF[$c]}' '$f'"
    check "notice $c: names the queue id of the original message ($q)" grep -qF "Queue id:    $q " "$f"
    check "notice $c: carries the log line" grep -qE "^  Log line:    $q: (decision|approval)=" "$f"
    check "notice $c: no validation code, context or approval URL" \
        bash -c "! grep -qiF -f '$MSG/secrets.txt' '$f' && ! grep -qE 'code=|context=|approvals\\?|acm-certificates' '$f'"
done
f=$T/notice-denied.eml
check "not-allowlisted notice: Subject and the allowlist rule to add" \
    bash -c "grep -qx 'Subject: acm-milter: check a certificate request for denied.example.com' '$f' && grep -qF '  ${ARN_OF[denied]} denied.example.com' '$f' && grep -q 'message delivered to admin@example.com' '$f'"
check "not-allowlisted notice: account 111122223333" grep -qF 'Account:     111122223333' "$f"
check "failed notice: Subject says approve by hand" grep -qx 'Subject: acm-milter: approve by hand for failed.example.com' "$T/notice-failed.eml"
check "expired notice: says how to resend the validation e-mail" \
    grep -q 'aws acm resend-validation-email --region eu-west-1' "$T/notice-expired.eml"
check "mismatch notice: names the recipient" grep -qF 'Recipient:   admin@example.com' "$T/notice-mismatch.eml"
check "Postfix delivered the notices from the instance's pickup (local submission)" \
    grep -qE 'postfix/pickup\[[0-9]+\]: [0-9A-Z]+: uid=' "$PLOG"
check "no code or context anywhere in syslog" bash -c "! grep -qF -f '$MSG/secrets.txt' '$SYSLOG'"

# ---------------------------------------------------------------- 2. metrics
check "SIGUSR2 rewrites MetricsFile" usr2_and_wait
cp "$PROM" "$T/metrics-1.prom"
if promtool check metrics <"$PROM" >"$T/log/promtool.out" 2>&1; then
    ok "promtool check metrics accepts MetricsFile"
else
    fail "promtool check metrics: $(head -n5 "$T/log/promtool.out")"
fi
for m in acm_milter_messages_total acm_milter_decisions_total acm_milter_approvals_total acm_milter_notices_total \
    acm_milter_queue_pending acm_milter_queue_oldest_pending_seconds acm_milter_start_time_seconds \
    acm_milter_config_load_time_seconds acm_milter_info; do
    check "MetricsFile: HELP and TYPE of $m" bash -c "grep -q '^# HELP $m ' '$PROM' && grep -q '^# TYPE $m ' '$PROM'"
done
for pair in deny,not-allowlisted deny,domain-mismatch deny,unauthenticated approve,allowlisted; do
    d=${pair%,*} r=${pair#*,}
    want=$(mcount "[^ ]+: decision=$d reason=$r ")
    check "decisions_total{$d,$r} = $want, as the decision= lines" \
        test "$(metric "acm_milter_decisions_total{decision=\"$d\",reason=\"$r\"}")" = "$want"
done
for o in approved failed expired queued; do
    want=$(mcount "[^ ]+: approval=$o ")
    check "approvals_total{$o} = $want, as the approval= lines" test "$(metric "acm_milter_approvals_total{outcome=\"$o\"}")" = "$want"
done
check "notices_total{sent} = 4, {suppressed} = 4" \
    test "$(metric 'acm_milter_notices_total{result="sent"}')" = 4 -a "$(metric 'acm_milter_notices_total{result="suppressed"}')" = 4
check "messages_total{watched} = $SENT, {recognized} = $SENT" \
    test "$(metric 'acm_milter_messages_total{stage="watched"}')" = "$SENT" -a "$(metric 'acm_milter_messages_total{stage="recognized"}')" = "$SENT"
check "queue_pending = 0 and info{version} = 1" \
    test "$(metric acm_milter_queue_pending)" = 0 -a "$(metric "acm_milter_info{version=\"$("$ACM_MILTER" -V | cut -d' ' -f2)\"}")" = 1
st=$(metric acm_milter_start_time_seconds)
check "start_time_seconds is the daemon's start (within the test's run)" test "$st" -ge "$(($(date +%s) - 3600))" -a "$st" -le "$(date +%s)"
check "the metrics file is mode 0644 and no temporary file is left" \
    bash -c "[ \"\$(stat -c %a '$PROM')\" = 644 ] && [ -z \"\$(ls -A '$METRICS_DIR' | grep -v '^acm-milter.prom\$')\" ]"

# a reload never makes a counter go backwards
load1=$(metric acm_milter_config_load_time_seconds)
sleep 1   # the load time has a one-second resolution: make a new load visibly newer
kill -USR1 "$MPID"
check "SIGUSR1 reload logged" poll "$TIMEOUT" mhas "reloaded $(re "$CONF")"
check "SIGUSR2 after the reload rewrites MetricsFile" usr2_and_wait
cp "$PROM" "$T/metrics-2.prom"
backwards=$(awk 'FNR == NR { if ($1 !~ /^#/) v[$1] = $2; next }
                 $1 !~ /^#/ && $1 ~ /_total/ && ($1 in v) && $2 + 0 < v[$1] + 0 { print $1 }' \
    "$T/metrics-1.prom" "$T/metrics-2.prom")
check "no counter went backwards across the reload${backwards:+ ($backwards)}" test -z "$backwards"
check "config_load_time_seconds moved forward with the reload" test "$(metric acm_milter_config_load_time_seconds)" -gt "$load1"
check "start_time_seconds unchanged by the reload" test "$(metric acm_milter_start_time_seconds)" = "$st"

# an unwritable folder at run time: one log line, then quiet; logged again when it works
chmod 555 "$METRICS_DIR"
for i in 1 2 3; do kill -USR2 "$MPID"; poll "$TIMEOUT" val -ge $((i + 2)) mcount 'stats=signal'; done
check "an unwritable MetricsFile folder is logged once" poll "$TIMEOUT" val = 1 mcount "error: MetricsFile $(re "$PROM"): cannot write"
sleep 1
check "... and only once for three rewrites" test "$(mcount "error: MetricsFile $(re "$PROM"): cannot write")" = 1
chmod 755 "$METRICS_DIR"
kill -USR2 "$MPID"
check "MetricsFile written again once the folder is writable (one line)" poll "$TIMEOUT" mhas "MetricsFile $(re "$PROM"): written again"

# ---------------------------------------------------------------- 3. de-duplication across a restart
restart_milter "$CONF"
send_file "$MSG/denied-admin.eml" admin@example.com denied-again
check "after a restart, another copy of denied: notify=suppressed detail=duplicate" \
    poll "$TIMEOUT" val = 5 ncount suppressed 'detail=duplicate outcome=deny-not-allowlisted domain=denied\.example\.com'
check "still 4 notices" test "$(ops_count)" = 4 -a "$(ncount sent)" = 4

# ---------------------------------------------------------------- 4. the hourly limit
for i in $(seq -w 0 17); do send_case "cap$i"; done
check "18 more requests: 16 more notices (20 in the hour), 2 held back" \
    poll "$TIMEOUT" val -ge 22 mcount '[^ ]+: notify=(sent|suppressed detail=hourly-limit) '
check "exactly 20 notify=sent" test "$(ncount sent)" = 20
check "exactly 2 notify=suppressed detail=hourly-limit" test "$(ncount suppressed 'detail=hourly-limit')" = 2
check "20 notices in the operator's Maildir" poll "$TIMEOUT" val = 20 ops_count
held=$(mlines '[^ ]+: notify=suppressed detail=hourly-limit ' | sed -n 's/.* domain=\([^ ]*\) .*/\1/p' | sort | tr '\n' ' ')
info "held back: $held"
# an hour later: move the state's times back by two hours, restart, one more request
check "milter stops for the hour to pass" milter_stop "$MPID" 30
STATE=$SPOOL/notify/state
check "the notice state is in the spool" test -s "$STATE"
awk '$1 == "sent" { $2 -= 7200 } { print }' "$STATE" >"$STATE.new" && chown --reference="$STATE" "$STATE.new" &&
    chmod 600 "$STATE.new" && mv "$STATE.new" "$STATE"
start_milter "$CONF"
send_case after
check "an hour later, the next notice is sent (held=2)" poll "$TIMEOUT" mhas "[^ ]+: notify=sent outcome=deny-not-allowlisted domain=after\\.example\\.com .*held=2"
check "it reaches the operator" poll "$TIMEOUT" val != "" ops_file_for after.example.com
f=$(ops_file_for after.example.com)
check "it says 2 notices were held back" grep -q '^2 more notices were held back by the limit of 20 an hour:' "$f"
for d in $held; do
    check "it names the held-back $d" grep -qF "deny-not-allowlisted for $d (queue id " "$f"
done

# ---------------------------------------------------------------- 5. a failing, then a hanging command
write_conf "$T/acm-milter-fail.conf" "/bin/sh -c 'cat >/dev/null; echo mail system down >&2; exit 75'"
restart_milter "$T/acm-milter-fail.conf"
n0=$(delivered_count)
send_case failcmd
check "a failing NotifyCommand: notify=failed detail=exit-status status=75" \
    poll "$TIMEOUT" mhas "[^ ]+: notify=failed detail=exit-status outcome=deny-not-allowlisted domain=failcmd\\.example\\.com .*status=75 output=\"mail system down\""
check "... and the message is delivered all the same" poll "$TIMEOUT" val -gt "$n0" delivered_count
write_conf "$T/acm-milter-hang.conf" "/bin/sleep 600"
restart_milter "$T/acm-milter-hang.conf"
n0=$(delivered_count)
send_case hang
send_case hangok
check "with NotifyCommand hanging, both messages are delivered" poll "$TIMEOUT" val -ge $((n0 + 2)) delivered_count
check "... and hangok is approved" poll "$TIMEOUT" mhas "[^ ]+: approval=approved domain=hangok\\.example\\.com"
check "the hanging command is killed: notify=failed detail=timeout" \
    poll 90 mhas "[^ ]+: notify=failed detail=timeout outcome=deny-not-allowlisted domain=hang\\.example\\.com"
check "no sleep 600 of this milter left behind" bash -c "! pgrep -P '$MPID' -f '^/bin/sleep 600\$' >/dev/null"

# ---------------------------------------------------------------- 5b. a DKIM key look-up that fails
# SenderAuth dkim, the milter in a network namespace of its own (unshare -n: no DNS at all), the
# message signed now for certificates.amazon.com (tests/dkim/dkimsign.c, a key made now).
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$T/dkimsign" "$ROOT/tests/dkim/dkimsign.c" -lopendkim \
    >"$T/log/cc.log" 2>&1 || die "cannot build tests/dkim/dkimsign.c: $(cat "$T/log/cc.log")"
mkdir -p "$T/keys" && chmod 700 "$T/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/acm.pem" 2>"$T/log/openssl.err" ||
    die "openssl genpkey: $(cat "$T/log/openssl.err")"
grep -v '^Authentication-Results:' "${FILE_OF[dnsfail]}" | "$T/dkimsign" -k "$T/keys/acm.pem" -s s2026 \
    -d certificates.amazon.com >"$T/dnsfail.eml" 2>"$T/log/sign.err" || die "dkimsign: $(cat "$T/log/sign.err")"
write_conf "$T/acm-milter-dkim.conf" "$NOTIFY_CMD" dkim
# loopback up in there (Postfix's sendmail wants an interface), nothing else: no name server
printf '#!/bin/sh\nip link set lo up || exit 1\nexec "$@"\n' >"$T/netns-lo.sh" && chmod 755 "$T/netns-lo.sh"
check "milter $MPID stops on SIGTERM" milter_stop "$MPID" 30
if milter_start -w "unshare -n $T/netns-lo.sh" "$T/acm-milter-dkim.conf"; then
    ok "milter started with SenderAuth dkim in a network namespace without DNS (pid $MPID)"
else
    fail "milter did not start in unshare -n ($MILTER_WHY)"
    exit 1
fi
check "the milter's network namespace is not ours" test "$(readlink "/proc/$MPID/ns/net")" != "$(readlink /proc/self/ns/net)"
n0=$(delivered_count)
send_file "$T/dnsfail.eml" admin@example.com dnsfail
check "dnsfail: decision=deny reason=unauthenticated detail=dkim-dns-failure" \
    poll "$TIMEOUT" mhas "[^ ]+: decision=deny reason=unauthenticated domain=dnsfail\\.example\\.com .*detail=dkim-dns-failure"
check "dnsfail: notify=sent outcome=deny-dkim-dns-failure" \
    poll "$TIMEOUT" mhas "[^ ]+: notify=sent outcome=deny-dkim-dns-failure domain=dnsfail\\.example\\.com "
check "dnsfail: the message is delivered" poll "$TIMEOUT" val -gt "$n0" delivered_count
check "dnsfail: the notice reaches the operator" poll "$TIMEOUT" val != "" ops_file_for dnsfail.example.com
f=$(ops_file_for dnsfail.example.com)
check "dnsfail notice: Subject approve by hand, says the DKIM key look-up failed" \
    bash -c "grep -qx 'Subject: acm-milter: approve by hand for dnsfail.example.com' '$f' && grep -q 'DNS look-up of' '$f' && grep -qF 'Queue id:    ${QID[dnsfail]} ' '$f'"
check "dnsfail notice: no validation code, context or approval URL" \
    bash -c "! grep -qiF -f '$MSG/secrets.txt' '$f' && ! grep -qE 'code=|context=|approvals\\?|acm-certificates' '$f'"
check "no code or context anywhere in syslog (end)" bash -c "! grep -qF -f '$MSG/secrets.txt' '$SYSLOG'"
check "no code or context in the notice state" bash -c "! grep -qF -f '$MSG/secrets.txt' '$STATE'"

# ---------------------------------------------------------------- 6. mtail over this test's syslog
if mtail --one_shot --one_shot_format=prometheus --emit_prog_label=false --progs "$ROOT/contrib/acm-milter.mtail" \
    --logs "$SYSLOG" >"$T/log/mtail.out" 2>"$T/log/mtail.err"; then
    ok "mtail runs contrib/acm-milter.mtail over the syslog of the test"
else
    fail "mtail: $(tail -n3 "$T/log/mtail.err")"
fi
mt() { awk -v k="$1" '$1 == k { print $2 }' "$T/log/mtail.out"; }
for pair in deny,not-allowlisted deny,domain-mismatch deny,unauthenticated approve,allowlisted; do
    d=${pair%,*} r=${pair#*,}
    want=$(mcount "[^ ]+: decision=$d reason=$r ")
    check "mtail: decisions_total{$d,$r} = $want" test "$(mt "acm_milter_decisions_total{decision=\"$d\",reason=\"$r\"}")" = "$want"
done
for o in approved failed expired queued; do
    want=$(mcount "[^ ]+: approval=$o ")
    check "mtail: approvals_total{$o} = $want" test "$(mt "acm_milter_approvals_total{outcome=\"$o\"}")" = "$want"
done
for r in sent failed suppressed; do
    check "mtail: notices_total{$r} = $(ncount "$r")" test "$(mt "acm_milter_notices_total{result=\"$r\"}")" = "$(ncount "$r")"
done
check "mtail: notices sent 22, failed 2" test "$(mt 'acm_milter_notices_total{result="sent"}')" = 22 -a "$(mt 'acm_milter_notices_total{result="failed"}')" = 2
check "mtail: queue_pending from the last stats line" test "$(mt acm_milter_queue_pending)" = 0
check "mtail: the one MetricsFile error counted" test "$(mt acm_milter_log_errors_total)" = "$(mcount 'error: ')"

# ---------------------------------------------------------------- 7. bad input: -n reports each with file:line
mkdir -p "$T/bad" && touch "$T/bad/noexec" && chmod 644 "$T/bad/noexec"
conf_write "$T/bad.conf" "AllowList $ROOT/tests/data/allowlist" "SenderAuth authres" \
    "NotifyAddress ops@example.com, not-an-address" "MetricsFile $T/no-such-folder/acm.prom"
"$ACM_MILTER" -x "$T/bad.conf" -n >"$T/log/bad-n.out" 2>&1
check "-n exits 1 on a bad NotifyAddress" test $? = 1
check "-n: bad.conf:3: NotifyAddress: \"not-an-address\" is not an address" grep -qF "$T/bad.conf:3: NotifyAddress: \"not-an-address\" is not an address" "$T/log/bad-n.out"
conf_write "$T/bad.conf" "AllowList $ROOT/tests/data/allowlist" "SenderAuth authres" \
    "NotifyAddress ops@example.com" "NotifyCommand $T/bad/noexec -t" "MetricsFile $T/no-such-folder/acm.prom"
"$ACM_MILTER" -x "$T/bad.conf" -n >"$T/log/bad-n.out" 2>&1
check "-n exits 1 on a bad NotifyCommand and MetricsFile" test $? = 1
check "-n: bad.conf:4: NotifyCommand ... is not an executable file" grep -qF "$T/bad.conf:4: NotifyCommand: $T/bad/noexec is not an executable file" "$T/log/bad-n.out"
check "-n: bad.conf:5: MetricsFile: folder ... No such file" grep -qF "$T/bad.conf:5: MetricsFile: folder $T/no-such-folder: No such file or directory" "$T/log/bad-n.out"
check "-n: one line for each problem" test "$(grep -c "$T/bad.conf:" "$T/log/bad-n.out")" = 2

# a notice as the operator received it, and the metrics file, for the record
info "---- a notice as delivered to $OPS ----"
sed 's/^/#   /' "$T/notice-denied.eml"
info "---- MetricsFile after the first phase ----"
sed 's/^/#   /' "$T/metrics-1.prom"
