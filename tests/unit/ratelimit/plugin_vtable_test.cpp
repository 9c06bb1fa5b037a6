// The built libkeepdb_ratelimit.so through its C ABI only, with a fake host whose monotonic
// clock the test sets: the descriptor, create() refusing bad options with a clear message,
// check() with its retry hint, tick() and destroy().
#include <dlfcn.h>
#include <keepdb/plugin.h>
#include <catch2/catch.hpp>
#include <cstddef>

#include <string>
#include <vector>

#include "tests/unit/ratelimit/limiter_support.h"

namespace keepdb::ratelimit::test {
namespace {

struct FakeHost {
  std::uint64_t now_ns = kT0;
  std::vector<std::string> log;
  kdb_host_api api{};

  FakeHost() {
    api.struct_size = sizeof(kdb_host_api);
    api.abi_major = 1;
    api.abi_minor = 1;
    api.ctx = this;
    api.log = [](void* ctx, int, kdb_str line) {
      static_cast<FakeHost*>(ctx)->log.emplace_back(line.ptr, line.len);
    };
    api.monotonic_ns = [](void* ctx) { return static_cast<FakeHost*>(ctx)->now_ns; };
    api.wall_ns = [](void*) -> std::uint64_t { return 0; };
    api.random_bytes = [](void*, std::uint8_t* out, size_t n) {
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 37 + 11);
      return kdb_status{KDB_OK};
    };
  }
};

const kdb_plugin_descriptor& descriptor(const kdb_host_api& host) {
  void* library = dlopen(KEEPDB_RATELIMIT_SO, RTLD_NOW | RTLD_LOCAL);
  REQUIRE(library != nullptr);
  const auto entry = reinterpret_cast<const kdb_plugin_descriptor* (*)(const kdb_host_api*)>(
      dlsym(library, "kdb_plugin_entry_v1"));
  REQUIRE(entry != nullptr);
  const kdb_plugin_descriptor* found = entry(&host);
  REQUIRE(found != nullptr);
  return *found;  // libraries are never unloaded (plugin.h convention 8)
}

struct Created {
  kdb_status status;
  void* instance;
  std::string error;
};

Created create(const kdb_plugin_descriptor& plugin, const kdb_host_api& host, Options options) {
  std::vector<kdb_option> pairs;
  for (const auto& [key, value] : options) {
    pairs.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
  }
  char buffer[1024];
  kdb_outbuf error{buffer, sizeof buffer, 0};
  void* instance = nullptr;
  const kdb_status status = plugin.create(&host, pairs.data(), pairs.size(), &instance, &error);
  return {status, instance, std::string(buffer, error.len)};
}

// One query; `reason` (when given) receives the denial's reason. `query_size` below
// sizeof(kdb_admission_query) plays a host of an older ABI minor.
kdb_status check(const kdb_plugin_descriptor& plugin, void* instance, std::uint32_t event,
                 std::uint64_t conn_id, std::string_view addr, std::uint32_t* retry,
                 std::string* reason = nullptr,
                 std::uint32_t query_size = sizeof(kdb_admission_query)) {
  const kdb_conn_info conn{
      sizeof(kdb_conn_info), conn_id, {addr.data(), addr.size()}, 40000, 6379, nullptr, 0, {}};
  char buffer[160];
  kdb_outbuf reason_buffer{buffer, sizeof buffer, 0};
  const kdb_admission_query query{
      query_size, event, &conn, {nullptr, 0}, {"GET", 3}, 20, &reason_buffer};
  const kdb_status status = plugin.admission->check(instance, &query, retry);
  if (reason != nullptr) *reason = std::string(buffer, reason_buffer.len);
  return status;
}

}  // namespace

