// Owns certificate and CA rotation of plugins/tls without a restart (issue 15, item 5):
// while a redis-py ssl=True writer keeps one TLS connection busy, a reload swaps the server
// certificate and the CA that verifies client certificates; the writer's connection is
// never dropped, new handshakes get the new certificate and CA, and a reload naming a broken
// certificate file keeps the running one and says why. And a TLS 1.2 renegotiation request
// fails only its own session.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/seams/seams_keepd.h"

#if !defined(KEEPDB_TLS_SO)
#error "KEEPDB_TLS_SO is set by tests/integration/tls/CMakeLists.txt"
#endif

namespace keepdb::integration::seams {
namespace {

namespace fs = std::filesystem;

// `client_lines`: more lines of the [client] table.
SeamsSetup rotation_setup(const std::string& client_lines) {
  SeamsSetup setup({PluginTable("tls", KEEPDB_TLS_SO,
                                {{"cert_file", "tls/node1.pem"},
                                 {"key_file", "tls/node1.key"},
                                 {"ca_file", "tls/ca.pem"}})});
  setup.client_lines = "transport = \"tls\"\n" + client_lines;
  return setup;
}

// redis-cli --tls trusting `ca` (a file in dir/tls), with `extra` arguments, running `command`.
ProgramResult tls_cli(const SeamsKeepd& keepd, const std::string& ca,
                      const std::vector<std::string>& command,
                      const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"--tls", "--cacert", (keepd.dir() / "tls" / ca).string()};
  for (const std::string& arg : extra) {
    args.push_back(arg.starts_with("tls/") ? (keepd.dir() / arg).string() : arg);
  }
  args.insert(args.end(), command.begin(), command.end());
  return RedisCli(keepd.port()).run(args, CliOutput::kRaw);
}

std::size_t dbsize(const SeamsKeepd& keepd, const std::string& ca) {
  const auto reply = tls_cli(keepd, ca, {"DBSIZE"});
  return reply.out.empty() ? 0 : std::stoul(reply.out);
}

}  // namespace

TEST_CASE("tls: certificate and CA rotate by reload under a write load without dropping it",
          "[tls][reload]") {
  // Sessions on the network thread, then on two I/O threads ([client] io_threads).
  const std::string io_threads = GENERATE(std::string(), std::string("io_threads = 2\n"));
  CAPTURE(io_threads);
  SeamsKeepd keepd(rotation_setup(io_threads));
  const auto certs = run_program({"/bin/bash", std::string(KEEPDB_SOURCE_DIR) + "/scripts/gen-certs.sh",
                                  (keepd.dir() / "tls").string(), "1"});
  REQUIRE(certs.status.exited_normally(0));
  keepd.start();
  const fs::path stop_file = keepd.dir() / "stop-writer";
  ChildProcess writer({"/usr/bin/python3",
                       std::string(KEEPDB_SOURCE_DIR) + "/tests/integration/tls/tls_writer.py",
                       std::to_string(keepd.port()), (keepd.dir() / "tls" / "ca.pem").string(),
                       stop_file.string()},
                      Redirects{.stdout_path = keepd.dir() / "writer.out",
                                .stderr_path = keepd.dir() / "writer.err"});
  REQUIRE(poll_until([&] { return dbsize(keepd, "ca.pem") >= 50; }, 20s));
  // Before: client.pem (from ca.pem) is a valid optional client certificate.
  CHECK(tls_cli(keepd, "ca.pem", {"PING"}, {"--cert", "tls/client.pem", "--key", "tls/client.key"}).out ==
        "PONG\n");

  // Rotate to the foreign CA's certificate, verifying client certificates against it.
  keepd.setup().plugins[0].options = {{"cert_file", "tls/foreign.pem"},
                                      {"key_file", "tls/foreign.key"},
                                      {"ca_file", "tls/foreign-ca.pem"}};
  keepd.rewrite_config();
  keepd.send_signal(SIGHUP);
  REQUIRE(keepd.wait_for_log("new instances of tls", 20s));
  CHECK(tls_cli(keepd, "foreign-ca.pem", {"PING"}).out == "PONG\n");  // the new certificate
  CHECK(tls_cli(keepd, "ca.pem", {"PING"}).out.find("PONG") == std::string::npos);
  CHECK(tls_cli(keepd, "foreign-ca.pem", {"PING"}, {"--cert", "tls/client.pem", "--key", "tls/client.key"})
            .out.find("PONG") == std::string::npos);  // the old CA no longer verifies clients
  CHECK(tls_cli(keepd, "foreign-ca.pem", {"PING"}, {"--cert", "tls/foreign.pem", "--key", "tls/foreign.key"})
            .out == "PONG\n");

  // The writer, on its connection from before the rotation, keeps writing.
  const std::size_t rotated_at = dbsize(keepd, "foreign-ca.pem");
  REQUIRE(poll_until([&] { return dbsize(keepd, "foreign-ca.pem") >= rotated_at + 50; }, 20s));

  // A broken certificate file: the reload fails with the reason, the running one stays.
  write_file(keepd.dir() / "tls" / "broken.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  keepd.setup().plugins[0].options[0].second = "tls/broken.pem";
  keepd.rewrite_config();
  const auto reload = tls_cli(keepd, "foreign-ca.pem", {"KEEPDB.RELOAD"});
  CHECK_THAT(reload.out, Catch::Contains("reload failed") && Catch::Contains("broken.pem") &&
                             Catch::Contains("the running configuration is kept"));
  CHECK(tls_cli(keepd, "foreign-ca.pem", {"PING"}).out == "PONG\n");

  write_file(stop_file, "");
  REQUIRE(writer.wait(20s));
  const std::string result = read_file(keepd.dir() / "writer.out");
  INFO(result << read_file(keepd.dir() / "writer.err"));
  CHECK(result.starts_with("ok "));
  CHECK(result.find(" True") != std::string::npos);  // the same connection throughout
}

TEST_CASE("tls: a renegotiation request over TLS 1.2 is refused without harm to others",
          "[tls]") {
  SeamsSetup setup({PluginTable("tls", KEEPDB_TLS_SO,
                                {{"cert_file", "tls/node1.pem"},
                                 {"key_file", "tls/node1.key"},
                                 {"min_version", "1.2"}})});
  setup.client_lines = "transport = \"tls\"\n";
  SeamsKeepd keepd(std::move(setup));
  REQUIRE(run_program({"/bin/bash", std::string(KEEPDB_SOURCE_DIR) + "/scripts/gen-certs.sh",
                       (keepd.dir() / "tls").string(), "1"})
              .status.exited_normally(0));
  keepd.start();
  // s_client reads a line "R" as: renegotiate now. It is sent once s_client reports the
  // handshake done; the server fails that session only.
  const std::string renegotiate =
      "coproc S { /usr/bin/openssl s_client -connect 127.0.0.1:" + std::to_string(keepd.port()) +
      " -tls1_2 -CAfile '" + (keepd.dir() / "tls" / "ca.pem").string() +
      "' 2>&1; }; while read -r line <&\"${S[0]}\"; do if [[ $line == *'Verify return code'* ]]; "
      "then echo R >&\"${S[1]}\"; break; fi; done; cat <&\"${S[0]}\"";
  const auto client = run_program({"/bin/bash", "-c", renegotiate}, "", 20s);
  INFO(client.out);
  CHECK(client.out.find("RENEGOTIATING") != std::string::npos);
  CHECK(keepd.wait_for_log("renegotiation is refused", 20s));
  CHECK(tls_cli(keepd, "ca.pem", {"PING"}).out == "PONG\n");
}

}  // namespace keepdb::integration::seams
