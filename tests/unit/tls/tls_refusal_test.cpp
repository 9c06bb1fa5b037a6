// plugins/tls refusals, in memory: a server certificate from another CA, expired
// certificates, mutual TLS without a client certificate or with one from a foreign CA, an
// identity not in allowed_identities, and create() refusing unsafe or broken options.
// Every refusal fails the session with KDB_E_TLS and a reason naming what the peer
// presented.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/unit/tls/tls_test_support.h"

namespace keepdb::tls::test {
namespace {

Options mutual_server(const Options& changes = {}) {
  return with(server_options({{"ca_file", cert("ca.pem")}, {"require_client_cert", "true"}}),
              changes);
}

Options client_with(const std::string& name) {
  return client_options({{"cert_file", cert(name + ".pem")}, {"key_file", cert(name + ".key")}});
}

TEST_CASE("tls a server certificate from another CA is refused") {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options({{"ca_file", cert("foreign-ca.pem")}}));
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  CHECK(client.failure() == KDB_E_TLS);
  CHECK_THAT(client.failure_message(), Catch::Contains("CN=node1"));
  CHECK_THAT(client.failure_message(), Catch::Contains("unable to get local issuer certificate"));
  CHECK(client.closed());
  CHECK_FALSE(client.established());
  CHECK(server.failure() == KDB_E_TLS);  // the client's alert
  CHECK_FALSE(server.established());
}

TEST_CASE("tls expired certificates are refused") {
  SECTION("a server presenting one") {
    const Instance client_instance(client_options());
    Session client(client_instance);
    RawPeer server({true, cert("expired.pem"), cert("expired.key"), "", 0});
    pump(client, server);
    CHECK(client.failure() == KDB_E_TLS);
    CHECK_THAT(client.failure_message(), Catch::Contains("CN=expired"));
    CHECK_THAT(client.failure_message(), Catch::Contains("certificate has expired"));
  }
  SECTION("a client presenting one") {
    const Instance server_instance(mutual_server());
    Session server(server_instance);
    RawPeer client({false, cert("expired.pem"), cert("expired.key"), cert("ca.pem"), 0});
    pump(client, server);
    CHECK(server.failure() == KDB_E_TLS);
    CHECK_THAT(server.failure_message(), Catch::Contains("CN=expired"));
    CHECK_THAT(server.failure_message(), Catch::Contains("certificate has expired"));
    CHECK_FALSE(server.established());
  }
  SECTION("the plugin's own, at create") {
    const std::string refusal = Instance::refusal(
        server_options({{"cert_file", cert("expired.pem")}, {"key_file", cert("expired.key")}}));
    CHECK_THAT(refusal, Catch::Contains("expired.pem expired on"));
  }
}

TEST_CASE("tls mutual TLS refuses a client without a certificate") {
  const Instance server_instance(mutual_server());
  const Instance client_instance(client_options());
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(), Catch::Contains("certificate"));
  CHECK_FALSE(server.established());
  CHECK(server.identity() == nullptr);
  CHECK(client.failure() == KDB_E_TLS);  // TLS 1.3: the alert arrives after its Finished
}

TEST_CASE("tls mutual TLS refuses a client certificate from a foreign CA") {
  const Instance server_instance(mutual_server());
  const Instance client_instance(client_with("foreign"));
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(), Catch::Contains("CN=client"));
  CHECK_THAT(server.failure_message(), Catch::Contains("unable to get local issuer certificate"));
  CHECK_FALSE(server.established());
}

TEST_CASE("tls an identity not in allowed_identities is refused") {
  const Instance server_instance(mutual_server({{"allowed_identities", "node2,cn:client"}}));
  const Instance intruder(client_with("intruder"));
  Session server(server_instance);
  Session client(intruder);
  pump(client, server);
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(),
             Catch::Contains("peer identity CN=intruder DNS:localhost,intruder is not in "
                             "allowed_identities"));
  CHECK_FALSE(server.established());

  // A client checks the server's identity the same way.
  const Instance picky(client_options({{"allowed_identities", "dns:node2"}}));
  const Instance open_server(server_options());
  Session server2(open_server);
  Session client2(picky);
  pump(client2, server2);
  CHECK(client2.failure() == KDB_E_TLS);
  CHECK_THAT(client2.failure_message(), Catch::Contains("CN=node1"));
}

