// CommandFixture: a KeepDB keyspace in a fresh temporary LMDB environment, driven the way a
// connection drives it: admit() first (after MULTI, queueing, and EXEC as one transaction op,
// commands/transaction.h), then writes go as a one-op batch through the real
// OpBatchBuilder and StateMachine (one committed write transaction), and reads run through
// the command table against a fresh read snapshot. Replies come back as RESP bytes in the
// session's protocol (RESP2 until HELLO 3).
// Time is the fixture's own wall clock: batches are stamped with it and reads see it, and
// it moves only when a test moves it.
// Also: builders for the exact RESP bytes Redis 7 sends, and a SCAN reply decoder.
// Used by the command unit tests and by tests/fuzz/command_fuzz (library keepdb_command_fixture).
//
// Thread-safety: none; one fixture per test or fuzz input. Throws std::logic_error if the
// state machine answers a one-op batch with other than one reply.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/node_context.h"
#include "kernel/commands/reply.h"
#include "kernel/commands/session.h"
#include "kernel/commands/state_machine.h"
#include "kernel/config/config.h"
#include "storage/kv_store.h"
#include "storage/lmdb.h"
#include "tests/support/temp_dir.h"

namespace keepdb::test {

class CommandFixture {
 public:
  // `max_value_bytes` bounds APPEND, as storage.limits.max_bulk_bytes does in keepd.
  explicit CommandFixture(std::uint64_t max_value_bytes = 16u << 20);

  // Back to the state after construction, but in the same LMDB environment (opening one
  // costs far more than the requests a fuzz input runs): every database flushed, a fresh
  // authenticated session, a fresh node context (SCAN cursors, statistics), the default
  // configuration, the initial clock, and the state machine's stored clock back to 0 (else
  // deadlines would count from an earlier input's time).
  void reset();

  // Runs one request as `session()` and returns the reply bytes.
  std::string run(std::initializer_list<std::string_view> args);
  std::string run(const std::vector<std::string>& args);
  std::string run(std::span<const std::string_view> args);

  // Applies `batch` (op_batch.h encoding) in one committed write transaction as the
  // next log index; returns a copy of the state machine's replies.
  std::vector<commands::Reply> apply_batch(std::string_view batch);
  // Every batch apply_batch() applied since construction or reset(), in order: the log a
  // follower would apply.
  const std::vector<std::string>& applied_batches() const { return applied_batches_; }

  // Direct store access, bypassing the commands.
  void put(std::string_view key, std::string_view payload, std::uint64_t expires_at_ms = 0,
           storage::Db db = 0);
  std::optional<std::string> stored_payload(std::string_view key, storage::Db db = 0);
  std::optional<std::uint64_t> stored_expiry(std::string_view key);
  std::uint64_t applied_index();

  // The wall clock (Unix ms) batches are stamped with and reads compare deadlines to.
  std::uint64_t now_ms() const { return now_ms_; }
  void set_now_ms(std::uint64_t now_ms) { now_ms_ = now_ms; }
  void advance_ms(std::uint64_t ms) { now_ms_ += ms; }

  commands::Session& session() { return session_; }
  // The node's configuration; commands read it at each call (limits.max_keys_visited).
  config::Config& config() { return config_; }
  const storage::Env& env() const { return env_; }
  const storage::KvStore& kv() const { return kv_; }
  commands::StateMachine& state_machine() { return state_machine_; }

 private:
  // apply_batch() for a batch of one op; throws std::logic_error unless it gives one reply.
  std::vector<commands::Reply> apply_one_op(std::string_view batch);

  static constexpr std::uint64_t kInitialNowMs = 1'700'000'000'000;
  std::uint64_t now_ms_ = kInitialNowMs;
  TempDir dir_;
  storage::Env env_;
  storage::KvStore kv_;
  config::Config config_;
  std::optional<commands::NodeContext> node_;  // remade by reset()
  commands::StateMachine state_machine_;
  std::uint64_t max_value_bytes_;  // stamped on the batches it builds, as the leader's limit
  commands::Session session_;
  std::uint64_t next_index_ = 1;
  std::vector<std::string> applied_batches_;
};

// The bytes Redis 7 sends in RESP2.
namespace resp2 {
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";
std::string bulk(std::string_view bytes);
std::string integer(std::int64_t value);
std::string error(std::string_view text);  // text without the leading '-'
std::string array(std::initializer_list<std::string> encoded_elements);
}  // namespace resp2

// A decoded SCAN reply: the next cursor and the keys of this page.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
// Decodes "*2 $cursor *n $key..." strictly; nullopt for anything else (an error reply).
std::optional<ScanPage> parse_scan_reply(std::string_view reply);

}  // namespace keepdb::test
