#!/bin/bash
# End-to-end test of acm-milter with a real Postfix on loopback.
#
# Run from the repo root, as root:   bash tests/e2e/postfix.sh
#
# What it does: builds a private Postfix instance in a temp dir (its own
# config_directory, queue_directory, data_directory, no chroot, smtpd on
# 127.0.0.1:<free port>, virtual Maildir delivery of example.com and other.org,
# Postfix's own log in maillog_file), a syslog sink on /dev/log (created if
# absent; otherwise bind-mounted over /dev/log inside `unshare -m` so the host
# syslog is not touched), starts acm-milter as a daemon (no -f) with a config
# derived from tests/data/test.conf, sends three messages over SMTP, waits for
# delivery and checks the delivered messages, the milter's syslog lines and
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

set -u
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$ROOT" || exit 2
HERE=$ROOT/tests/e2e
# /usr/bin/python3 first: the socket check runs it as user postfix, who may
# not reach an interpreter under /root (pyenv and the like)
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
TIMEOUT=${E2E_TIMEOUT:-60}
NO_MILTER=${E2E_NO_MILTER:-}
# The daemon makes its socket UserID's user and group, mode 0660. With
# UserID user:group the socket gets that group: the test runs the milter as
# nobody:postfix, so Postfix's smtpd gets in without changing any account.
# E2E_MILTER_USER=nobody shows what happens without that (Permission denied).
MUSER=${E2E_MILTER_USER:-nobody:postfix}
# Maildirs are owned by nobody (virtual_uid_maps), independent of the milter user.
VUSER=nobody
ACM_MILTER=${ACM_MILTER:-milter/acm-milter}
case $ACM_MILTER in /*) ;; *) ACM_MILTER=$ROOT/$ACM_MILTER ;; esac

CORPUS=tests/data/corpus
ACM_EML=${E2E_ACM_EML:-$CORPUS/new-alt-7bit-qp.eml}
ORD_EML=${E2E_ORD_EML:-$CORPUS/ordinary.eml}
TEST_CONF=${E2E_TEST_CONF:-tests/data/test.conf}

die() { echo "FAIL - setup: $*"; exit 2; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "must run as root (private Postfix instance, /dev/log)"
for c in postfix postconf "$PY" setpriv timeout; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
id postfix >/dev/null 2>&1 || die "no user postfix (install the postfix package)"
getent group postdrop >/dev/null 2>&1 || die "no group postdrop (install the postfix package)"
id "${MUSER%%:*}" >/dev/null 2>&1 || die "no user ${MUSER%%:*}"
id "$VUSER" >/dev/null 2>&1 || die "no user $VUSER"
for f in "$ACM_EML" "$ORD_EML"; do [ -f "$f" ] || die "missing $f"; done
if [ -z "$NO_MILTER" ]; then
    [ -f "$TEST_CONF" ] || die "missing $TEST_CONF"
    [ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"
fi

# If a /dev/log exists (host syslog), re-run in a private mount namespace and
# bind-mount our sink over it there, so the host's syslog is left alone.
if [ -z "$NO_MILTER" ] && [ -z "${E2E_IN_NS:-}" ] && { [ -e /dev/log ] || [ -L /dev/log ]; }; then
    [ -e /dev/log ] || die "/dev/log is a dangling symlink; cannot bind-mount over it"
    command -v unshare >/dev/null 2>&1 || die "missing command: unshare (util-linux)"
    exec unshare -m --propagation private env E2E_IN_NS=1 bash "$HERE/postfix.sh" "$@"
fi

# ---------------------------------------------------------------- bookkeeping
FAILS=0
PASSES=0
ok()   { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $*"; }
info() { echo "# $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else fail "$d"; fi
}

T=$(mktemp -d /tmp/acm-e2e.XXXXXX) || die "mktemp"
chmod 755 "$T"
PCONF=$T/etc            # Postfix config_directory
PLOG=$T/log/postfix.log # Postfix maillog_file
SYSLOG=$T/log/syslog.log
MCONF=$T/acm-milter.conf
SOCK=$T/run/acm.sock
PIDFILE=$T/run/acm-milter.pid

SINK_PID='' LAUNCHER_PID='' MPID='' MASTER_PID='' DEVLOG_MODE='' DEVLOG_ID='' CLEANED='' START=$SECONDS
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
# processes of the private Postfix instance: cwd in our queue directory, or
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

show_logs() {
    local f
    for f in "$PLOG" "$SYSLOG" "$T/log/milter.err" "$T/log/milter.out" "$T/log/postfix-ctl.log" "$T/log/sink.err"; do
        [ -s "$f" ] || continue
        echo "# ---- $f (last 40 lines)"
        tail -n 40 "$f" | sed 's/^/#   /'
    done
}

cleanup() {
    [ -n "$CLEANED" ] && return
    CLEANED=1
    local p left=""
    # Postfix
    if alive "$MASTER_PID" || { [ -z "$MASTER_PID" ] && [ -f "$PCONF/main.cf" ] &&
        postfix -c "$PCONF" status >/dev/null 2>&1; }; then
        postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
    fi
    [ -n "$MASTER_PID" ] && { wait_gone "$MASTER_PID" 15 || kill -KILL "$MASTER_PID" 2>/dev/null; }
    for p in $(instance_pids); do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
    # milter
    for p in $MPID $LAUNCHER_PID; do
        alive "$p" || continue
        kill -TERM "$p" 2>/dev/null
        wait_gone "$p" 15 || { echo "# $p did not stop on SIGTERM; SIGKILL"; kill -KILL "$p" 2>/dev/null; wait_gone "$p" 5; }
    done
    # syslog sink
    if alive "$SINK_PID"; then
        kill -TERM "$SINK_PID" 2>/dev/null
        wait_gone "$SINK_PID" 5 || kill -KILL "$SINK_PID" 2>/dev/null
    fi
    case $DEVLOG_MODE in
        bind) umount /dev/log 2>/dev/null ;; # our namespace only; it dies with us anyway
        create)
            # remove /dev/log only if it is still the socket our sink made
            if [ -S /dev/log ] && [ "$(stat -c %d:%i /dev/log 2>/dev/null)" = "$DEVLOG_ID" ]; then
                rm -f /dev/log
            fi ;;
    esac
    # nothing we started may be left
    for p in "${STARTED_PIDS[@]}" $MPID $(instance_pids); do
        alive "$p" && left="$left $p($({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-60))"
    done
    if [ -n "$left" ]; then
        fail "processes left after cleanup:$left"
    else
        ok "no process left (postfix master ${MASTER_PID:-?}, milter ${MPID:-none}, sink ${SINK_PID:-none})"
    fi
    if [ "$DEVLOG_MODE" = create ]; then
        if [ -e /dev/log ] && [ "$(stat -c %d:%i /dev/log 2>/dev/null)" = "$DEVLOG_ID" ]; then
            fail "/dev/log created by the test is still there"
        else
            ok "/dev/log created by the test was removed"
        fi
    fi
    if [ "$FAILS" -gt 0 ]; then
        show_logs
    fi
    if [ -n "${E2E_KEEP:-}" ] || [ "$FAILS" -gt 0 ]; then
        echo "# temp dir kept: $T"
    else
        rm -rf "$T"
    fi
}

finish() {
    local rc=$?
    cleanup
    echo "# $PASSES passed, $FAILS failed, $((SECONDS - START)) s"
    if [ "$FAILS" -gt 0 ]; then exit 1; fi
    exit "$rc"
}
trap finish EXIT
trap 'trap "" INT TERM HUP; echo "# interrupted"; FAILS=$((FAILS + 1)); exit 1' INT TERM HUP
# If whoever reads our output goes away (| head), keep going and clean up.
trap '' PIPE

mkdir -p "$PCONF" "$T/queue" "$T/data" "$T/mail" "$T/log" "$T/run" "$T/spool" || die "mkdir"
chown postfix: "$T/data"
chmod 700 "$T/data"
MUID=$(id -u "${MUSER%%:*}")
case $MUSER in *:*) MGID=$(getent group "${MUSER#*:}" | cut -d: -f3) ;; *) MGID=$(id -g "$MUSER") ;; esac
VUID=$(id -u "$VUSER")
VGID=$(id -g "$VUSER")
chown "$VUID:$VGID" "$T/mail"
chown "$MUID:$MGID" "$T/run" "$T/spool"
chmod 755 "$T/run"
chmod 700 "$T/spool"

# ---------------------------------------------------------------- syslog sink
start_sink() { # start_sink SOCKETPATH
    "$PY" "$HERE/syslog-sink.py" "$1" "$SYSLOG" "$T/run/sink.ready" 2>"$T/log/sink.err" &
    SINK_PID=$!
    STARTED_PIDS+=("$SINK_PID")
    poll 10 test -s "$T/run/sink.ready" || die "syslog sink did not start: $(cat "$T/log/sink.err")"
}
if [ -z "$NO_MILTER" ]; then
    : >"$SYSLOG"
    if [ -e /dev/log ] || [ -L /dev/log ]; then
        [ -n "${E2E_IN_NS:-}" ] || die "/dev/log exists but not in a private mount namespace"
        start_sink "$T/run/devlog"
        mount --bind "$T/run/devlog" /dev/log || die "mount --bind over /dev/log failed"
        DEVLOG_MODE=bind
        info "syslog: /dev/log exists; bind-mounted $T/run/devlog over it in a private mount namespace"
    else
        start_sink /dev/log
        DEVLOG_MODE=create
        DEVLOG_ID=$(stat -c %d:%i /dev/log)
        info "syslog: created /dev/log (sink pid $SINK_PID), removed at the end"
    fi
    logger_probe="acm-e2e-probe-$$-$RANDOM"
    "$PY" -c 'import sys, syslog; syslog.openlog("acm-e2e"); syslog.syslog(syslog.LOG_INFO, sys.argv[1])' "$logger_probe"
    poll 5 grep -q "$logger_probe" "$SYSLOG" || die "syslog sink does not receive /dev/log datagrams"
fi

# ---------------------------------------------------------------- Postfix instance
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || die "no free port"

cat >"$PCONF/main.cf" <<EOF
# private Postfix instance of tests/e2e/postfix.sh
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.e2e.invalid
mydomain = e2e.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
relayhost =
default_transport = error:this test delivers no outbound mail
alias_maps =
alias_database =
local_recipient_maps =
append_dot_mydomain = no
biff = no
smtpd_banner = \$myhostname ESMTP
smtpd_peername_lookup = no
maillog_file = $PLOG
maillog_file_prefixes = $T/log
virtual_mailbox_domains = example.com, other.org
virtual_mailbox_base = $T/mail
virtual_mailbox_maps = texthash:$PCONF/vmailbox
virtual_uid_maps = static:$VUID
virtual_gid_maps = static:$VGID
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
if [ -n "$NO_MILTER" ]; then
    echo "smtpd_milters =" >>"$PCONF/main.cf"
else
    cat >>"$PCONF/main.cf" <<EOF
smtpd_milters = unix:$SOCK
non_smtpd_milters =
milter_default_action = accept
EOF
fi

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
virtual          unix  -       n       n       -       -       virtual
anvil            unix  -       -       n       -       1       anvil
scache           unix  -       -       n       -       1       scache
postlog          unix-dgram n  -       n       -       1       postlogd
EOF

cat >"$PCONF/vmailbox" <<EOF
admin@example.com       example.com/admin/
postmaster@example.com  example.com/postmaster/
someone@example.com     example.com/someone/
admin@other.org         other.org/admin/
someone@other.org       other.org/someone/
EOF

postfix -c "$PCONF" check >>"$T/log/postfix-ctl.log" 2>&1 || { cat "$T/log/postfix-ctl.log"; die "postfix check failed"; }

# ---------------------------------------------------------------- milter
if [ -z "$NO_MILTER" ]; then
    # test.conf with relative paths made absolute (the daemon may chdir), our
    # own spool, socket, user and pid file.
    awk -v root="$ROOT" -v spool="$T/spool" '
        { k = tolower($1) }
        k == "socket" || k == "userid" || k == "pidfile" { next }
        k == "spooldir" { print "SpoolDir " spool; next }
        (k == "allowlist" || k == "dkimtestkeys" || k == "cafile") && $2 !~ /^\// {
            print $1 " " root "/" $2; next }
        { print }' "$TEST_CONF" >"$MCONF"
    cat >>"$MCONF" <<EOF
Socket unix:$SOCK
UserID $MUSER
PidFile $PIDFILE
EOF
    chmod 644 "$MCONF"
    if "$ACM_MILTER" -x "$MCONF" -n >"$T/log/milter-n.out" 2>&1; then
        ok "acm-milter -n accepts the e2e config"
    else
        fail "acm-milter -n rejects the e2e config: $(cat "$T/log/milter-n.out")"
    fi

    margs=(-x "$MCONF")
    [ -n "${E2E_MILTER_FOREGROUND:-}" ] && margs+=(-f)
    "$ACM_MILTER" "${margs[@]}" </dev/null >"$T/log/milter.out" 2>"$T/log/milter.err" &
    LAUNCHER_PID=$!
    STARTED_PIDS+=("$LAUNCHER_PID")
    launcher_rc=
    for ((i = 0; i < TIMEOUT * 10; i++)); do
        [ -S "$SOCK" ] && break
        if ! alive "$LAUNCHER_PID" && [ -z "$launcher_rc" ]; then
            wait "$LAUNCHER_PID"; launcher_rc=$?
            [ "$launcher_rc" = 0 ] || break
        fi
        sleep 0.1
    done
    if [ -z "$launcher_rc" ] && ! alive "$LAUNCHER_PID"; then wait "$LAUNCHER_PID"; launcher_rc=$?; fi
    if [ ! -S "$SOCK" ]; then
        fail "milter socket $SOCK did not appear (launcher exit status ${launcher_rc:-running})"
        exit 1
    fi
    ok "milter socket appeared after $((i / 10)).$((i % 10)) s"
    # which process is the daemon: the pid file, else the process we started
    if [ -s "$PIDFILE" ] && alive "$(head -n1 "$PIDFILE")"; then
        MPID=$(head -n1 "$PIDFILE")
    elif alive "$LAUNCHER_PID"; then
        MPID=$LAUNCHER_PID
    fi
    if [ -z "$MPID" ]; then
        fail "cannot find the milter daemon pid (no live pid in $PIDFILE, launcher exited $launcher_rc)"
        exit 1
    fi
    STARTED_PIDS+=("$MPID")
    if [ "$MPID" = "$LAUNCHER_PID" ]; then
        info "milter pid $MPID: stays attached (did not daemonize)"
    else
        info "milter pid $MPID: daemonized (launcher exited $launcher_rc), pid from PidFile"
    fi
    info "milter runs as $(stat -c %U "/proc/$MPID"); socket: $(stat -c '%A %U:%G' "$SOCK")"
    # can Postfix's smtpd (user postfix) reach the socket?
    if setpriv --reuid=postfix --regid=postfix --init-groups "$PY" -c \
        'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>"$T/log/connect.err"; then
        ok "user postfix can connect to the milter socket"
    else
        fail "user postfix cannot connect to the milter socket ($(stat -c '%A %U:%G' "$SOCK")): $(tail -n1 "$T/log/connect.err")"
    fi
fi

# ---------------------------------------------------------------- start Postfix
if postfix -c "$PCONF" start >>"$T/log/postfix-ctl.log" 2>&1; then
    MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    STARTED_PIDS+=("$MASTER_PID")
    ok "private Postfix started (master pid $MASTER_PID, smtpd 127.0.0.1:$PORT)"
else
    fail "postfix start: $(tail -n5 "$T/log/postfix-ctl.log")"
    exit 1
fi
if grep -q 'warning' "$T/log/postfix-ctl.log"; then
    info "postfix check/start warnings:"; grep 'warning' "$T/log/postfix-ctl.log" | sed 's/^/#   /'
fi
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; }
poll "$TIMEOUT" port_open || { fail "smtpd does not listen on 127.0.0.1:$PORT"; exit 1; }

# ---------------------------------------------------------------- send
send() { # send SENDER RCPT FILE -> queue id on stdout
    "$PY" "$HERE/smtp-send.py" 127.0.0.1 "$PORT" "$1" "$2" "$3" 2>>"$T/log/send.err"
}
sender_of() { # envelope sender: the message's Return-Path, else $2
    local r
    r=$(sed -n '/^\r\{0,1\}$/q; s/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/Ip' "$1" | head -n1)
    echo "${r:-$2}"
}
ACM_FROM=$(sender_of "$ACM_EML" no-reply@certificates.amazon.com)
ORD_FROM=$(sender_of "$ORD_EML" sender@other.org)
info "envelope senders: $ACM_FROM (ACM), $ORD_FROM (ordinary)"
QID_ACM=$(send "$ACM_FROM" admin@example.com "$ACM_EML")
check "SMTP accepted $ACM_EML for admin@example.com (queue id ${QID_ACM:-none})" test -n "$QID_ACM"
QID_ORD=$(send "$ORD_FROM" someone@example.com "$ORD_EML")
check "SMTP accepted $ORD_EML for someone@example.com (queue id ${QID_ORD:-none})" test -n "$QID_ORD"
QID_PM=$(send "$ORD_FROM" postmaster@example.com "$ORD_EML")
check "SMTP accepted $ORD_EML for postmaster@example.com (queue id ${QID_PM:-none})" test -n "$QID_PM"
[ -s "$T/log/send.err" ] && sed 's/^/# /' "$T/log/send.err"

# ---------------------------------------------------------------- delivery
maildir_file() { # the single delivered file of a Maildir, if any
    local f
    for f in "$T/mail/$1/new/"*; do [ -f "$f" ] && { echo "$f"; return 0; }; done
    return 1
}
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
for pair in "$QID_ACM admin@example.com" "$QID_ORD someone@example.com" "$QID_PM postmaster@example.com"; do
    set -- $pair
    [ -n "${2:-}" ] || continue
    check "postfix log: $1 to=<$2> status=sent (delivered to maildir)" \
        poll 10 grep -qE "postfix/virtual\[[0-9]+\]: $1: to=<$2>,.* status=sent \(delivered to maildir\)" "$PLOG"
done
if [ -n "$F_ACM" ] && [ -n "$QID_ACM" ]; then
    check "delivered ACM message's Received header has the queue id $QID_ACM" \
        grep -q "with ESMTP id $QID_ACM" <("$PY" "$HERE/msgcheck.py" header "$F_ACM" Received)
fi

# the ordinary messages: byte-identical body, headers only prepended, no X-ACM-Milter
for pair in "someone $F_ORD" "postmaster $F_PM"; do
    set -- $pair
    [ -n "${2:-}" ] || { fail "ordinary message to $1@example.com not delivered"; continue; }
    out=$("$PY" "$HERE/msgcheck.py" same "$ORD_EML" "$2")
    check "ordinary message to $1@example.com: body byte-identical, headers unchanged${out:+: $out}" test -z "$out"
    n=$("$PY" "$HERE/msgcheck.py" header "$2" X-ACM-Milter | wc -l)
    check "ordinary message to $1@example.com has no X-ACM-Milter header (found $n)" test "$n" = 0
done

if [ -n "$NO_MILTER" ]; then
    if [ -n "$F_ACM" ]; then
        out=$("$PY" "$HERE/msgcheck.py" same "$ACM_EML" "$F_ACM")
        check "ACM message (no milter): delivered unchanged${out:+: $out}" test -z "$out"
    fi
    check "postfix log: no fatal/panic" bash -c "! grep -E 'postfix/[a-z-]+\[[0-9]+\]: (fatal|panic):' '$PLOG'"
    exit 0
fi

# ---------------------------------------------------------------- milter results
if [ -n "$F_ACM" ]; then
    hdr=$("$PY" "$HERE/msgcheck.py" header "$F_ACM" X-ACM-Milter)
    n=$(printf '%s' "$hdr" | grep -c .)
    check "ACM message has exactly one X-ACM-Milter header (found $n)" test "$n" = 1
    info "X-ACM-Milter: $hdr"
    check "X-ACM-Milter contains 'decision=approve reason=allowlisted'" \
        grep -q 'decision=approve reason=allowlisted' <<<"$hdr"
    out=$("$PY" "$HERE/msgcheck.py" same "$ACM_EML" "$F_ACM" X-ACM-Milter)
    check "ACM message: body byte-identical, original headers unchanged${out:+: $out}" test -z "$out"
    printf '%s\n' "$hdr" >"$T/log/x-acm-milter.txt"
else
    fail "ACM message to admin@example.com not delivered"
fi

# syslog: the decision line with the real queue id and the daemon's pid
poll 10 grep -q "acm-milter\[[0-9]*\]: $QID_ACM: approval=" "$SYSLOG"
line=$(grep -E "acm-milter\[[0-9]+\]: $QID_ACM: decision=" "$SYSLOG")
info "syslog: ${line:-<no decision line for $QID_ACM>}"
check "syslog sink: 'acm-milter[$MPID]: $QID_ACM: decision=approve reason=allowlisted ...'" \
    grep -qE "acm-milter\[$MPID\]: $QID_ACM: decision=approve reason=allowlisted( |$)" <<<"$line"
check "syslog sink: exactly one decision line for $QID_ACM" test "$(grep -c . <<<"$line")" = 1
check "syslog sink: decision line has rcpt=admin@example.com" \
    grep -qE " rcpt=admin@example\.com( |$)" <<<"$line"
check "syslog sink: decision line has rule=.../tests/data/allowlist:1" \
    grep -qE " rule=[^ ]*allowlist:1( |$)" <<<"$line"
pri=$(sed -n 's/^<\([0-9]*\)>.*/\1/p' <<<"$line" | head -n1)
check "syslog sink: decision line logged with facility mail (PRI <${pri:-?}>)" test -n "$pri" -a "$((${pri:-0} >> 3))" = 2
check "syslog sink: '$QID_ACM: approval=queued' (dry-run)" \
    grep -qE "acm-milter\[$MPID\]: $QID_ACM: approval=queued( |$)" "$SYSLOG"
