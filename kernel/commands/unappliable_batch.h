// UnappliableBatch: what the apply of a write batch throws when this build cannot apply it
// as the leader did (state_machine.h, and the transaction op in transaction.cpp).
//
// Thread-safety: a plain exception type.
#pragma once

#include <stdexcept>

namespace keepdb::commands {

// Thrown by StateMachine::apply_batch when a batch cannot be applied as this build reads
// it: its header or an op does not decode, or an op is not a write this build applies with
// those arguments. Every server of one build applies every batch a leader of that build
// made, so this means a leader of a newer version or a damaged log, and skipping the batch
// or any op of it would let this server's data differ from the others'. The caller's write
// transaction may hold the ops before the one refused: abort it.
class UnappliableBatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace keepdb::commands
