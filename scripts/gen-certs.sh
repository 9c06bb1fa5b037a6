#!/usr/bin/env bash
# gen-certs.sh: test and demo certificates for plugins/tls, made with the openssl CLI.
#
#   scripts/gen-certs.sh OUT_DIR [NODES]     (NODES: how many node certificates, default 3)
#
# Writes into OUT_DIR (created 0700; every file 0600):
#   ca.pem ca.key                   the test CA
#   nodeN.pem nodeN.key             N = 1..NODES: CN=nodeN, SANs IP:127.0.0.1, DNS:localhost,
#                                   DNS:nodeN; server and client use (nodes dial each other)
#   client.pem client.key           CN=client, SAN URI:keepdb://client, client use
#   intruder.pem intruder.key       CN=intruder from the same CA: valid, but in no allow-list
#   expired.pem expired.key         CN=expired, SANs as a node, from the CA, already expired
#   foreign-ca.pem foreign-ca.key   another CA
#   foreign.pem foreign.key         CN=client, SANs as a node, signed by the foreign CA
# Keys are ECDSA P-256. Existing files in OUT_DIR are overwritten.
set -euo pipefail

cat >&2 <<'EOF'
gen-certs.sh: *** THESE CERTIFICATES ARE FOR TESTS AND DEMOS ONLY. NOT FOR PRODUCTION. ***
gen-certs.sh: the CA key sits next to the certificates it signed, unprotected; anyone who
gen-certs.sh: reads OUT_DIR can mint identities your nodes will trust.
EOF

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [NODES]" >&2
  exit 2
fi
out=$1
nodes=${2:-3}
if ! [[ "$nodes" =~ ^[0-9]+$ ]] || [ "$nodes" -lt 1 ]; then
  echo "gen-certs.sh: NODES must be a positive integer" >&2
  exit 2
fi

umask 077
mkdir -p "$out"
chmod 700 "$out"
cd "$out"
work=$(mktemp -d ./.gen-certs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# key NAME: a fresh P-256 key in NAME.key.
key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null
}

# ca NAME CN: a self-signed CA certificate NAME.pem with its key NAME.key, valid 30 days.
ca() {
  key "$1"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 -subj "/O=KeepDB test/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
}

# leaf NAME CN ISSUER DAYS EXTENSIONS: NAME.pem signed by ISSUER for DAYS days (-1: expired).
leaf() {
  local name=$1 cn=$2 issuer=$3 days=$4 extensions=$5
  key "$name"
  openssl req -new -key "$name.key" -out "$work/$name.csr" -subj "/O=KeepDB test/CN=$cn" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "$extensions" > "$work/$name.ext"
  openssl x509 -req -in "$work/$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
    -CAcreateserial -CAserial "$work/$issuer.srl" -days "$days" -sha256 \
    -extfile "$work/$name.ext" -out "$name.pem" 2>/dev/null
}

node_extensions() {
  printf '%s\n' "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:$1"
}

ca ca "KeepDB test CA"
for n in $(seq 1 "$nodes"); do
  leaf "node$n" "node$n" ca 30 "$(node_extensions "node$n")"
done
leaf client client ca 30 "$(printf '%s\n' extendedKeyUsage=clientAuth subjectAltName=URI:keepdb://client)"
leaf intruder intruder ca 30 "$(node_extensions intruder)"
leaf expired expired ca -1 "$(node_extensions expired)"
ca foreign-ca "Foreign test CA"
leaf foreign client foreign-ca 30 "$(node_extensions client)"

chmod 600 ./*.pem ./*.key
echo "gen-certs.sh: wrote $(ls ./*.pem | wc -l) certificates to $(pwd) (TEST ONLY)" >&2
