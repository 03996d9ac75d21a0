# tests/lib/fake.sh: the test PKI and the local fake of the ACM approval site, for a test
# (sourced after common.sh). The fake itself is tests/approval/fake_acm.py; its request log is
# read with tests/approval/fakelog.py.
#
# Contract.
#   pki_make            a test PKI made now in PKI=$T/pki (tests/approval/mkca.sh: a CA, a
#                       server certificate for 127.0.0.1 signed by it, an unrelated second CA)
#   fake_start PORT SITES  the fake on https://127.0.0.1:PORT (0: a free port, in FPORT) serving
#                       the table SITES, logging to FLOG=$T/log/fake-requests.jsonl; true once it
#                       completes a TLS handshake verified with the test CA (no HTTP request, so
#                       its request log holds only what the test sends). FAKE_PID is set; it is
#                       stopped at the end.
#   fake_stop           SIGTERM; true once it is gone
#   fake_down           nothing answers HTTPS on FPORT any more
#   fl ARGS...          tests/approval/fakelog.py on FLOG (count, times, span, show ...)

APPROVAL=$ROOT/tests/approval
PKI='' FLOG='' FPORT='' FAKE_PID='' FAKE_SITES='' FAKE_CLEANUP=''

pki_make() {
    PKI=$T/pki
    bash "$APPROVAL/mkca.sh" "$PKI" >"$T/log/mkca.log" 2>&1 || die "mkca.sh: $(cat "$T/log/mkca.log")"
    chmod 755 "$PKI"
}

fake_tls_ok() { # a TLS handshake verified against the test CA
    "$PY" - "$PKI/ca.pem" "$FPORT" <<'EOF' 2>/dev/null
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2) as s:
    with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
        pass
EOF
}
fake_start() { # fake_start PORT [SITES]
    [ -n "${2:-}" ] && FAKE_SITES=$2
    FLOG=$T/log/fake-requests.jsonl
    [ -z "$FAKE_CLEANUP" ] && { on_exit fake_cleanup; FAKE_CLEANUP=1; }
    rm -f "$T/run/fake.ready"
    bg_start FAKE_PID "$PY" "$APPROVAL/fake_acm.py" --port "$1" --cert "$PKI/server.pem" --key "$PKI/server.key" \
        --sites "$FAKE_SITES" --log "$FLOG" --ready "$T/run/fake.ready" 2>>"$T/log/fake.err"
    poll 10 test -s "$T/run/fake.ready" || return 1
    FPORT=$(cat "$T/run/fake.ready")
    poll 10 fake_tls_ok
}
fake_cleanup() { stop_pid "$FAKE_PID" "fake site"; }
fake_stop() { term_wait "$FAKE_PID" 10; }
fake_down() { ! curl -s -o /dev/null --max-time 2 --cacert "$PKI/ca.pem" "https://127.0.0.1:$FPORT/"; }
fl() { "$PY" "$APPROVAL/fakelog.py" "$FLOG" "$@"; }
