#!/bin/bash
# End-to-end test of acm-milter with a real Postfix on loopback.
#
# Run from the repo root, as root:   bash tests/e2e/postfix.sh
#
# What it does (the harness is tests/lib/, see tests/README.md): in a private
# mount namespace, a syslog sink on /dev/log, a private Postfix instance on
# 127.0.0.1:<free port> with virtual Maildir delivery of example.com and
# other.org, acm-milter as a daemon (no -f) with a config derived from
# tests/data/test.conf on a unix socket; sends three messages over SMTP, waits
# for delivery and checks the delivered messages, the milter's syslog lines and
# Postfix's log. Everything it starts is stopped and checked gone at the end.
#
# Environment:
#   ACM_MILTER=PATH          binary under test (default milter/acm-milter)
#   E2E_NO_MILTER=1          Postfix only: prove delivery without any milter
#   E2E_MILTER_FOREGROUND=1  start the milter with -f (assertions still on syslog)
#   E2E_MILTER_USER=USER     UserID for the milter (default postfix, see below)
#   E2E_TIMEOUT=SECONDS      bound for each poll (default 60)
#   E2E_KEEP=1               keep the temp dir (always printed on failure)
#   PYTHON=python3           python interpreter (standard library only)
#
# Exit status: 0 all assertions passed, 1 some failed, 2 cannot run (setup).

. "$(dirname "$0")/../lib/common.sh"
. "$LIB/syslog.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
. "$LIB/mta.sh"

TIMEOUT=${E2E_TIMEOUT:-60}
NO_MILTER=${E2E_NO_MILTER:-}
# The daemon makes its socket UserID's user and group, mode 0660. With
# UserID user:group the socket gets that group: the test runs the milter as
# nobody:postfix, so Postfix's smtpd gets in without changing any account.
# E2E_MILTER_USER=nobody shows what happens without that (Permission denied).
MUSER=${E2E_MILTER_USER:-nobody:postfix}
LIB_KEEP=${E2E_KEEP:-}