check "postfix log: $QID_ACM is the queue id of the ACM message (cleanup + smtpd lines)" \
    bash -c "grep -qE 'postfix/cleanup\[[0-9]+\]: $QID_ACM: message-id=' '$PLOG' && grep -qE 'postfix/smtpd\[[0-9]+\]: $QID_ACM: client=' '$PLOG'"
check "syslog sink: no line for someone@example.com's message $QID_ORD" \
    bash -c "! grep -E 'acm-milter\[$MPID\]: ' '$SYSLOG' | grep -qE '(: $QID_ORD: |someone@example\.com)'"
pm=$(grep -E "acm-milter\[[0-9]+\]: $QID_PM: " "$SYSLOG")
if [ -n "$pm" ]; then
    info "syslog for postmaster@ ordinary message: $pm"
    check "syslog sink: postmaster@ ordinary message $QID_PM logged as decision=ignore reason=not-acm" \
        grep -qE ": $QID_PM: decision=ignore reason=not-acm( |$)" <<<"$pm"
else
    info "no syslog line for the ordinary message to postmaster@ ($QID_PM)"
fi
# secrets (safety rule 7): neither code nor context in syslog, header, stderr
out=$("$PY" "$HERE/msgcheck.py" grep-secret "$ACM_EML" "$SYSLOG" "$T/log/x-acm-milter.txt" "$T/log/milter.err" "$T/log/milter.out")
check "approval code/context not in syslog, X-ACM-Milter header or milter output${out:+: $out}" test -z "$out"

