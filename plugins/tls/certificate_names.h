// The names a certificate carries (subject DN, CN, DNS and URI SANs), read with OpenSSL,
// and the allow-list match on them. Used for kdb_peer_identity and allowed_identities.
//
// Thread-safety: plain values; functions are reentrant.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace keepdb::tls {

struct CertificateNames {
  std::string subject_dn;  // RFC 4514
  std::string common_name;
  std::vector<std::string> dns_sans;
  std::vector<std::string> uri_sans;

  static CertificateNames of(const X509* certificate);
  // "CN=node1 DNS:localhost,node1 URI:...": for refusals in logs (names only, no key).
  std::string describe() const;
  // True when an entry of `allowed` ("cn:", "dns:", "uri:" or bare, see Settings) matches.
  bool matches_any(const std::vector<std::string>& allowed) const;
};

}  // namespace keepdb::tls
