// The RFC 5424 syslog sink (syslog_sink.h).
#include "plugins/audit/syslog_sink.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <keepdb/plugin_sdk.hpp>

#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>
#include <utility>

namespace keepdb::audit {

namespace {

constexpr int kSeverityWarning = 4;
constexpr int kSeverityNotice = 5;

// An RFC 5424 header field: printable US-ASCII without spaces, at most `max` characters,
// "-" when empty.
std::string header_field(std::string_view text, std::size_t max) {
  std::string field;
  for (const char c : text.substr(0, max)) field += (c > 0x20 && c < 0x7f) ? c : '_';
  return field.empty() ? "-" : field;
}

std::string local_hostname(const std::string& node_id) {
  if (!node_id.empty()) return header_field(node_id, 255);
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "-";
  return header_field(name, 255);
}

}  // namespace

SyslogSink::SyslogSink(const Settings& settings, Logger log)
    : socket_path_(settings.syslog_socket),
      facility_(settings.syslog_facility),
      hostname_(local_hostname(settings.node_id)),
      procid_(std::to_string(::getpid())),
      encoder_(settings.node_id, settings.key_hash_key.view()),
      log_(std::move(log)) {
  if (socket_path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
    throw std::invalid_argument("option 'syslog_socket': path too long for a Unix socket");
  }
  connect_socket();
}

SyslogSink::~SyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

bool SyslogSink::connect_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    errno = error;
    return false;
  }
  return true;
}

std::string SyslogSink::message(const kdb_audit_event& event, std::uint64_t seq) const {
  const std::string_view outcome = kdb::sdk::view(event.outcome);
  const bool refused = outcome == "denied" || outcome == "failed" || outcome == "refused";
  const int severity = refused ? kSeverityWarning : kSeverityNotice;
  std::string text = "<" + std::to_string(facility_ * 8 + severity) + ">1 ";
  text += rfc3339_micros(event.wall_ns);
  text += ' ';
  text += hostname_;
  text += " keepd ";
  text += procid_;
  text += ' ';
  text += header_field(kind_name(event.type), 32);
  text += " - ";
  text += boost::json::serialize(encoder_.fields(event, seq));
  return text;
}

bool SyslogSink::send(const std::string& text) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !connect_socket()) continue;
    if (::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size())) {
      return true;
    }
    if (errno == EMSGSIZE) return false;
    ::close(fd_);  // the daemon restarted or went away: reconnect once
    fd_ = -1;
  }
  return false;
}

bool SyslogSink::record(const kdb_audit_event& event) {
  if (!send(message(event, seq_ + 1))) {
    if (failed_++ == 0) {
      log_(KDB_LOG_ERROR, "cannot send to the syslog socket " + socket_path_ + ": " +
                              std::strerror(errno) +
                              "; records fail until the daemon takes them again");
    }
    return false;
  }
  if (failed_ > 0) {
    log_(KDB_LOG_INFO, "sending to " + socket_path_ + " again after " + std::to_string(failed_) +
                           " failed records");
    failed_ = 0;
  }
  ++seq_;
  return true;
}

}  // namespace keepdb::audit
