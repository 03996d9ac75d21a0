#!/bin/bash
# End-to-end test of acm-milter with a real Sendmail on loopback.
#
# Run from the repo root, as root:   bash tests/sendmail/run.sh
#
# Postfix and Debian's sendmail-bin conflict as packages, so Sendmail is not
# installed: the test downloads the Debian packages (apt-get download, into
# SENDMAIL_DEB_CACHE) and unpacks them with dpkg -x into its temp dir.
# Nothing outside the temp dir (/run/acm-sm.XXXXXX) is touched (not
# /etc/mail, not the system Postfix), except /dev/log when it is absent
# (created for the syslog sink and removed at the end, as
# tests/e2e/postfix.sh does; while it exists, other programs' syslog lines
# land in our sink too).
#
# What it does, inside a private mount + UTS namespace (unshare -m -u):
#  - sets the namespace's hostname to an FQDN (Sendmail sleeps 60 s at start
#    when its hostname has no dot and does not resolve to one);
#  - a syslog sink on /dev/log (bind-mounted over an existing /dev/log, else
#    created and removed), which receives both Sendmail's and the milter's
#    lines;
#  - builds sendmail.cf with the unpacked m4 and sendmail-cf files from a
#    minimal .mc: daemon on 127.0.0.1:<free port>, every setting file under
#    the temp dir, no DNS (service switch "hosts files", nocanonify),
#    example.com and other.org routed to a program mailer that writes each
#    message to TMP/mail/new/RCPT.PID (no local delivery, no aliases), and
#    INPUT_MAIL_FILTER(`acm', `S=unix:TMP/acm.sock, F=, T=S:4m;R:4m;E:10m');
#  - starts acm-milter as a daemon (no -f) with a config derived from
#    tests/data/test.conf (UserID nobody: Sendmail's smtpd runs as root);
#  - runs the unpacked sendmail with -bD (daemon in the foreground, pid known);
#  - sends new-alt-7bit-qp.eml to admin@example.com, ordinary.eml to
#    someone@example.com and to postmaster@example.com (python3 smtplib);
#  - checks the delivered messages, the X-ACM-Milter header, the milter's
#    decision line with Sendmail's queue id, Sendmail's own log lines; stops
#    everything and checks that nothing is left.
#
# Environment:
#   ACM_MILTER=PATH          binary under test (default milter/acm-milter)
#   SENDMAIL_DEB_CACHE=DIR   where the .debs are kept between runs (default: a
#                            temp dir removed at the end, so every run downloads)
#   SM_TIMEOUT=SECONDS       bound for each poll (default 30)
#   SM_KEEP=1                keep the temp dir (always kept on failure)
#   SM_TMPDIR=DIR            where the temp dir is made (default /run; a path
#                            with a world-writable directory such as /tmp
#                            needs DontBlameSendmail=TrustStickyBit, set then)
#   PYTHON=python3           python interpreter (standard library only)
#
# Debian packages downloaded (never installed): sendmail-bin sendmail-cf m4
# libwrap0 (sendmail links libwrap.so.0; the other libraries it needs,
# libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3, are checked with ldd).
#
# Exit status: 0 all assertions passed, 1 some failed, 2 cannot run (setup,
# including: the packages cannot be downloaded).

