// KvFsm's write window, driven the way raft drives it (a raft struct holding only the last
// applied index): applied entries are readable through the window at once and committed when
// a limit is reached (the op limit only in a store past the small-store size), before a
// snapshot and at a checkpoint; a window lost to a crash leaves
// the last committed state, from which raft replays; a storage failure drops the window,
// rewinds the applied index and refuses every later entry until clear_failure(); so does an
// entry this build cannot apply, with RAFT_CORRUPT, applying none of it.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/fsm/kv_fsm.h"
#include "storage/kv_store.h"
#include "tests/support/deadline.h"
#include "tests/support/temp_dir.h"
#include "util/raft_memory.h"

namespace keepdb::consensus::testing {
namespace {

using namespace std::chrono_literals;

// One FSM over a store in a temp dir, and the raft state its apply reads.
struct WindowHarness {
  explicit WindowHarness(std::chrono::milliseconds interval,
                         std::uint64_t small_store_bytes = KvFsm::kSmallStoreBytes) {
    open(interval, small_store_bytes);
  }

  void open(std::chrono::milliseconds interval,
            std::uint64_t small_store_bytes = KvFsm::kSmallStoreBytes) {
    fsm.reset();
    fsm = std::make_unique<KvFsm>(env, kv, 1 << 20, config::kDefaultDatabases, interval,
                                  small_store_bytes);
    raft = {};
    raft.last_applied = fsm->applied_index();
    fsm->bind(&raft);
  }

  // Applies one entry of SETs `key` -> `value`, as raft does; the FSM's return code.
  int apply(const std::vector<std::pair<std::string, std::string>>& sets) {
    commands::OpBatchBuilder builder;
    for (const auto& [key, value] : sets) {
      const std::vector<std::string_view> args{"SET", key, value};
      builder.add(args);
    }
    return apply_entry(builder.take(1000));
  }
  // Applies one entry holding `batch`; the FSM's return code.
  int apply_entry(const std::string& batch) {
    raft_buffer buffer{const_cast<char*>(batch.data()), batch.size()};
    void* result = nullptr;
    const int rv = fsm->get()->apply(fsm->get(), &buffer, &result);
    if (rv == 0) ++raft.last_applied;
    return rv;
  }

  // What a read-only transaction (another thread, or the next start) sees.
  std::uint64_t committed_index() {
    storage::ReadTxn txn(env);
    txn.begin();
    return kv.applied_index(txn.get());
  }
  bool committed(std::string_view key) {
    storage::ReadTxn txn(env);
    txn.begin();
    return kv.get(txn.get(), 0, key).has_value();
  }
  // What a reader on the network thread sees.
  bool visible(std::string_view key) {
    storage::ReadTxn snapshot(env);
    return kv.get(fsm->window().reader(snapshot), 0, key).has_value();
  }

