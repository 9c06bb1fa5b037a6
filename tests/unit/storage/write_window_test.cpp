// Tests for WriteWindow: when a window is due, and how its commits are counted by cause
// (age, size, requested) and timed, failed commits included.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>

#include "storage/lmdb.h"
#include "storage/write_window.h"
#include "tests/support/temp_dir.h"

using keepdb::storage::Env;
using keepdb::storage::StorageError;
using keepdb::storage::WriteWindow;
using Cause = keepdb::storage::WriteWindow::CommitCause;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kNoLimit = UINT64_MAX;

std::uint64_t commit_count(const WriteWindow& window) {
  return window.commits(Cause::kAge) + window.commits(Cause::kSize) +
         window.commits(Cause::kRequested);
}

}  // namespace

TEST_CASE("write window: a window is due at its age, unit or byte limit", "[storage]") {
  keepdb::test::TempDir dir;
  Env env(dir.path(), {});
  WriteWindow window(env, {.max_age = 1h, .max_units = 3, .max_bytes = 100});
  const auto now = WriteWindow::Clock::now();
  CHECK_FALSE(window.due(now));  // none open
  window.begin();
  window.add(2, 10);
  CHECK_FALSE(window.due(now));
  window.add(1, 10);
  CHECK(window.due(now));  // three units
  window.commit();
  window.begin();
  window.add(1, 100);
  CHECK(window.due(now));  // a hundred bytes
  window.commit();
  window.begin();
  CHECK(window.due(now + 2h));  // an hour old
  window.abort();
  CHECK(window.open() == nullptr);
}

TEST_CASE("write window: commits are counted by cause and timed", "[storage]") {
  keepdb::test::TempDir dir;
  Env env(dir.path(), {});

  SECTION("a window that reached its unit limit commits for its size") {
    WriteWindow window(env, {.max_age = 1h, .max_units = 2, .max_bytes = kNoLimit});
    window.begin();
    window.add(2, 1);
    window.commit();
    CHECK(window.commits(Cause::kSize) == 1);
    CHECK(commit_count(window) == 1);
    CHECK(window.commit_latency().snapshot().count == 1);
  }
  SECTION("and one that reached its byte limit too") {
    WriteWindow window(env, {.max_age = 1h, .max_units = kNoLimit, .max_bytes = 64});
    window.begin();
    window.add(1, 64);
    window.commit();
    CHECK(window.commits(Cause::kSize) == 1);
  }
  SECTION("a window committed before any limit was requested") {
    WriteWindow window(env, {.max_age = 1h, .max_units = kNoLimit, .max_bytes = kNoLimit});
    window.begin();
    window.add(1, 1);
    window.commit();
    CHECK(window.commits(Cause::kRequested) == 1);
    CHECK(commit_count(window) == 1);
  }
  SECTION("a window of no age commits for its age, as with commit_interval_ms = 0") {
    WriteWindow window(env, {.max_age = 0ms, .max_units = kNoLimit, .max_bytes = kNoLimit});
    window.begin();
    window.commit();
    CHECK(window.commits(Cause::kAge) == 1);
  }
  SECTION("no window open: nothing to commit, nothing counted") {
    WriteWindow window(env, {.max_age = 0ms, .max_units = 1, .max_bytes = 1});
    window.commit();
    window.begin();
    window.abort();
    window.commit();
    CHECK(commit_count(window) == 0);
    CHECK(window.commit_latency().snapshot().count == 0);
  }
}

TEST_CASE("write window: a failed commit is counted, timed and closes the window",
          "[storage]") {
  keepdb::test::TempDir dir;
  Env env(dir.path(), {.map_size_bytes = 1u << 20});  // 256 pages: a large write fills it
  WriteWindow window(env, {.max_age = 1h, .max_units = kNoLimit, .max_bytes = kNoLimit});
  MDB_txn* txn = window.begin();
  MDB_dbi dbi = 0;
  REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == MDB_SUCCESS);
  int rc = MDB_SUCCESS;
  for (std::uint32_t i = 0; rc == MDB_SUCCESS && i < 100000; ++i) {
    MDB_val key{sizeof i, &i};
    char value[512] = {};
    MDB_val data{sizeof value, value};
    rc = mdb_put(txn, dbi, &key, &data, 0);
  }
  REQUIRE(rc == MDB_MAP_FULL);  // the transaction is now unusable: its commit fails
  CHECK_THROWS_AS(window.commit(), StorageError);
  CHECK(window.open() == nullptr);
  CHECK(window.commits(Cause::kRequested) == 1);
  CHECK(window.commit_latency().snapshot().count == 1);
}
