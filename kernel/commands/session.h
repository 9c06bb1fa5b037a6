// Per-connection state that commands read and change: protocol version, client id and
// name, the authenticated principal with its roles and expiry, the selected database, and
// the QUIT flag.
//
// Thread-safety: owned by one connection and touched only on the network thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel/resp/protocol.h"
#include "util/transport_session.h"

namespace keepdb::commands {

// Roles a principal can hold (the same bits as KDB_ROLE_* in include/keepdb/plugin.h).
enum Role : std::uint32_t { kRoleRead = 1u << 0, kRoleWrite = 1u << 1, kRoleAdmin = 1u << 2 };
constexpr std::uint32_t kAllRoles = kRoleRead | kRoleWrite | kRoleAdmin;

// A key WATCHed by the connection and the digest of what it saw (transaction.h).
struct WatchedKey {
  std::uint8_t db = 0;
  std::string key;
  std::string digest;
};

// MULTI ... EXEC state and WATCHed keys (transaction.h owns the rules).
struct TransactionState {
  bool active = false;  // MULTI was sent: commands are queued until EXEC or DISCARD
  bool failed = false;  // a command was refused while queueing: EXEC answers EXECABORT
  std::vector<std::vector<std::string>> queued;
  std::size_t queued_bytes = 0;  // arguments of `queued`, bounded by limits
  std::vector<WatchedKey> watched;
};

struct Session {
  std::uint64_t id = 0;
  resp::Protocol protocol = resp::Protocol::kResp2;
  std::string name;
  std::string peer_address;   // "ip:port"
  std::string local_address;  // "ip:port"
  // The peer the listener's transport verified (a TLS client certificate); null on a plain
  // listener or before its handshake completed. Shown in CLIENT INFO, given to authenticators.
  std::shared_ptr<const util::PeerIdentity> peer_identity;
  std::chrono::steady_clock::time_point created{};
  std::chrono::steady_clock::time_point last_command{};
  std::string last_command_name;

  bool authenticated = false;  // true from the start when no authenticator is configured
  std::string principal = "default";
  std::uint32_t roles = kAllRoles;
  // When the principal stops being valid (Unix seconds; 0: never). The connection refuses
  // the next command once it has passed (kernel/net/connection.h).
  std::uint64_t expires_unix_s = 0;

  bool close_after_reply = false;  // QUIT: flush the reply, then close
  TransactionState transaction;
  bool local_reads = false;        // READONLY: reads skip the linearizable read barrier
  std::uint8_t db = 0;             // SELECT: the database commands apply to
  // An EXEC with a SELECT in it is applying: the connection's database is known once it
  // has (later requests wait for it).
  bool select_pending = false;
};

}  // namespace keepdb::commands