CORPUS=tests/data/corpus
ACM_EML=${E2E_ACM_EML:-$CORPUS/new-alt-7bit-qp.eml}
ORD_EML=${E2E_ORD_EML:-$CORPUS/ordinary.eml}
TEST_CONF=${E2E_TEST_CONF:-tests/data/test.conf}

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "must run as root (private Postfix instance, /dev/log)"
for c in "$PY" setpriv timeout; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
for f in "$ACM_EML" "$ORD_EML"; do [ -f "$f" ] || die "missing $f"; done
if [ -z "$NO_MILTER" ]; then
    [ -f "$TEST_CONF" ] || die "missing $TEST_CONF"
    [ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"
fi
lib_reexec_ns -- "$@"
lib_init e2e

milter_paths
[ -z "$NO_MILTER" ] && syslog_start
MSPEC=unix:$SOCK
[ -n "$NO_MILTER" ] && MSPEC=''
postfix_setup --boxes "admin@example.com postmaster@example.com someone@example.com admin@other.org someone@other.org" \
    --milter "$MSPEC"
PORT=$PF_PORT

# ---------------------------------------------------------------- milter
if [ -z "$NO_MILTER" ]; then
    # test.conf with relative paths made absolute (the daemon may chdir), our
    # own spool, socket, user and pid file.
    MCONF=$T/acm-milter.conf
    conf_from_test "$MCONF" "$TEST_CONF" "Socket unix:$SOCK" "UserID $MUSER" "PidFile $PIDFILE"
    conf_check "$MCONF" "the e2e config"
    t0=$EPOCHREALTIME
    if ! milter_start ${E2E_MILTER_FOREGROUND:+-f} "$MCONF"; then
        fail "milter did not start: $MILTER_WHY"
        exit 1
    fi
    ok "milter socket answers after $(secs "$t0" "$EPOCHREALTIME") s"
    if [ "$MPID" = "$LAUNCHER_PID" ]; then
        info "milter pid $MPID: stays attached (did not daemonize)"
    else
        info "milter pid $MPID: daemonized, pid from PidFile"
    fi
    info "milter runs as $(stat -c %U "/proc/$MPID"); socket: $(stat -c '%A %U:%G' "$SOCK")"
    # can Postfix's smtpd (user postfix) reach the socket?
    if sock_connects_as postfix "$SOCK" 2>"$T/log/connect.err"; then
        ok "user postfix can connect to the milter socket"
    else
        fail "user postfix cannot connect to the milter socket ($(stat -c '%A %U:%G' "$SOCK")): $(tail -n1 "$T/log/connect.err")"
    fi
fi

# ---------------------------------------------------------------- start Postfix
postfix_start

# ---------------------------------------------------------------- send
mta_send_three "$PORT"

# ---------------------------------------------------------------- delivery
delivered_all() {
    maildir_file example.com/admin >/dev/null && maildir_file example.com/someone >/dev/null &&
        maildir_file example.com/postmaster >/dev/null
}
t0=$SECONDS
if poll "$TIMEOUT" delivered_all; then
    ok "all three messages delivered to the Maildirs ($((SECONDS - t0)) s)"
else
    fail "not all messages delivered within $TIMEOUT s; queue:"
    postqueue -c "$PCONF" -p 2>&1 | sed 's/^/#   /'
fi
F_ACM=$(maildir_file example.com/admin)
F_ORD=$(maildir_file example.com/someone)
F_PM=$(maildir_file example.com/postmaster)

# Postfix's log: each queue id delivered to its recipient
pf_sent() {
    check "postfix log: $1 to=<$2> status=sent (delivered to maildir)" \
        poll 10 grep -qE "postfix/virtual\[[0-9]+\]: $1: to=<$2>,.* status=sent \(delivered to maildir\)" "$PLOG"
}
mta_each_sent pf_sent
mta_check_received "$F_ACM" "with ESMTP id"

mta_check_ordinary "$F_ORD" "$F_PM"

if [ -n "$NO_MILTER" ]; then
    if [ -n "$F_ACM" ]; then
        out=$("$PY" "$LIB/msgcheck.py" same "$ACM_EML" "$F_ACM")
        check "ACM message (no milter): delivered unchanged${out:+: $out}" test -z "$out"
    fi
    check "postfix log: no fatal/panic" bash -c "! grep -E 'postfix/[a-z-]+\[[0-9]+\]: (fatal|panic):' '$PLOG'"
    exit 0
fi

# ---------------------------------------------------------------- milter results
mta_check_acm "$F_ACM"
mta_check_decision
check "postfix log: $QID_ACM is the queue id of the ACM message (cleanup + smtpd lines)" \
    bash -c "grep -qE 'postfix/cleanup\[[0-9]+\]: $QID_ACM: message-id=' '$PLOG' && grep -qE 'postfix/smtpd\[[0-9]+\]: $QID_ACM: client=' '$PLOG'"
mta_check_quiet

# Postfix's log: no milter trouble
mw=$(grep -iE 'milter' "$PLOG" | grep -iE '(warning|error|fatal|panic)')
check "postfix log: no warning/error about the milter${mw:+: $mw}" test -z "$mw"
check "postfix log: no fatal/panic" bash -c "! grep -E 'postfix/[a-z-]+\[[0-9]+\]: (fatal|panic):' '$PLOG'"
w=$(grep -E 'postfix/[a-z-]+\[[0-9]+\]: warning:' "$PLOG" | grep -v 'milter')
[ -n "$w" ] && { info "other Postfix warnings:"; sed 's/^/#   /' <<<"$w"; }
check "milter still running after the messages" alive "$MPID"

# ---------------------------------------------------------------- stop
check "postfix stop: master $MASTER_PID gone" postfix_stop
P=$MPID
kill -TERM "$P" 2>/dev/null
t0=$EPOCHREALTIME
check "milter $P stops on SIGTERM" wait_gone "$P" 60
info "milter stopped $(secs "$t0" "$EPOCHREALTIME") s after SIGTERM"
how=""
if [ "$P" = "$LAUNCHER_PID" ]; then # our child (-f): its exit status is known
    wait "$P"; mrc=$?
    how="exit status $mrc"
    [ "$mrc" -gt 128 ] && how="$how: killed by signal $((mrc - 128)), not an orderly libmilter stop"
fi
MPID=$P
mta_check_clean_stop "$how"
exit 0
