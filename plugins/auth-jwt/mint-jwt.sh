#!/usr/bin/env bash
# mint-jwt.sh: mints a JSON Web Token with the openssl command line, for trying the auth-jwt
# plugin (README, "Worked example") and for its integration tests. Production tokens come
# from your identity provider; note that an HMAC key passed to openssl on its command line
# is visible to other local users while it runs.
#
# Usage: mint-jwt.sh ALG KEY_FILE CLAIMS_JSON [KID]
#   ALG          HS256 HS384 HS512 (KEY_FILE: the raw secret), or RS256 RS384 RS512 PS256
#                ES256 ES384 EdDSA (KEY_FILE: the PEM private key)
#   CLAIMS_JSON  the payload, e.g. {"iss":"https://id.example","aud":"keepdb","sub":"alice",
#                "roles":["read"],"exp":1900000000}
#   KID          the key id to put in the header (optional)
# Prints the token on stdout.
set -euo pipefail
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  sed -n '8,15p' "$0" >&2
  exit 2
fi
alg=$1 key=$2 claims=$3 kid=${4:-}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
hex_to_binary() { printf '%b' "$(sed 's/../\\x&/g')"; }
# An ECDSA signature in DER -> JWS r||s, each $1 bytes (zero-padded, sign byte dropped).
der_to_raw() {
  openssl asn1parse -inform DER | awk -F: '/INTEGER/ {print $NF}' | while read -r number; do
    padded=$(printf "%0$(($1 * 2))d%s" 0 "$number")
    printf %s "${padded: -$(($1 * 2))}"
  done | hex_to_binary
}

header="{\"alg\":\"$alg\",\"typ\":\"JWT\"${kid:+,\"kid\":\"$kid\"}}"
input="$(printf %s "$header" | b64url).$(printf %s "$claims" | b64url)"
case $alg in
  HS256 | HS384 | HS512)
    hex=$(od -An -v -tx1 "$key" | tr -d ' \n')
    signature=$(printf %s "$input" |
      openssl dgst "-sha${alg:2}" -mac HMAC -macopt "hexkey:$hex" -binary | b64url) ;;
  RS256 | RS384 | RS512)
    signature=$(printf %s "$input" | openssl dgst "-sha${alg:2}" -sign "$key" -binary | b64url) ;;
  PS256)
    signature=$(printf %s "$input" | openssl dgst -sha256 -sign "$key" \
      -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -binary | b64url) ;;
  ES256 | ES384)
    bytes=$((${alg:2} / 8))
    signature=$(printf %s "$input" | openssl dgst "-sha${alg:2}" -sign "$key" -binary |
      der_to_raw "$bytes" | b64url) ;;
  EdDSA)
    message=$(mktemp)
    trap 'rm -f "$message"' EXIT
    printf %s "$input" > "$message"
    signature=$(openssl pkeyutl -sign -rawin -inkey "$key" -in "$message" | b64url) ;;
  *)
    echo "mint-jwt.sh: unsupported alg '$alg'" >&2
    exit 2 ;;
esac
printf '%s.%s\n' "$input" "$signature"
