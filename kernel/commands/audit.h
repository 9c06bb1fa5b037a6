// The audit seam as the kernel's producers see it: one enum of event kinds, each with a
// stable number (kdb_audit_event.type) and a stable name, the event they emit, and the
// AuditLog interface the node implements over the plugin host's audit queue. Each kind is
// emitted from one place:
//   connect, disconnect, denied_admission, denied_role   kernel/net/connection.cpp,
//                                                        server.cpp (denials at connect);
//       denied_role also kernel/consensus/write/forward_service.cpp (a forwarded write)
//   write, admin                                         command_event() below, called by
//       kernel/net/connection.cpp for clients and kernel/consensus/write/forward_service.cpp
//       for writes a follower forwards (with the principal the follower named)
//   auth_ok, auth_fail                                   kernel/node/plugin_auth_gateway.cpp
//   accepted_risk                                        kernel/node/node.cpp at start
//   config_reload                                        the reload path (not yet built)
// Every record names a command by the command table's lowercase name (audit_command_name).
// What an event may hold: the command's name and its first key, the principal, the client's
// address and connection id, an outcome word and a one-line reason. Never a value, never a
// secret: AUTH and HELLO are not recorded as commands, and a write records its key only.
//
// Thread-safety: AuditLog is called on the network thread. Lifetime: the node's AuditLog
// outlives every connection and the forward service.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kernel/commands/command.h"
#include "kernel/commands/command_table.h"

namespace keepdb::commands {

// The numbers are part of the plugin contract (docs/plugin-authoring.md): never reuse one.
enum class AuditKind : std::uint32_t {
  kConnect = 1,
  kDisconnect = 2,
  kAuthOk = 3,
  kAuthFail = 4,
  kDeniedByRole = 5,
  kDeniedByAdmission = 6,
  kWrite = 7,
  kAdmin = 8,
  kConfigReload = 9,
  kAcceptedRisk = 10,
};

constexpr std::string_view audit_kind_name(AuditKind kind) {
  switch (kind) {
    case AuditKind::kConnect:
      return "connect";
    case AuditKind::kDisconnect:
      return "disconnect";
    case AuditKind::kAuthOk:
      return "auth_ok";
    case AuditKind::kAuthFail:
      return "auth_fail";
    case AuditKind::kDeniedByRole:
      return "denied_role";
    case AuditKind::kDeniedByAdmission:
      return "denied_admission";
    case AuditKind::kWrite:
      return "write";
    case AuditKind::kAdmin:
      return "admin";
    case AuditKind::kConfigReload:
      return "config_reload";
    case AuditKind::kAcceptedRisk:
      return "accepted_risk";
  }
  return "unknown";
}

struct AuditEvent {
  AuditKind kind = AuditKind::kConnect;
  std::uint64_t conn_id = 0;  // 0: not from a client connection (start-up, forwarded)
  std::string peer_addr;      // "ip:port" of the client, or "server <id>" for a forward
  std::string principal;      // empty before authentication
  std::string action;         // the command name, or the kind's name for other events
  std::string outcome;        // "ok", "denied", "refused", "failed"
  std::string detail;         // a reason, or empty; never a value or a secret
  // The command's first key as audit_key_text() escapes it; nullopt: no key. Without a
  // reason, the host passes it to audit plugins in `detail` too, as "key=<key>", the
  // convention of plugins older than ABI 1.4 (plugin_host::record_to).
  std::optional<std::string> key = std::nullopt;
  std::uint64_t duration_us = kUntimed;  // from the request to the outcome, when timed

  static constexpr std::uint64_t kUntimed = UINT64_MAX;  // KDB_AUDIT_UNTIMED
};

// What INFO shows of the audit queue (INFO stats, audit_* fields).
struct AuditStats {
  std::uint64_t queued = 0;         // events waiting for the audit thread
  std::uint64_t dropped = 0;        // events dropped because the queue was full
  std::uint64_t sink_failures = 0;  // failed record/flush calls, every sink
  bool refusing = false;            // recorded commands are refused now (fail_closed)
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  virtual AuditStats stats() const = 0;
  // Why a command that would be recorded (write, admin) must be refused now, or nullopt:
  // set while a fail_closed sink cannot keep up.
  virtual std::optional<std::string> refusal() const = 0;
  // Queues `event` without blocking; when the queue is full it is dropped and counted.
  virtual void record(AuditEvent event) = 0;
};

// The kind a command is recorded as: admin for a command needing the admin role, write for
// one that proposes, nullopt for the rest (reads and connection commands are not recorded).
inline std::optional<AuditKind> recorded_kind(const CommandSpec& spec) {
  if ((roles_of(spec.access) & kRoleAdmin) != 0) return AuditKind::kAdmin;
  if (spec.proposes()) return AuditKind::kWrite;
  return std::nullopt;
}

// A key made safe for one record: printable ASCII kept, every other byte as \xNN, cut at
// 256 bytes of input.
inline std::string audit_key_text(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(std::min<std::size_t>(key.size(), 256));
  for (const char c : key.substr(0, 256)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      text += c;
    } else {
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 0xf];
    }
  }
  return text;
}

// The command table's name of a command as a client typed it ("GETEX" -> "getex"), so
// every record names a command the same way; a name the table does not know is cut at 64
// bytes and lowercased.
inline std::string audit_command_name(std::string_view typed) {
  if (const CommandSpec* spec = command_table().find(typed)) return std::string(spec->name);
  std::string name(typed.substr(0, 64));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

// The one place a command's event is built (write or admin, admitted or refused): its
// name and its first key, never its values.
inline AuditEvent command_event(AuditKind kind, const CommandSpec& spec, Args args,
                                std::uint64_t conn_id, std::string peer_addr, std::string principal,
                                std::string outcome) {
  AuditEvent event{kind,
                   conn_id,
                   std::move(peer_addr),
                   std::move(principal),
                   std::string(spec.name),
                   std::move(outcome),
                   {}};
  if (spec.keys.first > 0 && static_cast<std::size_t>(spec.keys.first) < args.size()) {
    event.key = audit_key_text(args[spec.keys.first]);
  }
  return event;
}

}  // namespace keepdb::commands
