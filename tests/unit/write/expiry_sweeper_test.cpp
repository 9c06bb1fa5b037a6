// ExpirySweeper on the virtual clock, over a real KvStore and a scripted raft replica: it
// sweeps only while this server is the ready leader, once per interval; a round proposes one
// keepdb.expired op naming at most keys_per_round due keys, earliest deadline first; one
// proposal is in flight at a time; a full round that erased keys is followed at once by the
// next; it uses the later of the wall clock and the state machine clock; stop() ends it.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/internal_ops.h"
#include "kernel/commands/proposer.h"
#include "kernel/node/expiry_sweeper.h"
#include "storage/kv_store.h"
#include "storage/lmdb.h"
#include "storage/write_window.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/consensus/virtual_clock.h"
#include "tests/unit/write/fake_raft.h"

using keepdb::commands::Reply;
using keepdb::consensus::testing::FakeRaftGroup;
using keepdb::consensus::testing::VirtualExecutor;
using keepdb::consensus::testing::VirtualScheduler;
using keepdb::node::ExpirySweeper;
using keepdb::storage::KvStore;
using keepdb::storage::WriteTxn;
using namespace std::chrono_literals;

namespace {

// Records each proposal; complete() erases its keys from the store (as the state machine
// would once the op is applied) and answers with the count.
class ErasingProposer final : public keepdb::commands::Proposer {
 public:
  struct Proposal {
    std::vector<std::string> op;
    Completion done;
    std::uint64_t at_ms;
    keepdb::storage::Db db;  // the database the op names
  };
  ErasingProposer(VirtualScheduler& scheduler, const keepdb::storage::Env& env, const KvStore& kv)
      : scheduler_(scheduler), env_(env), kv_(kv) {}

  void propose(const keepdb::commands::Caller& caller, keepdb::commands::Args args,
               Completion done) override {
    CHECK(caller.principal == "keepdb.expiry");
    proposals.push_back({std::vector<std::string>(args.begin(), args.end()), std::move(done),
                         scheduler_.now_ms(), caller.db});
  }
  void drain(std::function<void()> drained) override { drained(); }

  void complete(std::size_t i) {
    Proposal& proposal = proposals.at(i);
    std::int64_t erased = 0;
    WriteTxn txn(env_);
    for (std::size_t k = 1; k < proposal.op.size(); ++k) {
      erased += kv_.erase(txn.get(), proposal.db, proposal.op[k]);
    }
    txn.commit();
    std::exchange(proposal.done, nullptr)(Reply::number(erased));
  }

  std::vector<Proposal> proposals;

 private:
  VirtualScheduler& scheduler_;
  const keepdb::storage::Env& env_;
  const KvStore& kv_;
};

struct Fixture {
  Fixture()
      : env(dir.path(), {.map_size_bytes = 64ull << 20, .max_dbs = 4, .extra_flags = 0}),
        kv(env),
        executor(scheduler),
        group(scheduler),
        replica(group.add(1)),
        proposer(scheduler, env, kv),
        sweeper(executor, kv, window, replica, proposer, stats, {.interval = 100ms, .keys_per_round = 3},
                [this] { return wall_ms; }) {}

  // Keys "k<deadline>" expiring at each deadline (Unix ms).
  void expiring(const std::vector<std::uint64_t>& deadlines, keepdb::storage::Db db = 0) {
    WriteTxn txn(env);
    for (std::uint64_t deadline : deadlines) {
      kv.put(txn.get(), db, "k" + std::to_string(deadline), "v", deadline);
    }
    txn.commit();
  }
  void lead() {
    group.elect(1);
    scheduler.run_for(10);  // the election barrier applies: ready
    REQUIRE(replica.ready());
  }
  std::vector<std::string> keys(std::size_t proposal) const {
    const auto& op = proposer.proposals.at(proposal).op;
    CHECK(op.at(0) == keepdb::commands::kExpiredOp);
    return {op.begin() + 1, op.end()};
  }

  keepdb::test::TempDir dir;
  keepdb::storage::Env env;
  KvStore kv;
  // Closed unless a test opens it: the sweeper then reads committed snapshots.
  keepdb::storage::WriteWindow window{env, {}};
  VirtualScheduler scheduler;
  VirtualExecutor executor;
  FakeRaftGroup group;
  keepdb::consensus::testing::FakeReplica& replica;
  keepdb::commands::ServerStats stats;
  ErasingProposer proposer;
  std::uint64_t wall_ms = 10'000;
  ExpirySweeper sweeper;
};

}  // namespace

