// The syslog sink: RFC 5424 messages on a local datagram socket (a socket the test binds in
// place of /dev/log), failure while nobody listens, and recovery when a receiver is back.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstring>
#include <regex>
#include <string>

#include "tests/unit/audit/audit_test_support.h"

namespace {

using keepdb::audit::test::Event;
using keepdb::audit::test::LoadedSink;
using keepdb::audit::test::TempDir;

// A bound Unix datagram socket standing in for the syslog daemon.
class Receiver {
 public:
  explicit Receiver(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  }
  ~Receiver() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next datagram, waiting up to 5 s.
  std::string next() {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) return {};
    char buffer[8192];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

TEST_CASE("audit syslog sink sends RFC 5424 messages and recovers when the daemon is back") {
  TempDir dir;
  const std::string socket = dir / "log.sock";
  auto receiver = std::make_unique<Receiver>(socket);
  LoadedSink sink({{"sink", "syslog"},
                   {"syslog_socket", socket},
                   {"syslog_facility", "local3"},
                   {"node_id", "node 1"}});
  REQUIRE(sink.status() == KDB_OK);
  Event write;
  write.outcome = "admitted";  // the kernel's word for a write that runs: notice
  REQUIRE(sink.record(write) == KDB_OK);
  const std::string message = receiver->next();
  // local3 (19) * 8 + notice (5) = 157; the space in the node id is not allowed in HOSTNAME.
  const std::regex header(
      R"(^<157>1 2026-12-05T02:29:28\.123456Z node_1 keepd [0-9]+ write - \{.*\}$)");
  CHECK(std::regex_match(message, header));
  const auto record = boost::json::parse(message.substr(message.find('{'))).as_object();
  CHECK(record.at("seq").to_number<int>() == 1);
  CHECK(record.at("node").as_string() == "node 1");
  CHECK(record.at("key").as_string() == "user:1");
  CHECK(record.if_contains("hash") == nullptr);

  Event denied;
  denied.outcome = "denied";
  REQUIRE(sink.record(denied) == KDB_OK);
  CHECK(receiver->next().starts_with("<156>1 "));  // warning

  receiver.reset();  // the daemon goes away
  CHECK(sink.record(Event{}) == KDB_E_INTERNAL);
  CHECK(sink.flush() == KDB_E_INTERNAL);
  receiver = std::make_unique<Receiver>(socket);  // and comes back
  REQUIRE(sink.record(Event{}) == KDB_OK);
  CHECK(sink.flush() == KDB_OK);
  const auto again = boost::json::parse(receiver->next().substr(message.find('{'))).as_object();
  CHECK(again.at("seq").to_number<int>() == 3);
}
