#!/bin/bash
# Approval-stage tests of acm-milter: the durable spool and the HTTPS approver, end to end.
#
# Run from the repo root, as root:   bash tests/approval/run.sh
#
# What it does (the harness is tests/lib/, see tests/README.md):
#  - makes a test PKI (tests/approval/mkca.sh: a CA, a server certificate for 127.0.0.1 signed by
#    it, and an unrelated second CA) and the ACM messages and fake-site table
#    (tests/approval/gen_msgs.py, built with tests/data/gen_corpus.py's templates);
#  - starts the fake ACM approval site (tests/approval/fake_acm.py) on https://127.0.0.1:<free port>
#    and self-tests it with curl (GET, then POST with the cookie and the CSRF token);
#  - in a private mount namespace: a syslog sink on /dev/log (tests/lib/syslog.sh), and
#    /etc/hosts with evil.example -> 127.0.0.1 so that a
#    client following the fake's redirect would show up in the fake's log (TLS SNI evil.example);
#  - a private Postfix on 127.0.0.1 (tests/lib/postfix.sh: virtual Maildir delivery of the five
#    watched addresses of example.com, milter over a unix socket, milter_default_action = accept);
#  - acm-milter (daemon, or -f with APPROVAL_MILTER_FOREGROUND=1) with Mode approve,
#    ApprovalEndpoint https://127.0.0.1:PORT, CAFile = the test CA, ApprovalTimeout 3,
#    RetryInterval 1, SenderAuth authres, TrustedAuthservIDs mx.example.com, the test allowlist and
#    its own SpoolDir; sends the messages through Postfix and checks, case by case, the syslog
#    lines, the fake site's request log, the spool and the delivered mail:
#      happy, dup (five copies to the five addresses), denied (not allowlisted), mismatch,
#      mismatch-account, expired, unknown, already, fail-once, hang, redirect, oversized,
#      nosuccess; the second page layout (hidden named fields, absolute action,
#      validationApprovalStatus): v2 (labels and fields), v2-formonly, v2-twobuttons (a REJECTED
#      button of the same name), v2-field-account|region|domain|cert|arn (the labels right, one
#      form field naming another: never posted), v2-refetch and v2-redirect (no marker, or a 303:
#      confirmed by a second GET), v2-norefetch (not confirmed: failed, pages kept), v2-unknown and
#      v2-js (page-unknown-layout, approve by hand, one GET), v2-evilaction (action on another
#      host: nothing posted), v2-already-other (an "already approved" page of another account:
#      failed, not already-approved); page variants: v2-markup (labels in <dl>, <label>/<span>,
#      &nbsp;, a bidi mark, <wbr> in the ARN: approved), v2-if-already ("If you have already
#      approved ..." is no marker), v2-backslash (an action \\evil.example\...: nothing
#      posted), v2-gzip (a compressed page nobody asked for: not read, nothing posted),
#      v2-textplain (a page served as text/plain), v2-charset (a page served as ISO-2022-JP) -
#      page-unknown-layout; v2-answer-other (a success answer naming another account: failed
#      page-mismatch-account), v2-hidden-success (a hidden "Success!": no-success-marker); then wrongca (milter restarted with CAFile = the unrelated CA); killed (site
#      down, approval=queued, kill -9 of the milter, restart of both, approved after restart);
#      dryrun (Mode dry-run: queued mode=dry-run, the site sees nothing); `acm-milter -q`.
#    Every message must be delivered; no code or context may appear in syslog, the milter's
#    output, the X-ACM-Milter headers or the -q listing.
# Everything it starts is stopped and checked gone at the end, on every exit path.
#
# Environment:
#   ACM_MILTER=PATH               binary under test (default milter/acm-milter)
#   APPROVAL_MILTER_FOREGROUND=1  run the milter with -f (assertions still on syslog)
#   APPROVAL_TIMEOUT=SECONDS      bound of each poll (default 30)
#   APPROVAL_KEEP=1               keep the temp dir (always kept and printed on failure)
#   PYTHON=python3                python interpreter (standard library only)
#
# Exit status: 0 all assertions passed, 1 some failed, 2 cannot run (setup).

# the approver is libcurl: no proxy from the caller's environment may get in between
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/syslog.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
. "$LIB/fake.sh"
HERE=$ROOT/tests/approval
TIMEOUT=${APPROVAL_TIMEOUT:-30}
LIB_KEEP=${APPROVAL_KEEP:-}

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "must run as root (private Postfix instance, /dev/log, mount namespace)"
for c in "$PY" setpriv timeout openssl curl mount sha256sum; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"
for f in fake_acm.py fakelog.py gen_msgs.py mkca.sh; do [ -f "$HERE/$f" ] || die "missing $HERE/$f"; done
"$ACM_MILTER" -h 2>&1 | grep -q -- '-q' ||
    die "$ACM_MILTER has no -q (approval queue listing): the daemon does not implement the approval contract yet"

# A private mount namespace for /dev/log and /etc/hosts (the host's are left alone).
lib_reexec_ns -- "$@"
lib_init approval

milter_paths
MSG=$T/msg
mkdir -p "$MSG" || die "mkdir"

# ---------------------------------------------------------------- PKI, messages
pki_make
"$PY" "$HERE/gen_msgs.py" "$MSG" >"$T/log/gen.log" 2>&1 || die "gen_msgs.py: $(cat "$T/log/gen.log")"
# manifest: NAME FILE RCPT DOMAIN ARN KEY BEHAVIOUR
declare -A FILE_OF RCPT_OF DOMAIN_OF ARN_OF KEY_OF
DUP_FILES=()
while IFS=$'\t' read -r name file rcpt domain arn key beh; do
    [ -n "$name" ] || continue
    if [ "$name" = dup ]; then DUP_FILES+=("$file"); fi
    FILE_OF[$name]=$MSG/$file RCPT_OF[$name]=$rcpt DOMAIN_OF[$name]=$domain ARN_OF[$name]=$arn KEY_OF[$name]=$key
