#!/usr/bin/env bash
# tests/package.sh (make deb-test) - the Debian package, installed on this machine the way an
# operator installs it, then purged: the machine is left as it was.
#
#   1. make deb (dpkg-buildpackage, lintian without error or warning, hardening-check);
#   2. apt-get install ./build/acm-milter_VERSION_ARCH.deb: the package is installed, the
#      system user and group acm-milter exist (system ids, no home, no login shell), every
#      file has its owner and mode (configuration root:acm-milter 0750/0640, spool
#      acm-milter 0700, ...), both files of /etc/acm-milter are conffiles, the unit is
#      enabled (and running, with its socket, where systemd runs), and `acm-milter -n` accepts the installed
#      configuration, as root and as the user acm-milter;
#   3. an edited allowlist survives `apt-get install --reinstall` and an upgrade to a newer
#      version (the same package repacked as VERSION+upgradetest), without a conffile prompt;
#   4. apt-get purge: the package, its files, conffiles, spool, runtime folder and unit links
#      are gone; the user and group stay (Debian's rule for system users: files they own may
#      remain, and their ids must not go to someone else) - then this test removes them if it
#      created them.
#
# Needs root and apt-get; refuses to run (exit 1) where acm-milter is already installed (as a
# package or by make install), since it would replace or purge the operator's files.
# Not part of make check (which must not change a developer's machine): .ci/run runs it
# after make check.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.." || exit 1
fail=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; fail=1; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
die()  { echo "FAIL $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (it installs and purges the package)"
command -v apt-get >/dev/null 2>&1 || die "needs apt-get (Debian 12)"
pkg_status() { dpkg-query -W -f='${db:Status-Status}' acm-milter 2>/dev/null; }
case "$(pkg_status)" in ''|not-installed) ;;
    *) die "the package acm-milter is on this machine ($(pkg_status)): not touching it" ;; esac
for f in /usr/sbin/acm-milter /usr/local/sbin/acm-milter /etc/acm-milter /lib/systemd/system/acm-milter.service \
         /var/lib/acm-milter /run/acm-milter; do
    [ -e "$f" ] && die "$f exists (make install?): the package would take it over; not touching it"
done
had_user=0; getent passwd acm-milter >/dev/null && had_user=1
had_group=0; getent group acm-milter >/dev/null && had_group=1

