// SCAN's bounds, and its cursors.
//
// The bounds keep one SCAN call short on the network thread, whatever its MATCH pattern:
// the pattern is at most kMaxScanPatternBytes long (a 511-byte key with every byte escaped
// fits), so matching one key costs at most (511 + 1) * (1024 + 1) steps; a call stops after
// the key at hand once it has spent kScanStepBudget steps, counting kScanStepsPerKey for
// each key visited (the LMDB cursor step, the record and the reply copy) plus the
// matcher's steps. A call thus spends under two budgets: a matcher step took about 1 ns in a
// release build on the 2-core dev machine, so about a millisecond of matching, or some
// 32,000 keys visited without MATCH, however large COUNT is.
//
// SCAN cursors. LMDB keeps keys in order, so a scan resumes from the next key; clients
// expect a number, so each returned cursor is a fresh id mapped to that key. The table is
// bounded: past `capacity` the oldest cursor is forgotten and using it gives
// "ERR invalid cursor". Cursors stay valid when reused (a client may retry a call).
//
// Thread-safety: none; used on the network thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace keepdb::commands {

inline constexpr std::size_t kMaxScanPatternBytes = 1024;
inline constexpr std::uint64_t kScanStepBudget = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kScanStepsPerKey = 32;

class ScanCursors {
 public:
  explicit ScanCursors(std::size_t capacity, std::uint64_t first_id);

  // Registers the key where the next call resumes; returns its cursor id (never 0).
  std::uint64_t remember(std::string_view resume_key);
  // The resume key of `cursor`, or nullopt when unknown or forgotten.
  std::optional<std::string> resume_key(std::uint64_t cursor) const;
  // Whether `cursor` is one remember() gave out, remembered or since forgotten.
  bool issued(std::uint64_t cursor) const { return cursor >= first_id_ && cursor < next_id_; }

 private:
  std::size_t capacity_;
  std::uint64_t first_id_;
  std::uint64_t next_id_;
  std::unordered_map<std::uint64_t, std::string> keys_;
  std::deque<std::uint64_t> order_;
};

}  // namespace keepdb::commands