TEST_CASE("ratelimit vtable: the descriptor declares an admission provider and its schema",
          "[ratelimit][vtable]") {
  FakeHost host;
  const kdb_plugin_descriptor& plugin = descriptor(host.api);
  CHECK(std::string(plugin.name) == "ratelimit");
  CHECK(plugin.abi_major == 1);
  CHECK(plugin.kinds == KDB_KIND_ADMISSION);
  CHECK(plugin.admission != nullptr);
  CHECK(plugin.authenticator == nullptr);
  CHECK(plugin.n_options == option_schema().size());
  for (size_t i = 0; i < plugin.n_options; ++i) {
    CHECK(plugin.options[i].struct_size == sizeof(kdb_option_spec));
    CHECK(plugin.options[i].flags == 0);
  }
}

TEST_CASE("ratelimit vtable: create refuses bad options with a one-line reason",
          "[ratelimit][vtable]") {
  FakeHost host;
  const kdb_plugin_descriptor& plugin = descriptor(host.api);
  const Created unknown = create(plugin, host.api, {{"colour", "blue"}});
  CHECK(unknown.status == KDB_E_INVALID);
  CHECK(unknown.instance == nullptr);
  CHECK(unknown.error == "unknown option 'colour'");
  const Created cidr = create(plugin, host.api, {{"allow", "10.0.0.0/40"}});
  CHECK(cidr.status == KDB_E_INVALID);
  CHECK(cidr.error.find("allow: '10.0.0.0/40' is not an IP address or CIDR range") == 0);
  const Created negative = create(plugin, host.api, {{"commands_per_second_per_connection", "-1"}});
  CHECK(negative.status == KDB_E_INVALID);
  CHECK(negative.error.find("'commands_per_second_per_connection' must be a number") !=
        std::string::npos);
}

TEST_CASE("ratelimit vtable: check denies with a retry hint on the host's clock",
          "[ratelimit][vtable]") {
  FakeHost host;
  const kdb_plugin_descriptor& plugin = descriptor(host.api);
  const Created created = create(plugin, host.api,
                                 {{"commands_per_second_per_connection", "2"},
                                  {"stats_interval_ms", "1000"},
                                  {"ban_table", "vtable-test"}});
  REQUIRE(created.status == KDB_OK);
  void* instance = created.instance;
  std::uint32_t retry = 77;
  CHECK(check(plugin, instance, KDB_ADM_CONNECT, 1, "127.0.0.5", &retry) == KDB_OK);
  CHECK(retry == 0);
  CHECK(check(plugin, instance, KDB_ADM_COMMAND, 1, "127.0.0.5", &retry) == KDB_OK);
  CHECK(check(plugin, instance, KDB_ADM_COMMAND, 1, "127.0.0.5", &retry) == KDB_OK);
  std::string reason;
  CHECK(check(plugin, instance, KDB_ADM_COMMAND, 1, "127.0.0.5", &retry, &reason) == KDB_E_DENIED);
  CHECK(retry == 500);
  CHECK(reason == "rate limit exceeded (commands_per_connection)");
  // A host without the 1.3 reason field gets the denial and no write past its query.
  reason = "untouched";
  CHECK(check(plugin, instance, KDB_ADM_COMMAND, 1, "127.0.0.5", &retry, &reason,
              offsetof(kdb_admission_query, reason)) == KDB_E_DENIED);
  CHECK(reason.empty());
  host.now_ns += 500 * kMs;
  CHECK(check(plugin, instance, KDB_ADM_COMMAND, 1, "127.0.0.5", nullptr) == KDB_OK);
  // A query without a connection is refused as invalid, not admitted.
  const kdb_admission_query bare{
      sizeof(kdb_admission_query), KDB_ADM_COMMAND, nullptr, {}, {}, 0, nullptr};
  CHECK(plugin.admission->check(instance, &bare, &retry) == KDB_E_INVALID);
  plugin.admission->tick(instance, host.now_ns + kSec);
  REQUIRE(host.log.size() == 1);
  CHECK(host.log[0].find("commands_per_connection=2") != std::string::npos);
  CHECK(check(plugin, instance, KDB_ADM_DISCONNECT, 1, "127.0.0.5", &retry) == KDB_OK);
  plugin.destroy(instance);
}

}  // namespace keepdb::ratelimit::test