done <"$MSG/manifest.tsv"
[ "${#DUP_FILES[@]}" = 5 ] || die "gen_msgs.py: expected five dup messages, got ${#DUP_FILES[@]}"

# ---------------------------------------------------------------- fake ACM site
fake_start 0 "$MSG/sites.json" || die "fake ACM site did not start: $(cat "$T/log/fake.err")"
ok "fake ACM site listens on https://127.0.0.1:$FPORT (pid $FAKE_PID)"

# ---- self-test of the fake site with curl
ST_URL="https://127.0.0.1:$FPORT$(cat "$MSG/selftest.url")"
C=(curl -sS --max-time 10 --cacert "$PKI/ca.pem")
st_code=$("${C[@]}" -c "$T/run/jar" -o "$T/run/st-page.html" -w '%{http_code}' "$ST_URL" 2>&1)
check "fake self-test: GET /approvals answers 200 (got $st_code)" test "$st_code" = 200
check "fake self-test: the page is titled 'Amazon Certificate Approvals' and has the I Approve form" \
    grep -q '<title>Amazon Certificate Approvals</title>' "$T/run/st-page.html"
check "fake self-test: the GET set the session cookie" grep -q _acm_approvals_session "$T/run/jar"
st_tok=$(sed -n 's/.*<meta name="csrf-token" content="\([^"]*\)".*/\1/p' "$T/run/st-page.html")
st_vt=$(sed -n 's/.*name="validation_token"[^>]*value="\([^"]*\)".*/\1/p' "$T/run/st-page.html")
st_cx=$(sed -n 's/.*name="context"[^>]*value="\([^"]*\)".*/\1/p' "$T/run/st-page.html")
post_st() { # post_st EXTRA-CURL-ARGS... -> http status
    "${C[@]}" -o "$T/run/st-post.html" -w '%{http_code}' "$@" --data-urlencode "utf8=✓" \
        --data-urlencode "authenticity_token=$st_tok" --data-urlencode "validation_token=$st_vt" \
        --data-urlencode "context=$st_cx" "https://127.0.0.1:$FPORT/approvevalidation" 2>&1
}
r=$(post_st -e "$ST_URL")
check "fake self-test: POST without the session cookie is refused (422, got $r)" test "$r" = 422
r=$(post_st -b "$T/run/jar")
check "fake self-test: POST without Referer is refused (422, got $r)" test "$r" = 422
r=$(post_st -b "$T/run/jar" -e "$ST_URL")
check "fake self-test: POST with cookie, CSRF token and Referer is approved (200, got $r)" test "$r" = 200
check "fake self-test: success page says 'You have <b>APPROVED</b>'" grep -q 'You have <b>APPROVED</b>' "$T/run/st-post.html"
r=$("${C[@]}" -o "$T/run/st-page2.html" -w '%{http_code}' "$ST_URL" 2>&1)
check "fake self-test: a second GET says 'already been approved' (got $r)" grep -q 'already been approved' "$T/run/st-page2.html"
r=$(curl -sS --max-time 10 --cacert "$PKI/other-ca.pem" -o /dev/null -w '%{http_code}' "$ST_URL" 2>/dev/null)
check "fake self-test: the unrelated CA does not verify the site (curl status ${r:-none})" test "$r" = 000
check "fake self-test: request log has one good POST for the self-test entry" \
    test "$(fl count event=request method=POST name=selftest cookie_ok=true csrf_ok=true referer_ok=true token_ok=true status=200)" = 1

# ---------------------------------------------------------------- /etc/hosts, syslog sink
cp /etc/hosts "$T/run/hosts" 2>/dev/null || : >"$T/run/hosts"
printf '127.0.0.1 evil.example\n' >>"$T/run/hosts"
chmod 644 "$T/run/hosts"
evil_seen() { [ "$(fl count event=tls sni=evil.example)" -ge 1 ]; }
if mount --bind "$T/run/hosts" /etc/hosts 2>"$T/log/hosts.err"; then
    on_exit umount /etc/hosts
    info "evil.example resolves to 127.0.0.1 in this mount namespace (a followed redirect would reach the fake)"
    # prove the detector: a client that follows the redirect shows up as SNI evil.example
    curl -s -o /dev/null --max-time 5 --cacert "$PKI/ca.pem" "https://evil.example:$FPORT/approvals" 2>/dev/null
    check "fake self-test: a connection to evil.example is seen by the fake (TLS SNI evil.example)" poll 5 evil_seen
else
    info "cannot bind /etc/hosts ($(cat "$T/log/hosts.err")); redirect check relies on the request log only"
fi
EVIL0=$(fl count sni=evil.example)

syslog_start

# ---------------------------------------------------------------- Postfix instance
postfix_setup --boxes "admin@example.com administrator@example.com hostmaster@example.com postmaster@example.com webmaster@example.com" \
    --milter "unix:$SOCK"
PORT=$PF_PORT

# ---------------------------------------------------------------- milter configurations
write_conf() { # write_conf FILE MODE CAFILE
    conf_write "$1" "# acm-milter configuration of tests/approval/run.sh" \
        "AllowList $ROOT/tests/data/allowlist" "SenderAuth authres" "TrustedAuthservIDs mx.example.com" \
        "Mode $2" "SpoolDir $SPOOL" "AddHeader yes" "ApprovalEndpoint https://127.0.0.1:$FPORT" "CAFile $3" \
        "ApprovalTimeout 3" "RetryInterval 1" "Socket unix:$SOCK" "UserID $MUSER" "PidFile $PIDFILE"
}
CONF=$T/acm-milter.conf
CONF_WRONGCA=$T/acm-milter-wrongca.conf
CONF_DRY=$T/acm-milter-dryrun.conf
write_conf "$CONF" approve "$PKI/ca.pem"
write_conf "$CONF_WRONGCA" approve "$PKI/other-ca.pem"
write_conf "$CONF_DRY" dry-run "$PKI/ca.pem"
for c in "$CONF" "$CONF_WRONGCA" "$CONF_DRY"; do conf_check "$c" "$(basename "$c")"; done