# Postfix's log: no milter trouble
mw=$(grep -iE 'milter' "$PLOG" | grep -iE '(warning|error|fatal|panic)')
check "postfix log: no warning/error about the milter${mw:+: $mw}" test -z "$mw"
check "postfix log: no fatal/panic" bash -c "! grep -E 'postfix/[a-z-]+\[[0-9]+\]: (fatal|panic):' '$PLOG'"
w=$(grep -E 'postfix/[a-z-]+\[[0-9]+\]: warning:' "$PLOG" | grep -v 'milter')
[ -n "$w" ] && { info "other Postfix warnings:"; sed 's/^/#   /' <<<"$w"; }
check "milter still running after the messages" alive "$MPID"

# ---------------------------------------------------------------- stop
postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
check "postfix stop: master $MASTER_PID gone" wait_gone "$MASTER_PID" 15
kill -TERM "$MPID" 2>/dev/null
t0=$(date +%s.%N)
check "milter $MPID stops on SIGTERM" wait_gone "$MPID" 60
info "milter stopped $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after SIGTERM"
how=""
if [ "$MPID" = "$LAUNCHER_PID" ]; then # our child (-f): its exit status is known
    wait "$MPID"; mrc=$?
    how="exit status $mrc"
    [ "$mrc" -gt 128 ] && how="$how: killed by signal $((mrc - 128)), not an orderly libmilter stop"
fi
poll 2 grep -qE "acm-milter\[$MPID\]: stopping" "$SYSLOG"
stopline=$(grep -E "acm-milter\[$MPID\]: stopping" "$SYSLOG")
if [ -n "$stopline" ]; then desc=${stopline#*]: }; else desc="no 'stopping' line: ended without smfi_main returning"; fi
check "syslog sink: milter logged a clean stop ($desc${how:+; $how})" grep -q 'stopping.*clean' <<<"$stopline"
exit 0
