// The internal ops: keepdb.expired, and keepdb.exec (transaction.cpp).
#include "kernel/commands/internal_ops.h"

#include "kernel/commands/command_families.h"
#include "kernel/commands/transaction.h"

namespace keepdb::commands {
namespace {

Reply apply_expired(ApplyContext& c, Args a) {
  std::int64_t erased = 0;
  for (std::size_t i = 1; i < a.size(); ++i) {
    const auto value = c.kv.get(c.txn, c.db, a[i]);
    if (value && value->expired(c.now_ms)) {
      c.erase(a[i]);
      ++erased;
    }
  }
  return Reply::number(erased);
}

constexpr CommandSpec kExpired = keyspace_write(
    "internal", kExpiredOp, -2, Access::kAdmin, kEveryArgumentKey, "",
    "Erases keys whose deadline has passed (proposed by the leader).", nullptr, apply_expired);

}  // namespace

const CommandSpec* find_internal_op(std::string_view name) {
  if (name == kExpiredOp) return &kExpired;
  if (name == kTransactionOp) return &transaction_op_spec();
  return nullptr;
}

}  // namespace keepdb::commands
