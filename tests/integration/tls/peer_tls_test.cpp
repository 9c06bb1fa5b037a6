// Owns peers over mutual TLS end to end (issue 15, item 3): three real keepd processes whose
// peer links go through plugins/tls (`[cluster] transport`, an identity per member) commit
// writes and forward a follower's writes to the leader; node 2 restarted with a certificate
// of the right CA but an identity not in the roster, with another member's certificate, or
// with one from a foreign CA is refused by the others (each refusal logged with the identity
// presented) while they keep committing, and is let back in with its own certificate; an
// expired certificate, plaintext and a stalled handshake are refused at the peer port. And
// the configuration errors a cluster transport can meet stop keepd before it serves.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/cluster/local_cluster.h"
#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/deadline.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_config.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/temp_dir.h"

#if !defined(KEEPDB_TLS_SO) || !defined(KEEPDB_AUTH_CERT_SO)
#error "KEEPDB_TLS_SO and KEEPDB_AUTH_CERT_SO are set by tests/integration/tls/CMakeLists.txt"
#endif

namespace keepdb::integration {
namespace {

namespace fs = std::filesystem;

constexpr fs::perms kTrustedMode = fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec;  // 0755, as keepd wants a plugin dir

// Writes the test certificates (3 nodes, intruder, expired, foreign CA) into dir/tls and
// the plugins keepd loads into dir/plugins.
void prepare(const fs::path& dir) {
  const auto certs = run_program({"/bin/bash", std::string(KEEPDB_SOURCE_DIR) + "/scripts/gen-certs.sh",
                                  (dir / "tls").string(), "3"});
  if (!certs.status.exited_normally(0)) throw std::runtime_error("gen-certs.sh: " + certs.err);
  fs::create_directories(dir / "plugins");
  fs::permissions(dir / "plugins", kTrustedMode);
  for (const fs::path& library : {fs::path(KEEPDB_TLS_SO), fs::path(KEEPDB_AUTH_CERT_SO)}) {
    const fs::path copy = dir / "plugins" / library.filename();
    fs::copy_file(library, copy, fs::copy_options::overwrite_existing);
    fs::permissions(copy, kTrustedMode);
  }
}

// [plugins] and the peer-tls [[plugin]] presenting tls/<cert>.pem, plus `more` lines.
std::string plugin_tables(const fs::path& dir, const std::string& cert, const std::string& more = {}) {
  return "[plugins]\ndir = \"" + (dir / "plugins").string() + "\"\n" +
         "[[plugin]]\nname = \"peer-tls\"\npath = \"" + fs::path(KEEPDB_TLS_SO).filename().string() +
         "\"\n[plugin.options]\ncert_file = \"tls/" + cert + ".pem\"\nkey_file = \"tls/" + cert +
         ".key\"\nca_file = \"tls/ca.pem\"\nrequire_client_cert = true\n" + more;
}

// A 3-node cluster on peer mutual TLS; cert[node] names the certificate each node presents.
struct TlsCluster {
  std::map<unsigned, std::string> cert = {{0, "node1"}, {1, "node2"}, {2, "node3"}};
  LocalCluster cluster{
      3, {}, "peer-tls", {}, {},
      LocalCluster::ExtraLines{
          .cluster = [](unsigned) { return std::string("transport = \"peer-tls\"\n"); },
          .member = [](unsigned m) { return "identity = \"node" + std::to_string(m + 1) + "\"\n"; },
          .tail = [this](unsigned node) { return plugin_tables(cluster.dir(), cert.at(node)); },
          .before_start = prepare}};

