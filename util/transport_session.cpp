// PeerIdentity's display name and roster match.
#include "util/transport_session.h"

#include <algorithm>

namespace keepdb::util {

std::string PeerIdentity::display_name() const {
  if (!verified) return {};
  if (!common_name.empty()) return common_name;
  if (!uri_sans.empty()) return uri_sans.front();
  if (!dns_sans.empty()) return dns_sans.front();
  return subject_dn;
}

bool PeerIdentity::has_name(std::string_view name) const {
  if (!verified || name.empty()) return false;
  const auto listed = [name](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  return common_name == name || listed(dns_sans) || listed(uri_sans);
}

}  // namespace keepdb::util
