// The admission seam as the connection layer sees it: one gate asked at connect (before any
// byte is read), before each command (its name and request size) and at disconnect. The node
// implements it over the plugin host's admission chain; the connection never sees plugins.
// A denial at connect closes the socket after a one-line -ERR; a denied command is answered
// with the gate's error and the connection stays usable; the verdict at disconnect is only
// a notification.
//
// Thread-safety: check() and tick() are called on the network thread and must not block.
// Lifetime: the gate outlives the server and every connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keepdb::net {

enum class AdmissionEvent : std::uint32_t {
  kConnect = 1,  // the same numbers as KDB_ADM_* in include/keepdb/plugin.h
  kAuthOk = 2,
  kAuthFail = 3,
  kCommand = 4,
  kDisconnect = 5,
};

struct AdmissionRequest {
  AdmissionEvent event = AdmissionEvent::kCommand;
  std::uint64_t conn_id = 0;
  std::string_view peer_ip;  // the client's IP address text, without the port
  std::uint16_t peer_port = 0;
  std::uint16_t local_port = 0;
  std::string_view principal;  // empty before authentication
  std::string_view command;    // kCommand: the command's name as sent (cut at 64 bytes)
  std::uint64_t request_bytes = 0;
};

// A refusal: the error to reply and the limit it is counted under.
struct AdmissionDenial {
  std::string error;  // without '-', e.g. "ERR rate limit exceeded, retry in 250 ms"
  std::string limit;  // e.g. "commands_per_connection"; see commands::count_admission_denial
};

class AdmissionGate {
 public:
  virtual ~AdmissionGate() = default;
  // The refusal, or nullopt to admit.
  virtual std::optional<AdmissionDenial> check(const AdmissionRequest& request) = 0;
  // Called by the server's timer (kAdmissionTick) so plugins expire bans and buckets.
  virtual void tick() = 0;
};

}  // namespace keepdb::net
