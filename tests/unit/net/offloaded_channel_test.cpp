// Tests for OffloadedChannel: with the socket on an I/O thread, reads, writes, the raw read,
// shutdown and close complete on the owner's thread in order; a transport session's
// established callback (with the verified identity) comes before the read that follows the
// handshake; its failure arrives with the failing completion; the handshake deadline is
// kept on the owner's side; and the owner is destroyed on its own thread. With the socket
// on the owner's context, the handle calls the channel directly.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <functional>
#include <optional>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/deadline.h"
#include "util/io_threads.h"
#include "util/offloaded_channel.h"

namespace asio = boost::asio;
using asio::ip::tcp;
using keepdb::util::HandshakeLimits;
using keepdb::util::IoThreads;
using keepdb::util::OffloadedChannel;
using keepdb::util::PeerIdentity;
using keepdb::util::TransportSession;

namespace {

constexpr auto kDeadline = std::chrono::seconds(10);
constexpr std::uint8_t kMask = 0x5a;

// A toy transport: the peer must open with "HELLO" (anything else fails the session), the
// session answers "OLLEH" and is established; after that every byte is XORed with kMask.
class ToySession final : public TransportSession {
 public:
  bool feed(std::span<const std::uint8_t> in, std::size_t& consumed) override {
    consumed = 0;
    if (!error_.empty()) return false;
    for (const std::uint8_t byte : in) {
      if (!established_) {
        if (byte != static_cast<std::uint8_t>(kHello[hello_seen_])) {
          error_ = "toy: bad hello";
          return false;
        }
        if (++hello_seen_ == kHello.size()) {
          established_ = true;
          output_ += "OLLEH";
        }
      } else {
        plaintext_.push_back(static_cast<char>(byte ^ kMask));
      }
      ++consumed;
    }
    return true;
  }
  bool pull(std::span<std::uint8_t> out, std::size_t& written) override {
    written = std::min(out.size(), output_.size());
    std::memcpy(out.data(), output_.data(), written);
    output_.erase(0, written);
    return error_.empty();
  }
  bool read(std::span<std::uint8_t> out, std::size_t& read) override {
    read = std::min(out.size(), plaintext_.size());
    std::memcpy(out.data(), plaintext_.data(), read);
    plaintext_.erase(0, read);
    return error_.empty();
  }
  bool write(std::span<const std::uint8_t> in, std::size_t& consumed) override {
    consumed = 0;
    if (!established_) return error_.empty();
    for (const std::uint8_t byte : in) output_.push_back(static_cast<char>(byte ^ kMask));
    consumed = in.size();
    return error_.empty();
  }
  std::uint32_t state() const override {
    if (!error_.empty()) return keepdb::util::kClosed;
    std::uint32_t bits = keepdb::util::kWantInput;
    if (!output_.empty()) bits |= keepdb::util::kHasOutput;
    if (!plaintext_.empty()) bits |= keepdb::util::kHasPlaintext;
    if (established_) bits |= keepdb::util::kEstablished;
    return bits;
  }
  void close_notify() override {}
  const PeerIdentity* identity() override {
    if (!established_) return nullptr;
    identity_.verified = true;
    identity_.common_name = "toy-peer";
    return &identity_;
  }
  const std::string& error() const override { return error_; }

