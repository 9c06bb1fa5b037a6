// The binary encoding of a batch of write commands: the unit the write path proposes (one
// Raft log entry) and the state machine applies. Format, all integers little-endian:
//   u8 version (4) | u64 batch time (Unix ms) | u16 databases | u64 max value bytes |
//   u32 op count | per op: u8 database | u32 argc | per arg: u32 length, bytes
// Every op names the database (SELECT) it applies to. `databases` (1 to 256) is the
// storage.databases of the server that built the batch, the leader: the range that SELECT
// inside a transaction, MOVE, SWAPDB and COPY ... DB are checked against when the batch
// applies, so that every server gives them the same answer whatever its own setting.
// `max value bytes` is the limits.max_bulk_bytes of the same server: the size APPEND,
// SETRANGE and SETBIT may not grow a value past, checked against it for the same reason
// (a node with a lower limit of its own applies what the leader accepted, and diverges
// from no one). Version 3 batches (before it) are checked against the applying node's own.
// The batch time is the wall clock of the server that built the batch, the leader: it is
// the "now" every op of the batch is applied at, so relative expiry times (SET EX, EXPIRE)
// become the same absolute deadline on every server. Version 1 batches (no batch time,
// written before expiry existed) still decode, with a batch time of 0; version 1 and 2
// batches (before databases) have no database byte and no databases field: their ops
// apply to database 0, the only one there was.
//
// Thread-safety: none; an OpBatchBuilder is used by one thread. Decoding is total: any
// malformed batch is reported, never read out of bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/config/config.h"

namespace keepdb::commands {

class OpBatchBuilder {
 public:
  // `databases`: the builder's storage.databases, 1 to 256, and `max_value_bytes` its
  // limits.max_bulk_bytes (at least 1), stamped on every batch it takes.
  explicit OpBatchBuilder(unsigned databases = config::kDefaultDatabases,
                          std::uint64_t max_value_bytes = config::Limits{}.max_bulk_bytes);
  void add(std::span<const std::string_view> args, std::uint8_t db = 0);
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  std::size_t bytes() const { return buffer_.size(); }
  // Returns the encoded batch, stamped with `time_ms`, and starts a new, empty one.
  std::string take(std::uint64_t time_ms);

 private:
  std::string buffer_;
  std::uint32_t count_ = 0;
  unsigned databases_;
  std::uint64_t max_value_bytes_;
};

// The version OpBatchBuilder writes: the newest this build reads (it reads 1 to this).
constexpr std::uint8_t kOpBatchVersion = 4;

// Decodes a batch op by op: next() gives each op in order until the end, or until the
// damage in a malformed batch (then malformed() is true).
class OpBatchReader {
 public:
  explicit OpBatchReader(std::string_view batch) : batch_(batch) {}
  // Number of ops the header declares, or nullopt if the header is malformed.
  std::optional<std::uint32_t> count() const;
  // The batch time (0 for version 1 batches); meaningful when count() is not nullopt.
  std::uint64_t time_ms() const;
  // The databases of the server that built the batch (1 for version 1 and 2 batches);
  // meaningful when count() is not nullopt.
  unsigned databases() const;
  // The largest value the builder's ops may produce (its limits.max_bulk_bytes); nullopt
  // for batches before version 4, which do not say. Meaningful when count() is not nullopt.
  std::optional<std::uint64_t> max_value_bytes() const;
  // Decodes the next op into `args` (views into the batch). False at the end or on error;
  // check malformed() to tell them apart.
  bool next(std::vector<std::string_view>& args);
  // The database of the op next() decoded last.
  std::uint8_t db() const { return db_; }
  bool malformed() const { return malformed_; }

 private:
  bool read_u32(std::uint32_t& value);
  std::size_t header_bytes() const;
  std::string_view batch_;
  std::size_t pos_ = 0;
  std::uint32_t remaining_ = 0;
  std::uint8_t db_ = 0;
  bool started_ = false;
  bool malformed_ = false;
};

}  // namespace keepdb::commands
