// plugins/tls handshakes that succeed, in memory: server and client sessions of the
// plugin exchange data both ways; mutual TLS reports the client's identity; ALPN, TLS 1.2
// by option, and session resumption with tickets.
#include <openssl/ssl.h>
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "tests/unit/tls/tls_test_support.h"

namespace keepdb::tls::test {
namespace {

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7) % 26);
  return text;
}

Options mutual_server(const Options& changes = {}) {
  return with(server_options({{"ca_file", cert("ca.pem")}, {"require_client_cert", "true"}}),
              changes);
}

Options client_with(const std::string& name, const Options& changes = {}) {
  return with(
      client_options({{"cert_file", cert(name + ".pem")}, {"key_file", cert(name + ".key")}}),
      changes);
}

TEST_CASE("tls handshake and data both ways") {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options());
  Session server(server_instance);
  Session client(client_instance);
  REQUIRE((client.state() & KDB_TLS_HAS_OUTPUT) != 0);  // the ClientHello, before any input
  CHECK(client.identity() == nullptr);
  pump(client, server);
  REQUIRE(client.failure() == KDB_OK);
  REQUIRE(server.failure() == KDB_OK);
  REQUIRE(client.established());
  REQUIRE(server.established());
  CHECK((server.state() & KDB_TLS_WANT_INPUT) != 0);

  const kdb_peer_identity* seen_by_client = client.identity();
  REQUIRE(seen_by_client != nullptr);
  CHECK(seen_by_client->verified == 1);
  CHECK(view(seen_by_client->common_name) == "node1");
  CHECK(view(seen_by_client->subject_dn) == "CN=node1,O=KeepDB test");
  REQUIRE(seen_by_client->n_dns_sans == 2);
  CHECK(view(seen_by_client->dns_sans[0]) == "localhost");
  CHECK(view(seen_by_client->dns_sans[1]) == "node1");
  CHECK(view(seen_by_client->tls_version) == "TLSv1.3");
  CHECK(seen_by_client->leaf_der.len > 100);
  const kdb_peer_identity* seen_by_server = server.identity();
  REQUIRE(seen_by_server != nullptr);
  CHECK(seen_by_server->verified == 0);  // no client certificate asked for
  CHECK(seen_by_server->leaf_der.len == 0);
  CHECK(view(seen_by_server->cipher) == view(seen_by_client->cipher));

  client.send("*1\r\n$4\r\nPING\r\n");
  pump(client, server);
  CHECK(server.received() == "*1\r\n$4\r\nPING\r\n");
  server.send("+PONG\r\n");
  const std::string big = pattern(300 * 1024);
  client.send(big);
  pump(client, server);
  CHECK(client.received() == "+PONG\r\n");
  CHECK(server.received().size() == big.size() + 14);
  CHECK(server.received().substr(14) == big);

  client.clear_received();
  server.send(big);
  pump(client, server);
  CHECK(client.received() == big);

  transport().close_notify(client.get());
  CHECK(client.closed());
  pump(client, server);
  CHECK(server.closed());
  CHECK(server.failure() == KDB_OK);
}

TEST_CASE("tls established sessions outlive their instance") {
  auto server_instance = std::make_unique<Instance>(server_options());
  const Instance client_instance(client_options());
  Session server(*server_instance);
  Session client(client_instance);
  pump(client, server);
  REQUIRE(server.established());
  server_instance.reset();  // a reload destroys the old instance; the connection goes on
  client.send("GET k");
  server.send("$1\r\nv\r\n");
  pump(client, server);
  CHECK(server.received() == "GET k");
  CHECK(client.received() == "$1\r\nv\r\n");
  CHECK(view(server.identity()->tls_version) == "TLSv1.3");
}

TEST_CASE("tls mutual handshake reports the client certificate") {
  const Instance server_instance(
      mutual_server({{"allowed_identities", "node2, uri:keepdb://client"}}));
  const Instance client_instance(client_with("client"));
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  REQUIRE(server.failure() == KDB_OK);
  REQUIRE(server.established());
  const kdb_peer_identity* identity = server.identity();
  REQUIRE(identity != nullptr);
  CHECK(identity->verified == 1);
  CHECK(view(identity->common_name) == "client");
  REQUIRE(identity->n_uri_sans == 1);
  CHECK(view(identity->uri_sans[0]) == "keepdb://client");
  CHECK(identity->n_dns_sans == 0);

  // Node to node: each presents its own certificate.
  const Instance node2(client_with("node2", {{"server_name", "node1"}}));
  Session dialer(node2);
  Session accepter(server_instance);
  pump(dialer, accepter);
  REQUIRE(accepter.established());
  CHECK(view(accepter.identity()->common_name) == "node2");
  CHECK(view(accepter.identity()->sni) == "node1");
}

