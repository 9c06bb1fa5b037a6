// Owns clients over TLS end to end (issue 15, item 2): keepd with plugins/tls as its client
// transport serves redis-cli --tls and redis-benchmark --tls; with mutual TLS a client needs
// a certificate from the CA and its identity shows in CLIENT LIST; a wrong CA, a plaintext
// client, garbage, a stalled handshake and an oversized ClientHello each fail only their
// own connection, with a log line, while a TLS client keeps working; the node ends a TLS
// stream in order, with close_notify (after a protocol error's reply, which follows the
// pipelined writes' replies; after QUIT; in answer to the client's). With auth-cert (item 4),
// a mapped client certificate is a principal without a password, and still obeys its roles.
// Each runs with the sessions on the network thread and again on I/O threads.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"
#include "tests/integration/seams/seams_keepd.h"

#if !defined(KEEPDB_TLS_SO) || !defined(KEEPDB_AUTH_CERT_SO)
#error "KEEPDB_TLS_SO and KEEPDB_AUTH_CERT_SO are set by tests/integration/tls/CMakeLists.txt"
#endif

namespace keepdb::integration::seams {
namespace {

namespace fs = std::filesystem;

// keepd with plugins/tls on its client listener and certificates in <dir>/tls.
class TlsKeepd {
 public:
  explicit TlsKeepd(PluginTable::Options options, std::string client_lines = {},
                    std::vector<PluginTable> more_plugins = {})
      : keepd_(setup(std::move(options), std::move(client_lines), std::move(more_plugins))) {
    const auto result = run_program(
        {"/bin/bash", std::string(KEEPDB_SOURCE_DIR) + "/scripts/gen-certs.sh", tls("").string(), "1"});
    if (!result.status.exited_normally(0)) throw std::runtime_error("gen-certs.sh: " + result.err);
    keepd_.start();
  }

  SeamsKeepd& keepd() { return keepd_; }
  fs::path tls(const std::string& file) const { return keepd_.dir() / "tls" / file; }

  // redis-cli --tls --cacert ca.pem [extra...] <command...>
  ProgramResult cli(const std::vector<std::string>& command,
                    const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"--tls", "--cacert", tls("ca.pem").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), command.begin(), command.end());
    return RedisCli(keepd_.port()).run(args, CliOutput::kRaw);
  }

  // A raw client over TLS that verifies the node against the test CA.
  RawClient raw_client() {
    return RawClient(keepd_.port(), {.tls_ca_file = tls("ca.pem").string()});
  }

  std::vector<std::string> client_cert() const {
    return {"--cert", tls("client.pem").string(), "--key", tls("client.key").string()};
  }

 private:
  static SeamsSetup setup(PluginTable::Options options, std::string client_lines,
                          std::vector<PluginTable> more_plugins) {
    options.emplace_back("cert_file", "tls/node1.pem");
    options.emplace_back("key_file", "tls/node1.key");
    more_plugins.insert(more_plugins.begin(), PluginTable("tls", KEEPDB_TLS_SO, std::move(options)));
    SeamsSetup setup(std::move(more_plugins));
    setup.client_lines = "transport = \"tls\"\n" + client_lines;
    return setup;
  }

  SeamsKeepd keepd_;
};

}  // namespace

TEST_CASE("tls: redis-cli and redis-benchmark work over TLS", "[tls]") {
  // Sessions on the network thread, then on two I/O threads ([client] io_threads).
  const std::string io_threads = GENERATE(std::string(), std::string("io_threads = 2\n"));
  CAPTURE(io_threads);
  TlsKeepd node({}, io_threads);
  const auto set = node.cli({"SET", "k", "over-tls"});
  INFO(set.err);
  CHECK(set.out == "OK\n");
  CHECK(node.cli({"GET", "k"}).out == "over-tls\n");
  // No client certificate: no identity field.
  CHECK(node.cli({"CLIENT", "INFO"}).out.find("identity=") == std::string::npos);

  const auto bench = run_redis_benchmark(
      node.keepd().port(), {"--tls", "--cacert", node.tls("ca.pem").string(), "-n", "2000", "-c",
                            "10", "-t", "set", "-q"});
  INFO(bench.out << bench.err);
  CHECK(bench.status.exited_normally(0));
  CHECK(bench.out.find("SET:") != std::string::npos);

  // Verifying the server against another CA fails on the client's side.
  const auto wrong_ca = RedisCli(node.keepd().port())
                            .run({"--tls", "--cacert", node.tls("foreign-ca.pem").string(), "PING"},
                                 CliOutput::kRaw);
  CHECK(wrong_ca.out.find("PONG") == std::string::npos);
  CHECK(node.cli({"PING"}).out == "PONG\n");
}

TEST_CASE("tls: mutual TLS needs a client certificate from the CA and shows its identity",
          "[tls]") {
  TlsKeepd node(PluginTable::Options{{"ca_file", "tls/ca.pem"}, {"require_client_cert", "true"}});
  const auto without = node.cli({"PING"});
  CHECK(without.out.find("PONG") == std::string::npos);
  CHECK(node.keepd().wait_for_log("peer did not return a certificate"));

  const auto foreign = node.cli({"PING"}, {"--cert", node.tls("foreign.pem").string(), "--key",
                                           node.tls("foreign.key").string()});
  CHECK(foreign.out.find("PONG") == std::string::npos);

  CHECK(node.cli({"PING"}, node.client_cert()).out == "PONG\n");
  const auto info = node.cli({"CLIENT", "INFO"}, node.client_cert());
  CHECK(info.out.find(" identity=client") != std::string::npos);
}

