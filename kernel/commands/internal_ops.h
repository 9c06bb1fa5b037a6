// Write ops the server proposes itself, never clients. They are not in the command table,
// so admit() answers "unknown command" when a client names one, but the state machine
// applies them like any other op of a batch.
//   keepdb.expired key [key ...]  erases each key whose deadline has passed at the batch
//                                 time; replies the number erased (the leader's active
//                                 expiry, consensus/expiry_sweeper.h)
//   keepdb.exec ...               one EXEC's commands, proposed by the client's connection
//                                 (transaction.h)
//
// Thread-safety: immutable; safe from any thread.
#pragma once

#include <string_view>

#include "kernel/commands/command.h"

namespace keepdb::commands {

inline constexpr std::string_view kExpiredOp = "keepdb.expired";

// The internal op named exactly `name`, or nullptr.
const CommandSpec* find_internal_op(std::string_view name);

}  // namespace keepdb::commands
