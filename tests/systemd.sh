#!/usr/bin/env bash
# The systemd unit: `systemd-analyze verify` must pass and `systemd-analyze security
# --offline=true` must rate it 2.0 or less. Run from the repo root.
. "$(dirname "$0")/lib/common.sh"
command -v systemd-analyze >/dev/null || die "systemd-analyze is not installed (Debian package systemd)"
lib_init systemd
# verify needs the ExecStart binary to exist: point the unit at the built one
sed "s|@SBINDIR@|$PWD/milter|g" systemd/acm-milter.service > "$T/acm-milter.service"
if systemd-analyze verify --man=no "$T/acm-milter.service" > "$T/verify" 2>&1; then
    ok "systemd-analyze verify"
else
    fail "systemd-analyze verify:"; sed 's/^/    /' "$T/verify"
fi
systemd-analyze security --offline=true --no-pager "$T/acm-milter.service" > "$T/security" 2>&1
level=$(sed -n 's/.*Overall exposure level for acm-milter.service: \([0-9.]*\).*/\1/p' "$T/security")
if [ -z "$level" ]; then
    fail "no exposure level:"; sed 's/^/    /' "$T/security"
elif awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
    ok "systemd-analyze security: exposure $level (need 2.0 or less)"
else
    fail "systemd-analyze security: exposure $level, need 2.0 or less"; grep '✗' "$T/security" | sed 's/^/    /'
fi
for f in systemd/acm-milter.sysusers systemd/acm-milter.tmpfiles; do
    check "$f present" test -s "$f"
done