TEST_CASE("the sweeper proposes nothing unless this server is the ready leader", "[expiry]") {
  Fixture f;
  f.expiring({5'000});
  f.sweeper.start();
  f.scheduler.run_for(1000);
  CHECK(f.proposer.proposals.empty());
  f.lead();  // at +1010 ms
  f.scheduler.run_for(89);
  CHECK(f.proposer.proposals.empty());
  f.scheduler.run_for(1);  // the next interval's round, at +1100 ms
  REQUIRE(f.proposer.proposals.size() == 1);
  CHECK(f.keys(0) == std::vector<std::string>{"k5000"});
}

TEST_CASE("a round names at most keys_per_round due keys, earliest deadline first; rounds come "
          "once per interval while nothing is due",
          "[expiry]") {
  Fixture f;
  f.lead();
  f.expiring({9'000, 7'000, 8'000, 6'000, 20'000});  // 20'000 is not due at 10'000
  const std::uint64_t start = f.scheduler.now_ms();
  f.sweeper.start();
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 1);
  CHECK(f.proposer.proposals[0].at_ms == start + 100);
  CHECK(f.keys(0) == std::vector<std::string>{"k6000", "k7000", "k8000"});

  // One proposal in flight at a time, however long it takes.
  f.scheduler.run_for(1000);
  CHECK(f.proposer.proposals.size() == 1);

  // A full round that erased keys: the next round at once.
  f.proposer.complete(0);
  CHECK(f.stats.expired_keys == 3);
  REQUIRE(f.proposer.proposals.size() == 2);
  CHECK(f.proposer.proposals[1].at_ms == f.scheduler.now_ms());
  CHECK(f.keys(1) == std::vector<std::string>{"k9000"});

  // A partial round: the next waits for the interval, and then finds nothing due.
  const std::uint64_t partial = f.scheduler.now_ms();
  f.proposer.complete(1);
  CHECK(f.stats.expired_keys == 4);
  f.scheduler.run_for(1000);
  CHECK(f.proposer.proposals.size() == 2);

  // A deadline passes: the next interval's round takes it.
  f.wall_ms = 20'000;
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 3);
  CHECK((f.proposer.proposals[2].at_ms - partial) % 100 == 0);
  CHECK(f.keys(2) == std::vector<std::string>{"k20000"});
}

TEST_CASE("a full round that erased nothing waits for the interval (no spinning)", "[expiry]") {
  Fixture f;
  f.lead();
  f.expiring({1'000, 2'000, 3'000});
  f.sweeper.start();
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 1);
  // The log erased nothing (say, a leader whose clock runs ahead of the batch time).
  std::exchange(f.proposer.proposals[0].done, nullptr)(Reply::number(0));
  CHECK(f.proposer.proposals.size() == 1);
  f.scheduler.run_for(100);
  CHECK(f.proposer.proposals.size() == 2);
}

TEST_CASE("the sweep uses the state machine clock when the wall clock is behind", "[expiry]") {
  Fixture f;
  f.lead();
  f.wall_ms = 1'000;
  f.expiring({5'000});
  {
    WriteTxn txn(f.env);
    f.kv.set_clock_ms(txn.get(), 6'000);  // the log already treats k5000 as expired
    txn.commit();
  }
  f.sweeper.start();
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 1);
  CHECK(f.keys(0) == std::vector<std::string>{"k5000"});
}

TEST_CASE("after stop() no round runs and a completion does not re-arm", "[expiry]") {
  Fixture f;
  f.lead();
  f.expiring({1'000, 2'000, 3'000, 4'000});
  f.sweeper.start();
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 1);
  f.sweeper.stop();
  f.proposer.complete(0);  // a full round that erased keys
  f.scheduler.run_for(1000);
  CHECK(f.proposer.proposals.size() == 1);
  CHECK(f.scheduler.pending() == 0);  // no timer left behind
}

TEST_CASE("stopped between rounds, the sweeper proposes nothing more", "[expiry]") {
  Fixture f;
  f.lead();
  f.expiring({1'000});
  f.sweeper.start();
  f.scheduler.run_for(50);
  f.sweeper.stop();
  f.scheduler.run_for(1000);
  CHECK(f.proposer.proposals.empty());
  CHECK(f.scheduler.pending() == 0);
}

TEST_CASE("due keys of several databases go in one op per database, the next at once",
          "[expiry][db]") {
  Fixture f;
  f.lead();
  f.expiring({6'000}, 2);
  f.expiring({7'000}, 0);  // two due keys: fewer than keys_per_round
  f.sweeper.start();
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 1);
  CHECK(f.proposer.proposals[0].db == 2);
  CHECK(f.keys(0) == std::vector<std::string>{"k6000"});
  f.proposer.complete(0);
  REQUIRE(f.proposer.proposals.size() == 2);  // database 0's keys were left: no wait
  CHECK(f.proposer.proposals[1].db == 0);
  CHECK(f.keys(1) == std::vector<std::string>{"k7000"});
}

TEST_CASE("the sweep reads through the open write window: keys it erased are not proposed",
          "[expiry]") {
  Fixture f;
  f.lead();
  f.expiring({1'000, 2'000, 3'000});
  // An applied entry, not committed yet, erased k1000 and made k2000 persistent.
  MDB_txn* txn = f.window.begin();
  REQUIRE(f.kv.erase(txn, 0, "k1000"));
  f.kv.put(txn, 0, "k2000", "v");
  f.sweeper.start();
  f.scheduler.run_for(100);
  REQUIRE(f.proposer.proposals.size() == 1);
  CHECK(f.keys(0) == std::vector<std::string>{"k3000"});
  f.window.abort();
}