set -u
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$ROOT" || exit 2
HERE=$ROOT/tests/sendmail
E2E=$ROOT/tests/lib        # syslog-sink.py, msgcheck.py, smtp-send.py: shared
PY=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
TIMEOUT=${SM_TIMEOUT:-30}
MUSER=nobody
ACM_MILTER=${ACM_MILTER:-milter/acm-milter}
case $ACM_MILTER in /*) ;; *) ACM_MILTER=$ROOT/$ACM_MILTER ;; esac
PKGS="sendmail-bin sendmail-cf m4 libwrap0"
SM_HOSTNAME=mx.sendmail.test

CORPUS=tests/data/corpus
ACM_EML=$CORPUS/new-alt-7bit-qp.eml
ORD_EML=$CORPUS/ordinary.eml
TEST_CONF=tests/data/test.conf

die() { echo "FAIL - setup: $*"; exit 2; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "must run as root (private namespace, /dev/log, sendmail)"
for c in "$PY" dpkg unshare hostname timeout mount; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
id "$MUSER" >/dev/null 2>&1 || die "no user $MUSER"
for f in "$ACM_EML" "$ORD_EML" "$TEST_CONF" "$E2E/syslog-sink.py" "$E2E/msgcheck.py" "$E2E/smtp-send.py"; do
    [ -f "$f" ] || die "missing $f"
done
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"

# Everything runs in a private mount and UTS namespace: our /dev/log bind
# mount and our hostname are invisible to the host.
if [ -z "${SM_IN_NS:-}" ]; then
    unshare -m -u --propagation private true 2>/dev/null ||
        die "cannot create a private mount and UTS namespace (unshare -m -u): not privileged enough"
    exec unshare -m -u --propagation private env SM_IN_NS=1 bash "$HERE/run.sh" "$@"
fi
hostname "$SM_HOSTNAME" || die "cannot set the hostname in the private UTS namespace"

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

# Sendmail refuses a milter socket whose directory path has a world-writable
# component ("local socket name ... unsafe: World writable directory"), and
# /tmp is one: the temp dir goes under /run (root, 0755) like a real socket,
# so Sendmail's default file-safety checks stay on.  Elsewhere only with
# DontBlameSendmail=TrustStickyBit.
TMPBASE=${SM_TMPDIR:-/run}
case $(stat -c '%u %a' "$TMPBASE" 2>/dev/null) in
    "0 755" | "0 750" | "0 700") DBS='' ;;
    *) DBS=TrustStickyBit ;;
esac
T=$(mktemp -d "$TMPBASE/acm-sm.XXXXXX") || die "mktemp in $TMPBASE"
[ -n "$DBS" ] && info "temp dir $T is below a world-writable directory: sendmail.cf gets DontBlameSendmail=$DBS"
chmod 755 "$T"
PKG=$T/pkg                 # unpacked .debs
SMD=$T/sm                  # Sendmail: etc, queue, run, bin (root)
SMCF=$SMD/etc/sendmail.cf
SMPIDF=$SMD/run/sendmail.pid
MAIL=$T/mail               # delivered messages: new/RCPT.PID
SYSLOG=$T/log/syslog.log
MCONF=$T/acm-milter.conf
SOCK=$T/run/acm.sock
PIDFILE=$T/run/acm-milter.pid
SM=$PKG/usr/libexec/sendmail/sendmail

DEB_CACHE=${SENDMAIL_DEB_CACHE:-}
DEB_CACHE_TMP=''
DL_DIR=''
SINK_PID='' LAUNCHER_PID='' MPID='' SM_PID='' DEVLOG_MODE='' DEVLOG_ID='' CLEANED='' START=$SECONDS
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
# processes of our Sendmail: its executable is the unpacked binary, or (the
# delivery program and anything else it runs) its cwd is in our temp dir.
# Sendmail overwrites its argv and environment (proc title), so neither can
# be used.
sm_pids() {
    local p exe cwd
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || cwd=''
        case $p in "$MPID" | "$LAUNCHER_PID" | "$SINK_PID") continue ;; esac
        if [ "$exe" = "$SM" ]; then echo "$p"; continue; fi
        case $cwd in "$T" | "$T"/*) echo "$p" ;; esac
    done
}
describe() { # describe PID: pid(cmdline)
    echo "$1($({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | cut -c1-60))"
}

show_logs() {
    local f
    for f in "$SYSLOG" "$T/log/milter.err" "$T/log/milter.out" "$T/log/sendmail.out" \
        "$T/log/sink.err" "$T/log/send.err" "$T/log/apt.log" "$T/log/m4.err"; do
        [ -s "$f" ] || continue
        echo "# ---- $f (last 60 lines)"
        tail -n 60 "$f" | sed 's/^/#   /'
    done
}

cleanup() {
    [ -n "$CLEANED" ] && return
    CLEANED=1
    local p left=""
    # Sendmail: the daemon, then whatever it forked
    if alive "$SM_PID"; then
        kill -TERM "$SM_PID" 2>/dev/null
        wait_gone "$SM_PID" 10 || { echo "# sendmail $SM_PID did not stop on SIGTERM; SIGKILL"; kill -KILL "$SM_PID" 2>/dev/null; }
    fi
    for p in $(sm_pids); do
        kill -TERM "$p" 2>/dev/null
        wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
    done
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
    for p in "${STARTED_PIDS[@]}" $(sm_pids); do
        alive "$p" && left="$left $(describe "$p")"
    done
    if [ -n "$left" ]; then
        fail "processes left after cleanup:$left"
    else
        ok "no process left (sendmail ${SM_PID:-none}, milter ${MPID:-none}, sink ${SINK_PID:-none})"
    fi
    if [ "$DEVLOG_MODE" = create ]; then
        if [ -e /dev/log ] && [ "$(stat -c %d:%i /dev/log 2>/dev/null)" = "$DEVLOG_ID" ]; then
            fail "/dev/log created by the test is still there"
        else
            ok "/dev/log created by the test was removed"
        fi
    fi
    [ -n "$DL_DIR" ] && rm -rf "$DL_DIR"
    [ -n "$DEB_CACHE_TMP" ] && rm -rf "$DEB_CACHE_TMP"
    if [ "$FAILS" -gt 0 ]; then
        show_logs
    fi
    if [ -n "${SM_KEEP:-}" ] || [ "$FAILS" -gt 0 ]; then
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
trap '' PIPE

mkdir -p "$PKG" "$SMD/etc" "$SMD/mqueue" "$SMD/run" "$SMD/bin" "$MAIL/tmp" "$MAIL/new" \
    "$T/log" "$T/run" "$T/spool" || die "mkdir"
chmod 700 "$SMD/mqueue"
MUID=$(id -u "$MUSER")
MGID=$(id -g "$MUSER")
chown "$MUID:$MGID" "$T/run" "$T/spool"
chmod 755 "$T/run"
chmod 700 "$T/spool"

# ---------------------------------------------------------------- Sendmail packages
t0=$SECONDS
if [ -z "$DEB_CACHE" ]; then
    DEB_CACHE=$(mktemp -d /tmp/acm-sm-debs.XXXXXX) || die "mktemp"
    DEB_CACHE_TMP=$DEB_CACHE
    chmod 755 "$DEB_CACHE"
fi
mkdir -p "$DEB_CACHE" || die "cannot create SENDMAIL_DEB_CACHE=$DEB_CACHE"
deb_of() { # newest cached .deb of package $1
    local f
    f=$(ls "$DEB_CACHE/$1"_*.deb 2>/dev/null | sort -V | tail -n1)
    [ -n "$f" ] && echo "$f"
}
missing=()
for p in $PKGS; do deb_of "$p" >/dev/null || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: cannot download ${missing[*]}"
    # a partial download never reaches the cache: into a fresh directory first
    DL_DIR=$(mktemp -d "$DEB_CACHE/.download.XXXXXX") || die "mktemp in $DEB_CACHE"
    chmod 755 "$DL_DIR"
    # apt drops to _apt for downloading when it can write the directory
    id _apt >/dev/null 2>&1 && chown _apt "$DL_DIR"
    if ! (cd "$DL_DIR" && timeout 300 apt-get download "${missing[@]}") >"$T/log/apt.log" 2>&1; then
        grep -E '^(E|W|Err):' "$T/log/apt.log" | sed 's/^/#   /'
        die "apt-get download ${missing[*]} failed: no access to the Debian package registry (offline?) or no package lists (run apt-get update)"
    fi
    mv "$DL_DIR"/*.deb "$DEB_CACHE"/ || die "moving the downloaded .debs into $DEB_CACHE"
    rm -rf "$DL_DIR"
    DL_DIR=''
    info "downloaded ${missing[*]} into $DEB_CACHE in $((SECONDS - t0)) s"
else
    info "all packages found in $DEB_CACHE"
fi
for p in $PKGS; do
    f=$(deb_of "$p") || die "no .deb of $p in $DEB_CACHE"
    dpkg -x "$f" "$PKG" || die "dpkg -x $f failed"
    info "unpacked $(basename "$f")"
done
[ -x "$SM" ] || die "no $SM in sendmail-bin"
# the package's sendmail is setgid (group mail): a set-id binary runs in
# secure mode and ignores LD_LIBRARY_PATH (our unpacked libwrap0); we run it
# as root anyway, so our copy needs no set-id bit
chmod u-s,g-s "$SM" || die "chmod $SM"
M4=$PKG/usr/bin/m4
CFDIR=$PKG/usr/share/sendmail/cf
[ -x "$M4" ] || die "no m4 in the m4 package"
[ -f "$CFDIR/m4/cf.m4" ] || die "no cf/m4/cf.m4 in sendmail-cf"
# libwrap0 (and anything else unpacked) from the temp dir
SM_LD=$(find "$PKG" -name 'libwrap.so.0*' | head -n1)
[ -n "$SM_LD" ] && SM_LD=$(dirname "$SM_LD")
nf=$(LD_LIBRARY_PATH=$SM_LD ldd "$SM" 2>&1 | grep 'not found')
[ -z "$nf" ] || die "sendmail needs libraries that are not installed: $(echo $nf)"
SM_VERSION=$(basename "$(deb_of sendmail-bin)" .deb)
info "Sendmail: $SM_VERSION, unpacked in $((SECONDS - t0)) s"

# ---------------------------------------------------------------- syslog sink
start_sink() { # start_sink SOCKETPATH
    "$PY" "$E2E/syslog-sink.py" "$1" "$SYSLOG" "$T/run/sink.ready" 2>"$T/log/sink.err" &
    SINK_PID=$!
    STARTED_PIDS+=("$SINK_PID")
    poll 10 test -s "$T/run/sink.ready" || die "syslog sink did not start: $(cat "$T/log/sink.err")"
}
: >"$SYSLOG"
if [ -e /dev/log ] || [ -L /dev/log ]; then
    [ -e /dev/log ] || die "/dev/log is a dangling symlink; cannot bind-mount over it"
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
logger_probe="acm-sm-probe-$$-$RANDOM"
"$PY" -c 'import sys, syslog; syslog.openlog("acm-sm"); syslog.syslog(syslog.LOG_INFO, sys.argv[1])' "$logger_probe"
poll 5 grep -q "$logger_probe" "$SYSLOG" || die "syslog sink does not receive /dev/log datagrams"

# ---------------------------------------------------------------- sendmail.cf
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || die "no free port"

# the delivery program: one file per message and recipient, renamed into new/
# when complete so that a poll never sees half a message
cat >"$SMD/bin/deliver" <<EOF
#!/bin/sh
# filesink mailer of tests/sendmail/run.sh: deliver RCPT < message
umask 022
f="$MAIL/tmp/\$1.\$\$"
cat >"\$f" || exit 75
mv "\$f" "$MAIL/new/\$1.\$\$" || exit 75
exit 0
EOF
chmod 755 "$SMD/bin/deliver"

# no DNS: host names from /etc/hosts only; aliases never used (no local mailer use)
printf 'hosts\tfiles\naliases\tfiles\n' >"$SMD/etc/service.switch"
: >"$SMD/etc/aliases"

# m4 quotes are ` and '; LOCAL_RULE lines need a tab between LHS and RHS
TAB=$(printf '\t')
cat >"$SMD/etc/sendmail.mc" <<EOF
divert(-1)
# private Sendmail instance of tests/sendmail/run.sh
divert(0)dnl
define(\`MAIL_SETTINGS_DIR', \`$SMD/etc/')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SM_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$SMD/mqueue')dnl
define(\`confPID_FILE', \`$SMPIDF')dnl
define(\`confSTATUS_FILE', \`$SMD/etc/statistics')dnl
define(\`confHELP_FILE', \`$PKG/etc/mail/helpfile')dnl
define(\`ALIAS_FILE', \`$SMD/etc/aliases')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SMD/etc/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`LOCAL_MAILER_PATH', \`/bin/false')dnl
define(\`confLOG_LEVEL', \`9')dnl
ifelse(\`$DBS', \`', \`', \`define(\`confDONT_BLAME_SENDMAIL', \`$DBS')')dnl
define(\`confMILTER_LOG_LEVEL', \`15')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confQUEUE_LA', \`1000')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confMIN_FREE_BLOCKS', \`0')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confSMTP_LOGIN_MSG', \`\$j ESMTP')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Port=$PORT, Addr=127.0.0.1, Family=inet, Name=MTA')dnl
RELAY_DOMAIN(\`example.com')dnl
RELAY_DOMAIN(\`other.org')dnl
INPUT_MAIL_FILTER(\`acm', \`S=unix:$SOCK, F=, T=S:4m;R:4m;E:10m')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
LOCAL_CONFIG
C{AcmSink}example.com other.org
MAILER_DEFINITIONS
\`Mfilesink, P=$SMD/bin/deliver, F=lsDFMPhnuS, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, T=DNS/RFC822/X-Unix, A=deliver \$u'
LOCAL_RULE_0
R\$+ < @ \$={AcmSink} . >${TAB}\$#filesink \$@ \$2 \$: \$1 < @ \$2 >
R\$+ < @ \$={AcmSink} >${TAB}\$#filesink \$@ \$2 \$: \$1 < @ \$2 >
EOF
"$M4" -D_CF_DIR_="$CFDIR/" "$CFDIR/m4/cf.m4" "$SMD/etc/sendmail.mc" >"$SMCF" 2>"$T/log/m4.err" ||
    die "m4 failed: $(cat "$T/log/m4.err")"
[ -s "$T/log/m4.err" ] && { info "m4 warnings:"; sed 's/^/#   /' "$T/log/m4.err"; }
grep -q "^O InputMailFilters=acm" "$SMCF" || die "sendmail.cf has no InputMailFilters=acm"
grep -q "^Xacm, S=unix:$SOCK, F=, T=S:4m;R:4m;E:10m" "$SMCF" || die "sendmail.cf lacks the Xacm line"
ok "sendmail.cf built from sendmail-cf's m4 files ($(wc -l <"$SMCF") lines; Xacm, S=unix:$SOCK, F=, T=S:4m;R:4m;E:10m)"
info "$(grep '^O Milter.macros' "$SMCF" | tr '\n' ';')"

# address test mode: the recipients go to our mailer
rt=$(printf '/parse admin@example.com\n' | LD_LIBRARY_PATH=$SM_LD "$SM" -C "$SMCF" -bt 2>&1)
check "sendmail -bt: admin@example.com resolves to mailer filesink" \
    grep -q 'mailer filesink, host example.com, user admin@example.com' <<<"$rt"

# ---------------------------------------------------------------- milter
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
    ok "acm-milter -n accepts the sendmail test config"
else
    fail "acm-milter -n rejects the sendmail test config: $(cat "$T/log/milter-n.out")"
fi

"$ACM_MILTER" -x "$MCONF" </dev/null >"$T/log/milter.out" 2>"$T/log/milter.err" &
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
info "milter pid $MPID runs as $(stat -c %U "/proc/$MPID"); socket: $(stat -c '%A %U:%G' "$SOCK")"

# ---------------------------------------------------------------- start Sendmail
port_listening() { # LISTEN on 127.0.0.1:PORT in /proc/net/tcp (no probe connection)
    local hex
    hex=$(printf '0100007F:%04X' "$PORT")
    grep -q " $hex 00000000:0000 0A " /proc/net/tcp
}
t0=$(date +%s.%N)
LD_LIBRARY_PATH=$SM_LD "$SM" -bD -C "$SMCF" </dev/null >"$T/log/sendmail.out" 2>&1 &
SM_PID=$!
STARTED_PIDS+=("$SM_PID")
for ((i = 0; i < TIMEOUT * 10; i++)); do
    port_listening && break
    alive "$SM_PID" || break
    sleep 0.1
done
if ! port_listening; then
    fail "sendmail -bD (pid $SM_PID) does not listen on 127.0.0.1:$PORT$(alive "$SM_PID" || echo ' (exited)'): $(tail -n3 "$T/log/sendmail.out")"
    exit 1
fi
ok "private Sendmail started (pid $SM_PID, -bD, 127.0.0.1:$PORT) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
poll 5 grep -qE "sendmail\[$SM_PID\]: starting daemon" "$SYSLOG" &&
    info "syslog: $(grep -E "sendmail\[$SM_PID\]: starting daemon" "$SYSLOG" | head -n1 | sed 's/^<[0-9]*>//')"

# ---------------------------------------------------------------- send
send() { # send SENDER RCPT FILE -> queue id on stdout
    "$PY" "$E2E/smtp-send.py" 127.0.0.1 "$PORT" "$1" "$2" "$3" 2>>"$T/log/send.err"
}
sender_of() { # envelope sender: the message's Return-Path, else $2
    local r
    r=$(sed -n '/^\r\{0,1\}$/q; s/^Return-Path:[[:space:]]*<\([^>]*\)>.*/\1/Ip' "$1" | head -n1)
    echo "${r:-$2}"
}
ACM_FROM=$(sender_of "$ACM_EML" no-reply@certificates.amazon.com)
ORD_FROM=$(sender_of "$ORD_EML" sender@other.org)
t0=$(date +%s.%N)
QID_ACM=$(send "$ACM_FROM" admin@example.com "$ACM_EML")
check "SMTP accepted $ACM_EML for admin@example.com (queue id ${QID_ACM:-none})" test -n "$QID_ACM"
QID_ORD=$(send "$ORD_FROM" someone@example.com "$ORD_EML")
check "SMTP accepted $ORD_EML for someone@example.com (queue id ${QID_ORD:-none})" test -n "$QID_ORD"
QID_PM=$(send "$ORD_FROM" postmaster@example.com "$ORD_EML")
check "SMTP accepted $ORD_EML for postmaster@example.com (queue id ${QID_PM:-none})" test -n "$QID_PM"
info "3 SMTP transactions in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
[ -s "$T/log/send.err" ] && sed 's/^/# /' "$T/log/send.err"