  test::TempDir dir;
  storage::Env env{dir.path(), {.map_size_bytes = 4 << 20, .max_dbs = 4}};
  storage::KvStore kv{env};
  struct raft raft {};
  // Not a std::optional: GCC 12 with optimisation warns, wrongly, that the FSM's reply
  // vector may be used uninitialised when an optional one is reset (GCC bug 80635).
  std::unique_ptr<KvFsm> fsm;
};

TEST_CASE("kv fsm window: applied entries are read through the window before they commit",
          "[kv_fsm]") {
  WindowHarness node(1000ms);
  REQUIRE(node.apply({{"a", "1"}}) == 0);
  REQUIRE(node.apply({{"b", "2"}, {"c", "3"}}) == 0);
  CHECK(node.fsm->applied_index() == 2u);
  CHECK(node.visible("a"));
  CHECK(node.visible("c"));
  CHECK_FALSE(node.committed("a"));
  CHECK(node.committed_index() == 0u);

  node.fsm->checkpoint_if_due();  // not yet a second old: still open
  CHECK(node.fsm->window().open() != nullptr);
  REQUIRE(node.fsm->checkpoint());
  CHECK(node.fsm->window().open() == nullptr);
  CHECK(node.committed("c"));
  CHECK(node.committed_index() == 2u);
}

TEST_CASE("kv fsm window: a snapshot commits the window before it names the applied index",
          "[kv_fsm]") {
  WindowHarness node(1000ms);
  REQUIRE(node.apply({{"a", "1"}}) == 0);
  raft_buffer* bufs = nullptr;
  unsigned n = 0;
  REQUIRE(node.fsm->get()->snapshot(node.fsm->get(), &bufs, &n) == 0);
  raft_free(bufs[0].base);
  raft_free(bufs);
  CHECK(node.committed("a"));
  CHECK(node.committed_index() == 1u);
}

TEST_CASE("kv fsm window: with interval 0 every entry commits, and the op limit closes a window",
          "[kv_fsm]") {
  SECTION("interval 0") {
    WindowHarness node(0ms);
    REQUIRE(node.apply({{"a", "1"}}) == 0);
    CHECK(node.fsm->window().open() == nullptr);
    CHECK(node.committed_index() == 1u);
  }
  std::vector<std::pair<std::string, std::string>> sets;
  for (std::uint64_t i = 0; i + 1 < KvFsm::kMaxWindowOps; ++i) {
    sets.emplace_back("k" + std::to_string(i), std::string(100, 'v'));  // a store that grows
  }
  SECTION("the op limit, in a store larger than the small-store size") {
    WindowHarness node(1000ms, 0);
    REQUIRE(node.apply(sets) == 0);
    CHECK(node.fsm->window().open() != nullptr);
    REQUIRE(node.apply({{"last", "v"}}) == 0);  // the limit's op
    CHECK(node.fsm->window().open() == nullptr);
    CHECK(node.committed_index() == 2u);
  }
  SECTION("no op limit in a small store: its dirty pages are at most its own") {
    WindowHarness node(1000ms);
    REQUIRE(node.apply(sets) == 0);
    REQUIRE(node.apply(sets) == 0);
    REQUIRE(node.apply({{"last", "v"}}) == 0);
    CHECK(node.fsm->window().open() != nullptr);
    CHECK(node.committed_index() == 0u);
  }
  SECTION("the op limit from the first commit that finds the store past the size") {
    WindowHarness node(1000ms, 64u << 10);
    REQUIRE(node.apply(sets) == 0);
    REQUIRE(node.apply(sets) == 0);
    CHECK(node.fsm->window().open() != nullptr);  // the size seen at start: small
    REQUIRE(node.fsm->checkpoint());
    REQUIRE(node.apply(sets) == 0);
    REQUIRE(node.apply({{"last", "v"}}) == 0);
    CHECK(node.fsm->window().open() == nullptr);
    CHECK(node.committed_index() == 4u);
  }
}

TEST_CASE("kv fsm window: an idle window commits once it is old enough", "[kv_fsm]") {
  WindowHarness node(1ms);
  REQUIRE(node.apply({{"a", "1"}}) == 0);
  CHECK(test::poll_until(
      [&] {
        node.fsm->checkpoint_if_due();
        return node.fsm->window().open() == nullptr;
      },
      10s, 1ms));
  CHECK(node.committed("a"));
}

TEST_CASE("kv fsm window: a window lost to a crash leaves the committed state to replay from",
          "[kv_fsm]") {
  WindowHarness node(1000ms);
  REQUIRE(node.apply({{"a", "1"}}) == 0);
  REQUIRE(node.fsm->checkpoint());
  REQUIRE(node.apply({{"b", "2"}}) == 0);
  node.open(1000ms);  // the process died: the open window is gone
  CHECK(node.fsm->applied_index() == 1u);
  CHECK(node.visible("a"));
  CHECK_FALSE(node.visible("b"));
  // raft replays entry 2 (restore and replay at start): it applies again.
  REQUIRE(node.apply({{"b", "2"}}) == 0);
  CHECK(node.visible("b"));
}

TEST_CASE("kv fsm window: a storage failure drops the window and refuses entries until cleared",
          "[kv_fsm]") {
  WindowHarness node(1000ms);
  REQUIRE(node.apply({{"a", "1"}}) == 0);
  REQUIRE(node.fsm->checkpoint());
  REQUIRE(node.apply({{"b", "2"}}) == 0);
  // More than the 4 MiB map holds: MDB_MAP_FULL inside the window.
  const std::string big(900 << 10, 'x');
  std::vector<std::pair<std::string, std::string>> sets;
  for (int i = 0; i < 6; ++i) sets.emplace_back("big" + std::to_string(i), big);
  CHECK(node.apply(sets) == RAFT_IOERR);
  CHECK(node.fsm->failure().code == RAFT_NOSPACE);
  CHECK(node.fsm->applied_index() == 1u);  // "b" was only in the dropped window
  CHECK_FALSE(node.visible("b"));
  CHECK(node.fsm->lost_applied());  // reads are refused: "b" was answered
  CHECK(node.fsm->window().open() == nullptr);
  // raft still counts entry 2 applied; nothing applies on a store that is behind it.
  CHECK(node.apply({{"c", "3"}}) == RAFT_IOERR);
  CHECK_FALSE(node.visible("c"));
  // The restart (RaftNode): failure cleared, raft replays from the committed index.
  node.fsm->clear_failure();
  node.raft.last_applied = node.fsm->applied_index();
  REQUIRE(node.apply({{"b", "2"}}) == 0);
  CHECK(node.visible("b"));
  CHECK_FALSE(node.fsm->lost_applied());
  CHECK(node.fsm->window().open() == nullptr);  // after a failure each entry commits alone
  CHECK(node.committed_index() == 2u);
}

TEST_CASE("kv fsm window: an entry this build cannot apply is refused whole, never skipped",
          "[kv_fsm]") {
  WindowHarness node(1000ms);
  REQUIRE(node.apply({{"a", "1"}}) == 0);
  REQUIRE(node.fsm->checkpoint());
  REQUIRE(node.apply({{"b", "2"}}) == 0);
  // A newer leader's op: the SET before it in the same entry must not apply either.
  commands::OpBatchBuilder builder;
  const std::vector<std::string_view> set{"SET", "c", "3"};
  const std::vector<std::string_view> unknown{"NEWCOMMAND", "c"};
  builder.add(set);
  builder.add(unknown);
  CHECK(node.apply_entry(builder.take(1000)) == RAFT_IOERR);
  CHECK(node.fsm->failure().code == RAFT_CORRUPT);
  CHECK_THAT(node.fsm->failure().message,
             Catch::StartsWith("cannot apply log entry 3: op 2 of 2 is 'NEWCOMMAND'"));
  CHECK_FALSE(node.visible("c"));
  CHECK(node.fsm->applied_index() == 1u);  // the window with "b" is dropped too
  // A replay meets the same entry again: still refused, still nothing of it applied.
  node.fsm->clear_failure();
  node.raft.last_applied = node.fsm->applied_index();
  REQUIRE(node.apply({{"b", "2"}}) == 0);
  const std::string newer = std::string("\x09") + std::string(40, '\0');
  CHECK(node.apply_entry(newer) == RAFT_IOERR);
  CHECK_THAT(node.fsm->failure().message,
             Catch::Contains("format version 9, and this build reads versions 1 to 4"));
  CHECK(node.committed_index() == 2u);
}

}  // namespace
}  // namespace keepdb::consensus::testing
