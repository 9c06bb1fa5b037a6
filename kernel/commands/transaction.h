// Transactions (MULTI EXEC DISCARD WATCH UNWATCH): what a connection does with a request
// while it queues, the one write-path op an EXEC becomes, and that op's apply.
//
// Queueing (Redis 7's rules): after MULTI every command but EXEC DISCARD MULTI WATCH QUIT
// RESET is queued. It is admitted at once (unknown command, arity, roles); an error then, or a
// command that cannot run in a transaction (one that changes the connection: AUTH HELLO
// CLIENT READONLY READWRITE, or CONFIG and the cluster commands), or a queue past
// limits.max_queued_commands / max_transaction_bytes, is replied and makes EXEC answer
// EXECABORT. A queued command's own errors (syntax, types) are its reply inside EXEC's array.
//
// EXEC turns the queue into ONE op of the write path:
//   keepdb.exec <protocol "2"|"3"> <watches> <commands>
// <watches> and <commands> are op batches (op_batch.h): [key, digest] per WATCHed key, each
// op naming the key's database, then the queued commands. The op itself names the
// connection's database at EXEC; a queued SELECT changes it for the commands after it (as in
// Redis) and the op's reply carries the database the connection is left in
// (Reply::integer), which the connection adopts. One op lands in one batch, one Raft entry and one LMDB write
// transaction, so the commands apply all or none, in order, on every server, with no other
// client's op between them. Writes apply as in any batch; the other commands (reads, PING,
// ECHO, TIME, INFO, ...) run through their execute() against the same write transaction at
// the batch's clock (NodeContext::begin_apply_view), so they see the transaction's earlier
// writes. The reply is encoded there, in the client's protocol (Reply::encoded).
//
// WATCH records, per key, a digest (SHA-256) of the record the connection sees in its
// database: absent, or the database, its expiry and value. When the op is applied, each server digests the keys as they are at
// that point of the log (an expired key is absent) and aborts the whole transaction (null
// array) on any difference. The decision reads only replicated state, so every server, one
// restarted or one that installed a snapshot included, decides the same. A change that
// restores the exact record seen (SET of the same value, a key deleted and recreated as it
// was) does not abort, unlike Redis: the transaction still sees what it read.
//
// Thread-safety: free functions over the caller's objects; the network thread calls the
// queueing ones, the state machine's thread the apply.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/command.h"
#include "kernel/commands/dispatcher.h"
#include "kernel/config/config.h"

namespace keepdb::commands {

inline constexpr std::string_view kTransactionOp = "keepdb.exec";

enum class TransactionStep : std::uint8_t {
  kNone,   // not queued: run as usual (EXEC DISCARD MULTI WATCH QUIT RESET, or no MULTI)
  kQueue,  // queue it (queue_command)
  kExec,   // EXEC of a transaction without errors: propose take_transaction_op()
};

// What the connection does with an admitted request (admission.spec set).
TransactionStep transaction_step(const Admission& admission, const Session& session);

// After MULTI, an error replied instead of queueing: EXEC will answer EXECABORT.
void fail_transaction(Session& session);

// The reply for a request admit() refused with `error`: after MULTI the transaction fails
// too, and an EXEC refused so (wrong arity) discards it at once and answers EXECABORT with
// the reason, as Redis does.
std::string refusal(Session& session, Args args, const std::string& error);

// kQueue: queues a copy of `args` and replies +QUEUED, or replies why it cannot be queued.
void queue_command(const CommandSpec& spec, Args args, Session& session,
                   const config::Limits& limits, resp::ReplyWriter& out);

// kExec: the transaction's op (see above), in the session's protocol; ends the transaction
// and forgets the WATCHed keys. Sets session.select_pending when a SELECT is queued: the
// connection then holds later requests until the op's reply gives it its database.
std::vector<std::string> take_transaction_op(Session& session);

// Ends a transaction without running it (DISCARD, EXECABORT) and forgets the WATCHed keys.
void discard_transaction(Session& session);

// Admission of one op of the write path forwarded to the leader: a client command as
// admit() decides, or a transaction op each of whose commands admit() accepts for `session`.
Admission admit_op(Args op, const Session& session);

// The digest WATCH records for a record of database `db` (empty for an absent key).
std::string watch_digest(storage::Db db, const std::optional<storage::ValueView>& value);

// The command table entry of the transaction op (internal_ops.h finds it).
const CommandSpec& transaction_op_spec();

}  // namespace keepdb::commands
