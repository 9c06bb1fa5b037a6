// The syslog sink: each record as one RFC 5424 message over the local syslog socket (a Unix
// datagram socket, /dev/log by default), so the system's syslog daemon or a SIEM agent
// reading it receives the same fields as the JSON Lines file. The MSG part is the record's
// JSON object with its sequence number (counted from 1 per instance; no chain: the receiver
// keeps the copy). PRI is the configured facility with severity warning for the outcomes
// "denied", "failed" and "refused" and notice otherwise; MSGID is the event kind.
//
// A send that fails (no daemon listening, socket buffer full) makes record() return false;
// the next record reconnects, so the sink recovers by itself when the daemon is back.
//
// Thread-safety: record() and flush() from one thread at a time. Ownership: owns its socket.
#pragma once

#include <cstdint>
#include <string>

#include "plugins/audit/record.h"
#include "plugins/audit/settings.h"
#include "plugins/audit/sink.h"

namespace keepdb::audit {

class SyslogSink final : public Sink {
 public:
  // Connects to `settings.syslog_socket` when it can; a daemon that is not up yet is not an
  // error (records fail until it is).
  SyslogSink(const Settings& settings, Logger log);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  bool record(const kdb_audit_event& event) override;
  bool flush() override { return failed_ == 0; }

  // The RFC 5424 message for `event` (without a trailer), for tests and the benchmark.
  std::string message(const kdb_audit_event& event, std::uint64_t seq) const;

 private:
  bool connect_socket();
  bool send(const std::string& message);

  const std::string socket_path_;
  const int facility_;
  const std::string hostname_;
  const std::string procid_;
  const RecordEncoder encoder_;
  const Logger log_;
  int fd_ = -1;
  std::uint64_t seq_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace keepdb::audit
