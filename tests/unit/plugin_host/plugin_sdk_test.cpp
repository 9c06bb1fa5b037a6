// The C++ plugin SDK (include/keepdb/plugin_sdk.hpp): the KDB_GUARD exception barrier and
// the config_dir accessor, as a plugin compiles them.
#include <keepdb/plugin_sdk.hpp>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Deny {
  const kdb_host_api* host;
  std::vector<int> unused;
  kdb_status status() const { return KDB_E_DENIED; }
};

kdb_status fail_with(const std::string& what) {
  throw std::runtime_error(what);
}

}  // namespace

TEST_CASE("KDB_GUARD: the body may contain top-level commas", "[sdk]") {
  char text[64];
  kdb_outbuf error{text, sizeof text, 0};
  CHECK(KDB_GUARD(&error, Deny{nullptr, {}}.status()) == KDB_E_DENIED);
  CHECK(KDB_GUARD(&error, std::vector<int>{1, 2, 3}.size() == 3 ? KDB_OK : KDB_E_INTERNAL) ==
        KDB_OK);
  CHECK(error.len == 0);
}

TEST_CASE("KDB_GUARD: an exception becomes a status and a message", "[sdk]") {
  char text[64];
  kdb_outbuf error{text, sizeof text, 0};
  CHECK(KDB_GUARD(&error, fail_with("boom")) == KDB_E_INTERNAL);
  CHECK(std::string(text, error.len) == "boom");
}

TEST_CASE("config_dir: read only from a host that has the field", "[sdk]") {
  kdb_host_api host{};
  host.struct_size = sizeof(kdb_host_api);
  host.config_dir = kdb::sdk::str("/etc/keepdb");
  CHECK(kdb::sdk::config_dir(&host) == "/etc/keepdb");
  host.struct_size = KDB_SIZE_THROUGH(kdb_host_api, auth_complete);  // a 1.0 host
  CHECK(kdb::sdk::config_dir(&host).empty());
  CHECK(kdb::sdk::config_dir(nullptr).empty());
}
