#!/usr/bin/env bash
# Command-line behaviour: -V, -n (every problem with file:line, exit 0/1), -t exit codes,
# usage errors; a configuration the start would refuse (UserID root or missing, bad Socket)
# is refused by -n and by the start alike, with file:line and exit 1, never a crash.
# Run from the repo root.
. "$(dirname "$0")/lib/common.sh"
BIN=$ACM_MILTER
lib_init cli
bad() { fail "$1"; }
expect() { # name, want-rc, command...
    local name=$1 want=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want"; cat "$T/out" "$T/err" | sed 's/^/    /'; fi
}

expect "-V" 0 "$BIN" -V
grep -q '^acm-milter [0-9]' "$T/out" && ok "-V prints the version" || bad "-V output: $(cat "$T/out")"

# UserID must exist when -n runs as root (the start applies it then): this machine need not
# have the acm-milter user, so the good configuration names nobody
{ cat tests/data/test.conf; echo "UserID nobody"; } > "$T/good.conf"
expect "-n good config" 0 "$BIN" -n -x "$T/good.conf"

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
printf 'AllowList %s/guard/sub/al\nSenderAuth authres\nUserID nobody\n' "$T" > "$T/guard/sub/g.conf"
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

# a configuration or allowlist that is not a regular file (a FIFO would block the open and a
# reload forever, a folder or a device never parses): one line, exit 1 (timeout: a safety bound)
mkdir -p "$T/nr"; chmod 755 "$T/nr"; mkfifo -m 644 "$T/nr/fifo"; mkdir -m 755 "$T/nr/dir"
expect "-n refuses a FIFO as the configuration" 1 timeout 60 "$BIN" -n -x "$T/nr/fifo"
grep -qF "$T/nr/fifo:0: cannot open: not a regular file" "$T/err" && ok "-n says the FIFO is no regular file" || bad "-n FIFO: $(cat "$T/err")"
expect "-n refuses a folder as the configuration" 1 timeout 60 "$BIN" -n -x "$T/nr/dir"
grep -qF "$T/nr/dir:0: cannot open: not a regular file" "$T/err" && ok "-n says the folder is no regular file" || bad "-n folder: $(cat "$T/err")"
printf 'AllowList %s/nr/fifo\nUserID nobody\n' "$T" > "$T/nr/c.conf"; chmod 644 "$T/nr/c.conf"
expect "-n refuses a FIFO as the allowlist" 1 timeout 60 "$BIN" -n -x "$T/nr/c.conf"
grep -qF "$T/nr/fifo:0: cannot open: not a regular file" "$T/err" && ok "-n says the allowlist FIFO is no regular file" || bad "-n allowlist FIFO: $(cat "$T/err")"

# UserID and Socket: what the start would refuse, -n refuses first (file:line, exit 1); the
# start itself refuses the same way (exit 1, one clear line), never a panic or a core dump
user_conf() { # user_conf FILE LINE...: test.conf with extra lines (AllowList absolute)
    local f=$1; shift
    { sed -e "s|^AllowList .*|AllowList $PWD/tests/data/allowlist|" \
          -e "s|^SpoolDir .*|SpoolDir $T/spool-u|" tests/data/test.conf
      printf '%s\n' "$@"; } > "$f"
}
n_refuses() { # n_refuses NAME PATTERN LINE...: -n and a foreground start both exit 1, saying
              # PATTERN (about the last LINE, which -n names by its line number)
    local name=$1 pat=$2 line; shift 2
    user_conf "$T/u.conf" "$@"
    line=$(wc -l < "$T/u.conf")
    expect "-n refuses $name" 1 "$BIN" -n -x "$T/u.conf"
    grep -qF -- "$T/u.conf:$line: $pat" "$T/err" && ok "-n names $T/u.conf:$line for $name" \
        || bad "-n $name: want '$T/u.conf:$line: $pat', got: $(cat "$T/err")"
    "$BIN" -f -x "$T/u.conf" >"$T/out" 2>"$T/err" </dev/null &
    local pid=$! i
    for i in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done   # safety bound
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; wait "$pid"; bad "start with $name kept running"; return; fi
    wait "$pid"; local rc=$?
    [ "$rc" = 1 ] && ok "start refuses $name (exit 1)" || bad "start with $name: exit $rc, want 1: $(cat "$T/err")"
    grep -qF -- "$pat" "$T/err" && ok "start says why ($name)" || bad "start with $name: no '$pat' in: $(cat "$T/err")"
    grep -q 'panic' "$T/err" && bad "start with $name panics: $(cat "$T/err")"
}
# (with a socket and a spool that work: the start would otherwise get as far as the drop)
n_refuses "UserID root" "UserID root: that user has uid 0" "Socket unix:$T/u.sock" "UserID root"
n_refuses "a group with gid 0" "UserID nobody:root: that group has gid 0" "Socket unix:$T/u.sock" "UserID nobody:root"
n_refuses "UserID user:group:more" 'UserID: want user or user:group' "UserID nobody:a:b"
n_refuses "an empty unix socket path" 'Socket: want an absolute socket path' "Socket unix:"
n_refuses "a relative socket path" 'Socket: want an absolute socket path' "Socket local:acm.sock"
n_refuses "a socket path longer than sun_path" 'Socket: want an absolute socket path' "Socket unix:/$(printf 'x%.0s' $(seq 1 120))"
n_refuses "port 0" 'Socket: want inet:PORT' "Socket inet:0@127.0.0.1"
n_refuses "port 65536" 'Socket: want inet:PORT' "Socket inet:65536@127.0.0.1"
n_refuses "a port that is no number" 'Socket: want inet:PORT' "Socket inet:smtp@127.0.0.1"
n_refuses "an empty host" 'Socket: want inet:PORT' "Socket inet:8894@"
n_refuses "an unreadable CAFile" "CAFile $T/no-ca.pem: cannot read" "CAFile $T/no-ca.pem"
n_refuses "a CAFile that is a FIFO" "CAFile $T/nr/fifo: cannot read: not a regular file" "CAFile $T/nr/fifo"
if [ "$(id -u)" = 0 ]; then
    n_refuses "a missing user" 'UserID no-such-user-acm: no such user' "UserID no-such-user-acm"
    n_refuses "a missing group" 'UserID nobody:no-such-group-acm: no such group' "UserID nobody:no-such-group-acm"
    user_conf "$T/d.conf"   # no UserID line: the default, acm-milter
    if ! id acm-milter >/dev/null 2>&1; then
        expect "-n refuses the default UserID when that user is missing" 1 "$BIN" -n -x "$T/d.conf"
        grep -qF "$T/d.conf:0: UserID acm-milter (the default): no such user" "$T/err" \
            && ok "-n says the default user is missing" || bad "-n default user: $(cat "$T/err")"
    fi
    if command -v runuser >/dev/null 2>&1; then
        # not root: UserID is not applied, so a missing user is no error; uid 0 still is
        chmod 755 "$T"; user_conf "$T/nr.conf" "UserID no-such-user-acm"; chmod 644 "$T/nr.conf"
        expect "-n as non-root accepts a missing UserID" 0 runuser -u nobody -- "$BIN" -n -x "$T/nr.conf"
        user_conf "$T/nr.conf" "UserID root"; chmod 644 "$T/nr.conf"
        expect "-n as non-root refuses UserID root" 1 runuser -u nobody -- "$BIN" -n -x "$T/nr.conf"
    fi
fi