# ---------------------------------------------------------------- delivery
delivered() { # the delivered file for RCPT, if exactly one
    local f n=0 last=''
    for f in "$MAIL/new/$1".*; do [ -f "$f" ] && { n=$((n + 1)); last=$f; }; done
    [ "$n" = 1 ] && echo "$last"
}
delivered_all() {
    delivered admin@example.com >/dev/null && delivered someone@example.com >/dev/null &&
        delivered postmaster@example.com >/dev/null
}
t0=$SECONDS
if poll "$TIMEOUT" delivered_all; then
    ok "all three messages delivered by the filesink mailer ($((SECONDS - t0)) s)"
else
    fail "not all messages delivered within $TIMEOUT s: $(ls "$MAIL/new" | tr '\n' ' '); queue:"
    ls -l "$SMD/mqueue" | sed 's/^/#   /'
fi
F_ACM=$(delivered admin@example.com)
F_ORD=$(delivered someone@example.com)
F_PM=$(delivered postmaster@example.com)

# Sendmail's log: each queue id sent by our mailer
for pair in "$QID_ACM admin@example.com" "$QID_ORD someone@example.com" "$QID_PM postmaster@example.com"; do
    set -- $pair
    [ -n "${2:-}" ] || continue
    check "sendmail log: $1 to=<$2> mailer=filesink stat=Sent" \
        poll 10 grep -qE "sendmail\[[0-9]+\]: $1: to=<?$2>?,.* mailer=filesink,.* stat=Sent" "$SYSLOG"
