// libFuzzer target: the command layer. The input is what one client sends on a connection
// (multibulk or inline requests); the RESP parser splits it into requests and each runs as
// the connection runs it, through admission, MULTI/EXEC queueing, a one-op write batch and
// the state machine, or the read path (tests/unit/commands/command_fixture.h), against an
// empty keyspace (one LMDB environment per process, flushed before each input). The clock moves half a second per request, so deadlines set by one
// request pass during the next ones. Besides crashes and sanitizer reports it checks that
// every reply is exactly one well-formed RESP2/RESP3 value, and that no stored value
// exceeds the value limit.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/resp/request_parser.h"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static keepdb::test::CommandFixture db(kMaxValueBytes);
  db.reset();
  db.config().limits.max_bulk_bytes = kMaxValueBytes;
  db.config().limits.max_keys_visited = 1000;
  keepdb::resp::RequestParser parser(kRequestLimits);
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  std::vector<std::string> keys;
  for (std::size_t n = 0; n < kMaxRequests; ++n) {
    if (parser.parse(input, args) != keepdb::resp::ParseStatus::kComplete) break;
    check_reply(db.run(std::span<const std::string_view>(args)));
    if (args.size() > 1) keys.emplace_back(args[1]);
    input.remove_prefix(parser.consumed());
    db.advance_ms(kClockStepMs);
  }
  for (const std::string& key : keys) {
    const auto payload = db.stored_payload(key, db.session().db);
    if (payload && payload->size() > kMaxValueBytes) __builtin_trap();
  }
  return 0;
}
