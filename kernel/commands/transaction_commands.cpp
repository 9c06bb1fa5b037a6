// The transaction command family, MULTI EXEC DISCARD, until KeepDB supports transactions:
// MULTI is refused with an error that says so and puts the connection in a state where every
// command up to EXEC or DISCARD is refused too (dispatcher.cpp), so none of the commands a
// client meant to queue runs on its own. EXEC then answers EXECABORT, as Redis does for a
// transaction with errors. Texts follow Redis 7 where Redis has the same case.
#include "kernel/commands/command_families.h"

namespace keepdb::commands {
namespace {

void exec_multi(ExecContext& c) {
  if (c.session.transaction_refused) {
    c.out.error("ERR MULTI calls can not be nested");
    return;
  }
  c.session.transaction_refused = true;
  c.out.error(
      "ERR MULTI is not supported by KeepDB yet: the commands up to EXEC or DISCARD are "
      "refused, none of them runs");
}

void exec_exec(ExecContext& c) {
  if (!c.session.transaction_refused) {
    c.out.error("ERR EXEC without MULTI");
    return;
  }
  c.session.transaction_refused = false;
  c.out.error("EXECABORT Transaction discarded because of previous errors.");
}

void exec_discard(ExecContext& c) {
  if (!c.session.transaction_refused) {
    c.out.error("ERR DISCARD without MULTI");
    return;
  }
  c.session.transaction_refused = false;
  c.out.simple("OK");
}

constexpr CommandSpec kTransactionCommands[] = {
    keyless_command("transactions", "multi", 1, Access::kAnyone, "1.2.0",
                    "Refused: transactions are not supported yet; commands up to EXEC or "
                    "DISCARD are refused.",
                    exec_multi),
    keyless_command("transactions", "exec", 1, Access::kAnyone, "1.2.0",
                    "Ends a refused MULTI with EXECABORT; nothing runs.", exec_exec),
    keyless_command("transactions", "discard", 1, Access::kAnyone, "2.0.0", "Ends a refused MULTI.",
                    exec_discard),
};

}  // namespace

std::span<const CommandSpec> transaction_commands() {
  return kTransactionCommands;
}

}  // namespace keepdb::commands
