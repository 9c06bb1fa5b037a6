// Transactions: queueing rules, the keepdb.exec op, WATCH digests and the op's apply.
#include "kernel/commands/transaction.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernel/commands/command_families.h"
#include "kernel/commands/command_table.h"
#include "kernel/commands/op_batch.h"
#include "kernel/commands/unappliable_batch.h"
#include "kernel/log/escape.h"

namespace keepdb::commands {
namespace {

constexpr std::string_view kNotAllowed = "ERR Command not allowed inside a transaction";

// Commands that run inside EXEC: every write and keyspace read, and the immediate commands
// that neither change the connection nor wait for anything.
bool runs_in_transaction(const CommandSpec& spec) {
  if (spec.proposes() || spec.reads_keyspace) return true;
  constexpr std::array<std::string_view, 8> kImmediate = {
      "ping", "echo", "time", "lastsave", "info", "command", "unwatch", "select"};
  for (std::string_view name : kImmediate) {
    if (spec.name == name) return true;
  }
  return false;
}

struct DecodedOp {
  storage::Db db = 0;
  std::vector<std::string_view> args;
};

std::optional<std::vector<DecodedOp>> decode_ops(std::string_view batch) {
  OpBatchReader reader(batch);
  std::vector<DecodedOp> ops;
  std::vector<std::string_view> args;
  while (reader.next(args)) ops.push_back({reader.db(), args});
  if (reader.malformed()) return std::nullopt;
  return ops;
}

// One queued command inside the apply: a write as any batch applies it, anything else
// through its execute() against the apply's transaction.
void run_queued(ApplyContext& c, Args args, resp::Protocol protocol, resp::ReplyWriter& out) {
  const CommandSpec* spec = command_table().find(args[0]);
  const Subcommand* subcommand = nullptr;
  if (spec == nullptr || shape_error(*spec, args, subcommand) ||
      !runs_in_transaction(*spec)) {  // queueing checked it: another version's transaction
    throw UnappliableBatch("a transaction queues '" + log::truncated(args[0], 64) + "' with " +
                           std::to_string(args.size() - 1) +
                           " argument(s), not a command this build runs in a transaction");
  }
  if (spec->name == "select") {  // the commands after it apply to that database
    std::string_view error;
    if (const auto db = select_index(args[1], c.databases, error)) {
      c.db = *db;
      out.simple("OK");
    } else {
      out.error(error);
    }
    return;
  }
  if (spec->proposes()) {
    if (spec->validate != nullptr) {
      if (auto error = spec->validate(args)) {
        out.error(*error);
        return;
      }
    }
    spec->apply(c, args).write_to(out);
    return;
  }
  if (c.node == nullptr) {
    out.error("ERR '" + std::string(spec->name) + "' cannot run in a transaction here");
    return;
  }
  Session session;
  session.protocol = protocol;
  session.authenticated = true;
  session.db = c.db;
  c.node->begin_apply_view(c.txn, c.now_ms);
  ExecContext context{.args = args, .out = out, .session = session, .node = *c.node, .defer = {}};
  try {
    run_immediate(*spec, subcommand, context);
  } catch (...) {
    c.node->end_apply_view();
    throw;
  }
  c.node->end_apply_view();
}

Reply apply_transaction(ApplyContext& c, Args a) {
  const auto watches = decode_ops(a[2]);
  const auto queued = decode_ops(a[3]);
  if (!watches || !queued || (a[1] != "2" && a[1] != "3")) {
    throw UnappliableBatch("a transaction op does not decode");
  }
  const auto protocol = a[1] == "3" ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
  std::string encoded;
  resp::ReplyWriter out(encoded, protocol);
  // The reply's integer: the database the connection is in afterwards.
  const auto reply = [&] {
    Reply result = Reply::encoded(std::move(encoded));
    result.integer = c.db;
    return result;
  };
  for (const auto& watch : *watches) {
    if (watch.args.size() != 2) throw UnappliableBatch("a transaction op does not decode");
    if (watch_digest(watch.db, c.live_in(watch.db, watch.args[0])) != watch.args[1]) {
      out.null_array();
      return reply();
    }
  }
  out.array(queued->size());
  for (const auto& op : *queued) run_queued(c, op.args, protocol, out);
  return reply();
}

constexpr CommandSpec kTransactionSpec = keyspace_write(
    "internal", kTransactionOp, 4, Access::kAnyone, kNoKeys, "",
    "The commands of one EXEC with the WATCHed keys' digests (proposed by EXEC).", nullptr,
    apply_transaction);

}  // namespace

TransactionStep transaction_step(const Admission& admission, const Session& session) {
  if (!session.transaction.active || admission.spec == nullptr) return TransactionStep::kNone;
  const std::string_view name = admission.spec->name;
  if (name == "exec") {
    return session.transaction.failed ? TransactionStep::kNone : TransactionStep::kExec;
  }
  if (name == "discard" || name == "multi" || name == "watch" || name == "quit" ||
      name == "reset") {
    return TransactionStep::kNone;
  }
  return TransactionStep::kQueue;
}

void fail_transaction(Session& session) {
  if (session.transaction.active) session.transaction.failed = true;
}

std::string refusal(Session& session, Args args, const std::string& error) {
  if (!session.transaction.active) return error;
  if (!equals_ignore_case(args[0], "exec")) {
    session.transaction.failed = true;
    return error;
  }
  discard_transaction(session);
  const std::string_view reason =
      error.starts_with("ERR ") ? std::string_view(error).substr(4) : std::string_view(error);
  return "EXECABORT Transaction discarded because of: " + std::string(reason);
}

void queue_command(const CommandSpec& spec, Args args, Session& session,
                   const config::Limits& limits, resp::ReplyWriter& out) {
  TransactionState& transaction = session.transaction;
  std::size_t bytes = 0;
  for (std::string_view arg : args) bytes += arg.size();
  if (!runs_in_transaction(spec)) {
    out.error(kNotAllowed);
  } else if (transaction.queued.size() >= limits.max_queued_commands) {
    out.error("ERR transaction too long: more than " + std::to_string(limits.max_queued_commands) +
              " queued commands (limits.max_queued_commands); EXEC will abort");
  } else if (transaction.queued_bytes + bytes > limits.max_transaction_bytes) {
    out.error("ERR transaction too large: more than " +
              std::to_string(limits.max_transaction_bytes) +
              " bytes of queued arguments (limits.max_transaction_bytes); EXEC will abort");
  } else {
    transaction.queued.emplace_back(args.begin(), args.end());
    transaction.queued_bytes += bytes;
    out.simple("QUEUED");
    return;
  }
  transaction.failed = true;
}

std::vector<std::string> take_transaction_op(Session& session) {
  OpBatchBuilder watches;
  for (const WatchedKey& watched : session.transaction.watched) {
    const std::array<std::string_view, 2> pair = {watched.key, watched.digest};
    watches.add(pair, watched.db);
  }
  OpBatchBuilder queued;
  bool selects = false;
  for (const auto& command : session.transaction.queued) {
    const std::vector<std::string_view> args(command.begin(), command.end());
    queued.add(args);
    selects = selects || equals_ignore_case(args[0], "select");
  }
  session.select_pending = selects;
  discard_transaction(session);
  return {std::string(kTransactionOp),
          std::string(session.protocol == resp::Protocol::kResp3 ? "3" : "2"), watches.take(0),
          queued.take(0)};
}

void discard_transaction(Session& session) {
  session.transaction = TransactionState{};
}

Admission admit_op(Args op, const Session& session) {
  if (op.empty() || op[0] != kTransactionOp) return admit(op, session);
  Admission result;
  const auto queued = op.size() == 4 ? decode_ops(op[3]) : std::nullopt;
  if (!queued) {
    result.error = "ERR corrupt transaction";
    return result;
  }
  Session queueing = session;
  queueing.transaction.active = true;
  for (const auto& op : *queued) {
    Admission command = admit(op.args, queueing);
    if (command.spec == nullptr) return command;
    if (!runs_in_transaction(*command.spec)) {
      result.error = kNotAllowed;
      return result;
    }
  }
  result.spec = &kTransactionSpec;
  return result;
}

std::string watch_digest(storage::Db db, const std::optional<storage::ValueView>& value) {
  if (!value) return {};
  const unsigned char database = db;
  std::array<unsigned char, 8> expiry{};
  for (std::size_t i = 0; i < expiry.size(); ++i) {
    expiry[i] = static_cast<unsigned char>((value->expires_at_ms >> (8 * i)) & 0xff);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok = context != nullptr && EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(context, &database, 1) == 1 &&
                  EVP_DigestUpdate(context, expiry.data(), expiry.size()) == 1 &&
                  EVP_DigestUpdate(context, value->payload.data(), value->payload.size()) == 1 &&
                  EVP_DigestFinal_ex(context, digest.data(), &length) == 1;
  EVP_MD_CTX_free(context);
  if (!ok) throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

const CommandSpec& transaction_op_spec() { return kTransactionSpec; }

}  // namespace keepdb::commands
