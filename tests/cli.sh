#!/usr/bin/env bash
# Command-line behaviour: -V, -n (every problem with file:line, exit 0/1), -t exit codes,
# usage errors. Run from the repo root.
set -u
BIN=${ACM_MILTER:-milter/acm-milter}
T=$(mktemp -d /tmp/acm-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok()  { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
expect() { # name, want-rc, command...
    local name=$1 want=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want"; cat "$T/out" "$T/err" | sed 's/^/    /'; fi
}

expect "-V" 0 "$BIN" -V
grep -q '^acm-milter [0-9]' "$T/out" && ok "-V prints the version" || bad "-V output: $(cat "$T/out")"

expect "-n good config" 0 "$BIN" -n -x tests/data/test.conf

printf 'AllowList %s/al\nBogus yes\nMode sometimes\n' "$T" > "$T/bad.conf"
printf 'arn:aws:acm:us-east-1:123456789012:certificate/*\n' > "$T/al"
expect "-n bad config" 1 "$BIN" -n -x "$T/bad.conf"
grep -q "$T/bad.conf:2: unknown key \"Bogus\"" "$T/err" && ok "-n names file:line of the unknown key" || bad "-n: no file:line for line 2: $(cat "$T/err")"
grep -q "$T/bad.conf:3: Mode" "$T/err" && ok "-n reports every problem (line 3 too)" || bad "-n: line 3 not reported"

printf 'AllowList %s/al2\n' "$T" > "$T/c2.conf"
printf '# ok\narn:aws:acm:us-east-1:123456789012:certificate/*\narn:aws:acm:us-east-1:1:certificate/*\narn:aws:acm:*:123456789012:certificate/* bad..name\n' > "$T/al2"
expect "-n bad allowlist" 1 "$BIN" -n -x "$T/c2.conf"
grep -q "$T/al2:3: malformed certificate pattern" "$T/err" && ok "-n names allowlist file:line (3)" || bad "-n allowlist line 3: $(cat "$T/err")"
grep -q "$T/al2:4: malformed domain pattern" "$T/err" && ok "-n names allowlist file:line (4)" || bad "-n allowlist line 4: $(cat "$T/err")"

expect "-n missing config" 1 "$BIN" -n -x "$T/none.conf"
expect "unknown option" 2 "$BIN" -Z
expect "-r without -t" 2 "$BIN" -r admin@example.com -x tests/data/test.conf
expect "-t missing file" 1 "$BIN" -x tests/data/test.conf -t "$T/nonexistent.eml"
expect "-t ordinary message" 0 "$BIN" -x tests/data/test.conf -t tests/data/corpus/ordinary.eml -r postmaster@example.com
grep -q '^offline: decision=ignore reason=not-acm' "$T/out" && ok "-t prints the decision line" || bad "-t output: $(cat "$T/out")"
expect "-t from stdin" 0 sh -c "'$BIN' -x tests/data/test.conf -t - < tests/data/corpus/new-alt-7bit-qp.eml"
grep -q '^offline: decision=approve reason=allowlisted' "$T/out" && ok "-t - reads stdin" || bad "-t - output: $(cat "$T/out")"
expect "-t -r overrides To" 0 "$BIN" -x tests/data/test.conf -t tests/data/corpus/new-alt-7bit-qp.eml -r admin@other.org
grep -q 'decision=deny reason=domain-mismatch' "$T/out" && ok "-r is the envelope recipient" || bad "-r: $(cat "$T/out")"
# Tamper guard: a config or allowlist writable by others (or in a folder writable by others)
mkdir -p "$T/guard/sub"; chmod 755 "$T/guard" "$T/guard/sub"
printf 'arn:aws:acm:us-east-1:123456789012:certificate/*\n' > "$T/guard/sub/al"
printf 'AllowList %s/guard/sub/al\nSenderAuth authres\n' "$T" > "$T/guard/sub/g.conf"
chmod 644 "$T/guard/sub/al" "$T/guard/sub/g.conf"
expect "guard: safe files accepted" 0 "$BIN" -n -x "$T/guard/sub/g.conf"
chmod 664 "$T/guard/sub/al"
expect "guard: group-writable allowlist refused" 1 "$BIN" -n -x "$T/guard/sub/g.conf"
grep -q "refusing allowlist $T/guard/sub/al: .* is writable by its group" "$T/err" && ok "guard names the allowlist" || bad "guard message: $(cat "$T/err")"
chmod 644 "$T/guard/sub/al"; chmod 777 "$T/guard/sub"
expect "guard: world-writable folder above the config refused" 1 "$BIN" -n -x "$T/guard/sub/g.conf"
grep -q "refusing configuration $T/guard/sub/g.conf: $T/guard/sub is writable by everyone" "$T/err" && ok "guard names the folder" || bad "guard message: $(cat "$T/err")"
chmod 1777 "$T/guard/sub"
expect "guard: sticky folder (like /tmp) with our own files accepted" 0 "$BIN" -n -x "$T/guard/sub/g.conf"
chmod 755 "$T/guard/sub"; chmod 666 "$T/guard/sub/g.conf"
expect "guard: -t refuses too" 1 "$BIN" -x "$T/guard/sub/g.conf" -t tests/data/corpus/ordinary.eml
exit $fail