TEST_CASE("tls one mutual server instance both accepts and dials peer links") {
  // Node 1 and node 2 each run one instance (their own certificate, the shared CA); the
  // host marks the connections it dials (kdb_conn_info.dialed) and names the expected peer.
  const Instance node1(mutual_server());
  const Instance node2(mutual_server({{"cert_file", cert("node2.pem")},
                                      {"key_file", cert("node2.key")}}));
  Session dialer(node2, 0, "127.0.0.1", 7001, Session::Origin::kDialed);
  REQUIRE((dialer.state() & KDB_TLS_HAS_OUTPUT) != 0);  // a client: its ClientHello first
  Session accepter(node1, 0, "127.0.0.1", 7002, Session::Origin::kAccepted);
  pump(dialer, accepter);
  REQUIRE(accepter.failure() == KDB_OK);
  REQUIRE(dialer.established());
  CHECK(view(accepter.identity()->common_name) == "node2");
  CHECK(view(accepter.identity()->sni) == "node1");  // the expected name the host passed
  CHECK(view(dialer.identity()->common_name) == "node1");
  CHECK(dialer.identity()->verified == 1);

  // A server that does not ask for client certificates cannot dial: it would present none.
  const Instance plain_server(server_options());
  CHECK_THROWS_WITH(Session(plain_server, 0, "127.0.0.1", 7001, Session::Origin::kDialed),
                    Catch::Contains("dials peers only with require_client_cert = true"));
  // A client instance cannot take the server side of a connection its host accepted.
  const Instance client_only(client_options());
  CHECK_THROWS_WITH(Session(client_only, 0, "127.0.0.1", 7001, Session::Origin::kAccepted),
                    Catch::Contains("a role = \"client\" instance cannot accept connections"));
  Session dialled_client(client_only, 0, "127.0.0.1", 7001, Session::Origin::kDialed);
  CHECK((dialled_client.state() & KDB_TLS_HAS_OUTPUT) != 0);
}

TEST_CASE("tls alpn is negotiated and a protocol in common is required") {
  const Instance server_instance(server_options({{"alpn", "resp3,resp"}}));
  const Instance client_instance(client_options({{"alpn", "resp"}}));
  Session server(server_instance);
  Session client(client_instance);
  pump(client, server);
  REQUIRE(client.established());
  CHECK(view(client.identity()->alpn) == "resp");
  CHECK(view(server.identity()->alpn) == "resp");

  const Instance other_client(client_options({{"alpn", "h2"}}));
  Session refused(other_client);
  Session server2(server_instance);
  pump(refused, server2);
  CHECK(server2.failure() == KDB_E_TLS);
  CHECK(refused.failure() == KDB_E_TLS);
  CHECK_FALSE(server2.established());
}

TEST_CASE("tls 1.2 only when min_version allows it") {
  const RawOptions tls12_client{false, "", "", cert("ca.pem"), TLS1_2_VERSION};
  {
    const Instance server_instance(server_options({{"min_version", "1.2"}}));
    Session server(server_instance);
    RawPeer client(tls12_client);
    pump(client, server);
    REQUIRE(server.failure() == KDB_OK);
    REQUIRE(server.established());
    CHECK(view(server.identity()->tls_version) == "TLSv1.2");
    client.send("PING");
    pump(client, server);
    CHECK(server.received() == "PING");
  }
  const Instance strict(server_options());
  Session server(strict);
  RawPeer client(tls12_client);
  pump(client, server);
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(), Catch::Contains("unsupported protocol"));
}

TEST_CASE("tls a second handshake resumes with a ticket") {
  const Instance server_instance(mutual_server());
  const Instance client_instance(client_with("client"));
  const auto connect = [&](std::uint16_t port) {
    Session server(server_instance);
    Session client(client_instance, 0, "127.0.0.1", port);
    pump(client, server);  // the client reads the server's tickets here
    REQUIRE(server.established());
    REQUIRE(client.established());
    CHECK(view(server.identity()->common_name) == "client");
    CHECK(server.identity()->verified == 1);
    CHECK(client.resumed() == server.resumed());
    return client.resumed();
  };
  CHECK_FALSE(connect(7000));
  CHECK(connect(7000));
  CHECK(connect(7000));
  CHECK_FALSE(connect(7001));  // another server: no ticket for it

  const Instance no_tickets(client_with("client", {{"session_tickets", "false"}}));
  for (int i = 0; i < 2; ++i) {
    Session server(server_instance);
    Session client(no_tickets);
    pump(client, server);
    REQUIRE(client.established());
    CHECK_FALSE(client.resumed());
  }
}

}  // namespace
}  // namespace keepdb::tls::test