  // Restarts `node` presenting `certificate`.
  void restart_as(unsigned node, const std::string& certificate) {
    cluster.stop(node);
    cert[node] = certificate;
    cluster.rewrite_config(node);
    cluster.start(node);
  }
  bool logged(unsigned node, const std::string& text) {
    return poll_until([&] { return cluster.log(node).find(text) != std::string::npos; }, 20s);
  }
  // A write commits through `node`'s client port (forwarded when it is a follower).
  bool commits_through(unsigned node, const std::string& key) {
    return poll_until(
        [&] {
          try {
            return RawClient(cluster.client_port(node)).command({"SET", key, "v"}).text == "OK";
          } catch (const std::exception&) {
            return false;
          }
        },
        20s);
  }
};

std::string keepd_run_error(const fs::path& config) {
  const auto result =
      run_program({keepd_binary().string(), "run", "--config", config.string()}, "", 30s);
  return result.status.exited_normally(0) ? std::string("started") : result.out + result.err;
}

}  // namespace

TEST_CASE("peer tls: a cluster on mutual TLS commits and refuses peers with the wrong certificate",
          "[peer_tls]") {
  TlsCluster tls;
  LocalCluster& cluster = tls.cluster;
  const int leader = cluster.wait_for_leader();
  REQUIRE(leader >= 0);
  const unsigned follower = leader == 0 ? 1 : 0;
  REQUIRE(tls.commits_through(static_cast<unsigned>(leader), "direct"));
  REQUIRE(tls.commits_through(follower, "forwarded"));  // a forwarded write over the TLS link
  for (unsigned node = 0; node < 3; ++node) {
    CHECK(poll_until([&] { return RawClient(cluster.client_port(node)).command({"GET", "forwarded"}).text == "v"; },
                     20s));
  }

  // Plaintext on the TLS peer port, and a handshake that stalls after its first bytes.
  RawClient plaintext(cluster.peer_port(0));
  plaintext.send("GET / HTTP/1.1\r\n\r\n");
  RawClient stalled(cluster.peer_port(0));
  stalled.send(std::string("\x16\x03\x01\x02\x00", 5));

  // Node 2 (index 1) with a certificate from the right CA whose identity is no member's: the
  // others refuse it inbound, and refuse to use their links to it outbound.
  tls.restart_as(1, "intruder");
  CHECK(tls.logged(0, "server 2 presented identity 'intruder', but its roster identity is 'node2'"));
  CHECK(tls.logged(2, "certificate identity 'intruder'"));
  CHECK(tls.commits_through(0, "with-intruder"));

  // Node 2 presenting node 3's certificate: a valid member identity, but not its own.
  tls.restart_as(1, "node3");
  CHECK(tls.logged(0, "server 2 presented identity 'node3', but its roster identity is 'node2'"));
  CHECK(tls.commits_through(2, "with-impostor"));

  // A certificate from another CA fails in the TLS handshake, naming what it presented.
  tls.restart_as(1, "foreign");
  CHECK(tls.logged(0, "unable to get local issuer certificate"));
  CHECK(tls.commits_through(0, "with-foreign"));

  // An expired certificate (keepd refuses to present one, so openssl presents it).
  const fs::path certs = cluster.dir() / "tls";
  run_program({"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(cluster.peer_port(0)),
               "-CAfile", (certs / "ca.pem").string(), "-cert", (certs / "expired.pem").string(),
               "-key", (certs / "expired.key").string()},
              "", 10s);
  CHECK(tls.logged(0, "certificate has expired"));

  CHECK(tls.logged(0, "the peer does not speak TLS"));
  CHECK(tls.logged(0, "no authenticated handshake in time"));  // 5 s, passed meanwhile

  // Back with its own certificate, node 2 catches up on everything committed without it.
  tls.restart_as(1, "node2");
  CHECK(poll_until([&] { return RawClient(cluster.client_port(1)).command({"GET", "with-foreign"}).text == "v"; },
                   20s));
  CHECK(cluster.log(1).find("refused") == std::string::npos);
}

TEST_CASE("peer tls: configuration errors stop keepd before it serves", "[peer_tls]") {
  TempDir dir("peer-tls-config");
  prepare(dir.path());
  write_file(dir / "secret", std::string(64, 'a') + "\n");
  fs::permissions(dir / "secret", fs::perms::owner_read | fs::perms::owner_write);
  const auto config = [&](const std::string& identity_line, const std::string& transport,
                          const std::string& plugins) {
    const std::string text =
        "node_id = 1\n[storage]\ndata_dir = \"data\"\n[client]\nport = " +
        std::to_string(free_port()) + "\n[cluster]\nsecret_file = \"secret\"\npeer_port = " +
        std::to_string(free_port()) + "\ntransport = \"" + transport +
        "\"\n[[cluster.member]]\nid = 1\npeer = \"127.0.0.1:7001\"\nclient = \"127.0.0.1:6001\"\n" +
        identity_line + "[[cluster.member]]\nid = 2\npeer = \"127.0.0.1:7002\"\nclient = "
        "\"127.0.0.1:6002\"\nidentity = \"node2\"\n" + plugins;
    write_file(dir / "keepd.toml", text);
    return keepd_run_error(dir / "keepd.toml");
  };
  const std::string tables = plugin_tables(dir.path(), "node1");

  CHECK_THAT(config("", "peer-tls", tables),
             Catch::Contains("identity") && Catch::Contains("required with cluster.transport"));
  const std::string auth_cert = "[[plugin]]\nname = \"cert\"\npath = \"" +
                                fs::path(KEEPDB_AUTH_CERT_SO).filename().string() +
                                "\"\n[plugin.options]\nprincipals = \"client=read\"\n";
  CHECK_THAT(config("identity = \"node1\"\n", "cert", tables + auth_cert),
             Catch::Contains("cluster.transport = \"cert\": that [[plugin]] is not of kind transport"));
  CHECK_THAT(config("identity = \"node1\"\n", "nothing", tables),
             Catch::Contains("cluster.transport = \"nothing\": no [[plugin]] table has that name"));
  // A TLS server that does not require client certificates cannot present one when dialling.
  const std::string one_way =
      "[plugins]\ndir = \"" + (dir / "plugins").string() + "\"\n[[plugin]]\nname = \"peer-tls\"\n"
      "path = \"" + fs::path(KEEPDB_TLS_SO).filename().string() +
      "\"\n[plugin.options]\ncert_file = \"tls/node1.pem\"\nkey_file = \"tls/node1.key\"\n";
  CHECK_THAT(config("identity = \"node1\"\n", "peer-tls", one_way),
             Catch::Contains("dials peers only with require_client_cert = true"));
}

}  // namespace keepdb::integration
