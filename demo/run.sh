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

# the test harness (tests/lib/, see tests/README.md): private Postfix, syslog sink, fake site
. "$(dirname "$0")/../tests/lib/common.sh"
. "$LIB/syslog.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
. "$LIB/fake.sh"
ACM_MILTER=$ROOT/milter/acm-milter
TIMEOUT=${DEMO_TIMEOUT:-30}
MUSER=nobody:postfix # the milter's UserID: the socket gets group postfix, so smtpd gets in
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
    unshare -m --propagation private env DEMO_IN_NS=1 ACM_TEST_IN_NS=demo DEMO_T="$T" DEMO_START_NS="$START_NS" \
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
LIB_NAME=demo
LIB_SETSID=1     # the long-running helpers get their own session: a Ctrl-C reaches them only through cleanup
LOG=$T/demo.log
START_NS=$DEMO_START_NS
HERE=$ROOT/tests/approval
SOCK=$T/run/acm-milter.sock
PIDFILE=$T/run/acm-milter.pid
SPOOL=$T/spool
MSG=$T/msg
CONF=$T/acm-milter.conf
FAILED='' INTERRUPTED=''

elapsed() { awk -v a="$START_NS" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
# the harness reports into the detailed log; a failure stops the demo with its reason
ok()   { echo "ok - $*" >>"$LOG"; }
info() { echo "# $*" >>"$LOG"; }
fail() { # fail MESSAGE: stop here, with the reason on the last lines
    say ""
    say "demo FAILED: $*" >&2
    FAILED=1
    exit 1
}
die() { fail "$@"; }

append_logs() { # everything useful for a post-mortem, into the detailed log
    local f
    for f in "$T"/log/*; do
        [ -s "$f" ] || continue
        { echo "== $f (last 80 lines)"; tail -n 80 "$f"; } >>"$LOG"
    done
}

finish() {
    local rc=$?
    trap '' INT TERM HUP # the stop must run to its end
    [ -n "$FAILED" ] && rc=1
    if [ "$rc" = 0 ]; then
        say ""
        say "Stopping: Postfix, acm-milter, the fake site and the syslog sink"
    fi
    lib_cleanup >>"$LOG" 2>&1
    if [ -n "$LIB_LEFT" ]; then
        FAILED=1
        say "demo FAILED: processes still running after the stop:$LIB_LEFT" >&2
    fi
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
trap finish EXIT
trap 'trap "" INT TERM HUP; say ""; say "demo interrupted: stopping everything"; INTERRUPTED=1; exit 130' INT TERM HUP
trap '' PIPE

mkdir -p "$T/log" "$MSG" || fail "mkdir in $T"
milter_dirs "$T/run" "$SPOOL"

# ---------------------------------------------------------------- 3. CA + fake site
step 3 "Test CA and the local fake of the ACM approval site"
pki_make
"$PY" "$HERE/gen_msgs.py" "$MSG" >"$T/log/gen.log" 2>&1 || fail "tests/approval/gen_msgs.py could not make the sample messages"
ACM_EML=$MSG/happy.eml
ORD_EML=$ROOT/tests/data/corpus/ordinary.eml
[ -f "$ACM_EML" ] || fail "gen_msgs.py made no happy.eml"
[ -f "$ORD_EML" ] || fail "missing $ORD_EML"
IFS=$'\t' read -r _ _ ACM_RCPT ACM_DOMAIN ACM_ARN _ _ < <(grep -m1 $'^happy\t' "$MSG/manifest.tsv")
fake_start 0 "$MSG/sites.json" || fail "the fake ACM site did not start or does not answer TLS with the test CA"
item "test CA (made now):  $PKI/ca.pem"
item "fake approval site:  https://127.0.0.1:$FPORT  (pid $FAKE_PID)"

# ---------------------------------------------------------------- syslog sink on /dev/log
syslog_start

# ---------------------------------------------------------------- 4. milter + Postfix
step 4 "acm-milter (Mode approve) and a private Postfix on 127.0.0.1"
cp "$ROOT/tests/data/allowlist" "$T/allowlist" && chmod 644 "$T/allowlist" || fail "cannot copy the allowlist"
conf_write "$CONF" "# acm-milter configuration of the demo (demo/run.sh)" \
    "Socket unix:$SOCK" "UserID $MUSER" "PidFile $PIDFILE" "Mode approve" "AllowList $T/allowlist" \
    "# the sample message carries Authentication-Results of mx.example.com (dkim=pass for" \
    "# certificates.amazon.com); a real MX would use SenderAuth dkim (the default)" \
    "SenderAuth authres" "TrustedAuthservIDs mx.example.com" "SpoolDir $SPOOL" "AddHeader yes" \
    "# TESTS ONLY: the local fake instead of https://REGION.acm-certificates.amazon.com" \
    "ApprovalEndpoint https://127.0.0.1:$FPORT" "CAFile $PKI/ca.pem" "ApprovalTimeout 5" "RetryInterval 2"
"$ACM_MILTER" -x "$CONF" -n >"$T/log/milter-n.out" 2>&1 || fail "acm-milter -n rejects the demo configuration: $(head -n3 "$T/log/milter-n.out")"
milter_start "$CONF" || fail "acm-milter did not start: $MILTER_WHY"
sock_connects_as postfix "$SOCK" 2>>"$LOG" ||
    fail "user postfix cannot connect to the milter socket ($(stat -c '%A %U:%G' "$SOCK"))"
item "acm-milter:  pid $MPID, user ${MUSER%%:*}, socket $SOCK"
item "             config $CONF"

# (no separate `postfix check`: it takes seconds; `postfix start` refuses a broken configuration)
postfix_setup --no-check --boxes "admin@example.com someone@example.com" \
    --milter "{ unix:$SOCK, default_action=accept }"
PORT=$PF_PORT
postfix_start
item "Postfix:     master pid $MASTER_PID, smtpd 127.0.0.1:$PORT, config $PCONF/main.cf"
item "             smtpd_milters = { unix:$SOCK, default_action=accept }"

# ---------------------------------------------------------------- 5. send
step 5 "Sending two messages over SMTP"
send() { send_msg "$PORT" "$(sender_of "$3" "$2")" "$1" "$3"; }
subject() { sed -n '/^\r\{0,1\}$/q; s/^Subject:[[:space:]]*//p' "$1" | head -n1 | tr -d '\r'; }
QID_ACM=$(send "$ACM_RCPT" no-reply@certificates.amazon.com "$ACM_EML") ||
    fail "Postfix refused the ACM message: $(tail -n1 "$T/log/send.err")"
item "$(printf 'ACM validation message -> %-20s queue id %s  ("%s")' "$ACM_RCPT" "$QID_ACM" "$(subject "$ACM_EML")")"
QID_ORD=$(send someone@example.com sender@example.org "$ORD_EML") ||
    fail "Postfix refused the ordinary message: $(tail -n1 "$T/log/send.err")"
item "$(printf 'ordinary message       -> %-20s queue id %s  ("%s")' someone@example.com "$QID_ORD" "$(subject "$ORD_EML")")"

# ---------------------------------------------------------------- 6. wait
step 6 "Waiting for the decision, the approval and the deliveries (at most $TIMEOUT s)"
dlines() { mlines "$1" | sed 's/^.*\(acm-milter\[\)/\1/'; }
approval_final() { dlines "$QID_ACM: approval=(approved|already-approved|failed|expired) " | grep -q .; }
decided_other() { dlines "$QID_ACM: decision=" | grep -qv ': decision=approve '; }
all_done() {
    maildir_file example.com/admin >/dev/null && maildir_file example.com/someone >/dev/null &&
        { approval_final || decided_other; }
}
t0=$(date +%s%N)
if ! poll "$TIMEOUT" all_done; then
    why=''
    dlines "$QID_ACM: decision=" | grep -q . || why="$why; no decision line for $QID_ACM in syslog"
    approval_final || why="$why; the request is not approved yet (last line: $(dlines "$QID_ACM: approval=" | tail -n1 | sed 's/^[^ ]* [^ ]* //; s/ arn=[^ ]*//'))"
    maildir_file example.com/admin >/dev/null || why="$why; the ACM message was not delivered"
    maildir_file example.com/someone >/dev/null || why="$why; the ordinary message was not delivered"
    postqueue -c "$PCONF" -p >>"$LOG" 2>&1
    fail "not done after $TIMEOUT s${why}"
fi
item "done in $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
decided_other && fail "acm-milter did not approve: $(dlines "$QID_ACM: decision=" | sed 's/^[^ ]* [^ ]* //')"
F_ACM=$(maildir_file example.com/admin)
F_ORD=$(maildir_file example.com/someone)
dlines "$QID_ACM: approval=approved " | grep -q . ||
    fail "the request was not approved: $(dlines "$QID_ACM: approval=" | tail -n1)"

# ---------------------------------------------------------------- 7. results
step 7 "What happened"
"$ACM_MILTER" -x "$CONF" -q >"$T/log/q.out" 2>"$T/log/q.err" || fail "acm-milter -q failed: $(head -n2 "$T/log/q.err")"
hdr=$("$PY" "$LIB/msgcheck.py" header "$F_ACM" X-ACM-Milter)
[ -n "$hdr" ] || fail "the delivered ACM message has no X-ACM-Milter header"
ord_diff=$("$PY" "$LIB/msgcheck.py" same "$ORD_EML" "$F_ORD") || fail "the ordinary message was changed: $ord_diff"
# everything is gathered: start stopping now (libmilter notices SIGTERM only every 5 s)
postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
for p in $MPID $FAKE_PID; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
say ""
say "  acm-milter's syslog lines (facility mail), decision= and approval=:"
dlines '[0-9A-Za-z]+: (decision|approval)=' | sed 's/^/    /'
ord_lines=$(dlines "$QID_ORD: ")
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
