// The syslog stand-in of the audit integration tests (syslog_receiver.h).
#include "tests/integration/audit/syslog_receiver.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "tests/integration/harness/deadline.h"

namespace keepdb::integration::audit {

std::optional<SyslogMessage> parse_rfc5424(const std::string& text) {
  if (!text.starts_with('<')) return std::nullopt;
  const std::size_t close = text.find('>');
  if (close == std::string::npos || close < 2 || close > 4) return std::nullopt;
  SyslogMessage message;
  try {
    message.priority = std::stoi(text.substr(1, close - 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::istringstream header(text.substr(close + 1));
  std::string version;
  if (!(header >> version >> message.timestamp >> message.hostname >> message.app_name >>
        message.procid >> message.msgid >> message.structured_data) ||
      version != "1") {
    return std::nullopt;
  }
  std::string msg;
  std::getline(header, msg);
  if (!msg.starts_with(' ')) return std::nullopt;
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(msg.substr(1), error);
  if (error || !value.is_object()) return std::nullopt;
  message.record = std::move(value.as_object());
  return message;
}

SyslogReceiver::SyslogReceiver(std::filesystem::path socket_path) : path_(std::move(socket_path)) {
  sockaddr_un address{};
  const std::string path = path_.string();
  if (path.size() >= sizeof address.sun_path) throw std::runtime_error("socket path too long");
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string why = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot bind " + path + ": " + why);
  }
  thread_ = std::thread([this] { run(); });
}

SyslogReceiver::~SyslogReceiver() {
  stopping_ = true;
  thread_.join();
  ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void SyslogReceiver::run() {
  std::vector<char> buffer(1 << 16);
  while (!stopping_) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 50) <= 0) continue;  // wakes every 50 ms to see stopping_
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) continue;
    const std::lock_guard lock(mutex_);
    messages_.emplace_back(buffer.data(), static_cast<std::size_t>(n));
  }
}

std::vector<std::string> SyslogReceiver::messages() const {
  const std::lock_guard lock(mutex_);
  return messages_;
}

bool SyslogReceiver::wait_for(std::size_t count) const {
  return poll_until([&] { return messages().size() >= count; }, kReplyTimeout);
}

}  // namespace keepdb::integration::audit
