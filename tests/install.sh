#!/usr/bin/env bash
# `make install` honours PREFIX and DESTDIR and never overwrites an operator's files.
. "$(dirname "$0")/lib/common.sh"
lib_init install
make -s install DESTDIR="$T" PREFIX=/usr >"$T/log/install.log" 2>&1 || { cat "$T/log/install.log"; die "make install"; }
check "binary in PREFIX/sbin" eval '[ -x "$T/usr/sbin/acm-milter" ]'
check "binary not stripped" eval 'file "$T/usr/sbin/acm-milter" 2>/dev/null | grep -q "not stripped" || ! command -v file >/dev/null'
check "example config in /etc/acm-milter" eval '[ -f "$T/etc/acm-milter/acm-milter.conf" ] && [ -f "$T/etc/acm-milter/allowlist" ]'
check "config not world-readable" eval '[ "$(stat -c %a "$T/etc/acm-milter/acm-milter.conf")" = 640 ]'
check "systemd unit installed" eval '[ -f "$T/lib/systemd/system/acm-milter.service" ]'
check "man pages installed" eval '[ -f "$T/usr/share/man/man8/acm-milter.8" ] && [ -f "$T/usr/share/man/man5/acm-milter.conf.5" ]'
check "sysusers.d and tmpfiles.d installed" eval '[ -f "$T/usr/lib/sysusers.d/acm-milter.conf" ] && [ -f "$T/usr/lib/tmpfiles.d/acm-milter.conf" ]'
check "unit names the installed binary" eval 'grep -q "^ExecStart=/usr/sbin/acm-milter -f" "$T/lib/systemd/system/acm-milter.service"'
# (-n as root resolves UserID: where the acm-milter user does not exist, name nobody instead)
id acm-milter >/dev/null 2>&1 && user_sed= || user_sed='s/^\(UserID[[:space:]]*\)acm-milter/\1nobody/'
check "installed example config parses" eval 'sed -e "s|/etc/acm-milter/allowlist|$T/etc/acm-milter/allowlist|" -e "$user_sed" "$T/etc/acm-milter/acm-milter.conf" > "$T/c.conf" && "$T/usr/sbin/acm-milter" -n -x "$T/c.conf" >/dev/null'
echo "# operator edit" >> "$T/etc/acm-milter/allowlist"
make -s install DESTDIR="$T" PREFIX=/usr >/dev/null 2>&1
check "reinstall keeps the operator's allowlist" eval 'grep -q "operator edit" "$T/etc/acm-milter/allowlist"'
