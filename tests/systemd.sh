#!/usr/bin/env bash
# The systemd unit: `systemd-analyze verify` must pass and `systemd-analyze security
# --offline=true` must rate it 2.0 or less. Run from the repo root.
set -u
T=$(mktemp -d /tmp/acm-systemd.XXXXXX)
trap 'rm -rf "$T"' EXIT
command -v systemd-analyze >/dev/null || { echo "FAIL systemd-analyze is not installed (Debian package systemd)"; exit 1; }
# verify needs the ExecStart binary to exist: point the unit at the built one
sed "s|@SBINDIR@|$PWD/milter|g" systemd/acm-milter.service > "$T/acm-milter.service"
fail=0
if systemd-analyze verify --man=no "$T/acm-milter.service" > "$T/verify" 2>&1; then
    echo "ok   systemd-analyze verify"
else
    echo "FAIL systemd-analyze verify:"; sed 's/^/    /' "$T/verify"; fail=1
fi
systemd-analyze security --offline=true --no-pager "$T/acm-milter.service" > "$T/security" 2>&1
level=$(sed -n 's/.*Overall exposure level for acm-milter.service: \([0-9.]*\).*/\1/p' "$T/security")
if [ -z "$level" ]; then
    echo "FAIL no exposure level:"; sed 's/^/    /' "$T/security"; fail=1
elif awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }'; then
    echo "ok   systemd-analyze security: exposure $level (need 2.0 or less)"
else
    echo "FAIL systemd-analyze security: exposure $level, need 2.0 or less"; grep '✗' "$T/security" | sed 's/^/    /'; fail=1
fi
for f in systemd/acm-milter.sysusers systemd/acm-milter.tmpfiles; do
    [ -s "$f" ] && echo "ok   $f present" || { echo "FAIL $f missing"; fail=1; }
done
exit $fail