done
if [ -n "$F_ACM" ] && [ -n "$QID_ACM" ]; then
    check "delivered ACM message's Received header has the queue id $QID_ACM" \
        grep -q "id $QID_ACM" <("$PY" "$E2E/msgcheck.py" header "$F_ACM" Received)
fi

# the ordinary messages: byte-identical body, headers only prepended, no X-ACM-Milter
for pair in "someone $F_ORD" "postmaster $F_PM"; do
    set -- $pair
    [ -n "${2:-}" ] || { fail "ordinary message to $1@example.com not delivered"; continue; }
    out=$("$PY" "$E2E/msgcheck.py" same "$ORD_EML" "$2")
    check "ordinary message to $1@example.com: body byte-identical, headers unchanged${out:+: $out}" test -z "$out"
    n=$("$PY" "$E2E/msgcheck.py" header "$2" X-ACM-Milter | wc -l)
    check "ordinary message to $1@example.com has no X-ACM-Milter header (found $n)" test "$n" = 0
done

# ---------------------------------------------------------------- milter results
if [ -n "$F_ACM" ]; then
    hdr=$("$PY" "$E2E/msgcheck.py" header "$F_ACM" X-ACM-Milter)
    n=$(printf '%s' "$hdr" | grep -c .)
    check "ACM message has exactly one X-ACM-Milter header (found $n)" test "$n" = 1
    info "X-ACM-Milter: $hdr"
    check "X-ACM-Milter contains 'decision=approve reason=allowlisted'" \
        grep -q 'decision=approve reason=allowlisted' <<<"$hdr"
    raw=$(grep -m1 -i '^X-ACM-Milter:' "$F_ACM")
    check "X-ACM-Milter field has exactly one space after the colon (SMFIP_HDR_LEADSPC handled)" \
        grep -qE '^X-ACM-Milter: [^ ]' <<<"$raw"
    out=$("$PY" "$E2E/msgcheck.py" same "$ACM_EML" "$F_ACM" X-ACM-Milter)
    check "ACM message: body byte-identical, original headers unchanged${out:+: $out}" test -z "$out"
    printf '%s\n' "$hdr" >"$T/log/x-acm-milter.txt"