VERSION=$(sed -n 's/^VERSION *:\?= *//p' Makefile | head -n1)
ARCH=$(dpkg --print-architecture)
T=$(mktemp -d /tmp/acm-package.XXXXXX) || die "mktemp"
chmod 755 "$T" # apt reads local packages as _apt
APT=(apt-get -o DPkg::Lock::Timeout=900 -y --no-install-recommends)
cleanup() {
    if [ "$(pkg_status)" != not-installed ] && [ -n "$(pkg_status)" ]; then
        "${APT[@]}" purge acm-milter >>"$T/apt.log" 2>&1 || echo "cleanup: apt-get purge acm-milter failed"
    fi
    rm -rf /var/lib/acm-milter /run/acm-milter /etc/acm-milter # none was there before (checked above)
    if [ "$had_user" = 0 ] && getent passwd acm-milter >/dev/null; then userdel acm-milter || echo "cleanup: userdel failed"; fi
    if [ "$had_group" = 0 ] && getent group acm-milter >/dev/null; then groupdel acm-milter || echo "cleanup: groupdel failed"; fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- 1. build
make -s deb >"$T/deb.log" 2>&1 || { tail -n 40 "$T/deb.log"; die "make deb"; }
DEB=build/acm-milter_${VERSION}_${ARCH}.deb
[ -f "$DEB" ] || die "make deb left no $DEB"
ok "make deb: $DEB, lintian clean, hardening-check passed"
cp "$DEB" "$T/" && DEB1=$T/$(basename "$DEB")

# ---------------------------------------------------------------- 2. install
apt_do() { # what... : apt-get, its output in the log; the last lines on failure
    echo "== apt-get $*" >>"$T/apt.log"
    "${APT[@]}" "$@" >>"$T/apt.log" 2>&1 || { tail -n 15 "$T/apt.log" | sed 's/^/    /'; return 1; }
}
apt_do install "$DEB1" || die "apt-get install $DEB1"
check "installed: dpkg status installed, version $VERSION" \
    '[ "$(pkg_status)" = installed ] && [ "$(dpkg-query -W -f="\${Version}" acm-milter)" = "$VERSION" ]'
uid=$(getent passwd acm-milter | cut -d: -f3)
sys_max=$(awk '$1 == "SYS_UID_MAX" { print $2 }' /etc/login.defs 2>/dev/null); sys_max=${sys_max:-999}
check "user acm-milter: a system user (uid $uid <= $sys_max), home /nonexistent, shell nologin" \
    '[ -n "$uid" ] && [ "$uid" -gt 0 ] && [ "$uid" -le "$sys_max" ] &&
     [ "$(getent passwd acm-milter | cut -d: -f6-7)" = /nonexistent:/usr/sbin/nologin ] && [ ! -e /nonexistent ]'
check "group acm-milter, the user's primary group" \
    '[ "$(id -gn acm-milter)" = acm-milter ]'
perm_is() { # path owner:group mode
    [ -e "$1" ] && [ "$(stat -c '%U:%G %a' "$1")" = "$2 $3" ] ||
        { echo "    $1: $(stat -c '%U:%G %a' "$1" 2>&1), want $2 $3"; return 1; }
}
check "owners and modes" '
    perm_is /usr/sbin/acm-milter root:root 755 &&
    perm_is /etc/acm-milter root:acm-milter 750 &&
    perm_is /etc/acm-milter/acm-milter.conf root:acm-milter 640 &&
    perm_is /etc/acm-milter/allowlist root:acm-milter 640 &&
    perm_is /var/lib/acm-milter acm-milter:acm-milter 700 &&
    perm_is /run/acm-milter acm-milter:acm-milter 750 &&
    perm_is /lib/systemd/system/acm-milter.service root:root 644 &&
    perm_is /usr/lib/sysusers.d/acm-milter.conf root:root 644 &&
    perm_is /usr/lib/tmpfiles.d/acm-milter.conf root:root 644'
check "binary stripped (dh_strip)" \
    'file -L /usr/sbin/acm-milter | grep -q ", stripped"'
check "both files of /etc/acm-milter are conffiles" \
    'dpkg-query -W -f="\${Conffiles}\n" acm-milter | awk "{print \$1}" | sort | tr "\n" " " |
     grep -qx "/etc/acm-milter/acm-milter.conf /etc/acm-milter/allowlist "'
check "man pages, README, copyright and the Postfix example installed" '
    [ -f /usr/share/man/man8/acm-milter.8.gz ] && [ -f /usr/share/man/man5/acm-milter.conf.5.gz ] &&
    [ -f /usr/share/doc/acm-milter/README.md.gz ] && [ -f /usr/share/doc/acm-milter/copyright ] &&
    grep -q "^smtpd_milters = { unix:/run/acm-milter/acm-milter.sock, default_action=accept }" \
        /usr/share/doc/acm-milter/examples/postfix-main.cf'
check "unit: runs /usr/sbin/acm-milter as acm-milter, documented" '
    grep -qx "ExecStart=/usr/sbin/acm-milter -f -x /etc/acm-milter/acm-milter.conf" /lib/systemd/system/acm-milter.service &&
    grep -qx "User=acm-milter" /lib/systemd/system/acm-milter.service &&
    grep -q "^Documentation=man:acm-milter(8)" /lib/systemd/system/acm-milter.service'
check "unit enabled (multi-user.target.wants)" \
    '[ -L /etc/systemd/system/multi-user.target.wants/acm-milter.service ]'
systemd_runs=0; [ -d /run/systemd/system ] && systemd_runs=1
wait_socket() { # a safety bound (30 s) for the daemon to start, not a timing assertion
    local i
    for i in $(seq 300); do [ -S /run/acm-milter/acm-milter.sock ] && return 0; sleep 0.1; done
    return 1
}
if [ "$systemd_runs" = 1 ]; then
    check "unit started by the postinst: active, socket acm-milter:acm-milter 0660 (systemd runs here)" '
        wait_socket && systemctl is-active --quiet acm-milter &&
        perm_is /run/acm-milter/acm-milter.sock acm-milter:acm-milter 660'
else
    echo "skip unit active: systemd is not running here (the postinst starts it only where it runs)"
fi
check "acm-milter -n accepts the installed configuration (as root)" \
    '/usr/sbin/acm-milter -n >"$T/n.out" 2>&1 || { sed "s/^/    /" "$T/n.out"; false; }'
check "acm-milter -n accepts it as the user acm-milter too (what the unit runs)" \
    'setpriv --reuid=acm-milter --regid=acm-milter --init-groups /usr/sbin/acm-milter -n >"$T/n.out" 2>&1 ||
     { sed "s/^/    /" "$T/n.out"; false; }'
for g in postdrop smmsp; do
    if getent group "$g" >/dev/null; then
        check "the user acm-milter is in the group $g (notices through the MTA's sendmail under NoNewPrivileges)" \
            "id -nG acm-milter | tr ' ' '\\n' | grep -qx $g"
    fi
done
if [ -x /usr/sbin/postdrop ] && getent group postdrop >/dev/null; then
    # the hand-off a notice makes, as the unit runs it: the user acm-milter, no new privileges
    # (postdrop's set-group-id withheld), through a throwaway main.cf; the message is removed
    mkdir -p "$T/pfx" && cp /etc/postfix/master.cf "$T/pfx/" 2>/dev/null
    printf 'compatibility_level = 3.6\nmyhostname = notice-test.invalid\n' >"$T/pfx/main.cf"
    chmod 0755 "$T" "$T/pfx" && chmod 0644 "$T/pfx/"*
    printf 'To: ops@example.org\nSubject: acm-milter package test\nAuto-Submitted: auto-generated\n\nx\n' >"$T/notice"
    chmod 0644 "$T/notice"
    before=$(find /var/spool/postfix/maildrop -type f -user acm-milter 2>/dev/null | wc -l)
    check "a notice handed to Postfix's sendmail as acm-milter with no new privileges reaches maildrop/" '
        timeout 20 setpriv --no-new-privs --reuid=acm-milter --regid=acm-milter --init-groups \
            env MAIL_CONFIG="$T/pfx" /usr/sbin/sendmail -t -i <"$T/notice" 2>"$T/sm.err" &&
        [ "$(find /var/spool/postfix/maildrop -type f -user acm-milter | wc -l)" -gt "$before" ] ||
        { sed "s/^/    /" "$T/sm.err"; false; }'
    find /var/spool/postfix/maildrop -type f -user acm-milter -newer "$T/notice" -delete 2>/dev/null
fi
check "unit: the MTA's submission folders writable for notices (ReadWritePaths)" \
    'grep -qx "ReadWritePaths=-/var/spool/postfix/maildrop -/var/spool/mqueue-client" /lib/systemd/system/acm-milter.service'

# ---------------------------------------------------------------- 3. reinstall, upgrade
RULE='arn:aws:acm:us-east-1:123456789012:certificate/* example.com *.example.com'
printf '# the operator'"'"'s edit\n%s\n' "$RULE" >>/etc/acm-milter/allowlist
conf_sum=$(sha256sum </etc/acm-milter/acm-milter.conf)
kept() {
    grep -qxF "$RULE" /etc/acm-milter/allowlist &&
    [ "$(sha256sum </etc/acm-milter/acm-milter.conf)" = "$conf_sum" ] &&
    perm_is /etc/acm-milter/allowlist root:acm-milter 640 &&
    /usr/sbin/acm-milter -n >/dev/null 2>&1
}
apt_do install --reinstall "$DEB1" </dev/null || bad "apt-get install --reinstall"
check "reinstall: the edited allowlist kept (and still valid), the configuration unchanged" kept
# an upgrade: the same package as VERSION+upgradetest
dpkg-deb -R "$DEB1" "$T/up" || die "dpkg-deb -R"
sed -i "s/^Version: .*/Version: ${VERSION}+upgradetest/" "$T/up/DEBIAN/control"
dpkg-deb --root-owner-group -b "$T/up" "$T/acm-milter_${VERSION}+upgradetest_${ARCH}.deb" >/dev/null || die "dpkg-deb -b"
apt_do install "$T/acm-milter_${VERSION}+upgradetest_${ARCH}.deb" </dev/null || bad "apt-get install (upgrade)"
check "upgrade to ${VERSION}+upgradetest: installed" \
    '[ "$(dpkg-query -W -f="\${Version}" acm-milter)" = "${VERSION}+upgradetest" ]'
check "upgrade: the edited allowlist kept, no conffile prompt, the configuration unchanged" kept
if [ "$systemd_runs" = 1 ]; then
    check "upgrade: the unit restarted, active" 'wait_socket && systemctl is-active --quiet acm-milter'
fi
check "upgrade: same user id" '[ "$(getent passwd acm-milter | cut -d: -f3)" = "$uid" ]'

# ---------------------------------------------------------------- 4. purge
echo spooled >/var/lib/acm-milter/test-entry
apt_do purge acm-milter || bad "apt-get purge"
check "purge: the package is gone (no config-files state)" \
    'case "$(pkg_status)" in ""|not-installed) true ;; *) false ;; esac'
gone() { local f r=0; for f; do [ ! -e "$f" ] || { echo "    $f left"; r=1; }; done; return $r; }
check "purge: binary, unit, man pages, docs, sysusers.d and tmpfiles.d files gone" '
    gone /usr/sbin/acm-milter /lib/systemd/system/acm-milter.service /usr/share/man/man8/acm-milter.8.gz \
         /usr/share/man/man5/acm-milter.conf.5.gz /usr/share/doc/acm-milter \
         /usr/lib/sysusers.d/acm-milter.conf /usr/lib/tmpfiles.d/acm-milter.conf'
check "purge: /etc/acm-milter (conffiles and the edited allowlist) gone" '[ ! -e /etc/acm-milter ]'
check "purge: the spool /var/lib/acm-milter and /run/acm-milter gone" '[ ! -e /var/lib/acm-milter ] && [ ! -e /run/acm-milter ]'
if [ "$systemd_runs" = 1 ]; then
    check "purge: the unit stopped" '! systemctl is-active --quiet acm-milter'
fi
check "purge: the unit's enable link gone" '[ ! -e /etc/systemd/system/multi-user.target.wants/acm-milter.service ]'
check "purge: the system user and group stay (Debian's rule)" \
    'getent passwd acm-milter >/dev/null && getent group acm-milter >/dev/null'
cleanup; trap - EXIT
check "the machine as before: no package, user and group as they were" '
    case "$(pkg_status)" in ""|not-installed) ;; *) false ;; esac &&
    u=0 && { ! getent passwd acm-milter >/dev/null || u=1; } &&
    g=0 && { ! getent group acm-milter >/dev/null || g=1; } &&
    [ "$u" = "$had_user" ] && [ "$g" = "$had_group" ]'
[ "$fail" = 0 ] && echo "package: all checks passed" || echo "package: FAILED"
exit "$fail"
