// libFuzzer target: the command layer. The input is what one client sends on a connection
// (multibulk or inline requests); the RESP parser splits it into requests and each runs as
// the connection runs it, through admission, MULTI/EXEC queueing, a one-op write batch and
// the state machine, or the read path (tests/unit/commands/command_fixture.h), against an
// empty keyspace (one LMDB environment per process, CommandFixture::reset() before each
// input, so an input runs as it would alone). The clock moves half a second per request,
// so deadlines set by one request pass during the next ones. Besides crashes and sanitizer
// reports it checks that every reply is exactly one well-formed RESP2/RESP3 value, and
// after each input that the store agrees with itself: every database's key and
// volatile-key counters match its records, the expiry index holds exactly the keys that
// carry a deadline, and no value exceeds the value limit; and a follower that applies the
// same batches (a second keyspace, fed the log) ends with the same records and clock.
#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "kernel/resp/request_parser.h"
#include "storage/kv_store.h"
#include "storage/lmdb.h"
#include "tests/integration/harness/resp_reader.h"
#include "tests/unit/commands/command_fixture.h"

namespace {

// Small limits keep each input fast and the keyspace inside the fixture's LMDB map.
constexpr std::uint64_t kMaxValueBytes = 64u << 10;
constexpr std::size_t kMaxRequests = 48;
constexpr std::uint64_t kClockStepMs = 500;

const keepdb::resp::RequestLimits kRequestLimits{
    .max_bulk_bytes = kMaxValueBytes, .max_array_len = 256, .max_inline_bytes = 4096};

// The replies must frame as one whole value each; a reply that is not RESP throws.
void check_reply(const std::string& reply) {
  if (keepdb::integration::reply_length(reply) != reply.size()) __builtin_trap();
}

// Every record of every database, and the state machine clock.
struct StoreImage {
  std::vector<std::tuple<keepdb::storage::Db, std::string, std::string, std::uint64_t>> records;
  std::uint64_t clock_ms = 0;
  bool operator==(const StoreImage&) const = default;
};

StoreImage image(const keepdb::test::CommandFixture& db) {
  StoreImage image;
  keepdb::storage::ReadTxn txn(db.env());
  txn.begin();
  db.kv().scan_all(txn.get(), "",
                   [&](keepdb::storage::Db d, std::string_view key,
                       const keepdb::storage::ValueView& value) {
                     image.records.emplace_back(d, key, value.payload, value.expires_at_ms);
                     return true;
                   });
  image.clock_ms = db.kv().clock_ms(txn.get());
  return image;
}

// The value limit, and the counters and the expiry index of every database (all 256 a byte
// can name), against the records of `image`, the store's.
void check_store(const keepdb::test::CommandFixture& db, const StoreImage& image) {
  using keepdb::storage::Db;
  using keepdb::storage::kMaxDatabases;
  std::array<std::uint64_t, kMaxDatabases> records{};
  std::array<std::uint64_t, kMaxDatabases> volatile_records{};
  std::set<std::pair<Db, std::string>> with_deadline;
  for (const auto& [d, key, payload, expires_at_ms] : image.records) {
    if (payload.size() > kMaxValueBytes) __builtin_trap();
    ++records[d];
    if (expires_at_ms != 0) {
      ++volatile_records[d];
      with_deadline.emplace(d, key);
    }
  }
  const keepdb::storage::KvStore& kv = db.kv();
  keepdb::storage::ReadTxn txn(db.env());
  txn.begin();
  for (unsigned d = 0; d < kMaxDatabases; ++d) {
    if (records[d] != kv.size(txn.get(), static_cast<Db>(d))) __builtin_trap();
    if (volatile_records[d] != kv.volatile_keys(txn.get(), static_cast<Db>(d))) __builtin_trap();
  }
  std::set<std::pair<Db, std::string>> indexed;
  for (auto& due : kv.keys_due(txn.get(), std::numeric_limits<std::uint64_t>::max(),
                               with_deadline.size() + 1)) {
    indexed.emplace(due.db, std::move(due.key));
  }
  if (indexed != with_deadline) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static keepdb::test::CommandFixture leader(kMaxValueBytes);
  leader.reset();
  leader.config().limits.max_bulk_bytes = kMaxValueBytes;
  leader.config().limits.max_keys_visited = 1000;
  keepdb::resp::RequestParser parser(kRequestLimits);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  for (std::size_t n = 0; n < kMaxRequests; ++n) {
    if (parser.parse(input, args) != keepdb::resp::ParseStatus::kComplete) break;
    check_reply(leader.run(std::span<const std::string_view>(args)));
    input.remove_prefix(parser.consumed());
    leader.advance_ms(kClockStepMs);
  }
  const StoreImage leader_image = image(leader);
  check_store(leader, leader_image);
  static keepdb::test::CommandFixture follower(kMaxValueBytes);
  follower.reset();
  for (const std::string& batch : leader.applied_batches()) follower.apply_batch(batch);
  if (image(follower) != leader_image) __builtin_trap();
  return 0;
}
