// plugins/tls sessions under hostile or heavy input, in memory: plaintext and garbage fed
// to a server session, an oversized ClientHello, a renegotiation attempt, and the
// max_buffered bound on what a session holds in each direction.
#include <openssl/ssl.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "tests/unit/tls/tls_test_support.h"

namespace keepdb::tls::test {
namespace {

constexpr std::size_t kSmallBuffer = 18 * 1024;

// Feeds `bytes` to a fresh server session in one call; returns the session for checks.
void feed_server(Session& server, const std::string& bytes) {
  server.feed(bytes);
  std::uint8_t alert[256];
  while (server.pull(alert, sizeof alert) > 0) {
  }
}

TEST_CASE("tls plaintext fed to a server session is refused") {
  const Instance instance(server_options());
  Session server(instance);
  feed_server(server, "*1\r\n$4\r\nPING\r\n");
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(), Catch::Contains("does not speak TLS"));
  CHECK_THAT(server.failure_message(), Catch::Contains("0x2a '*'"));
  CHECK(server.closed());
  CHECK((server.state() & KDB_TLS_WANT_INPUT) == 0);
  // Later calls keep failing with the same reason, without touching OpenSSL again.
  std::size_t consumed = 99;
  char buffer[256];
  kdb_outbuf error{buffer, sizeof buffer, 0};
  CHECK(transport().feed_ciphertext(server.get(), kdb_bytes{nullptr, 0}, &consumed, &error) ==
        KDB_E_TLS);
  CHECK(consumed == 0);
  CHECK(std::string(buffer, error.len) == server.failure_message());
  std::size_t written = 1;
  CHECK(transport().write_plaintext(server.get(), kdb_bytes{nullptr, 0}, &written) == KDB_E_TLS);
}

TEST_CASE("tls garbage bytes fail a server session cleanly") {
  const Instance instance(server_options());
  std::mt19937 random(15);
  for (int round = 0; round < 50; ++round) {
    std::string bytes(1 + random() % 4096, '\0');
    for (char& byte : bytes) byte = static_cast<char>(random());
    if (round % 2 == 0) bytes.replace(0, 3, "\x16\x03\x01");  // a plausible record header
    Session server(instance);
    feed_server(server, bytes);
    if (server.failure() == KDB_OK) {
      CHECK((server.state() & KDB_TLS_WANT_INPUT) != 0);  // a partial record: waits for more
    } else {
      CHECK(server.failure() == KDB_E_TLS);
      CHECK(server.closed());
      CHECK_FALSE(server.failure_message().empty());
    }
    CHECK_FALSE(server.established());
  }
}

TEST_CASE("tls an oversized ClientHello is refused before it is buffered") {
  const Instance instance(server_options());
  Session server(instance, kSmallBuffer);
  // Full handshake records whose ClientHello claims 1 MiB.
  const std::string header("\x16\x03\x01\x40\x00", 5);
  const std::string hello =
      header + std::string("\x01\x10\x00\x00", 4) + std::string(0x4000 - 4, 'A');
  const std::string more = header + std::string(0x4000, 'A');
  std::size_t fed = 0;
  for (int record = 0; record < 80 && server.failure() == KDB_OK; ++record) {
    fed += server.feed(record == 0 ? hello : more);
  }
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(), Catch::Contains("excessive message size"));
  CHECK(fed < 200 * 1024);
  CHECK(server.closed());
}

TEST_CASE("tls a renegotiation attempt is refused") {
  const Instance instance(server_options({{"min_version", "1.2"}}));
  Session server(instance);
  RawPeer client({false, "", "", cert("ca.pem"), TLS1_2_VERSION});
  pump(client, server);
  REQUIRE(server.established());
  REQUIRE(client.established());
  REQUIRE(SSL_renegotiate(client.ssl()) == 1);
  SSL_do_handshake(client.ssl());
  pump(client, server);
  CHECK(server.failure() == KDB_E_TLS);
  CHECK_THAT(server.failure_message(), Catch::Contains("renegotiat"));
  CHECK(server.closed());
}

