// SCAN cursors. LMDB keeps keys in order, so a scan resumes from the next key; clients
// expect a number, so each returned cursor is a fresh id mapped to that key. The table is
// bounded: past `capacity` the oldest cursor is forgotten and using it gives
// "ERR invalid cursor". Cursors stay valid when reused (a client may retry a call).
//
// Thread-safety: none; used on the network thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace keepdb::commands {

class ScanCursors {
 public:
  explicit ScanCursors(std::size_t capacity, std::uint64_t first_id);

  // Registers the key where the next call resumes; returns its cursor id (never 0).
  std::uint64_t remember(std::string_view resume_key);
  // The resume key of `cursor`, or nullopt when unknown or forgotten.
  std::optional<std::string> resume_key(std::uint64_t cursor) const;

 private:
  std::size_t capacity_;
  std::uint64_t next_id_;
  std::unordered_map<std::uint64_t, std::string> keys_;
  std::deque<std::uint64_t> order_;
};

}  // namespace keepdb::commands
