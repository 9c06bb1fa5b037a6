// The transaction command family: MULTI EXEC DISCARD WATCH UNWATCH, with Redis 7's replies.
// The connection queues the commands between MULTI and EXEC and proposes the EXEC of a
// transaction without errors as one op (transaction.h); EXEC runs here only without MULTI
// or after an error while queueing.
#include <algorithm>
#include <iterator>

#include "kernel/commands/command_families.h"
#include "kernel/commands/transaction.h"

namespace keepdb::commands {
namespace {

void exec_multi(ExecContext& c) {
  if (c.session.transaction.active) {
    c.out.error("ERR MULTI calls can not be nested");
    return;
  }
  c.session.transaction.active = true;
  c.out.simple("OK");
}

void exec_exec(ExecContext& c) {
  if (!c.session.transaction.active) {
    c.out.error("ERR EXEC without MULTI");
    return;
  }
  discard_transaction(c.session);
  c.out.error("EXECABORT Transaction discarded because of previous errors.");
}

void exec_discard(ExecContext& c) {
  if (!c.session.transaction.active) {
    c.out.error("ERR DISCARD without MULTI");
    return;
  }
  discard_transaction(c.session);
  c.out.simple("OK");
}

// Records what the connection sees of each key now (a linearizable read on a cluster); a
// key already watched keeps its first digest, as Redis keeps its first WATCH.
void exec_watch(ExecContext& c) {
  if (c.session.transaction.active) {
    c.out.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  auto& watched = c.session.transaction.watched;
  const std::uint64_t limit = c.node.config().limits.max_watched_keys;
  std::vector<WatchedKey> added;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const std::string_view key = c.args[i];
    const auto same = [&](const WatchedKey& w) { return w.db == c.session.db && w.key == key; };
    if (std::any_of(watched.begin(), watched.end(), same) ||
        std::any_of(added.begin(), added.end(), same)) {
      continue;
    }
    if (watched.size() + added.size() >= limit) {
      c.out.error("ERR WATCH refused: more than " + std::to_string(limit) +
                  " watched keys (limits.max_watched_keys); UNWATCH or EXEC first");
      return;
    }
    added.push_back({c.session.db, std::string(key), watch_digest(c.session.db, c.lookup(key))});
  }
  watched.insert(watched.end(), std::make_move_iterator(added.begin()),
                 std::make_move_iterator(added.end()));
  c.out.simple("OK");
}

void exec_unwatch(ExecContext& c) {
  c.session.transaction.watched.clear();
  c.out.simple("OK");
}

// WATCH reads the keyspace (a read barrier first on a cluster) but reveals nothing of it.
constexpr CommandSpec watch_spec() {
  CommandSpec spec = keyspace_read("transactions", "watch", -2, kEveryArgumentKey, "2.2.0",
                                   "Watches keys: EXEC aborts if any of them changes.",
                                   exec_watch);
  spec.access = Access::kAnyone;
  return spec;
}

constexpr CommandSpec kTransactionCommands[] = {
    keyless_command("transactions", "multi", 1, Access::kAnyone, "1.2.0",
                    "Starts a transaction: commands are queued until EXEC or DISCARD.",
                    exec_multi),
    keyless_command("transactions", "exec", 1, Access::kAnyone, "1.2.0",
                    "Runs the queued commands as one write, unless a WATCHed key changed.",
                    exec_exec),
    keyless_command("transactions", "discard", 1, Access::kAnyone, "2.0.0",
                    "Discards the queued commands and forgets the WATCHed keys.", exec_discard),
    watch_spec(),
    keyless_command("transactions", "unwatch", 1, Access::kAnyone, "2.2.0",
                    "Forgets every WATCHed key.", exec_unwatch),
};

}  // namespace

std::span<const CommandSpec> transaction_commands() {
  return kTransactionCommands;
}

}  // namespace keepdb::commands
