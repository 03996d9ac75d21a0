#!/bin/bash
# DKIM tests of acm-milter (SenderAuth dkim).
#
# Run from the repo root, as root:   bash tests/dkim/run.sh
#
# What it does:
#  1. builds the test signer tests/dkim/dkimsign.c (libopendkim) into a temp dir,
#     generates three RSA keys with openssl (certificates.amazon.com, amazonses.com,
#     evil.example) and writes a DKIMTestKeys file with their public keys;
#  2. signs / tampers with tests/data/corpus/new-alt-7bit-qp.eml (its
#     Authentication-Results line removed, so only DKIM can pass) and checks the decision
#     of `acm-milter -x CONF -t MSG` (offline) for each case;
#  3. starts a private Postfix on loopback (tests/lib/postfix.sh: virtual Maildir
#     delivery, syslog sink on /dev/log in a private mount namespace) with two smtpd
#     listeners: one through an acm-milter using DKIMTestKeys, one
#     through an acm-milter WITHOUT DKIMTestKeys started in `unshare -n` (a network
#     namespace with no network: every DNS look-up fails at once), and checks the
#     decision lines in syslog and the delivered messages: a signed message approved, a
#     forged one (d=evil.example) and a modified one denied, and a DNS failure denied
#     with detail=dkim-dns-failure and the human-action text, the mail delivered.
# Everything it starts is stopped and checked gone at the end; the temp dir is removed
# (kept and printed on failure, or with DKIM_KEEP=1).
#
# Environment:
#   ACM_MILTER=PATH     binary under test (default milter/acm-milter)
#   DKIM_TIMEOUT=S      bound of each poll (default 20; a bound, never an assertion)
#   DKIM_KEEP=1         keep the temp dir
#   DKIM_NO_POSTFIX=1   offline cases only (no root needed for those)
#   PYTHON=python3      python interpreter (standard library only)
#
# Exit status: 0 all passed, 1 some failed, 2 cannot run (setup).

. "$(dirname "$0")/../lib/common.sh"
. "$LIB/syslog.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
HERE=$ROOT/tests/dkim
TIMEOUT=${DKIM_TIMEOUT:-20}
NO_POSTFIX=${DKIM_NO_POSTFIX:-}
LIB_KEEP=${DKIM_KEEP:-}
SRC_EML=tests/data/corpus/new-alt-7bit-qp.eml
ALLOWLIST=$ROOT/tests/data/allowlist

# ---------------------------------------------------------------- prerequisites
for c in cc openssl "$PY" timeout sed awk cmp; do
    command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done
[ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"
for f in "$SRC_EML" "$ALLOWLIST" "$HERE/dkimsign.c" tests/data/test.conf; do
    [ -f "$f" ] || die "missing $f"
done
if [ -z "$NO_POSTFIX" ]; then
    [ "$(id -u)" = 0 ] || die "must run as root (private Postfix, /dev/log, unshare); DKIM_NO_POSTFIX=1 for the offline cases only"
    for c in setpriv mount; do
        command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
    done
    lib_reexec_ns -- "$@"
fi
lib_init dkim
# (the milters run as nobody and read the key file in $T/conf)

mkdir -p "$T/msg" "$T/keys" "$T/conf" "$T/spool-offline" || die "mkdir"
chmod 755 "$T/msg" "$T/conf"
chmod 700 "$T/keys"   # private keys: root only; the public key file goes to $T/conf

# ---------------------------------------------------------------- signer and keys
SIGN=$T/dkimsign
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$SIGN" "$HERE/dkimsign.c" -lopendkim \
    >"$T/log/cc.log" 2>&1 || { cat "$T/log/cc.log"; die "cannot build tests/dkim/dkimsign.c"; }
ok "built the test signer (cc -Wall -Wextra -Werror ... -lopendkim)"

KEYS=$T/conf/dkim-test-keys
SEL=s2026
: >"$KEYS"
for pair in acm:certificates.amazon.com ses:amazonses.com evil:evil.example; do
    k=${pair%%:*} dom=${pair#*:}
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/$k.pem" 2>"$T/log/openssl.err" ||
        die "openssl genpkey: $(cat "$T/log/openssl.err")"
    pub=$(openssl pkey -in "$T/keys/$k.pem" -pubout -outform DER 2>>"$T/log/openssl.err" | base64 -w0)
    [ -n "$pub" ] || die "openssl pkey -pubout: $(cat "$T/log/openssl.err")"
    echo "$SEL._domainkey.$dom v=DKIM1; k=rsa; p=$pub" >>"$KEYS"
done
chmod 644 "$KEYS"
ok "generated RSA-2048 keys for certificates.amazon.com, amazonses.com, evil.example; DKIMTestKeys $KEYS"

sign() { # sign KEYNAME DOMAIN IN OUT [dkimsign options]
    local k=$1 d=$2 in=$3 out=$4; shift 4
    "$SIGN" -k "$T/keys/$k.pem" -s "$SEL" -d "$d" "$@" <"$in" >"$out" 2>>"$T/log/sign.err" ||
        die "dkimsign $* -d $d failed: $(tail -n1 "$T/log/sign.err")"
    head -n1 "$out" | grep -q '^DKIM-Signature: ' || die "dkimsign -d $d: no DKIM-Signature on top of $out"
}
tamper() { # tamper IN OUT SED-SCRIPT: a changed copy (asserts that something changed)
    sed "$3" "$1" >"$2" || die "sed $3"
    cmp -s "$1" "$2" && die "sed '$3' changed nothing in $1"
    return 0
}
sigtag() { # sigtag FILE TAG: the value of TAG= in the first DKIM-Signature field
    "$PY" - "$1" "$2" <<'EOF'
import re, sys
data = open(sys.argv[1], 'rb').read().decode('latin-1')
m = re.match(r'DKIM-Signature:(.*?\r?\n)(?![ \t])', data, re.S)
for t in re.sub(r'\s+', '', m.group(1)).split(';') if m else []:
    if t.startswith(sys.argv[2] + '='):
        print(t[len(sys.argv[2]) + 1:])
EOF
}

# ---------------------------------------------------------------- messages
M=$T/msg
grep -v '^Authentication-Results:' "$SRC_EML" >"$M/base.eml"
cmp -s "$SRC_EML" "$M/base.eml" && die "no Authentication-Results line removed from $SRC_EML"
grep -qi '^Authentication-Results:' "$M/base.eml" && die "an Authentication-Results line is left"
NOW=$(date +%s)
HDR='0,/^\r\{0,1\}$/'   # sed address: the header section (up to the blank line)

sign acm certificates.amazon.com "$M/base.eml" "$M/valid.eml"
tamper "$M/valid.eml" "$M/body-modified.eml" 's/Sincerely/Sincerelx/'
tamper "$M/valid.eml" "$M/from-changed.eml" \
    "$HDR"'s/^\(From:.*\)<no-reply@certificates\.amazon\.com>/\1<noreply@certificates.amazon.com>/'
tamper "$M/valid.eml" "$M/subject-changed.eml" \
    "$HDR"'s/^Subject: Certificate request for www\.example\.com/Subject: Fwd: Certificate request for www.example.com/'
sign ses amazonses.com "$M/base.eml" "$M/ses-only.eml"
sign evil evil.example "$M/base.eml" "$M/evil.eml"
sign ses amazonses.com "$M/valid.eml" "$M/acm-and-ses.eml"     # what ACM really sends: both
sign acm certificates.amazon.com "$M/base.eml" "$M/expired.eml" -t $((NOW - 10 * 86400)) -x 3600
sign acm certificates.amazon.com "$M/base.eml" "$M/l-whole.eml" -l
{ cat "$M/l-whole.eml"; printf 'P.S. Please also approve www.evil.example: https://evil.example/\r\n'; } >"$M/l-appended.eml"
sign acm certificates.amazon.com "$M/base.eml" "$M/no-subject-signed.eml" -h From:To:Date
# b= truncated: the signature field without its last line (the end of b=)
awk 'BEGIN { s = 1 } s && NR > 1 && !/^[ \t]/ { s = 0; for (i = 1; i < n; i++) print buf[i] }
     s { buf[++n] = $0; next } { print }' "$M/valid.eml" >"$M/b-truncated.eml"
sed 's/\r$//' "$M/valid.eml" >"$M/valid-lf.eml"   # the same signed message saved with LF endings
tamper "$M/valid.eml" "$M/bad-version.eml" '1s/^DKIM-Signature: v=1;/DKIM-Signature: v=2;/'
tamper "$M/valid.eml" "$M/bad-algorithm.eml" '1s/a=rsa-sha256;/a=rsa-sha999;/'

# what the signer produced (checked, so a broken signer cannot make a case pass by accident)
check "signer: valid.eml has d=certificates.amazon.com, s=$SEL, h= with From and Subject" \
    bash -c '[ "$1" = certificates.amazon.com ] && [ "$2" = '"$SEL"' ] && grep -qi "\(^\|:\)from\(:\|$\)" <<<"$3" && grep -qi "\(^\|:\)subject\(:\|$\)" <<<"$3"' _ \
    "$(sigtag "$M/valid.eml" d)" "$(sigtag "$M/valid.eml" s)" "$(sigtag "$M/valid.eml" h)"
x=$(sigtag "$M/expired.eml" x) t=$(sigtag "$M/expired.eml" t)
check "signer: expired.eml has t=$t x=$x (10 days ago, TTL 3600, x < now)" \
    test -n "$x" -a -n "$t" -a "${x:-0}" = "$((${t:-0} + 3600))" -a "${x:-$NOW}" -lt "$NOW"
l=$(sigtag "$M/l-whole.eml" l)
check "signer: l-whole.eml has l=$l" test -n "$l"
h=$(sigtag "$M/no-subject-signed.eml" h)
check "signer: no-subject-signed.eml has h=$h (no Subject)" bash -c '[ -n "$1" ] && ! grep -qi subject <<<"$1"' _ "$h"
n=$(grep -c '^DKIM-Signature:' "$M/b-truncated.eml")
check "b-truncated.eml: one DKIM-Signature, b= shorter ($(sigtag "$M/b-truncated.eml" b | wc -c) < $(sigtag "$M/valid.eml" b | wc -c) chars)" \
    test "$n" = 1 -a "$(sigtag "$M/b-truncated.eml" b | wc -c)" -lt "$(sigtag "$M/valid.eml" b | wc -c)"

# ---------------------------------------------------------------- configurations
mkconf() { # mkconf NAME SENDERAUTH [with-keys|no-keys] [extra line...]
    local f=$T/conf/$1.conf auth=$2 keys=$3; shift 3
    {
        echo "# generated by tests/dkim/run.sh"
        echo "AllowList $ALLOWLIST"
        echo "SenderAuth $auth"
        [ "$keys" = with-keys ] && echo "DKIMTestKeys $KEYS"
        echo "TrustedAuthservIDs mx.example.com"
        echo "Mode dry-run"
        echo "SpoolDir ${SPOOL:-$T/spool-offline}"
        echo "AddHeader yes"
        local l; for l in "$@"; do echo "$l"; done
    } >"$f"
    chmod 644 "$f"
}
mkconf dkim dkim with-keys "UserID $MUSER"   # -n as root resolves UserID
mkconf dkim-authres "dkim, authres" with-keys "UserID $MUSER"
mkconf dkim-nokeys dkim no-keys "UserID $MUSER"
conf_ok() { # conf_ok NAME: acm-milter -n accepts conf/NAME.conf
    local out rc
    out=$(timeout 20 "$ACM_MILTER" -x "$T/conf/$1.conf" -n 2>&1); rc=$?
    if [ "$rc" = 0 ]; then ok "acm-milter -n accepts $1.conf"
    else fail "acm-milter -n rejects $1.conf (exit $rc): $(tr '\n' ' ' <<<"$out")"; fi
}
for c in dkim dkim-authres dkim-nokeys; do conf_ok "$c"; done

# ---------------------------------------------------------------- offline cases
LINE_TAIL='( |$)'
offline() { # offline NAME CONF MSG REGEX...: acm-milter -t; every REGEX must match the line
    local name=$1 conf=$T/conf/$2.conf msg=$3 out line re bad=""; shift 3
    case $msg in /*) ;; *) msg=$M/$msg ;; esac
    out=$(timeout 20 "$ACM_MILTER" -x "$conf" -t "$msg" 2>"$T/log/offline-$name.err")
    line=$(sed -n 's/^offline: //p' <<<"$out")
    for re in "$@"; do
        case $re in
            '!'*) grep -qE -- "${re#!}" <<<"$line" && bad="$bad [has ${re#!}]" ;;
            *) grep -qE -- "$re" <<<"$line" || bad="$bad [lacks $re]" ;;
        esac
    done
    [ -n "$line" ] || bad=" [no 'offline:' line; stderr: $(tail -n2 "$T/log/offline-$name.err" | tr '\n' ' ')]"
    if [ -z "$bad" ]; then ok "$name: $line"; else fail "$name:$bad: ${line:-<none>}"; fi
}
APPROVE='^decision=approve reason=allowlisted( |$)'
DENY='^decision=deny reason=unauthenticated( |$)'
D() { echo " detail=$1$LINE_TAIL"; }

info "offline (-t) with SenderAuth dkim + DKIMTestKeys"
offline "valid signature by certificates.amazon.com -> approve" dkim valid.eml "$APPROVE" \
    " rule=$ALLOWLIST:1( |$)" '!detail='
# Line endings are not part of DKIM's canonical form (CRLF): the signed message stored with
# LF endings (as Postfix hands folded header fields to a milter: "\n\t") must still pass.
offline "valid signature, message saved with LF line endings -> approve" dkim valid-lf.eml "$APPROVE"
offline "signed by certificates.amazon.com and amazonses.com (as ACM sends) -> approve" dkim acm-and-ses.eml "$APPROVE"
offline "body modified after signing (Sincerely -> Sincerelx) -> deny" dkim body-modified.eml "$DENY" "$(D dkim-fail-body-hash)"
offline "From changed after signing (no-reply -> noreply@certificates.amazon.com) -> deny" dkim from-changed.eml "$DENY" "$(D dkim-fail-signature)"
offline "Subject changed after signing ('Fwd: ' prefix) -> deny" dkim subject-changed.eml "$DENY" "$(D dkim-fail-signature)" \
    ' domain=www\.example\.com '
offline "signed by amazonses.com only -> deny" dkim ses-only.eml "$DENY" "$(D dkim-no-aligned-pass)"
offline "signed by evil.example (valid, not aligned) -> deny" dkim evil.eml "$DENY" "$(D dkim-no-aligned-pass)"
offline "no signature -> deny" dkim base.eml "$DENY" "$(D dkim-no-signature)"
offline "expired signature (t=10 days ago, x=t+3600) -> deny" dkim expired.eml "$DENY" "$(D dkim-fail-expired)"
offline "l= and content appended after signing -> deny" dkim l-appended.eml "$DENY" "$(D dkim-partial-body)"
# l= equal to the whole body: every byte is covered, so nothing an attacker added is
# unsigned; the daemon compares l= with the body length, a pass is acceptable.
offline "l= covering the whole body, nothing appended -> approve (whole body signed)" dkim l-whole.eml "$APPROVE"
offline "broken DKIM-Signature: b= truncated -> deny" dkim b-truncated.eml "$DENY" "$(D 'dkim-[a-z-]+')"
offline "broken DKIM-Signature: v=2 -> deny" dkim bad-version.eml "$DENY" "$(D 'dkim-[a-z-]+')"
offline "broken DKIM-Signature: a=rsa-sha999 -> deny" dkim bad-algorithm.eml "$DENY" "$(D 'dkim-[a-z-]+')"
offline "signature not covering Subject (-h From:To:Date) -> deny" dkim no-subject-signed.eml "$DENY" "$(D dkim-unsigned-from-or-subject)"

info "offline (-t): SenderAuth dkim, authres versus dkim alone (TrustedAuthservIDs mx.example.com)"
offline "dkim, authres: unsigned, trusted Authentication-Results dkim=pass -> approve" dkim-authres \
    "$ROOT/$SRC_EML" "$APPROVE"
offline "dkim only: the same unsigned message with its trusted Authentication-Results -> deny" dkim \
    "$ROOT/$SRC_EML" "$DENY" "$(D dkim-no-signature)"
offline "dkim, authres: unsigned, no Authentication-Results -> deny (both reasons)" dkim-authres base.eml \
    "$DENY" "$(D 'dkim-no-signature,no-trusted-authres')"
offline "dkim, authres: signed by evil.example, no Authentication-Results -> deny" dkim-authres evil.eml \
    "$DENY" "$(D 'dkim-no-aligned-pass,no-trusted-authres')"

info "offline (-t) WITHOUT DKIMTestKeys: no network, no verification"
offline "no DKIMTestKeys, valid signature -> deny detail=dkim-offline (documented: -t does no DNS)" dkim-nokeys valid.eml \
    "$DENY" "$(D dkim-offline)" '!action='

if [ -n "$NO_POSTFIX" ]; then
    info "DKIM_NO_POSTFIX set: Postfix cases skipped"
    exit 0
fi

# ---------------------------------------------------------------- Postfix, syslog sink
milter_dirs "$T/run" "$T/spool-a" "$T/spool-b"
syslog_start
PORT_B=$(free_port) || die "no free port"
SOCK_A=$T/run/acm-keys.sock     # milter A: DKIMTestKeys
SOCK_B=$T/run/acm-nonet.sock    # milter B: DNS, in a network namespace without network
postfix_setup --boxes "admin@example.com postmaster@example.com hostmaster@example.com webmaster@example.com" \
    --milter "unix:$SOCK_A" --smtpd "$PORT_B -o smtpd_milters=unix:$SOCK_B"
PORT_A=$PF_PORT

# ---------------------------------------------------------------- milters
# A: DKIMTestKeys; B: no DKIMTestKeys (real DNS through libopendkim's resolver), DNSTimeout 2,
# started in `unshare -n`: a new network namespace with only a down loopback, so the
# look-up of the key fails at once. Unix sockets (paths) and /dev/log work across it.
SPOOL=$T/spool-a mkconf milter-a dkim with-keys "Socket unix:$SOCK_A" "UserID $MUSER" "PidFile $T/run/a.pid"
SPOOL=$T/spool-b mkconf milter-b dkim no-keys "Socket unix:$SOCK_B" "UserID $MUSER" "PidFile $T/run/b.pid" "DNSTimeout 2"
conf_ok milter-a
conf_ok milter-b

start_milter() { # start_milter NAME SOCKET PIDFILE [wrapper...]: sets MPID
    local name=$1 sock=$2; shift 3
    if milter_start -n "$name" -w "$*" "$T/conf/milter-$name.conf"; then
        ok "milter $name started (pid $MPID, $(stat -c %U "/proc/$MPID"), socket $(stat -c '%A %U:%G' "$sock"))"
    else
        fail "milter $name did not start: $MILTER_WHY"
        exit 1
    fi
}
start_milter a "$SOCK_A" "$T/run/a.pid"
MPID_A=$MPID
start_milter b "$SOCK_B" "$T/run/b.pid" unshare -n
MPID_B=$MPID
netns_self=$(readlink /proc/self/ns/net) netns_b=$(readlink "/proc/$MPID_B/ns/net")
check "milter b runs in its own network namespace ($netns_b, ours $netns_self)" \
    test -n "$netns_b" -a "$netns_b" != "$netns_self"
if command -v nsenter >/dev/null 2>&1; then
    routes=$(nsenter -t "$MPID_B" -n "$PY" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.connect(("192.0.2.1", 53)); print("route")
except OSError as e:
    print("none:", e.strerror)' 2>&1)
    check "milter b's namespace has no route anywhere ($routes)" grep -q '^none' <<<"$routes"
fi
for s in "$SOCK_A" "$SOCK_B"; do
    check "user postfix can connect to $(basename "$s")" sock_connects_as postfix "$s"
done

# ---------------------------------------------------------------- start Postfix
postfix_start

# ---------------------------------------------------------------- send
ENV_FROM=$(sender_of "$M/base.eml" no-reply@certificates.amazon.com)
send() { send_msg "$1" "$ENV_FROM" "$2" "$3"; } # send PORT RCPT FILE -> queue id
# name port rcpt file: the valid one, the forged one, the modified one, DNS failure
CASES=(
    "signed:$PORT_A:admin:valid.eml"
    "forged:$PORT_A:postmaster:evil.eml"
    "modified:$PORT_A:hostmaster:body-modified.eml"
    "dnsfail:$PORT_B:webmaster:valid.eml"
)
declare -A QID RCPT FILE
for c in "${CASES[@]}"; do
    IFS=: read -r name port box file <<<"$c"
    RCPT[$name]=$box@example.com FILE[$name]=$M/$file
    QID[$name]=$(send "$port" "${RCPT[$name]}" "$M/$file")
    check "SMTP ($port) accepted $file for ${RCPT[$name]} (queue id ${QID[$name]:-none})" test -n "${QID[$name]}"
done
[ -s "$T/log/send.err" ] && sed 's/^/# /' "$T/log/send.err"

delivered_all() { local b; for b in admin postmaster hostmaster webmaster; do maildir_file "example.com/$b" >/dev/null || return 1; done; }
t0=$SECONDS
if poll "$TIMEOUT" delivered_all; then ok "all four messages delivered ($((SECONDS - t0)) s)"
else fail "not all messages delivered within $TIMEOUT s"; postqueue -c "$PCONF" -p 2>&1 | sed 's/^/#   /'; fi

# ---------------------------------------------------------------- results
decision_of() { grep -E "acm-milter\[[0-9]+\]: $1: decision=" "$SYSLOG"; }
have_decision() { [ -n "$(decision_of "$1")" ]; }
xhdr() { "$PY" "$LIB/msgcheck.py" header "$1" X-ACM-Milter; }
# the approved one first: once its approval= line is there the worker has seen everything
poll "$TIMEOUT" grep -qE "acm-milter\[$MPID_A\]: ${QID[signed]}: approval=" "$SYSLOG"
for name in signed forged modified dnsfail; do
    [ -n "${QID[$name]}" ] && poll "$TIMEOUT" have_decision "${QID[$name]}"
done

expect_line() { # expect_line NAME PID REGEX...: the one decision line of NAME's message
    local name=$1 pid=$2 q=${QID[$1]} line re bad=""; shift 2
    line=$(decision_of "$q")
    info "$name ($q): ${line:-<no decision line>}"
    [ "$(grep -c . <<<"$line")" = 1 ] || bad="$bad [want exactly one decision line]"
    grep -qE "acm-milter\[$pid\]: $q: " <<<"$line" || bad="$bad [not from pid $pid]"
    for re in "$@"; do grep -qE -- "$re" <<<"$line" || bad="$bad [lacks $re]"; done
    if [ -z "$bad" ]; then ok "postfix $name: syslog line of pid $pid: $(sed 's/.*: \(decision=[a-z]* reason=[a-z-]*\).*/\1/' <<<"$line")"
    else fail "postfix $name:$bad"; fi
}
has_detail() { # has_detail NAME DETAIL: the decision line has detail=DETAIL (the why)
    local line
    line=$(decision_of "${QID[$1]}")
    check "postfix $1: detail=$2 (got ${line##*detail=})" grep -qE " detail=$2( |$)" <<<"$line"
}
delivered() { # delivered NAME: body byte-identical, original headers unchanged, one X-ACM-Milter
    local f out
    XH=''
    f=$(maildir_file "example.com/${RCPT[$1]%@*}") || { fail "postfix $1: not delivered to ${RCPT[$1]}"; return 1; }
    out=$("$PY" "$LIB/msgcheck.py" same "${FILE[$1]}" "$f" X-ACM-Milter)
    check "postfix $1: delivered to ${RCPT[$1]}, body byte-identical, original headers unchanged${out:+: $out}" test -z "$out"
    XH=$(xhdr "$f")
    info "$1: X-ACM-Milter: $XH"
    check "postfix $1: exactly one X-ACM-Milter header" test "$(grep -c . <<<"$XH")" = 1
}
no_approval() { # no_approval NAME
    check "postfix $1: no approval= line for ${QID[$1]}" bash -c "! grep -qE ': ${QID[$1]}: approval=' '$SYSLOG'"
}

# signed by certificates.amazon.com, unchanged: approved
expect_line signed "$MPID_A" ': decision=approve reason=allowlisted( |$)' ' rcpt=admin@example\.com( |$)' " rule=[^ ]*allowlist:1( |$)"
delivered signed && check "postfix signed: X-ACM-Milter: decision=approve reason=allowlisted" \
    grep -qE '^decision=approve reason=allowlisted( |$)' <<<"$XH"
check "postfix signed: '${QID[signed]}: approval=queued' (dry-run)" \
    grep -qE "acm-milter\[$MPID_A\]: ${QID[signed]}: approval=queued( |$)" "$SYSLOG"

# forged: valid signature by evil.example over the ACM message: delivered, not approved
expect_line forged "$MPID_A" ': decision=deny reason=unauthenticated( |$)'
has_detail forged dkim-no-aligned-pass
delivered forged && check "postfix forged: X-ACM-Milter: decision=deny reason=unauthenticated" \
    grep -qE '^decision=deny reason=unauthenticated( |$)' <<<"$XH"
no_approval forged

# modified: signed by certificates.amazon.com, then the body changed: delivered, not approved
expect_line modified "$MPID_A" ': decision=deny reason=unauthenticated( |$)'
has_detail modified dkim-fail-body-hash
delivered modified && check "postfix modified: X-ACM-Milter: decision=deny reason=unauthenticated" \
    grep -qE '^decision=deny reason=unauthenticated( |$)' <<<"$XH"
no_approval modified

# DNS failure: milter b (no DKIMTestKeys, no network): denied with the human-action text,
# the mail delivered
expect_line dnsfail "$MPID_B" ': decision=deny reason=unauthenticated( |$)' \
    ' action="the DKIM key look-up failed: a human must check and approve this request"$'
has_detail dnsfail dkim-dns-failure
delivered dnsfail && check "postfix dnsfail: X-ACM-Milter: decision=deny reason=unauthenticated ... detail=dkim-dns-failure" \
    grep -qE '^decision=deny reason=unauthenticated .*detail=dkim-dns-failure$' <<<"$XH"
no_approval dnsfail

reqs=$(cd "$T" && find spool-a spool-b -name '*.req' | sort | tr '\n' ' ')
check "spool: exactly one dry-run record, spool-a/done/*.req (found: ${reqs:-none})" \
    bash -c '[ "$(wc -w <<<"$1")" = 1 ] && grep -qE "^spool-a/done/[^ ]+\.req $" <<<"$1"' _ "$reqs"

# Postfix's log: each delivered, no milter trouble
for name in signed forged modified dnsfail; do
    check "postfix log: ${QID[$name]} to=<${RCPT[$name]}> status=sent" \
        poll 10 grep -qE "postfix/virtual\[[0-9]+\]: ${QID[$name]}: to=<${RCPT[$name]}>,.* status=sent " "$PLOG"
done
mw=$(grep -iE 'milter' "$PLOG" | grep -iE '(warning|error|fatal|panic)')
check "postfix log: no warning/error about the milters${mw:+: $mw}" test -z "$mw"
check "milters still running after the messages" bash -c "kill -0 $MPID_A && kill -0 $MPID_B"

# ---------------------------------------------------------------- stop
check "postfix stop: master $MASTER_PID gone" postfix_stop
kill -TERM "$MPID_A" "$MPID_B" 2>/dev/null
for p in "$MPID_A" "$MPID_B"; do check "milter $p stops on SIGTERM" wait_gone "$p" 15; done
exit 0
