#!/bin/bash
# End-to-end test of acm-milter with a real Sendmail on loopback.
#
# Run from the repo root, as root:   bash tests/sendmail/run.sh
#
# Postfix and Debian's sendmail-bin conflict as packages, so Sendmail is not
# installed: the test downloads the Debian packages (apt-get download, into
# SENDMAIL_DEB_CACHE) and unpacks them with dpkg -x into its temp dir.
# Nothing outside the temp dir (/run/acm-sm.XXXXXX) is touched (not
# /etc/mail, not the system Postfix, not the host's /dev/log: the harness
# is tests/lib/, see tests/README.md).
#
# What it does, inside a private mount + UTS namespace (unshare -m -u):
#  - sets the namespace's hostname to an FQDN (Sendmail sleeps 60 s at start
#    when its hostname has no dot and does not resolve to one);
#  - a syslog sink on /dev/log (tests/lib/syslog.sh), which receives both
#    Sendmail's and the milter's lines;
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

. "$(dirname "$0")/../lib/common.sh"
. "$LIB/syslog.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
. "$LIB/mta.sh"
TIMEOUT=${SM_TIMEOUT:-30}
MUSER=nobody
LIB_KEEP=${SM_KEEP:-}
PKGS="sendmail-bin sendmail-cf m4 libwrap0"
SM_HOSTNAME=mx.sendmail.test

CORPUS=tests/data/corpus
ACM_EML=$CORPUS/new-alt-7bit-qp.eml
ORD_EML=$CORPUS/ordinary.eml
TEST_CONF=tests/data/test.conf

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "must run as root (private namespace, /dev/log, sendmail)"
for c in "$PY" dpkg hostname timeout mount; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
id "$MUSER" >/dev/null 2>&1 || die "no user $MUSER"
for f in "$ACM_EML" "$ORD_EML" "$TEST_CONF"; do
    [ -f "$f" ] || die "missing $f"
done
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"

# Everything runs in a private mount and UTS namespace: our /dev/log and our
# hostname are invisible to the host.
lib_reexec_ns -u -- "$@"
hostname "$SM_HOSTNAME" || die "cannot set the hostname in the private UTS namespace"

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
lib_init sm "$TMPBASE"
[ -n "$DBS" ] && info "temp dir $T is below a world-writable directory: sendmail.cf gets DontBlameSendmail=$DBS"
PKG=$T/pkg                 # unpacked .debs
SMD=$T/sm                  # Sendmail: etc, queue, run, bin (root)
SMCF=$SMD/etc/sendmail.cf
SMPIDF=$SMD/run/sendmail.pid
MAIL=$T/mail               # delivered messages: new/RCPT.PID
MCONF=$T/acm-milter.conf
SM=$PKG/usr/libexec/sendmail/sendmail

DEB_CACHE=${SENDMAIL_DEB_CACHE:-}
DEB_CACHE_TMP=''
DL_DIR=''
SM_PID=''

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
sm_cleanup() { # Sendmail: the daemon, then whatever it forked
    local p
    if alive "$SM_PID"; then
        kill -TERM "$SM_PID" 2>/dev/null
        wait_gone "$SM_PID" 10 || { echo "# sendmail $SM_PID did not stop on SIGTERM; SIGKILL"; kill -KILL "$SM_PID" 2>/dev/null; }
    fi
    for p in $(sm_pids); do
        kill -TERM "$p" 2>/dev/null
        wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
    done
}
deb_cleanup() {
    [ -n "$DL_DIR" ] && rm -rf "$DL_DIR"
    [ -n "$DEB_CACHE_TMP" ] && rm -rf "$DEB_CACHE_TMP"
}
on_exit deb_cleanup

mkdir -p "$PKG" "$SMD/etc" "$SMD/mqueue" "$SMD/run" "$SMD/bin" "$MAIL/tmp" "$MAIL/new" || die "mkdir"
chmod 700 "$SMD/mqueue"
milter_paths

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
syslog_start

# ---------------------------------------------------------------- sendmail.cf
PORT=$(free_port) || die "no free port"

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
conf_from_test "$MCONF" "$TEST_CONF" "Socket unix:$SOCK" "UserID $MUSER" "PidFile $PIDFILE"
conf_check "$MCONF" "the sendmail test config"

t0=$EPOCHREALTIME
if ! milter_start "$MCONF"; then
    fail "milter did not start: $MILTER_WHY"
    exit 1
fi
ok "milter socket answers after $(secs "$t0" "$EPOCHREALTIME") s"
info "milter pid $MPID runs as $(stat -c %U "/proc/$MPID"); socket: $(stat -c '%A %U:%G' "$SOCK")"

# ---------------------------------------------------------------- start Sendmail
port_listening() { # LISTEN on 127.0.0.1:PORT in /proc/net/tcp (no probe connection)
    local hex
    hex=$(printf '0100007F:%04X' "$PORT")
    grep -q " $hex 00000000:0000 0A " /proc/net/tcp
}
t0=$(date +%s.%N)
on_exit sm_cleanup
bg_start SM_PID env LD_LIBRARY_PATH="$SM_LD" "$SM" -bD -C "$SMCF" </dev/null >"$T/log/sendmail.out" 2>&1
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
t0=$(date +%s.%N)
mta_send_three "$PORT"
info "3 SMTP transactions in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"

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
sm_sent() {
    check "sendmail log: $1 to=<$2> mailer=filesink stat=Sent" \
        poll 10 grep -qE "sendmail\[[0-9]+\]: $1: to=<?$2>?,.* mailer=filesink,.* stat=Sent" "$SYSLOG"
}
mta_each_sent sm_sent
mta_check_received "$F_ACM" id

mta_check_ordinary "$F_ORD" "$F_PM"

# ---------------------------------------------------------------- milter results
if mta_check_acm "$F_ACM"; then
    raw=$(grep -m1 -i '^X-ACM-Milter:' "$F_ACM")
    check "X-ACM-Milter field has exactly one space after the colon (SMFIP_HDR_LEADSPC handled)" \
        grep -qE '^X-ACM-Milter: [^ ]' <<<"$raw"
fi
# syslog: the decision line with Sendmail's queue id and the daemon's pid
mta_check_decision
check "sendmail log: $QID_ACM is the ACM message's queue id (from=<$ACM_FROM>)" \
    grep -qE "sendmail\[[0-9]+\]: $QID_ACM: from=<$ACM_FROM>," "$SYSLOG"
check "syslog sink: no milter line with NOQUEUE (queue id macro {i} missing)" \
    bash -c "! grep -E 'acm-milter\[$MPID\]: NOQUEUE' '$SYSLOG'"
mta_check_quiet

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
mta_check_clean_stop
exit 0
