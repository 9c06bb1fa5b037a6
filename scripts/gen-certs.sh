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

# cert NAME CN DAYS [-CA ISSUER.pem -CAkey ISSUER.key] [-addext EXT]...: a fresh P-256 key
# in NAME.key and its certificate NAME.pem, self-signed unless an issuer is given.
cert() {
  local name=$1 cn=$2 days=$3
  shift 3
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout "$name.key" \
    -out "$name.pem" -days "$days" -subj "/O=KeepDB test/CN=$cn" "$@" 2>/dev/null
}

# ca NAME CN: a CA certificate valid 30 days.
ca() {
  cert "$1" "$2" 30 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# leaf NAME CN ISSUER USAGE SAN: a certificate signed by ISSUER, valid 30 days.
leaf() {
  cert "$1" "$2" 30 -CA "$3.pem" -CAkey "$3.key" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=$4" \
    -addext "subjectAltName=$5"
}

node_san() { echo "IP:127.0.0.1,DNS:localhost,DNS:$1"; }

ca ca "KeepDB test CA"
for n in $(seq 1 "$nodes"); do
  leaf "node$n" "node$n" ca serverAuth,clientAuth "$(node_san "node$n")"
done
leaf client client ca clientAuth URI:keepdb://client
leaf intruder intruder ca serverAuth,clientAuth "$(node_san intruder)"
# Expired: made as a node's, then signed again by the CA with a validity that ended before
# it began (`openssl req` refuses a negative -days; `openssl x509 -req` takes -1).
leaf expired expired ca serverAuth,clientAuth "$(node_san expired)"
openssl x509 -x509toreq -in expired.pem -key expired.key -copy_extensions copyall \
  -out "$work/expired.csr" 2>/dev/null
openssl x509 -req -in "$work/expired.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
  -CAserial "$work/ca.srl" -days -1 -copy_extensions copyall -out expired.pem 2>/dev/null
ca foreign-ca "Foreign test CA"
leaf foreign client foreign-ca serverAuth,clientAuth "$(node_san client)"

chmod 600 ./*.pem ./*.key
echo "gen-certs.sh: wrote $(ls ./*.pem | wc -l) certificates to $(pwd) (TEST ONLY)" >&2