TEST_CASE("tls: plaintext, garbage, a stalled handshake and an oversized ClientHello harm no "
          "other client",
          "[tls]") {
  // Sessions on the network thread, then on two I/O threads ([client] io_threads).
  const std::string io_threads = GENERATE(std::string(), std::string("io_threads = 2\n"));
  CAPTURE(io_threads);
  TlsKeepd node({}, "handshake_timeout_ms = 500\n" + io_threads);

  RawClient plaintext(node.keepd().port());
  plaintext.send(encode_command({"PING"}));
  CHECK(plaintext.wait_closed());
  CHECK(node.keepd().wait_for_log("the peer does not speak TLS"));

  RawClient garbage(node.keepd().port());
  garbage.send(std::string("\x16\x03\x01\x00\x05garbage-garbage", 20));
  CHECK(garbage.wait_closed());

  RawClient stalled(node.keepd().port());
  stalled.send(std::string("\x16\x03\x01", 3));  // the start of a record, then nothing
  CHECK(stalled.wait_closed());
  CHECK(node.keepd().wait_for_log("transport handshake not completed within "
                                  "client.handshake_timeout_ms = 500"));

  // A handshake record announcing a ClientHello of 1 MiB, then its first bytes.
  RawClient oversized(node.keepd().port());
  std::string hello("\x16\x03\x01\x40\x00\x01\x10\x00\x00", 9);
  hello += std::string(0x4000 - 4, 'A');
  oversized.send(hello);
  CHECK(oversized.wait_closed());
  CHECK(node.keepd().wait_for_log("excessive message size"));

  CHECK(node.cli({"PING"}).out == "PONG\n");
}

TEST_CASE("tls: the node ends a TLS stream in order, with close_notify: a protocol error after "
          "the pipelined writes' replies, QUIT, and in answer to the client's close_notify",
          "[tls]") {
  const std::string io_threads = GENERATE(std::string(), std::string("io_threads = 2\n"));
  CAPTURE(io_threads);
  TlsKeepd node({}, io_threads);
  RawClient client = node.raw_client();
  REQUIRE(client.command({"SET", "tls:k", "1"}).text == "OK");
  // Writes still in Raft, then a multibulk whose bulk length is not a number; then bytes
  // the node reads only to drop them (still inside TLS records).
  client.send(encode_command({"SET", "tls:a", "1"}) + encode_command({"INCR", "tls:n"}) +
              "*1\r\n$x\r\n" + encode_command({"SET", "tls:dropped", "1"}));
  CHECK(client.read_reply_bytes() == "+OK\r\n");
  CHECK(client.read_reply_bytes() == ":1\r\n");
  CHECK(client.read_reply_bytes().starts_with("-ERR Protocol error"));
  CHECK(client.wait_closed());
  CHECK(client.closed_cleanly());
  CHECK(client.buffered().empty());
  RawClient after = node.raw_client();
  const auto values = after.command({"MGET", "tls:a", "tls:n", "tls:dropped"}).elements;
  REQUIRE(values.size() == 3);
  CHECK(values[0].text == "1");
  CHECK(values[1].text == "1");
  CHECK(values[2].null);

  RawClient quits = node.raw_client();
  CHECK(quits.command({"QUIT"}).text == "OK");
  CHECK(quits.wait_closed());
  CHECK(quits.closed_cleanly());

  RawClient leaves = node.raw_client();
  CHECK(leaves.command({"PING"}).text == "PONG");
  leaves.end_writing();
  CHECK(leaves.wait_closed());
  CHECK(leaves.closed_cleanly());
  CHECK(leaves.buffered().empty());
}

TEST_CASE("tls: a mapped client certificate is a principal without a password and obeys its "
          "roles",
          "[tls]") {
  // Sessions on the network thread, then on two I/O threads ([client] io_threads).
  const std::string io_threads = GENERATE(std::string(), std::string("io_threads = 2\n"));
  CAPTURE(io_threads);
  TlsKeepd node(PluginTable::Options{{"ca_file", "tls/ca.pem"}, {"require_client_cert", "true"}},
                io_threads, {PluginTable("cert", KEEPDB_AUTH_CERT_SO, {{"principals", "client=read"}})});
  const auto info = node.cli({"CLIENT", "INFO"}, node.client_cert());
  INFO(info.out << info.err);
  CHECK(info.out.find("user=cert:client") != std::string::npos);
  CHECK(info.out.find(" identity=client") != std::string::npos);
  CHECK(node.cli({"GET", "k"}, node.client_cert()).out.find("NOAUTH") == std::string::npos);
  CHECK(node.cli({"SET", "k", "v"}, node.client_cert()).out.find("NOPERM") != std::string::npos);
  CHECK(node.keepd().wait_for_log("as principal=cert:client by cert"));

  // A certificate from the CA whose identity is not mapped: verified, but not a principal.
  const std::vector<std::string> intruder = {"--cert", node.tls("intruder.pem").string(), "--key",
                                             node.tls("intruder.key").string()};
  CHECK(node.cli({"GET", "k"}, intruder).out.find("NOAUTH") != std::string::npos);
}

}  // namespace keepdb::integration::seams
