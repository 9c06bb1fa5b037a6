// PeerIdentity's display name.
#include "util/transport_session.h"

namespace keepdb::util {

std::string PeerIdentity::display_name() const {
  if (!verified) return {};
  if (!common_name.empty()) return common_name;
  if (!uri_sans.empty()) return uri_sans.front();
  if (!dns_sans.empty()) return dns_sans.front();
  return subject_dn;
}

}  // namespace keepdb::util