start_milter() { # start_milter CONF
    if milter_start ${APPROVAL_MILTER_FOREGROUND:+-f} "$1"; then
        ok "milter started with $(basename "$1") (pid $MPID$([ "$MPID" = "$LAUNCHER_PID" ] && echo ', foreground'))"
        return 0
    fi
    fail "milter did not start with $(basename "$1") ($MILTER_WHY)"
    return 1
}
stop_milter() { # SIGTERM, must be gone within 15 s
    local p=$MPID
    check "milter $p stops on SIGTERM" milter_stop "$p" 15
    MPID=''
}

start_milter "$CONF" || exit 1
if sock_connects_as postfix "$SOCK" 2>/dev/null; then
    ok "user postfix can connect to the milter socket"
else
    fail "user postfix cannot connect to the milter socket ($(stat -c '%A %U:%G' "$SOCK"))"
fi

# ---------------------------------------------------------------- start Postfix
postfix_start

# ---------------------------------------------------------------- helpers for the cases
declare -A QID           # message file (basename) -> Postfix queue id
SENT=0
send_file() { # send_file FILE RCPT [KEY]: sends, records the queue id under KEY (default: the file name)
    local f=$1 q
    q=$(send_msg "$PORT" "$(sender_of "$f" no-reply@certificates.amazon.com)" "$2" "$f")
    if [ -n "$q" ]; then
        QID[${3:-$(basename "$f")}]=$q
        SENT=$((SENT + 1))
    else
        fail "SMTP refused $(basename "$f") for $2: $(tail -n1 "$T/log/send.err")"
    fi
}
send_case() { send_file "${FILE_OF[$1]}" "${RCPT_OF[$1]}"; }
qid_of() { echo "${QID[$(basename "${FILE_OF[$1]}")]:-NOQID}"; }
# approval line of a case: approval_re CASE STATE -> regex (QID prefix optional via $2)
ap_re() { # ap_re QID STATE CASE
    echo "$1: approval=$2 domain=$(re "${DOMAIN_OF[$3]}") arn=$(re "${ARN_OF[$3]}")( |$)"
}
wait_ap() { # wait_ap QID STATE CASE [SECONDS]: poll for the approval line, print it
    local r
    r=$(ap_re "$1" "$2" "$3")
    poll "${4:-$TIMEOUT}" mhas "$r" && mlines "$r" | head -n1 | sed 's/^.*acm-milter/acm-milter/'
}
any_ap() { # any_ap CASE: every approval= line of a case's domain
    mlines "[0-9A-Za-z]+: approval=[a-z-]+ domain=$(re "${DOMAIN_OF[$1]}") " | sed 's/^.*acm-milter/acm-milter/'
}
mail_files() { ls "$T/mail/example.com/"*/new/* 2>/dev/null; }
delivered() { # delivered QID: the delivered file with that queue id
    local f
    for f in $(mail_files); do
        grep -q "with ESMTP id $1" "$f" 2>/dev/null && { echo "$f"; return 0; }
    done
    return 1
}
xacm() { "$PY" "$LIB/msgcheck.py" header "$1" X-ACM-Milter; }
nreq() { fl count event=request name="$@"; }  # nreq CASE [FILTER...]
post_good() { # exactly one POST for the case, and it had everything right
    test "$(fl count event=request method=POST name="$1")" = 1 &&
        test "$(fl count event=request method=POST name="$1" cookie_ok=true csrf_ok=true referer_ok=true token_ok=true)" = 1
}
show_case() { # diagnostics of a failed case
    info "  syslog lines of ${DOMAIN_OF[$1]}:"; any_ap "$1" | sed 's/^/#     /'
    info "  fake-site records of $1:"; fl show event=request name="$1" | cut -c1-300 | sed 's/^/#     /'
}
spool_has() { test -f "$SPOOL/$1/${KEY_OF[$2]}.req"; }
in_done() { spool_has done "$1" && ! spool_has pending "$1"; }
mail_count() { mail_files | grep -c .; }
mail_count_ge() { [ "$(mail_count)" -ge "$1" ]; }
case_result() { # case_result CASE FAILS-BEFORE
    if [ "$FAILS" -gt "$2" ]; then show_case "$1"; RESULT[$1]=FAIL; else RESULT[$1]=ok; fi
}
declare -A RESULT

has_all() { # has_all TEXT REGEX...: TEXT matches every REGEX
    local t=$1 p; shift
    for p; do grep -qE -- "$p" <<<"$t" || return 1; done
}
decision_ok() { # decision_ok CASE QID DECISION REASON
    check "$1: syslog '$2: decision=$3 reason=$4 domain=${DOMAIN_OF[$1]}'" \
        poll 10 mhas "$2: decision=$3 reason=$4 domain=$(re "${DOMAIN_OF[$1]}") "
}

# ================================================================ phase A: one milter, many cases
V2_CASES=(v2 v2-formonly v2-twobuttons v2-field-account v2-field-region v2-field-domain v2-field-cert
    v2-field-arn v2-refetch v2-norefetch v2-redirect v2-unknown v2-js v2-evilaction v2-already-other
    v2-markup v2-if-already v2-backslash v2-gzip v2-textplain v2-answer-other v2-hidden-success
    v2-charset)
A_CASES=(happy denied mismatch mismatch-account expired unknown already fail-once hang redirect oversized nosuccess)
send_case happy
for f in "${DUP_FILES[@]}"; do
    l=${f#dup-}; l=${l%.eml}
    send_file "$MSG/$f" "$l@example.com"
done
for c in "${A_CASES[@]:1}"; do send_case "$c"; done
info "phase A: $SENT messages sent"

# ---- happy path
c=happy; F0=$FAILS; q=$(qid_of $c)
decision_ok $c "$q" approve allowlisted
check "$c: '$q: approval=queued' (not dry-run)" poll 10 mhas "$(ap_re "$q" queued $c)req=[0-9a-f]+$"
l=$(wait_ap "$q" approved $c)
check "$c: approved: ${l:-no 'approval=approved' line}" grep -qE ' attempt=1 req=[0-9a-f]+' <<<"$l"
check "$c: the site saw exactly one GET" test "$(nreq $c method=GET)" = 1
check "$c: exactly one POST, with the session cookie, the CSRF token, validation_token/context and a same-host Referer" post_good $c
check "$c: the POST's Referer is the page URL, and it sent the named inputs only" \
    test "$(fl count event=request method=POST name=$c referer_is_page=true 'fields=["authenticity_token", "context", "utf8", "validation_token"]')" = 1
check "$c: spool entry moved to done/, nothing left in pending/" in_done $c
check "$c: spool entry is mode 0600" test "$(stat -c %a "$SPOOL/done/${KEY_OF[$c]}.req" 2>/dev/null)" = 600
case_result $c $F0

# ---- five copies to the five addresses
c=dup; F0=$FAILS
for f in "${DUP_FILES[@]}"; do decision_ok $c "${QID[$f]}" approve allowlisted; done
dq=""; for f in "${DUP_FILES[@]}"; do dq="$dq|${QID[$f]}"; done; dq="(${dq#|})"
poll "$TIMEOUT" mhas "$(ap_re "$dq" approved $c)"
check "$c: exactly one 'approval=queued' among the five (got $(mcount "$(ap_re "$dq" queued $c)"))" \
    test "$(mcount "$(ap_re "$dq" queued $c)")" = 1
check "$c: four 'approval=duplicate' (got $(mcount "$(ap_re "$dq" duplicate $c)"))" \
    test "$(mcount "$(ap_re "$dq" duplicate $c)")" = 4
qid_in() { mlines "$1" | sed 's/.*\]: \([0-9A-Za-z]*\): approval=.*/\1/'; }
dup_one_approved() {
    [ "$(mcount "$(ap_re "$dq" approved dup)")" = 1 ] &&
        [ "$(qid_in "$(ap_re "$dq" approved dup)")" = "$(qid_in "$(ap_re "$dq" queued dup)")" ]
}
check "$c: exactly one 'approval=approved', by the queue id that queued it" dup_one_approved
check "$c: one POST in all (got $(nreq $c method=POST))" post_good $c
# a late copy (ACM re-sends, a relay retries) after the approval: the request is in done/ now
LATE_RCPT=${DUP_FILES[0]#dup-}; LATE_RCPT=${LATE_RCPT%.eml}@example.com
send_file "$MSG/${DUP_FILES[0]}" "$LATE_RCPT" dup-late
LATE=${QID[dup-late]:-NOQID}
poll "$TIMEOUT" mhas "$LATE: approval=[a-z-]+ domain=$(re "${DOMAIN_OF[$c]}") "
l=$(mlines "$LATE: approval=" | head -n1 | sed 's/^.*acm-milter/acm-milter/')
check "$c: a late copy after the approval is a duplicate (contract: already in the spool): ${l:-no line}" \
    grep -q "approval=duplicate " <<<"$l"
case_result $c $F0

# ---- denied (not allowlisted): never reaches the site
c=denied; F0=$FAILS; q=$(qid_of $c)
decision_ok $c "$q" deny not-allowlisted
check "$c: no approval= line for $q" test "$(mcount "$q: approval=")" = 0
check "$c: no spool entry" test -z "$(ls "$SPOOL"/*/"${KEY_OF[$c]}"* 2>/dev/null)"
case_result $c $F0   # "the site saw nothing" is checked at the end, when every approval is over

page_of() { sed -n 's/.* page=\([^ ]*\).*/\1/p' <<<"$1"; }   # page_of LINE: its page= path
kept_text() { cat "$SPOOL/${1#"$SPOOL"/}" 2>/dev/null; }          # kept_text PATH: that file
page_kept() { # page_kept PATH [gzip]: under SpoolDir/pages/ (absolute or relative to SpoolDir), holds the page (as sent: gzip)
    local f=$1
    case $f in "$SPOOL"/pages/*) ;; pages/*) f=$SPOOL/$f ;; *) return 1 ;; esac
    grep -q 'Amazon Certificate Approvals' "$f" ||
        { [ "$2" = gzip ] && gzip -dc <"$f" 2>/dev/null | grep -q 'Amazon Certificate Approvals'; }
}
# ---- page disagrees with the message: never posted, page kept
for c in mismatch mismatch-account; do
    F0=$FAILS; q=$(qid_of $c)
    decision_ok $c "$q" approve allowlisted
    if [ $c = mismatch ]; then want='page-mismatch-domain'; else want='page-mismatch-(account|certificate)'; fi
    l=$(wait_ap "$q" failed $c)
    check "$c: failed detail=$want: ${l:-no 'approval=failed' line}" grep -qE " detail=$want( |$)" <<<"$l"
    pg=$(page_of "$l")
    check "$c: the page is kept in SpoolDir/pages/ (page=${pg:-none})" page_kept "$pg"
    check "$c: nothing posted (GETs $(nreq $c method=GET), POSTs $(nreq $c method=POST))" \
        test "$(nreq $c method=POST)" = 0 -a "$(nreq $c method=GET)" -ge 1
    case_result $c $F0
done

# ---- expired (400), unknown (404): one GET, no retry, no POST
for cs in expired:expired:http-400 unknown:failed:http-404; do
    IFS=: read -r c st det <<<"$cs"
    F0=$FAILS; q=$(qid_of $c)
    l=$(wait_ap "$q" "$st" $c)
    check "$c: $st detail=$det: ${l:-no 'approval=$st' line}" grep -qE " detail=$det( |$)" <<<"$l"
    check "$c: one GET, no retry, no POST (GETs $(nreq $c method=GET))" \
        test "$(nreq $c method=GET)" = 1 -a "$(nreq $c method=POST)" = 0
    case_result $c $F0
done

# ---- already approved
c=already; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" already-approved $c)
check "$c: already-approved: ${l:-no 'approval=already-approved' line}" test -n "$l"
check "$c: no POST" test "$(nreq $c method=POST)" = 0
case_result $c $F0

# ---- 500 once, then ok
c=fail-once; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" retry $c)
check "$c: retry attempt=1 next=N detail=http-500: ${l:-no 'approval=retry' line}" \
    has_all "$l" " attempt=1( |$)" " next=[0-9]+( |$)" " detail=http-500( |$)"
l=$(wait_ap "$q" approved $c)
check "$c: then approved at attempt 2: ${l:-no 'approval=approved' line}" grep -qE ' attempt=2 req=' <<<"$l"
check "$c: two GETs (got $(nreq $c method=GET))" test "$(nreq $c method=GET)" = 2
# RetryInterval 1: the retry is due 1 s (+-20%) after the 500; the worker is serial and the hang
# case may hold it for one ApprovalTimeout (3 s), so the second GET must come within 1.2 + 3 + 1 s
gap=$(fl times event=request method=GET name=$c | awk 'NR == 1 { a = $1 } NR == 2 { printf "%.1f", $1 - a }')
nx=$(sed -n 's/.* next=\([0-9]*\).*/\1/p' <<<"$(mlines "$q: approval=retry " | head -n1)")
check "$c: the retry came when due: ${gap:-?} s after the 500 (next=${nx:-?}; bound 5.2 s)" \
    awk -v g="${gap:-99}" 'BEGIN { exit !(g <= 5.2) }'

check "$c: one good POST" post_good $c
case_result $c $F0

# ---- redirect: not followed
c=redirect; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: failed detail=redirect: ${l:-no 'approval=failed' line}" grep -qE ' detail=redirect( |$)' <<<"$l"
check "$c: one GET, no POST" test "$(nreq $c method=GET)" = 1 -a "$(nreq $c method=POST)" = 0
check "$c: evil.example never contacted (no new TLS connection with SNI evil.example)" test "$(fl count sni=evil.example)" = "$EVIL0"
case_result $c $F0

# ---- oversized page
c=oversized; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: failed detail=page-too-large: ${l:-no 'approval=failed' line}" grep -qE ' detail=page-too-large( |$)' <<<"$l"
check "$c: no POST" test "$(nreq $c method=POST)" = 0
case_result $c $F0

# ---- POST without success marker
c=nosuccess; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: failed detail=no-success-marker: ${l:-no 'approval=failed' line}" grep -qE ' detail=no-success-marker( |$)' <<<"$l"
check "$c: exactly one (good) POST" post_good $c
case_result $c $F0

# ---- the second page layout (hidden named fields, absolute action, validationApprovalStatus)
# (sent only now: queued earlier, they would delay fail-once's retry behind them in the serial worker)
for c in "${V2_CASES[@]}"; do send_case "$c"; done
info "phase A: the second layout's ${#V2_CASES[@]} messages sent"
V2_FIELDS='fields=["accountId", "certificateIdentifier", "domainName", "region", "validationApprovalStatus", "validationArn", "validationToken"]'
v2_post_good() { # exactly one POST for the case: every field right, APPROVED only, same-host Referer
    test "$(nreq "$1" method=POST)" = 1 &&
        test "$(nreq "$1" method=POST layout=2 'bad_fields=[]' 'status_values=["APPROVED"]' referer_ok=true referer_is_page=true "$V2_FIELDS")" = 1
}
no_post() { test "$(nreq "$1" method=POST)" = 0; }
for c in v2 v2-formonly v2-twobuttons v2-markup; do
    F0=$FAILS; q=$(qid_of $c)
    decision_ok $c "$q" approve allowlisted
    l=$(wait_ap "$q" approved $c)
    check "$c: approved (a success marker, no refetch): ${l:-no 'approval=approved' line}" \
        has_all "$l" ' attempt=1 req=[0-9a-f]+$'
    check "$c: one POST with the six fields right and validationApprovalStatus=APPROVED only" v2_post_good $c
    check "$c: one GET" test "$(nreq $c method=GET)" = 1
    check "$c: no POST carried REJECTED" test "$(nreq $c method=POST rejected=true)" = 0
    check "$c: spool entry moved to done/" in_done $c
    case_result $c $F0
done
for pair in v2-field-account:account v2-field-region:region v2-field-domain:domain \
    v2-field-cert:certificate v2-field-arn:certificate v2-already-other:account; do
    c=${pair%%:*}; F0=$FAILS; q=$(qid_of $c)
    l=$(wait_ap "$q" failed $c)
    check "$c: the page (a form field, or an already-approved page) names another ${pair#*:}: failed detail=page-mismatch-${pair#*:}: ${l:-no 'approval=failed' line}" \
        grep -qE " detail=page-mismatch-${pair#*:}( |$)" <<<"$l"
    pg=$(page_of "$l")
    check "$c: the page is kept in SpoolDir/pages/ (page=${pg:-none})" page_kept "$pg"
    check "$c: nothing posted (the fake saw $(nreq $c method=POST) POSTs)" no_post $c
    case_result $c $F0
done
c=v2-refetch; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" approved $c)
check "$c: an answer without a marker, the page fetched again says already approved: approved detail=confirmed-by-refetch: ${l:-no 'approval=approved' line}" \
    grep -qE ' detail=confirmed-by-refetch$' <<<"$l"
check "$c: one good POST" v2_post_good $c
check "$c: two GETs, the second after the POST (got $(nreq $c method=GET))" test "$(nreq $c method=GET)" = 2
case_result $c $F0
c=v2-norefetch; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: no marker, the page fetched again still asks: failed detail=no-success-marker: ${l:-no 'approval=failed' line}" \
    grep -qE ' detail=no-success-marker( |$)' <<<"$l"
pg=$(page_of "$l")
check "$c: the page, the answer and the page fetched again kept in one file (page=${pg:-none})" \
    has_all "$(kept_text "$pg")" 'acm-milter: the approval page -->' \
    'acm-milter: the answer to the approving POST -->' 'Your response has been recorded' \
    'acm-milter: the approval page fetched again -->'
check "$c: one good POST, two GETs, no retry (POSTs $(nreq $c method=POST), GETs $(nreq $c method=GET))" \
    eval 'v2_post_good $c && test "$(nreq $c method=GET)" = 2'
case_result $c $F0
c=v2-redirect; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" approved $c)
check "$c: a 303 after the POST is not followed; the page fetched again says already approved: approved detail=confirmed-by-refetch: ${l:-no 'approval=approved' line}" \
    grep -qE ' detail=confirmed-by-refetch$' <<<"$l"
check "$c: one good POST, two GETs of the approval URL, the Location never fetched" \
    eval 'v2_post_good $c && test "$(nreq $c method=GET)" = 2 && test "$(fl count event=request path=/approvals/done)" = 0'
case_result $c $F0
for c in v2-unknown v2-js v2-if-already v2-backslash v2-gzip v2-textplain v2-charset; do
    F0=$FAILS; q=$(qid_of $c)
    l=$(wait_ap "$q" failed $c)
    check "$c: failed detail=page-unknown-layout action=\"approve by hand ...\": ${l:-no 'approval=failed' line}" \
        has_all "$l" ' detail=page-unknown-layout ' ' action="approve by hand '
    pg=$(page_of "$l")
    check "$c: the page is kept in SpoolDir/pages/ (page=${pg:-none})" page_kept "$pg" "${c#v2-}"
    check "$c: nothing posted, one GET, no retry (POSTs $(nreq $c method=POST), GETs $(nreq $c method=GET))" \
        eval 'no_post $c && test "$(nreq $c method=GET)" = 1'
    check "$c: finished in done/" in_done $c
    case_result $c $F0
done
c=v2-answer-other; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: a success answer naming another account is no approval of this request: failed detail=page-mismatch-account: ${l:-no 'approval=failed' line}" \
    grep -qE ' detail=page-mismatch-account( |$)' <<<"$l"
pg=$(page_of "$l")
check "$c: the page and the answer kept in one file (page=${pg:-none})" \
    has_all "$(kept_text "$pg")" 'acm-milter: the approval page -->' \
    'acm-milter: the answer to the approving POST -->' '999988887777'
check "$c: one good POST, one GET (POSTs $(nreq $c method=POST), GETs $(nreq $c method=GET))" \
    eval 'v2_post_good $c && test "$(nreq $c method=GET)" = 1'
case_result $c $F0
c=v2-hidden-success; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: a hidden \"Success!\" is no marker; the page fetched again still asks: failed detail=no-success-marker: ${l:-no 'approval=failed' line}" \
    grep -qE ' detail=no-success-marker( |$)' <<<"$l"
check "$c: one good POST, two GETs (POSTs $(nreq $c method=POST), GETs $(nreq $c method=GET))" \
    eval 'v2_post_good $c && test "$(nreq $c method=GET)" = 2'
case_result $c $F0
c=v2-evilaction; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" failed $c)
check "$c: the form posts to another host: failed detail=form-action-host: ${l:-no 'approval=failed' line}" \
    grep -qE ' detail=form-action-host( |$)' <<<"$l"
check "$c: nothing posted, evil.example never contacted" \
    eval 'no_post $c && test "$(fl count sni=evil.example)" = "$EVIL0"'
case_result $c $F0

# ---- hang: ApprovalTimeout cuts it, then the site says expired
c=hang; F0=$FAILS; q=$(qid_of $c)
l=$(wait_ap "$q" retry $c)
check "$c: retry detail=timeout: ${l:-no 'approval=retry' line}" grep -qE ' detail=timeout( |$)' <<<"$l"
sp=$(fl span $c)
check "$c: the daemon closed the stalled connection within ApprovalTimeout 3 s + 2 (after ${sp})" \
    awk -v s="${sp%% *}" 'BEGIN { exit !(s != "none" && s + 0 <= 5) }'
check "$c: still pending in the spool" spool_has pending $c
# switch the site's behaviour for this code: next attempt gets 400
"$PY" - "$MSG/sites.json" <<'EOF'
import json, os, sys
p = sys.argv[1]
t = json.load(open(p))
for v in t.values():
    if v["name"] == "hang":
        v["behaviour"] = "expired"
json.dump(t, open(p + ".tmp", "w"), indent=1, sort_keys=True)
os.rename(p + ".tmp", p)
EOF
l=$(wait_ap "$q" expired $c)
check "$c: then expired once the site answers 400: ${l:-no 'approval=expired' line}" grep -qE ' detail=http-400( |$)' <<<"$l"
check "$c: no POST" test "$(nreq $c method=POST)" = 0
case_result $c $F0

# ---- every phase-A message delivered, X-ACM-Milter without secrets
check "phase A: all $SENT messages delivered to the Maildirs" poll "$TIMEOUT" mail_count_ge "$SENT"
miss=""
for f in "${!QID[@]}"; do
    d=$(delivered "${QID[$f]}") || { miss="$miss $f(${QID[$f]})"; continue; }
    xacm "$d" >>"$T/log/x-acm-milter.txt"
done
check "phase A: each message found in a Maildir by its queue id${miss:+; missing:$miss}" test -z "$miss"
d=$(delivered "$(qid_of happy)") && check "happy: delivered with 'X-ACM-Milter: decision=approve reason=allowlisted'" \
    grep -q '^decision=approve reason=allowlisted' <(xacm "$d")
d=$(delivered "$(qid_of denied)") && check "denied: delivered with 'X-ACM-Milter: decision=deny reason=not-allowlisted'" \
    grep -q '^decision=deny reason=not-allowlisted' <(xacm "$d")

# ================================================================ phase B: wrong CA
c=wrongca; F0=$FAILS
stop_milter
start_milter "$CONF_WRONGCA" || exit 1
T_B=$(date +%s.%N)
send_case $c; q=$(qid_of $c)
decision_ok $c "$q" approve allowlisted
check "$c: '$q: approval=queued'" poll 10 mhas "$(ap_re "$q" queued $c)"
poll "$TIMEOUT" mhas "$q: approval=(retry|failed|approved) domain=$(re "${DOMAIN_OF[$c]}") "
l=$(any_ap $c | grep -E 'approval=(retry|failed|approved)' | head -n1)
check "$c: not approved; retry or failed with a TLS detail: ${l:-no line}" grep -qE 'approval=(retry|failed) .* detail=tls' <<<"$l"
check "$c: the TLS handshake was refused at the site (fake log: $(fl count event=tls ok=false "t>=$T_B") failed handshakes)" \
    test "$(fl count event=tls ok=false "t>=$T_B")" -ge 1
check "$c: no HTTP request reached the site" test "$(nreq $c)" = 0
case_result $c $F0

# ================================================================ phase C: kill -9 with a pending entry
c=killed; F0=$FAILS
check "$c: fake site stopped" fake_stop
stop_milter
start_milter "$CONF" || exit 1
send_case $c; q=$(qid_of $c)
check "$c: '$q: approval=queued'" poll 10 mhas "$(ap_re "$q" queued $c)"
check "$c: spool entry in SpoolDir/pending/" poll 10 spool_has pending $c
l=$(wait_ap "$q" retry $c)
check "$c: retry while the site is down: ${l:-no 'approval=retry' line}" grep -qE ' detail=connect( |$)' <<<"$l"
KPID=$MPID
check "$c: milter $KPID killed with SIGKILL" milter_kill9 "$KPID"
check "$c: spool entry still pending after kill -9" spool_has pending $c
fake_start "$FPORT" || { fail "fake site did not restart on port $FPORT: $(tail -n3 "$T/log/fake.err")"; exit 1; }
start_milter "$CONF" || exit 1
l=$(wait_ap "$q" approved $c)
check "$c: approved after the restart, by the new daemon: ${l:-no 'approval=approved' line}" \
    grep -qE "^acm-milter\[$MPID\]: " <<<"$l"
check "$c: one good POST" post_good $c
check "$c: spool entry moved to done/" in_done $c
case_result $c $F0
l=$(any_ap wrongca | tail -n1)
info "wrongca after the restart with the right CA: ${l:-no new line}"

# ================================================================ phase D: dry-run
c=dryrun; F0=$FAILS
stop_milter
start_milter "$CONF_DRY" || exit 1
send_case $c; q=$(qid_of $c)
decision_ok $c "$q" approve allowlisted
check "$c: '$q: approval=queued ... mode=dry-run'" poll 10 mhas "$(ap_re "$q" queued $c)req=[0-9a-f]+ mode=dry-run$"
case_result $c $F0

# ================================================================ acm-milter -q
F0=$FAILS
"$ACM_MILTER" -x "$CONF" -q >"$T/log/q.out" 2>"$T/log/q.err"
qrc=$?
check "acm-milter -q exits 0 (got $qrc$( [ -s "$T/log/q.err" ] && echo ": $(head -c 200 "$T/log/q.err")"))" test "$qrc" = 0
info "acm-milter -q:"; sed 's/^/#   /' "$T/log/q.out"
q_state() { # q_state CASE STATE-REGEX
    grep -qE "^($2) $(re "${DOMAIN_OF[$1]}") $(re "${ARN_OF[$1]}") attempts=[0-9]+ next=[^ ]+ created=[^ ]+ req=[0-9a-f]+( |$)" "$T/log/q.out"
}
for pair in happy:approved dup:approved mismatch:failed mismatch-account:failed expired:expired \
    unknown:failed already:already-approved fail-once:approved hang:expired redirect:failed \
    oversized:failed nosuccess:failed killed:approved dryrun:dry-run wrongca:'pending|failed|approved' \
    v2:approved v2-formonly:approved v2-twobuttons:approved v2-field-account:failed v2-field-region:failed \
    v2-field-domain:failed v2-field-cert:failed v2-field-arn:failed v2-refetch:approved \
    v2-norefetch:failed v2-redirect:approved v2-unknown:failed v2-js:failed v2-evilaction:failed \
    v2-already-other:failed v2-markup:approved v2-if-already:failed v2-backslash:failed \
    v2-gzip:failed v2-textplain:failed v2-answer-other:failed v2-hidden-success:failed \
    v2-charset:failed; do
    c=${pair%%:*}; s=${pair#*:}
    check "-q: $c listed as '$s'" q_state "$c" "$s"
done
check "-q: dup listed once" test "$(grep -c " $(re "${DOMAIN_OF[dup]}") " "$T/log/q.out")" = 1
check "-q: denied not listed" test "$(grep -c " ${DOMAIN_OF[denied]} " "$T/log/q.out")" = 0
check "-q: fail-once shows attempts=2" grep -qE " $(re "${DOMAIN_OF[fail-once]}") .* attempts=2 " "$T/log/q.out"
check "-q: v2-js shows detail=page-unknown-layout" grep -qE " $(re "${DOMAIN_OF[v2-js]}") .* detail=page-unknown-layout" "$T/log/q.out"
check "-q: mismatch shows detail=page-mismatch-domain" grep -qE " $(re "${DOMAIN_OF[mismatch]}") .* detail=page-mismatch-domain" "$T/log/q.out"
RESULT[-q]=$([ "$FAILS" -gt "$F0" ] && echo FAIL || echo ok)

# ---- dry-run and the denied message never reached the site (checked last: every approval is over)
check "dryrun: the site saw nothing" test "$(nreq dryrun)" = 0
check "denied: the site saw nothing" test "$(nreq denied)" = 0
check "dup: still one POST, one GET, after the late copy (POSTs $(nreq dup method=POST), GETs $(nreq dup method=GET))" \
    test "$(nreq dup method=POST)" = 1 -a "$(nreq dup method=GET)" = 1
[ "$(nreq dup method=POST)" = 1 ] || RESULT[dup]=FAIL
[ "$(nreq dryrun)" = 0 ] && [ "$(nreq denied)" = 0 ] || { RESULT[dryrun]=FAIL; RESULT[denied]=FAIL; }
check "no request for an unknown code or path reached the site" \
    test "$(fl count event=request name=null path!=/)" = 0

# ================================================================ log line format
# every approval= line of the daemon: the keys the contract gives its state, in the contract's order
#   queued/duplicate: domain arn req [mode]; approved/already-approved: domain arn attempt req;
#   retry: domain arn attempt next req detail; expired: domain arn attempt req detail;
#   failed: domain arn attempt req detail [page] action
key_order_bad() {
    grep -E 'acm-milter\[[0-9]+\]: [0-9A-Za-z]+: approval=' "$SYSLOG" | sed 's/"[^"]*"/""/g' | awk '
        {
            keys = ""; state = ""
            for (i = 1; i <= NF; i++) if (match($i, /^[a-z]+=/)) {
                k = substr($i, 1, RLENGTH - 1); keys = keys " " k
                if (k == "approval") state = substr($i, RLENGTH + 1)
            }
            if (state == "queued") ok = keys ~ /^ approval domain arn req( mode)?$/
            else if (state == "duplicate") ok = keys ~ /^ approval domain arn req$/
            else if (state == "approved" || state == "already-approved") ok = keys ~ /^ approval domain arn attempt req( detail)?$/
            else if (state == "retry") ok = keys ~ /^ approval domain arn attempt next req detail$/
            else if (state == "expired") ok = keys ~ /^ approval domain arn attempt req detail$/
            else if (state == "failed") ok = keys ~ /^ approval domain arn attempt req detail( page)? action$/
            else ok = 0
            if (!ok && !seen[state]++) print state ":" keys
        }'
}
bad=$(key_order_bad)
check "approval= lines have the contract's keys in the contract's order${bad:+; differs: $(tr '\n' ';' <<<"$bad")}" test -z "$bad"
RESULT[log-format]=$([ -z "$bad" ] && echo ok || echo FAIL)

# ================================================================ all mail, secrets
poll "$TIMEOUT" mail_count_ge "$SENT"
check "all $SENT messages delivered, each once (Maildir files: $(mail_count))" test "$(mail_count)" = "$SENT"
for f in "${!QID[@]}"; do
    d=$(delivered "${QID[$f]}") && case $f in wrongca* | killed* | dryrun*) xacm "$d" >>"$T/log/x-acm-milter.txt" ;; esac
done
leaks=""
while read -r s; do
    [ -n "$s" ] || continue
    for f in "$SYSLOG" "$T/log/milter.err" "$T/log/milter.out" "$T/log/x-acm-milter.txt" "$T/log/q.out" "$T/log/q.err" "$PLOG"; do
        grep -qF "$s" "$f" 2>/dev/null && leaks="$leaks ${s:0:8}...@$(basename "$f")"
    done
done <"$MSG/secrets.txt"
check "no code or context in syslog, milter output, X-ACM-Milter headers, -q output or Postfix's log${leaks:+:$leaks}" test -z "$leaks"
mw=$(grep -iE 'milter' "$PLOG" | grep -iE '(warning|error|fatal|panic)' | grep -v 'connect to Milter service' | head -n5)
[ -n "$mw" ] && info "postfix log, milter warnings (expected only around milter restarts):" && sed 's/^/#   /' <<<"$mw"
check "postfix log: no fatal/panic" test "$(grep -cE 'postfix/[a-z-]+\[[0-9]+\]: (fatal|panic):' "$PLOG")" = 0

# ================================================================ stop
check "postfix stop: master $MASTER_PID gone" postfix_stop
stop_milter
fake_stop
info "results per case:"
for c in happy dup denied mismatch mismatch-account expired unknown already fail-once hang redirect oversized nosuccess \
    "${V2_CASES[@]}" wrongca killed dryrun -q log-format; do
    info "  $(printf '%-17s %s' "$c" "${RESULT[$c]:-not run}")"
done
exit 0
