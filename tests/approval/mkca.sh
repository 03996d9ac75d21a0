#!/bin/bash
# Make the test PKI of the approval tests (run at test time, never committed).
#
# usage: bash tests/approval/mkca.sh DIR
#
# Writes into DIR (created if needed):
#   ca.key ca.pem            test CA ("acm-milter approval test CA")
#   server.key server.pem    server certificate for IP:127.0.0.1 and DNS:localhost, signed by ca
#   other-ca.key other-ca.pem  a second, unrelated CA (the wrong-CA case: nothing it signed is served)
#   other-server.key other-server.pem  server certificate for the same names signed by other-ca
# Keys are EC P-256 (fast); certificates valid one day from one hour ago.
# Exit status 0 on success, 1 with openssl's message on stderr otherwise.
set -eu
umask 022
D=${1:?usage: mkca.sh DIR}
mkdir -p "$D"
cd "$D"

ca() { # ca NAME CN
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "/O=acm-milter tests/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() { # leaf NAME CA
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/O=acm-milter tests/CN=localhost" 2>/dev/null
    cat >"$1.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
        -out "$1.pem" -days 1 -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

ca ca "acm-milter approval test CA"
ca other-ca "unrelated test CA"
leaf server ca
leaf other-server other-ca
openssl verify -CAfile ca.pem server.pem >/dev/null
openssl verify -CAfile other-ca.pem other-server.pem >/dev/null
if openssl verify -CAfile other-ca.pem server.pem >/dev/null 2>&1; then
    echo "mkca: server.pem verifies against other-ca.pem" >&2; exit 1
fi
chmod 644 ./*.pem ./*.key   # test keys: the milter user must read the CA file
exit 0
