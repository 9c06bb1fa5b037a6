// Caller: who asked for a write: the principal and roles of the client that sent it, and
// the database it had selected. The
// write path carries it next to each op so that a follower forwarding a batch can tell the
// leader, which admits every forwarded op again with the same rules as its own clients'.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>

#include "kernel/commands/session.h"

namespace keepdb::commands {

struct Caller {
  std::string principal;
  std::uint32_t roles = 0;  // Role bits
  std::uint8_t db = 0;      // the database the op applies to (the session's SELECT)

  static Caller of(const Session& session) {
    return {session.principal, session.roles, session.db};
  }
};

}  // namespace keepdb::commands