else
    fail "ACM message to admin@example.com not delivered"
    : >"$T/log/x-acm-milter.txt"
fi

# syslog: the decision line with Sendmail's queue id and the daemon's pid
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
check "sendmail log: $QID_ACM is the ACM message's queue id (from=<$ACM_FROM>)" \
    grep -qE "sendmail\[[0-9]+\]: $QID_ACM: from=<$ACM_FROM>," "$SYSLOG"
check "syslog sink: no milter line with NOQUEUE (queue id macro {i} missing)" \
    bash -c "! grep -E 'acm-milter\[$MPID\]: NOQUEUE' '$SYSLOG'"
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
out=$("$PY" "$E2E/msgcheck.py" grep-secret "$ACM_EML" "$SYSLOG" "$T/log/x-acm-milter.txt" "$T/log/milter.err" "$T/log/milter.out")
check "approval code/context not in syslog, X-ACM-Milter header or milter output${out:+: $out}" test -z "$out"

# Sendmail's view of the milter (Milter.LogLevel 14)
madd=$(grep -E "sendmail\[[0-9]+\]: $QID_ACM: Milter (add|insert) ?(\(.*\))?: header: X-ACM-Milter" "$SYSLOG" | sed 's/^<[0-9]*>//')
[ -n "$madd" ] && info "sendmail: $madd"
check "sendmail log: milter acm negotiated (\"Milter (acm): init success to negotiate\")" \
    grep -qE "sendmail\[[0-9]+\]: [^ ]*:? ?Milter \(acm\): init success to negotiate" "$SYSLOG"
