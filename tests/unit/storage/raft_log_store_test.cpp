// The raft log store (LMDB metadata, segment-file entries) in a temporary directory: round
// trips through restarts, one scan of the segments per start, group commit order, truncation,
// snapshots with and without trailing entries, compaction by whole segments, an install
// interrupted before the old segments went, recover, migration of entries from the old LMDB
// table, sticky write failures, and corrupt snapshot files, records, segments and
// environments.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "storage/raft_log_records.h"
#include "storage/raft_log_store.h"
#include "storage/segment_log.h"
#include "tests/support/temp_dir.h"

namespace keepdb::storage {
namespace {

using util::IoStatus;
using storage::LoadedLog;
using util::RaftSnapshotPtr;

using test::TempDir;

// Log entries whose payload memory outlives the store operations using it.
class Entries {
 public:
  const raft_entry& make(raft_term term, std::string payload, unsigned short type = RAFT_COMMAND) {
    payloads_.push_back(std::move(payload));
    std::string& stored = payloads_.back();
    entries_.push_back(raft_entry{term, type, {stored.data(), stored.size()}, nullptr});
    return entries_.back();
  }

 private:
  std::deque<std::string> payloads_;
  std::deque<raft_entry> entries_;
};

// A snapshot built the way raft hands one to snapshot_put: several buffers.
struct SnapshotToPut {
  std::string first;
  std::string second;
  raft_buffer buffers[2];
  raft_snapshot snapshot{};

