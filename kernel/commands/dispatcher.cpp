// Request admission: lookup, authentication gate, arity and subcommand, role check, write
// validation.
#include "kernel/commands/dispatcher.h"

#include "kernel/commands/command_table.h"
#include "kernel/commands/errors.h"

namespace keepdb::commands {
namespace {

// As Redis: the name cut at 128 bytes, then "'arg' " per argument while the list is
// shorter than 128 bytes, each argument cut to the room left.
std::string unknown_command(Args args) {
  // Built with append(): GCC 12 warns (-Wrestrict, a false positive) on literal + string&&.
  std::string listed;
  for (std::size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    const std::size_t room = 128 - listed.size();
    listed.append("'").append(args[i].substr(0, room)).append("' ");
  }
  std::string message = "ERR unknown command '";
  message.append(args[0].substr(0, 128)).append("', with args beginning with: ").append(listed);
  return message;
}

}  // namespace

Admission admit(Args args, const Session& session) {
  Admission result;
  const CommandSpec* spec = command_table().find(args[0]);
  if (spec == nullptr) {
    result.error = session.authenticated ? unknown_command(args)
                                         : std::string("NOAUTH Authentication required.");
    return result;
  }
  if (!session.authenticated && !spec->before_auth) {
    result.error = "NOAUTH Authentication required.";
    return result;
  }
  if (auto error = shape_error(*spec, args, result.subcommand)) {
    result.error = std::move(*error);
    return result;
  }
  // The roles come from the command table alone: the command's own, or more when an
  // argument asks the reply to reveal a value (SET ... GET).
  const std::uint32_t roles = roles_of(spec->access_for(args));
  if ((session.roles & roles) != roles) {
    result.error = errors::no_permission(session.principal, spec->name);
    result.denied = true;
    return result;
  }
  // Inside MULTI a command's own errors are its reply in EXEC's array, as in Redis: only
  // the checks above refuse it while queueing.
  if (spec->validate != nullptr && !session.transaction.active) {
    if (auto error = spec->validate(args)) {
      result.error = std::move(*error);
      return result;
    }
  }
  result.spec = spec;
  return result;
}

}  // namespace keepdb::commands
