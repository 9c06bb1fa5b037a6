// How a peer's verified certificate is matched to its cluster roster entry
// (util::PeerIdentity::has_name): exactly its CN, a DNS SAN or a URI SAN, never for an
// unverified certificate or an empty roster identity, never by prefix, suffix or case.
#include <catch2/catch.hpp>

#include "util/transport_session.h"

namespace keepdb::util {
namespace {

PeerIdentity node2() {
  PeerIdentity identity;
  identity.verified = true;
  identity.subject_dn = "CN=node2,O=KeepDB test";
  identity.common_name = "node2";
  identity.dns_sans = {"localhost", "node2.cluster.example"};
  identity.uri_sans = {"spiffe://keepdb/node/2"};
  return identity;
}

TEST_CASE("peer identity matches the CN or a DNS or URI SAN exactly", "[peer_identity]") {
  const PeerIdentity identity = node2();
  CHECK(identity.has_name("node2"));
  CHECK(identity.has_name("node2.cluster.example"));
  CHECK(identity.has_name("spiffe://keepdb/node/2"));
  CHECK_FALSE(identity.has_name("node3"));
  CHECK_FALSE(identity.has_name("node"));         // a prefix
  CHECK_FALSE(identity.has_name("node22"));       // a longer name
  CHECK_FALSE(identity.has_name("NODE2"));        // names compare exactly
  CHECK_FALSE(identity.has_name("CN=node2,O=KeepDB test"));  // the DN is not a name
  CHECK_FALSE(identity.has_name("spiffe://keepdb/node"));
  CHECK_FALSE(identity.has_name(std::string_view("node2\0", 6)));  // an embedded NUL
}

TEST_CASE("peer identity never matches unverified or empty", "[peer_identity]") {
  PeerIdentity identity = node2();
  CHECK_FALSE(identity.has_name(""));
  identity.verified = false;  // a certificate the session did not verify proves nothing
  CHECK_FALSE(identity.has_name("node2"));
  CHECK(identity.display_name().empty());
  const PeerIdentity none;
  CHECK_FALSE(none.has_name("node2"));
  CHECK_FALSE(none.has_name(""));
}

}  // namespace
}  // namespace keepdb::util