  SnapshotToPut(raft_index index, raft_term term, std::string data_first, std::string data_second)
      : first(std::move(data_first)), second(std::move(data_second)) {
    buffers[0] = {first.data(), first.size()};
    buffers[1] = {second.data(), second.size()};
    snapshot.index = index;
    snapshot.term = term;
    snapshot.configuration_index = 1;
    raft_configuration_init(&snapshot.configuration);
    raft_configuration_add(&snapshot.configuration, 1, "server-1", RAFT_VOTER);
    raft_configuration_add(&snapshot.configuration, 2, "server-2", RAFT_STANDBY);
    snapshot.bufs = buffers;
    snapshot.n_bufs = 2;
  }
  ~SnapshotToPut() { raft_configuration_close(&snapshot.configuration); }
};

std::unique_ptr<RaftLogStore> open_store(const TempDir& dir,
                                         std::uint64_t segment_bytes = 64ull << 20) {
  std::unique_ptr<RaftLogStore> store;
  RaftLogStoreOptions options;
  options.directory = dir.path() / "raft";
  options.map_size_bytes = 64ull << 20;
  options.segment_bytes = segment_bytes;
  const util::IoStatus status = RaftLogStore::open(options, store);
  INFO(status.message);
  REQUIRE(status.ok());
  return store;
}

// Opens and loads; the store is ready for appends afterwards.
std::unique_ptr<RaftLogStore> open_loaded(const TempDir& dir, storage::LoadedLog& loaded,
                                          std::uint64_t segment_bytes = 64ull << 20) {
  auto store = open_store(dir, segment_bytes);
  const util::IoStatus status = store->load(loaded);
  INFO(status.message);
  REQUIRE(status.ok());
  return store;
}

util::IoStatus append(RaftLogStore& store, std::span<const raft_entry> entries) {
  std::promise<util::IoStatus> done;
  store.append(entries, [&done](util::IoStatus status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

util::IoStatus put_snapshot(RaftLogStore& store, unsigned trailing, const raft_snapshot& snapshot) {
  std::promise<util::IoStatus> done;
  store.snapshot_put(trailing, snapshot,
                     [&done](util::IoStatus status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

void drain(RaftLogStore& store) {
  std::promise<void> done;
  store.drain([&done] { done.set_value(); });
  done.get_future().get();
}

std::string payload(const raft_entry& entry) {
  return std::string(static_cast<const char*>(entry.buf.base), entry.buf.len);
}

std::string snapshot_data(const raft_snapshot& snapshot) {
  REQUIRE(snapshot.n_bufs == 1);
  return std::string(static_cast<const char*>(snapshot.bufs[0].base), snapshot.bufs[0].len);
}

// Bootstraps and appends commands "1".."count" (term 1) after the configuration entry.
void fill(RaftLogStore& store, Entries& entries, int count) {
  REQUIRE(store.bootstrap(entries.make(1, "configuration", RAFT_CHANGE)).ok());
  storage::LoadedLog loaded;
  REQUIRE(store.load(loaded).ok());
  for (int i = 1; i <= count; ++i) {
    REQUIRE(append(store, {&entries.make(1, std::to_string(i)), 1}).ok());
  }
}

std::vector<std::filesystem::path> snapshot_files(const TempDir& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "raft/snapshots")) {
    files.push_back(entry.path());
  }
  return files;
}

// The segment files, sorted by name (that is, by generation, then first index).
std::vector<std::filesystem::path> segment_files(const TempDir& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "raft/log")) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The first index in a segment file's name "g<generation>-<first index>.seg".
raft_index first_index_of(const std::filesystem::path& segment) {
  return std::stoull(segment.filename().string().substr(18, 16), nullptr, 16);
}

// Runs `edit` on the closed store's old-format entries table through raw LMDB.
template <typename Edit>
void edit_entries(const TempDir& dir, Edit edit) {
  Env env(dir.path() / "raft", EnvOptions{});
  const MDB_dbi entries = open_database(env, "entries");
  WriteTxn txn(env);
  edit(txn.get(), entries);
  txn.commit();
}

// Writes an entry the way stores did before segment files: into the LMDB entries table.
void put_old_entry(MDB_txn* txn, MDB_dbi entries, raft_index index, const raft_entry& entry) {
  EntryKey key_bytes = entry_key(index);
  MDB_val key{key_bytes.size(), key_bytes.data()};
  std::vector<std::uint8_t> record(kEntryRecordHeaderBytes + entry.buf.len);
  write_entry_record(entry, record);
  MDB_val value{record.size(), record.data()};
  check(mdb_put(txn, entries, &key, &value, 0), "put old entry");
}

// Limits the size of files this process writes, for one scope; SIGXFSZ is ignored meanwhile
// so that an oversized write fails with EFBIG instead of killing the test.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    saved_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, saved_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  sighandler_t saved_handler_ = SIG_DFL;
};

}  // namespace

TEST_CASE("a fresh log store is empty, bootstraps once and keeps term and vote",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    REQUIRE(store->bootstrap(entries.make(1, "configuration", RAFT_CHANGE)).ok());
    CHECK(store->bootstrap(entries.make(1, "again", RAFT_CHANGE)).code == RAFT_CANTBOOTSTRAP);
    REQUIRE(store->set_vote(3).ok());
    REQUIRE(store->set_term(7).ok());  // resets the vote
    REQUIRE(store->set_vote(2).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  CHECK(loaded.term == 7);
  CHECK(loaded.voted_for == 2);
  CHECK(loaded.snapshot == nullptr);
  CHECK(loaded.start_index == 1);
  REQUIRE(loaded.entries.size() == 1);
  CHECK(loaded.entries[0].type == RAFT_CHANGE);
  CHECK(payload(loaded.entries[0]) == "configuration");
}

TEST_CASE("a restart reads the segments once: bootstrap refuses without them and load checks them",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 3);  // indexes 1..4, term 1
  }
  // Damage the configuration entry, which intact entries follow: any scan reports it.
  const std::filesystem::path segment = segment_files(dir).at(0);
  std::fstream stream(segment, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekp(32 + 25 + 3);
  stream.put('X');
  stream.close();
  // A node starts with bootstrap, then load: the refusal comes from the term alone, so
  // the one scan of the segments is load's, which still finds the damage.
  auto store = open_store(dir);
  const util::IoStatus refused = store->bootstrap(entries.make(1, "again", RAFT_CHANGE));
  CHECK(refused.code == RAFT_CANTBOOTSTRAP);
  storage::LoadedLog loaded;
  CHECK(store->load(loaded).code == RAFT_CORRUPT);
}

TEST_CASE("a bootstrap entry whose commit never happened is discarded; bootstrap runs again",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  open_store(dir);  // an empty store, at generation 0
  {
    // What the interrupted bootstrap left: its entry, durable, in the next generation.
    SegmentLogOptions options;
    options.directory = dir.path() / "raft/log";
    std::unique_ptr<SegmentLog> log;
    REQUIRE(SegmentLog::open(options, 1, 0, [](const LogRecord&) { return util::IoStatus::success(); },
                             log)
                .ok());
    const std::string half = "half-written configuration";
    REQUIRE(log->append({1, 1, RAFT_CHANGE,
                         {reinterpret_cast<const std::uint8_t*>(half.data()), half.size()}})
                .ok());
    REQUIRE(log->sync().ok());
  }
  {
    storage::LoadedLog loaded;
    auto store = open_loaded(dir, loaded);
    CHECK(loaded.term == 0);
    CHECK(loaded.entries.size() == 0);
    CHECK(segment_files(dir).empty());
    REQUIRE(store->bootstrap(entries.make(1, "configuration", RAFT_CHANGE)).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  CHECK(loaded.term == 1);
  REQUIRE(loaded.entries.size() == 1);
  CHECK(payload(loaded.entries[0]) == "configuration");
}

TEST_CASE("appends are durable in order and survive a restart", "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 3);
    // Many appends queued at once: group-committed, completed in submission order.
    std::mutex mutex;
    std::vector<int> completed;
    for (int i = 0; i < 50; ++i) {
      const raft_entry& entry = entries.make(2, "batch-" + std::to_string(i));
      store->append({&entry, 1}, [&, i](util::IoStatus status) {
        CHECK(status.ok());
        std::lock_guard lock(mutex);
        completed.push_back(i);
      });
    }
    drain(*store);
    std::vector<int> expected(50);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(completed == expected);
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  REQUIRE(loaded.entries.size() == 54);
  CHECK(payload(loaded.entries[3]) == "3");
  CHECK(payload(loaded.entries[53]) == "batch-49");
  CHECK(loaded.entries[53].term == 2);
  REQUIRE(append(*store, {&entries.make(2, "next"), 1}).ok());  // continues at index 55
  store.reset();
  storage::LoadedLog reloaded;
  store = open_loaded(dir, reloaded);
  REQUIRE(reloaded.entries.size() == 55);
  CHECK(payload(reloaded.entries[54]) == "next");
}

TEST_CASE("inline writes complete inside the call and after whatever the writer still holds",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 2);
    store->set_write_inline(true);
    // The writer thread may still be finishing fill()'s last task (its callbacks run before
    // it counts as idle); until it is, inline appends queue behind it, in order.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool inline_done = false;
    while (!inline_done && std::chrono::steady_clock::now() < deadline) {
      std::promise<std::thread::id> ran_on;
      std::atomic<bool> returned{false};  // read by the writer thread when the append queued
      bool done_before_return = false;
      store->append({&entries.make(1, "inline"), 1}, [&](util::IoStatus status) {
        CHECK(status.ok());
        done_before_return = !returned;
        ran_on.set_value(std::this_thread::get_id());
      });
      returned = true;
      const std::thread::id thread = ran_on.get_future().get();
      inline_done = done_before_return && thread == std::this_thread::get_id();
    }
    REQUIRE(inline_done);

    // A snapshot read still goes to the writer thread; an append behind it waits its turn.
    std::vector<std::string> order;
    std::mutex order_mutex;
    const auto record = [&](const char* what) {
      std::lock_guard lock(order_mutex);
      order.emplace_back(what);
    };
    store->snapshot_get([&](util::IoStatus, util::RaftSnapshotPtr) { record("snapshot_get"); });
    store->append({&entries.make(1, "queued"), 1}, [&](util::IoStatus status) {
      CHECK(status.ok());
      record("append");
    });
    drain(*store);
    CHECK(order == std::vector<std::string>{"snapshot_get", "append"});
    store->set_write_inline(false);
    REQUIRE(append(*store, {&entries.make(1, "threaded"), 1}).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  const std::size_t count = loaded.entries.size();
  REQUIRE(count >= 6);
  CHECK(payload(loaded.entries[count - 3]) == "inline");
  CHECK(payload(loaded.entries[count - 2]) == "queued");
  CHECK(payload(loaded.entries[count - 1]) == "threaded");
}

TEST_CASE("truncate drops the tail after earlier appends", "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 9);                                            // indexes 1..10
    store->append({&entries.make(1, "in flight"), 1}, [](util::IoStatus) {});  // index 11
    store->truncate(6);
    REQUIRE(append(*store, {&entries.make(3, "six"), 1}).ok());
    REQUIRE(append(*store, {&entries.make(3, "seven"), 1}).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  REQUIRE(loaded.entries.size() == 7);
  CHECK(payload(loaded.entries[4]) == "4");
  CHECK(payload(loaded.entries[5]) == "six");
  CHECK(loaded.entries[6].term == 3);
}

TEST_CASE("snapshots keep trailing entries, or replace the whole log when installed",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 9);  // indexes 1..10
    SnapshotToPut local(8, 1, "abc", "def");
    REQUIRE(put_snapshot(*store, 3, local.snapshot).ok());
  }
  {
    storage::LoadedLog loaded;
    auto store = open_loaded(dir, loaded);
    REQUIRE(loaded.snapshot != nullptr);
    CHECK(loaded.snapshot->index == 8);
    CHECK(snapshot_data(*loaded.snapshot) == "abcdef");
    REQUIRE(loaded.snapshot->configuration.n == 2);
    CHECK(std::string(loaded.snapshot->configuration.servers[1].address) == "server-2");
    CHECK(loaded.snapshot->configuration.servers[1].role == RAFT_STANDBY);
    CHECK(loaded.start_index == 6);  // 8 - 3 + 1
    CHECK(loaded.entries.size() == 5);

    std::promise<util::RaftSnapshotPtr> got;
    store->snapshot_get([&got](util::IoStatus status, util::RaftSnapshotPtr snapshot) {
      CHECK(status.ok());
      got.set_value(std::move(snapshot));
    });
    util::RaftSnapshotPtr snapshot = got.get_future().get();
    REQUIRE(snapshot != nullptr);
    CHECK(snapshot->index == 8);
    CHECK(snapshot_data(*snapshot) == "abcdef");

    SnapshotToPut installed(20, 2, "leader", "state");
    REQUIRE(put_snapshot(*store, 0, installed.snapshot).ok());
    REQUIRE(append(*store, {&entries.make(2, "after install"), 1}).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  REQUIRE(loaded.snapshot != nullptr);
  CHECK(loaded.snapshot->index == 20);
  CHECK(loaded.snapshot->term == 2);
  CHECK(snapshot_data(*loaded.snapshot) == "leaderstate");
  CHECK(loaded.start_index == 21);
  REQUIRE(loaded.entries.size() == 1);
  CHECK(payload(loaded.entries[0]) == "after install");
  CHECK(snapshot_files(dir).size() == 1);  // the older file was removed
}

TEST_CASE("recover appends a configuration entry in the last entry's term", "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 2);
    REQUIRE(append(*store, {&entries.make(4, "term four"), 1}).ok());
  }
  {
    auto store = open_store(dir);
    std::string configuration = "new configuration";
    REQUIRE(store->recover({configuration.data(), configuration.size()}).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  REQUIRE(loaded.entries.size() == 5);
  CHECK(loaded.entries[4].type == RAFT_CHANGE);
  CHECK(loaded.entries[4].term == 4);
  CHECK(payload(loaded.entries[4]) == "new configuration");
}

TEST_CASE("a failed write makes every later write fail", "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    std::unique_ptr<RaftLogStore> store = open_store(dir);
    fill(*store, entries, 2);
    {
      // The segment may grow by 64 KiB only: a 4 MiB entry is written in part, then fails.
      const auto segment_bytes = std::filesystem::file_size(segment_files(dir).at(0));
      FileSizeLimit limit(segment_bytes + (64u << 10));
      const util::IoStatus full = append(*store, {&entries.make(1, std::string(4u << 20, 'x')), 1});
      CHECK(full.code == RAFT_NOSPACE);
    }
    CHECK(append(*store, {&entries.make(1, "small"), 1}).code == RAFT_NOSPACE);
    CHECK(store->set_term(9).code == RAFT_NOSPACE);
    SnapshotToPut snapshot(2, 1, "a", "b");
    CHECK(put_snapshot(*store, 1, snapshot.snapshot).code == RAFT_NOSPACE);
  }
  // A new process: the durable state is intact, the partly written entry cut off as a torn tail.
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  CHECK(loaded.term == 1);
  CHECK(loaded.entries.size() == 3);
  CHECK(loaded.snapshot == nullptr);
}

TEST_CASE("corrupt state is reported as an error, never trusted", "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir);
    fill(*store, entries, 4);  // indexes 1..5
    SnapshotToPut snapshot(3, 1, "snapshot", "data");
    REQUIRE(put_snapshot(*store, 5, snapshot.snapshot).ok());
  }
  const std::filesystem::path file = snapshot_files(dir).at(0);
  auto load_status = [&] {
    storage::LoadedLog loaded;
    return open_store(dir)->load(loaded);
  };

  SECTION("a snapshot file with a flipped byte") {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(2);
    stream.put('X');
    stream.close();
    CHECK(load_status().code == RAFT_CORRUPT);
  }
  SECTION("a short snapshot file") {
    std::filesystem::resize_file(file, 5);
    CHECK(load_status().code == RAFT_CORRUPT);
  }
  SECTION("a missing snapshot file") {
    std::filesystem::remove(file);
    CHECK(load_status().code == RAFT_CORRUPT);
  }
  SECTION("a short entry record in the old LMDB entries table") {
    edit_entries(dir, [](MDB_txn* txn, MDB_dbi db) {
      EntryKey key_bytes = entry_key(2);
      MDB_val key{key_bytes.size(), key_bytes.data()};
      std::uint8_t byte = 1;
      MDB_val value{1, &byte};
      check(mdb_put(txn, db, &key, &value, 0), "put");
    });
    CHECK(load_status().code == RAFT_CORRUPT);
  }
  SECTION("a gap in the old LMDB entries table") {
    edit_entries(dir, [&entries](MDB_txn* txn, MDB_dbi db) {
      put_old_entry(txn, db, 1, entries.make(1, "one"));
      put_old_entry(txn, db, 3, entries.make(1, "three"));
    });
    CHECK(load_status().code == RAFT_CORRUPT);
  }
  SECTION("a flipped byte inside an entry that is followed by others") {
    const std::filesystem::path segment = segment_files(dir).at(0);
    std::fstream stream(segment, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(32 + 25 + 3);  // the configuration entry's payload
    stream.put('X');
    stream.close();
    CHECK(load_status().code == RAFT_CORRUPT);
  }
  SECTION("a garbage environment file") {
    std::ofstream garbage(dir.path() / "raft/data.mdb", std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 8192; ++i) garbage.put(static_cast<char>(i * 31 + 7));
    garbage.close();
    std::unique_ptr<RaftLogStore> store;
    RaftLogStoreOptions options;
    options.directory = dir.path() / "raft";
    const util::IoStatus opened = RaftLogStore::open(options, store);
    CHECK_FALSE(opened.ok());
    CHECK_FALSE(opened.message.empty());
  }
}

TEST_CASE("compaction deletes only whole segments below the trailing entries", "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  constexpr std::uint64_t kSegmentBytes = 200;  // a few entries per segment
  {
    auto store = open_store(dir, kSegmentBytes);
    fill(*store, entries, 39);  // indexes 1..40
    const auto before = segment_files(dir);
    REQUIRE(before.size() > 4);
    SnapshotToPut local(30, 1, "snap", "shot");
    REQUIRE(put_snapshot(*store, 5, local.snapshot).ok());  // entries 1..25 may go
    const auto after = segment_files(dir);
    CHECK(after.size() < before.size());
    // The segment holding entry 26 stays; every segment before it went.
    REQUIRE(first_index_of(after.at(0)) <= 26);
    REQUIRE(after.size() > 1);
    CHECK(first_index_of(after.at(1)) > 26);
    for (const auto& file : before) {
      if (first_index_of(file) >= first_index_of(after.at(0))) {
        CHECK(std::find(after.begin(), after.end(), file) != after.end());
      }
    }
    REQUIRE(append(*store, {&entries.make(2, "forty-one"), 1}).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded, kSegmentBytes);
  CHECK(loaded.start_index == 26);  // the dead entries left in a kept segment stay hidden
  REQUIRE(loaded.entries.size() == 16);
  CHECK(payload(loaded.entries[0]) == "25");
  CHECK(payload(loaded.entries[15]) == "forty-one");
}

TEST_CASE("installing a snapshot discards the old log even if its files outlive a crash",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  const std::filesystem::path saved = dir.path() / "saved-log";
  {
    auto store = open_store(dir, 200);
    fill(*store, entries, 19);  // indexes 1..20, several segments
    drain(*store);
    // What a crash right after the install's LMDB commit would leave: the old segments.
    std::filesystem::copy(dir.path() / "raft/log", saved);
    SnapshotToPut installed(12, 3, "leader", "state");
    REQUIRE(put_snapshot(*store, 0, installed.snapshot).ok());
    CHECK(segment_files(dir).empty());
  }
  for (const auto& file : std::filesystem::directory_iterator(saved)) {
    std::filesystem::copy(file.path(), dir.path() / "raft/log" / file.path().filename());
  }
  {
    storage::LoadedLog loaded;
    auto store = open_loaded(dir, loaded, 200);
    REQUIRE(loaded.snapshot != nullptr);
    CHECK(loaded.snapshot->index == 12);
    CHECK(loaded.start_index == 13);
    CHECK(loaded.entries.size() == 0);
    CHECK(segment_files(dir).empty());  // the old generation's files were deleted
    REQUIRE(append(*store, {&entries.make(3, "thirteen"), 1}).ok());
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded, 200);
  CHECK(loaded.start_index == 13);
  REQUIRE(loaded.entries.size() == 1);
  CHECK(payload(loaded.entries[0]) == "thirteen");
  CHECK(loaded.entries[0].term == 3);
}

TEST_CASE("truncating across segments, appending and reopening keeps the new tail",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  {
    auto store = open_store(dir, 200);
    fill(*store, entries, 29);  // indexes 1..30
    store->truncate(8);
    REQUIRE(append(*store, {&entries.make(5, "eight"), 1}).ok());
    REQUIRE(append(*store, {&entries.make(5, "nine"), 1}).ok());
    for (const auto& file : segment_files(dir)) CHECK(first_index_of(file) <= 9);
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded, 200);
  REQUIRE(loaded.entries.size() == 9);
  CHECK(payload(loaded.entries[6]) == "6");
  CHECK(payload(loaded.entries[7]) == "eight");
  CHECK(loaded.entries[8].term == 5);
}

namespace {

// An old-format store: term 3, vote 2 and entries 1..5 ("configuration", "old-2".."old-5")
// all in LMDB.
void write_old_format_store(const TempDir& dir, Entries& entries) {
  std::filesystem::create_directories(dir.path() / "raft");
  std::filesystem::permissions(dir.path() / "raft", std::filesystem::perms::owner_all);
  Env env(dir.path() / "raft", EnvOptions{});
  const MDB_dbi old_entries = open_database(env, "entries");
  const MDB_dbi meta = open_database(env, "meta");
  WriteTxn txn(env);
  for (const auto& [name, value] : {std::pair{"term", 3}, std::pair{"vote", 2}}) {
    MDB_val key{std::strlen(name), const_cast<char*>(name)};
    auto record = encode_u64_record(value);
    MDB_val stored{record.size(), record.data()};
    check(mdb_put(txn.get(), meta, &key, &stored, 0), "put meta");
  }
  put_old_entry(txn.get(), old_entries, 1, entries.make(1, "configuration", RAFT_CHANGE));
  for (int i = 2; i <= 5; ++i) {
    put_old_entry(txn.get(), old_entries, i, entries.make(2, "old-" + std::to_string(i)));
  }
  txn.commit();
}

}  // namespace

TEST_CASE("entries of the old LMDB format are migrated into segments, losing nothing",
          "[raft_log_store]") {
  TempDir dir;
  Entries entries;
  write_old_format_store(dir, entries);
  SECTION("on the first start") {}
  SECTION("after an attempt that crashed before its commit, leaving partial segments") {
    SegmentLogOptions options;
    options.directory = dir.path() / "raft/log";
    std::unique_ptr<SegmentLog> leftover;
    REQUIRE(SegmentLog::open(
                options, 1, 0, [](const LogRecord&) { return util::IoStatus::success(); }, leftover)
                .ok());
    const std::string partial = "partial";
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(partial.data()),
                                              partial.size());
    REQUIRE(leftover->append({1, 1, RAFT_CHANGE, bytes}).ok());
    REQUIRE(leftover->append({2, 1, RAFT_COMMAND, bytes}).ok());
    REQUIRE(leftover->sync().ok());
    leftover.reset();
    const auto file = segment_files(dir).at(0);
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - 3);
  }
  {
    storage::LoadedLog loaded;
    auto store = open_loaded(dir, loaded);
    CHECK(loaded.term == 3);
    CHECK(loaded.voted_for == 2);
    CHECK(loaded.start_index == 1);
    REQUIRE(loaded.entries.size() == 5);
    CHECK(loaded.entries[0].type == RAFT_CHANGE);
    CHECK(payload(loaded.entries[4]) == "old-5");
    CHECK(loaded.entries[4].term == 2);
    REQUIRE(append(*store, {&entries.make(3, "new-6"), 1}).ok());
  }
  {
    Env env(dir.path() / "raft", EnvOptions{});
    const MDB_dbi old_entries = open_database(env, "entries");
    ReadTxn txn(env);
    txn.begin();
    MDB_stat stat;
    check(mdb_stat(txn.get(), old_entries, &stat), "stat");
    CHECK(stat.ms_entries == 0);  // the old table is empty once the segments are durable
  }
  storage::LoadedLog loaded;
  auto store = open_loaded(dir, loaded);
  REQUIRE(loaded.entries.size() == 6);
  CHECK(payload(loaded.entries[1]) == "old-2");
  CHECK(payload(loaded.entries[5]) == "new-6");
}

}  // namespace keepdb::storage
