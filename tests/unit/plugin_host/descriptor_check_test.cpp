// Descriptor validation and option-schema checks on in-process descriptors.
#include "kernel/plugin_host/descriptor_check.h"

#include <catch2/catch.hpp>

#include "kernel/plugin_host/option_schema.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {
namespace {

kdb_status no_create(const kdb_host_api*, const kdb_option*, size_t, void**, kdb_outbuf*) {
  return KDB_E_INTERNAL;
}
void no_destroy(void*) {}
kdb_status no_auth(void*, const kdb_auth_request*, kdb_principal*, kdb_outbuf*) {
  return KDB_DEFER;
}

const kdb_authenticator_v1 kAuthenticator{sizeof(kdb_authenticator_v1), &no_auth};
const kdb_option_spec kOptions[] = {
    {sizeof(kdb_option_spec), KDB_OPT_REQUIRED, "file", "a file"},
    {sizeof(kdb_option_spec), KDB_OPT_SENSITIVE, "key", "a secret"},
};

kdb_plugin_descriptor valid() {
  return kdb_plugin_descriptor{sizeof(kdb_plugin_descriptor),
                               1,
                               0,
                               "unit-plugin",
                               "1.0",
                               "test",
                               KDB_KIND_AUTHENTICATOR,
                               kOptions,
                               2,
                               &no_create,
                               &no_destroy,
                               &kAuthenticator,
                               nullptr,
                               nullptr,
                               nullptr};
}

// An option spec from a future minor version: one more field at the end.
struct FutureOptionSpec {
  kdb_option_spec v1_0;
  std::uint64_t added_later;
};

}  // namespace

TEST_CASE("descriptor_problem: a valid descriptor passes", "[descriptor]") {
  const kdb_plugin_descriptor d = valid();
  CHECK(abi_major_matches(d));
  CHECK(descriptor_problem(d).empty());
}

TEST_CASE("descriptor_problem: each malformed field is named", "[descriptor]") {
  kdb_plugin_descriptor d = valid();
  std::string expected;
  SECTION("name") {
    d.name = "Bad Name";
    expected = "plugin name may only use a-z, 0-9, '-' and '_'";
  }
  SECTION("missing version") {
    d.version = nullptr;
    expected = "descriptor has no version";
  }
  SECTION("unknown kind") {
    d.kinds |= 1u << 20;
    expected = "descriptor declares an unknown kind";
  }
  SECTION("kind without its table") {
    d.kinds |= KDB_KIND_AUDIT;
    expected = "audit kind without an audit table";
  }
  SECTION("undersized vtable") {
    static const kdb_authenticator_v1 tiny{2, &no_auth};
    d.authenticator = &tiny;
    expected = "authenticator struct_size 2 is smaller than ABI 1.0's 16";
  }
  SECTION("implausible struct_size") {
    d.struct_size = 1u << 30;
    expected = "descriptor struct_size 1073741824 is implausibly large";
  }
  SECTION("duplicate option key") {
    static const kdb_option_spec twice[] = {
        {sizeof(kdb_option_spec), 0, "a", ""},
        {sizeof(kdb_option_spec), 0, "a", ""},
    };
    d.options = twice;
    expected = "option 'a' is declared twice";
  }
  SECTION("unknown option flag") {
    static const kdb_option_spec flagged[] = {{sizeof(kdb_option_spec), 1u << 9, "a", ""}};
    d.options = flagged;
    d.n_options = 1;
    expected = "option 'a' has unknown flags";
  }
  CHECK(descriptor_problem(d) == expected);
}

TEST_CASE("descriptor: a newer, larger option spec is read by its struct_size", "[descriptor]") {
  static const FutureOptionSpec future[] = {
      {{sizeof(FutureOptionSpec), 0, "first", ""}, 1},
      {{sizeof(FutureOptionSpec), KDB_OPT_REQUIRED, "second", ""}, 2},
  };
  kdb_plugin_descriptor d = valid();
  d.options = &future[0].v1_0;
  REQUIRE(descriptor_problem(d).empty());
  CHECK(std::string(option_spec_at(d, 1).key) == "second");
  CHECK_THROWS_WITH(check_options("p", d, {{"first", "x"}}), "p: missing required option 'second'");
  CHECK_NOTHROW(check_options("p", d, {{"second", "y"}}));
}

TEST_CASE("describe_options: sensitive and undeclared values are redacted", "[descriptor]") {
  const kdb_plugin_descriptor d = valid();
  CHECK(describe_options(d, {{"file", "/f"}, {"key", "hunter2"}}) == "file=/f, key=<redacted>");
  CHECK(describe_options(d, {}) == "(none)");
}

}  // namespace keepdb::plugin_host