mw=$(grep -E 'sendmail\[[0-9]+\]: ' "$SYSLOG" | grep -iE 'milter' |
    grep -iE "error|timeout|timed out|unavailable|can't|cannot|failed|abort|tempfail|reject|unsafe")
check "sendmail log: no milter error, timeout or fail-open${mw:+: $mw}" test -z "$mw"
sw=$(grep -E "sendmail\[[0-9]+\]: " "$SYSLOG" | grep -E ': (SYSERR|WARNING|warning)' | sed 's/^<[0-9]*>//')
check "sendmail log: no SYSERR or warning${sw:+: $sw}" test -z "$sw"
check "milter still running after the messages" alive "$MPID"

# ---------------------------------------------------------------- stop
kill -TERM "$SM_PID" 2>/dev/null
check "sendmail $SM_PID stops on SIGTERM" wait_gone "$SM_PID" 10
left=$(sm_pids)
check "no Sendmail child left${left:+: $left}" test -z "$left"
kill -TERM "$MPID" 2>/dev/null
t0=$(date +%s.%N)
check "milter $MPID stops on SIGTERM" wait_gone "$MPID" 60
info "milter stopped $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after SIGTERM"
poll 2 grep -qE "acm-milter\[$MPID\]: stopping" "$SYSLOG"
stopline=$(grep -E "acm-milter\[$MPID\]: stopping" "$SYSLOG")
if [ -n "$stopline" ]; then desc=${stopline#*]: }; else desc="no 'stopping' line: ended without smfi_main returning"; fi
check "syslog sink: milter logged a clean stop ($desc)" grep -q 'stopping.*clean' <<<"$stopline"
exit 0