TEST_CASE("tls a client refuses a server without the expected name") {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options({{"server_name", "node2"}}));
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  CHECK(client.failure() == KDB_E_TLS);
  CHECK_THAT(client.failure_message(), Catch::Contains("hostname mismatch"));

  const Instance by_address(client_options({{"server_name", "127.0.0.1"}}));
  Session server2(server_instance);
  Session client2(by_address);
  pump(client2, server2);
  CHECK(client2.established());
}

TEST_CASE("tls create refuses a key file readable by group or others") {
  const std::filesystem::path key = cert_dir() / "loose.key";
  std::filesystem::copy_file(cert("node1.key"), key,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(::chmod(key.c_str(), 0640) == 0);
  const std::string refusal = Instance::refusal(server_options({{"key_file", key.string()}}));
  CHECK_THAT(refusal, Catch::Contains(key.string() + " has mode 0640"));
  CHECK_THAT(refusal, Catch::Contains("group or others"));
  CHECK_THAT(refusal, !Catch::Contains("PRIVATE KEY"));
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  CHECK(Instance::refusal(server_options({{"key_file", key.string()}})).empty());
  std::filesystem::remove(key);
}

TEST_CASE("tls create refuses broken options") {
  CHECK_THAT(Instance::refusal(server_options({{"key_file", cert("node2.key")}})),
             Catch::Contains("does not match cert_file"));
  CHECK_THAT(Instance::refusal(server_options({{"key_file", cert("node1.pem")}})),
             Catch::Contains("holds no unencrypted PEM private key"));
  CHECK_THAT(Instance::refusal(server_options({{"min_version", "1.1"}})),
             Catch::Contains("min_version must be 1.3 or 1.2"));
  CHECK_THAT(Instance::refusal(server_options({{"ciphersuites", "NOPE"}})),
             Catch::Contains("ciphersuites 'NOPE'"));
  CHECK_THAT(Instance::refusal(server_options({{"groups", "P-1"}})), Catch::Contains("groups"));
  CHECK_THAT(Instance::refusal(server_options({{"require_client_cert", "true"}})),
             Catch::Contains("require_client_cert needs ca_file"));
  CHECK_THAT(Instance::refusal({{"role", "client"}}), Catch::Contains("a client needs ca_file"));
  CHECK_THAT(Instance::refusal({{"role", "server"}}),
             Catch::Contains("a server needs cert_file and key_file"));
  CHECK_THAT(Instance::refusal(server_options({{"max_buffered", "1024"}})),
             Catch::Contains("max_buffered must be an integer of at least 18432"));
  CHECK_THAT(Instance::refusal(server_options({{"cert_file", cert("missing.pem")}})),
             Catch::Contains("missing.pem: No such file or directory"));
  CHECK_THAT(Instance::refusal(server_options({{"ca_file", cert("node1.key")}})),
             Catch::Contains("ca_file " + cert("node1.key")));
}

TEST_CASE("tls create logs its configuration without key material") {
  const Instance instance(server_options({{"ca_file", cert("ca.pem")}}));
  REQUIRE_FALSE(instance.log_lines().empty());
  const std::string& line = instance.log_lines().front();
  CHECK_THAT(line, Catch::Contains("server, TLS 1.3 only; certificate CN=node1"));
  CHECK_THAT(line, Catch::Contains("client certificates optional"));
  bool warned = false;
  for (const std::string& logged : instance.log_lines()) {
    CHECK_THAT(logged, !Catch::Contains("PRIVATE"));
    warned = warned || logged.find("expires in") != std::string::npos;
  }
  CHECK_FALSE(warned);  // gen-certs.sh certificates last 30 days
}

}  // namespace
}  // namespace keepdb::tls::test