 private:
  static constexpr std::string_view kHello = "HELLO";
  std::size_t hello_seen_ = 0;
  bool established_ = false;
  std::string output_;
  std::string plaintext_;
  std::string error_;
  PeerIdentity identity_;
};

std::string masked(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(static_cast<std::uint8_t>(c) ^ kMask);
  return out;
}

// The owner's side: an io_context run by the test thread until a condition holds, and the
// I/O threads (declared after it, so they stop first). The socket under test is accepted
// into an I/O thread's context, or into the owner's with no I/O threads; `peer` is the
// test's blocking end.
struct Fixture {
  explicit Fixture(std::size_t io_threads = 1) : threads(io_threads) {
    tcp::acceptor acceptor(owner, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer.connect(acceptor.local_endpoint());
    asio::io_context& socket_context = io_threads > 0 ? threads.next() : owner;
    accepted = std::make_unique<tcp::socket>(acceptor.accept(socket_context));
  }

  template <typename Condition>
  bool run_until(Condition done) {
    return keepdb::test::run_until(owner, done, kDeadline);
  }

  std::string peer_read(std::size_t size) {
    std::string got(size, '\0');
    asio::read(peer, asio::buffer(got));
    return got;
  }

  asio::io_context owner{1};
  IoThreads threads;
  asio::io_context spare;  // for the peer's own socket
  tcp::socket peer{spare};
  std::unique_ptr<tcp::socket> accepted;
};

}  // namespace

TEST_CASE("an offloaded channel moves bytes on its I/O thread and completes on the owner's") {
  Fixture f;
  OffloadedChannel channel(std::move(*f.accepted), f.owner.get_executor());
  REQUIRE(channel.offloaded());
  REQUIRE(channel.fd() >= 0);
  const auto owner_thread = std::this_thread::get_id();

  std::vector<std::string> seen;
  std::vector<std::thread::id> threads;
  std::array<char, 64> buffer{};
  std::function<void()> read_next = [&] {
    channel.async_read_some(asio::buffer(buffer), [&](const boost::system::error_code& error,
                                                      std::size_t bytes) {
      threads.push_back(std::this_thread::get_id());
      if (error) return seen.push_back("error: " + error.message());
      seen.emplace_back(buffer.data(), bytes);
      read_next();
    });
  };
  read_next();
  asio::write(f.peer, asio::buffer(std::string_view("ping")));
  REQUIRE(f.run_until([&] { return !seen.empty(); }));
  CHECK(seen.front() == "ping");

  // Writes complete in order, each with its whole size.
  std::vector<std::size_t> written;
  const std::string first = "first reply\n";
  const std::string second(200000, 'x');  // more than one socket write
  channel.async_write(asio::buffer(first), [&](const boost::system::error_code& error,
                                               std::size_t bytes) {
    REQUIRE_FALSE(error);
    threads.push_back(std::this_thread::get_id());
    written.push_back(bytes);
    channel.async_write(asio::buffer(second), [&](const boost::system::error_code& again,
                                                  std::size_t more) {
      REQUIRE_FALSE(again);
      threads.push_back(std::this_thread::get_id());
      written.push_back(more);
    });
  });
  std::string received;
  std::thread reader([&] { received = f.peer_read(first.size() + second.size()); });
  REQUIRE(f.run_until([&] { return written.size() == 2; }));
  reader.join();
  CHECK(written == std::vector<std::size_t>{first.size(), second.size()});
  CHECK(received == first + second);

  // The peer's end of stream, then close: no more completions, the descriptor is gone.
  f.peer.shutdown(tcp::socket::shutdown_send);
  REQUIRE(f.run_until([&] { return seen.back().rfind("error: ", 0) == 0; }));
  channel.close();
  CHECK(channel.fd() == -1);
  for (const auto& thread : threads) CHECK(thread == owner_thread);
}

TEST_CASE("closing an offloaded channel aborts its pending read on the owner's thread") {
  Fixture f;
  OffloadedChannel channel(std::move(*f.accepted), f.owner.get_executor());
  std::array<char, 16> buffer{};
  std::optional<boost::system::error_code> result;
  std::thread::id completed_on;
  channel.async_read_some(asio::buffer(buffer),
                          [&](const boost::system::error_code& error, std::size_t) {
                            completed_on = std::this_thread::get_id();
                            result = error;
                          });
  channel.close();
  REQUIRE(f.run_until([&] { return result.has_value(); }));
  CHECK(*result == asio::error::operation_aborted);
  CHECK(completed_on == std::this_thread::get_id());
}

TEST_CASE("an offloaded transport session: identity before the read, failure with it") {
  Fixture f;
  OffloadedChannel channel(std::move(*f.accepted), f.owner.get_executor());
  auto owner = std::make_shared<int>(0);
  std::vector<std::string> events;
  channel.on_established([&] {
    const PeerIdentity* identity = channel.identity();
    events.push_back("established " + (identity ? identity->common_name : std::string("?")));
  });
  channel.secure(std::make_unique<ToySession>(), {std::chrono::milliseconds(1000), 4096}, owner);
  CHECK_FALSE(channel.handshake_overdue(std::chrono::steady_clock::now()));
  CHECK(channel.handshake_overdue(std::chrono::steady_clock::now() + std::chrono::seconds(2)));
  CHECK(channel.handshake_limits().max_bytes == 4096);

  std::array<char, 64> buffer{};
  std::function<void()> read_next = [&] {
    channel.async_read_some(asio::buffer(buffer),
                            [&](const boost::system::error_code& error, std::size_t bytes) {
                              if (error) return events.push_back("error");
                              events.push_back("read " + std::string(buffer.data(), bytes));
                              read_next();
                            });
  };
  read_next();
  asio::write(f.peer, asio::buffer("HELLO" + masked("secret")));
  REQUIRE(f.run_until([&] { return events.size() >= 2; }));
  CHECK(events[0] == "established toy-peer");
  CHECK(events[1] == "read secret");
  CHECK_FALSE(channel.handshake_overdue(std::chrono::steady_clock::now() + std::chrono::hours(1)));
  CHECK(f.peer_read(5) == "OLLEH");

  bool wrote = false;
  const std::string reply = "+OK\r\n";
  channel.async_write(asio::buffer(reply), [&](const boost::system::error_code& error,
                                               std::size_t bytes) {
    CHECK_FALSE(error);
    CHECK(bytes == reply.size());
    wrote = true;
  });
  REQUIRE(f.run_until([&] { return wrote; }));
  CHECK(f.peer_read(reply.size()) == masked(reply));
  CHECK(channel.failure().empty());
  channel.close();
}

TEST_CASE("an offloaded session's failure reaches the owner with the failed read") {
  Fixture f;
  OffloadedChannel channel(std::move(*f.accepted), f.owner.get_executor());
  auto owner = std::make_shared<int>(0);
  bool established = false;
  channel.on_established([&] { established = true; });
  channel.secure(std::make_unique<ToySession>(), {}, owner);
  std::array<char, 16> buffer{};
  std::optional<boost::system::error_code> result;
  channel.async_read_some(asio::buffer(buffer),
                          [&](const boost::system::error_code& error, std::size_t) {
                            result = error;
                          });
  asio::write(f.peer, asio::buffer(std::string_view("GET / HTTP/1.1\r\n")));
  REQUIRE(f.run_until([&] { return result.has_value(); }));
  CHECK(*result == boost::system::errc::protocol_error);
  CHECK(channel.failure() == "toy: bad hello");
  CHECK_FALSE(established);
  channel.close();
}

TEST_CASE("the raw read and shutdown_send of an offloaded channel") {
  Fixture f;
  OffloadedChannel channel(std::move(*f.accepted), f.owner.get_executor());
  channel.shutdown_send();
  std::array<char, 4> at_eof{};
  boost::system::error_code peer_error;
  f.peer.read_some(asio::buffer(at_eof), peer_error);
  CHECK(peer_error == asio::error::eof);

  std::array<char, 16> buffer{};
  std::string got;
  channel.async_read_raw(asio::buffer(buffer),
                         [&](const boost::system::error_code& error, std::size_t bytes) {
                           CHECK_FALSE(error);
                           got.assign(buffer.data(), bytes);
                         });
  asio::write(f.peer, asio::buffer(std::string_view("junk")));
  REQUIRE(f.run_until([&] { return !got.empty(); }));
  CHECK(got == "junk");
  channel.close();
}

TEST_CASE("an owner held by offloaded operations is destroyed on its own thread") {
  struct Owner {
    explicit Owner(tcp::socket socket, asio::any_io_executor executor)
        : channel(std::move(socket), std::move(executor)) {}
    ~Owner() { *destroyed_on = std::this_thread::get_id(); }
    OffloadedChannel channel;
    std::thread::id* destroyed_on = nullptr;
    std::array<char, 16> buffer{};
  };
  Fixture f;
  std::thread::id destroyed_on;
  bool completed = false;
  {
    auto owner = std::make_shared<Owner>(std::move(*f.accepted), f.owner.get_executor());
    owner->destroyed_on = &destroyed_on;
    owner->channel.secure(std::make_unique<ToySession>(), {}, owner);
    owner->channel.async_read_some(
        asio::buffer(owner->buffer),
        [owner, &completed](const boost::system::error_code&, std::size_t) { completed = true; });
    owner->channel.close();
  }
  REQUIRE(f.run_until([&] { return completed; }));
  REQUIRE(f.run_until([&] { return destroyed_on != std::thread::id(); }));
  CHECK(destroyed_on == std::this_thread::get_id());
}

TEST_CASE("a channel whose socket is on the owner's context is not offloaded") {
  Fixture f(0);
  OffloadedChannel channel(std::move(*f.accepted), f.owner.get_executor());
  CHECK_FALSE(channel.offloaded());
  std::array<char, 16> buffer{};
  std::string got;
  channel.async_read_some(asio::buffer(buffer),
                          [&](const boost::system::error_code& error, std::size_t bytes) {
                            CHECK_FALSE(error);
                            got.assign(buffer.data(), bytes);
                          });
  asio::write(f.peer, asio::buffer(std::string_view("direct")));
  REQUIRE(f.run_until([&] { return !got.empty(); }));
  CHECK(got == "direct");
  channel.close();
  CHECK(channel.fd() == -1);
}
