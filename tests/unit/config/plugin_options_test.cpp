// [[plugin]] tables: names, paths, sha256 pins, and the flattening of free-form options.
#include "tests/unit/config/config_test_support.h"

namespace keepdb::config {
namespace {

using testing::error_of;
using testing::load;
using testing::with_storage;
using Options = std::vector<std::pair<std::string, std::string>>;

Options options_of(std::string_view options_toml) {
  const Config config = load(with_storage(
      "[[plugin]]\nname = \"p\"\npath = \"p.so\"\n[plugin.options]\n" + std::string(options_toml)));
  REQUIRE(config.plugins.load.size() == 1);
  return config.plugins.load[0].options;
}

TEST_CASE("config: nested option tables flatten to dotted keys in file order",
          "[config][plugins]") {
  CHECK(options_of("zeta = \"z\"\n"
                   "alpha = \"a\"\n"
                   "tls = { verify = true, ca = \"ca.pem\" }\n"
                   "[plugin.options.limits]\n"
                   "rate = 100\n"
                   "[plugin.options.limits.burst]\n"
                   "size = 10\n") == Options{{"zeta", "z"},
                                             {"alpha", "a"},
                                             {"tls.verify", "true"},
                                             {"tls.ca", "ca.pem"},
                                             {"limits.rate", "100"},
                                             {"limits.burst.size", "10"}});
}

TEST_CASE("config: option arrays flatten to one key per element, by index", "[config][plugins]") {
  CHECK(options_of("roles = [\"read\", \"write\"]\n"
                   "matrix = [[1, 2], [3]]\n"
                   "users = [{ name = \"ann\", admin = true }, { name = \"bob\" }]\n"
                   "none = []\n"
                   "empty = {}\n") == Options{{"roles.0", "read"},
                                              {"roles.1", "write"},
                                              {"matrix.0.0", "1"},
                                              {"matrix.0.1", "2"},
                                              {"matrix.1.0", "3"},
                                              {"users.0.name", "ann"},
                                              {"users.0.admin", "true"},
                                              {"users.1.name", "bob"}});
}

TEST_CASE("config: option values become text in TOML spelling", "[config][plugins]") {
  CHECK(options_of("s = \"with \\\"quotes\\\" and , commas\"\n"
                   "i = -42\n"
                   "hex = 0xff\n"
                   "f = 0.1\n"
                   "whole = 2.0\n"
                   "big = 1e300\n"
                   "inf = -inf\n"
                   "nan = nan\n"
                   "no = false\n"
                   "day = 2024-01-02\n"
                   "at = 1979-05-27T07:32:00Z\n"
                   "time = 07:32:00\n") == Options{{"s", "with \"quotes\" and , commas"},
                                                   {"i", "-42"},
                                                   {"hex", "255"},
                                                   {"f", "0.1"},
                                                   {"whole", "2.0"},
                                                   {"big", "1e+300"},
                                                   {"inf", "-inf"},
                                                   {"nan", "nan"},
                                                   {"no", "false"},
                                                   {"day", "2024-01-02"},
                                                   {"at", "1979-05-27T07:32:00Z"},
                                                   {"time", "07:32:00"}});
}

TEST_CASE("config: option keys that would make the flat form ambiguous are errors",
          "[config][plugins]") {
  const std::string header = "[[plugin]]\nname = \"p\"\npath = \"p.so\"\n[plugin.options]\n";
  CHECK(error_of(with_storage(header + "\"a.b\" = 1")) ==
        "test.toml:5: plugin[0].options.a.b: option keys must be non-empty and must not contain "
        "'.'");
  CHECK(error_of(with_storage(header + "t = { \"\" = 1 }")) ==
        "test.toml:5: plugin[0].options.t.: option keys must be non-empty and must not contain "
        "'.'");
}

TEST_CASE("config: plugins keep file order and resolve paths against plugins.dir",
          "[config][plugins]") {
  const Config config =
      load(with_storage("[plugins]\ndir = \"/opt/kp\"\n"
                        "[[plugin]]\nname = \"b\"\npath = \"sub/../libb.so\"\n"
                        "[[plugin]]\nname = \"a\"\npath = \"/abs/liba.so\"\n"));
  REQUIRE(config.plugins.load.size() == 2);
  CHECK(config.plugins.load[0].name == "b");
  CHECK(config.plugins.load[0].path == "/opt/kp/libb.so");
  CHECK(config.plugins.load[0].line == 3);
  CHECK(config.plugins.load[1].name == "a");
  CHECK(config.plugins.load[1].path == "/abs/liba.so");
  CHECK(config.plugins.load[1].line == 6);
}

TEST_CASE("config: plugin names, paths and sha256 pins are validated", "[config][plugins]") {
  const std::string ok_hash(64, 'A');
  const Config config =
      load(with_storage("[[plugin]]\nname = \"p\"\npath = \"p.so\"\nsha256 = \"" + ok_hash + "\""));
  CHECK(config.plugins.load[0].sha256 == std::string(64, 'a'));

  const auto plugin = [](std::string_view body) {
    return with_storage("[[plugin]]\n" + std::string(body));
  };
  CHECK(error_of(plugin("path = \"p.so\"")) ==
        "test.toml:1: plugin[0].name: required key is missing");
  CHECK(error_of(plugin("name = \"\"\npath = \"p.so\"")) ==
        "test.toml:2: plugin[0].name: must not be empty");
  CHECK(error_of(plugin("name = \"p\"")) == "test.toml:1: plugin[0].path: required key is missing");
  CHECK(error_of(plugin("name = \"p\"\npath = \"p.so\"\nsha256 = \"abc\"")) ==
        "test.toml:4: plugin[0].sha256: must be 64 hexadecimal characters");
  CHECK(error_of(
            plugin("name = \"p\"\npath = \"p.so\"\nsha256 = \"" + std::string(63, 'a') + "g\"")) ==
        "test.toml:4: plugin[0].sha256: must be 64 hexadecimal characters");
  CHECK(error_of(plugin("name = \"p\"\npath = \"p.so\"\noptions = 3")) ==
        "test.toml:4: plugin[0].options: wrong type: expected table, got integer");
  CHECK(error_of(
            plugin("name = \"p\"\npath = \"a.so\"\n[[plugin]]\nname = \"p\"\npath = \"b.so\"")) ==
        "test.toml:5: plugin[1].name: duplicate plugin name 'p' (first at line 2)");
}

}  // namespace
TEST_CASE("config: [plugins] auth_deadline_ms sets the authentication deadline",
          "[config][plugins]") {
  CHECK(load(with_storage("")).plugins.auth_deadline == std::chrono::milliseconds(2000));
  CHECK(load(with_storage("[plugins]\nauth_deadline_ms = 250\n")).plugins.auth_deadline ==
        std::chrono::milliseconds(250));
  CHECK(error_of(with_storage("[plugins]\nauth_deadline_ms = 99\n")) ==
        "test.toml:2: plugins.auth_deadline_ms: must be between 100 and 60000");
  CHECK(error_of(with_storage("[plugins]\nauth_deadline_ms = 60001\n")) ==
        "test.toml:2: plugins.auth_deadline_ms: must be between 100 and 60000");
}

}  // namespace keepdb::config
