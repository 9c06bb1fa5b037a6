// Decides whether a parsed request may run: known command, authenticated, right arity (and a
// known subcommand of the right arity, for a container command),
// holding every role the command table asks of this request (CommandSpec::access_for: a reply
// that reveals a stored value needs read, a change needs write), and (for writes, outside
// MULTI: inside, that error is the command's reply in EXEC's array) syntactically valid. It decides from
// the arguments and the session's flags, principal and roles alone, so the leader can admit
// a forwarded request again the same way. It writes nothing itself, so the caller can keep replies in request order while
// earlier writes are still pending.
//
// Thread-safety: stateless apart from the immutable command table; any thread.
#pragma once

#include <string>

#include "kernel/commands/command.h"

namespace keepdb::commands {

struct Admission {
  const CommandSpec* spec = nullptr;  // set when the command may run
  const Subcommand* subcommand = nullptr;  // and its subcommand, for a container command
  std::string error;                  // otherwise the error to reply (without '-')
  bool denied = false;                // the error is an authorization denial (NOPERM)
};

Admission admit(Args args, const Session& session);

}  // namespace keepdb::commands