TEST_CASE("tls a handshake and a request survive one byte per feed") {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options());
  Session server(server_instance);
  Session client(client_instance);
  // Moves everything `from` has to `to`, one byte per feed_ciphertext, as a slow socket would.
  const auto trickle = [](Session& from, Session& to) {
    std::uint8_t buffer[16384];
    bool moved = false;
    while (const std::size_t n = from.pull(buffer, sizeof buffer)) {
      for (std::size_t i = 0; i < n; ++i) {
        REQUIRE(to.feed(std::string_view(reinterpret_cast<const char*>(buffer) + i, 1)) == 1);
      }
      moved = true;
    }
    to.service();
    return moved;
  };
  client.send("*1\r\n$4\r\nPING\r\n");
  for (int round = 0; round < 20; ++round) {
    const bool to_server = trickle(client, server);
    const bool to_client = trickle(server, client);
    if (!to_server && !to_client) break;
    client.service();
  }
  CHECK(server.failure() == KDB_OK);
  CHECK(client.established());
  CHECK(server.received() == "*1\r\n$4\r\nPING\r\n");
}

TEST_CASE("tls max_buffered bounds what a session holds") {
  const Instance server_instance(server_options());
  const Instance client_instance(client_options());

  SECTION("below one record is refused") {
    char buffer[256];
    kdb_outbuf error{buffer, sizeof buffer, 0};
    kdb_tls_session* session = nullptr;
    CHECK(transport().session_new(server_instance.get(), nullptr, 4096, &session, &error) ==
          KDB_E_INVALID);
    CHECK(session == nullptr);
    CHECK_THAT(std::string(buffer, error.len), Catch::Contains("below the minimum of 18432"));
  }

  SECTION("input stops at max_buffered until plaintext is read") {
    Session server(server_instance, kSmallBuffer);
    Session client(client_instance);
    pump(client, server);
    REQUIRE(server.established());
    // 1 MiB of the client's records, all sent before the server reads any.
    const std::string data(1024 * 1024, 'x');
    std::string wire;
    std::size_t written = 0;
    std::uint8_t buffer[16384];
    while (written < data.size()) {
      std::size_t consumed = 0;
      const kdb_bytes in{reinterpret_cast<const std::uint8_t*>(data.data()) + written,
                         data.size() - written};
      REQUIRE(transport().write_plaintext(client.get(), in, &consumed) == KDB_OK);
      written += consumed;
      while (const std::size_t n = client.pull(buffer, sizeof buffer)) {
        wire.append(reinterpret_cast<const char*>(buffer), n);
      }
    }
    std::size_t taken = 0;
    while (const std::size_t n = server.feed(std::string_view(wire).substr(taken))) taken += n;
    CHECK(taken >= kSmallBuffer);
    CHECK(taken <= kSmallBuffer + 17 * 1024);  // plus the one record decrypted ahead
    CHECK((server.state() & KDB_TLS_HAS_PLAINTEXT) != 0);
    CHECK((server.state() & KDB_TLS_WANT_INPUT) == 0);
    while (taken < wire.size()) {
      REQUIRE(server.read_some(SIZE_MAX) > 0);
      taken += server.feed(std::string_view(wire).substr(taken));
      INFO(server.failure_message());
      REQUIRE(server.failure() == KDB_OK);
    }
    server.read_some(SIZE_MAX);
    CHECK(server.received().size() == data.size());
    CHECK(server.received() == data);
  }

  SECTION("output stops at max_buffered until ciphertext is pulled") {
    Session server(server_instance, kSmallBuffer);
    Session client(client_instance);
    pump(client, server);
    REQUIRE(server.established());
    const std::string data(100 * 1024, 'y');
    const kdb_bytes in{reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
    std::size_t consumed = 0;
    REQUIRE(transport().write_plaintext(server.get(), in, &consumed) == KDB_OK);
    CHECK(consumed == kSmallBuffer);
    CHECK(transport().write_plaintext(server.get(), in, &consumed) == KDB_OK);
    CHECK(consumed == 0);
    std::uint8_t buffer[64 * 1024];
    std::size_t written = 0;
    REQUIRE(transport().pull_ciphertext(server.get(), buffer, sizeof buffer, &written) == KDB_OK);
    CHECK(written > kSmallBuffer);
    CHECK(written < kSmallBuffer + 256);
    CHECK(transport().write_plaintext(server.get(), in, &consumed) == KDB_OK);
    CHECK(consumed == kSmallBuffer);
  }
}

}  // namespace
}  // namespace keepdb::tls::test
