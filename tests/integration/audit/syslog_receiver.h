// Owns a stand-in for the local syslog daemon in the audit integration tests: a Unix
// datagram socket bound at a path in the test's directory, read by a thread of its own so a
// sink never waits on a full socket queue, and the messages it received, split into their
// RFC 5424 header fields and the JSON record in MSG.
//
// Thread-safety: messages() and wait_for() may be called from the test thread while the
// reader thread runs; the destructor stops and joins it and removes the socket file.
#pragma once

#include <boost/json.hpp>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace keepdb::integration::audit {

// One RFC 5424 message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG.
struct SyslogMessage {
  int priority = -1;
  std::string timestamp;
  std::string hostname;
  std::string app_name;
  std::string procid;
  std::string msgid;
  std::string structured_data;
  boost::json::object record;  // MSG, parsed
};

// The message parsed, or nullopt when `text` is not RFC 5424 with a JSON object as MSG.
std::optional<SyslogMessage> parse_rfc5424(const std::string& text);

class SyslogReceiver {
 public:
  explicit SyslogReceiver(std::filesystem::path socket_path);
  ~SyslogReceiver();
  SyslogReceiver(const SyslogReceiver&) = delete;
  SyslogReceiver& operator=(const SyslogReceiver&) = delete;

  // Every datagram received so far, as sent.
  std::vector<std::string> messages() const;
  // Polls until at least `count` datagrams arrived (or the reply deadline passes).
  bool wait_for(std::size_t count) const;

 private:
  void run();

  std::filesystem::path path_;
  int fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;  // guarded by mutex_
  std::thread thread_;                 // last: started once the socket is bound
};

}  // namespace keepdb::integration::audit
