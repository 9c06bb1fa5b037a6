// bench/audit: what one audit record costs the plugin's audit thread: encoding the event
// to JSON, sealing it into the chain (plain SHA-256 or HMAC-SHA-256, with and without key
// hashing), and appending it to a file under each fsync policy.
#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include <string>

#include "plugins/audit/file_sink.h"
#include "plugins/audit/record.h"
#include "tests/support/temp_dir.h"

namespace {

using keepdb::audit::ChainHasher;
using keepdb::audit::RecordEncoder;

struct SampleEvent {
  std::string peer = "10.0.0.7:50312";
  std::string principal = "alice";
  std::string action = "SET";
  std::string outcome = "ok";
  std::string detail = "key=user:1234567";
  std::string key = "user:1234567";
  std::string node = "1";
  kdb_audit_event event() const {
    const auto str = [](const std::string& s) { return kdb_str{s.data(), s.size()}; };
    return kdb_audit_event{sizeof(kdb_audit_event),
                           7,
                           1'796'437'768'123'456'789ull,
                           42,
                           str(peer),
                           str(principal),
                           str(action),
                           str(outcome),
                           str(detail),
                           str(key),
                           str(node),
                           KDB_AUDIT_UNTIMED};
  }
};

constexpr std::string_view kKey = "a-32-byte-key-for-the-benchmark!";

void BM_Encode(benchmark::State& state) {
  const RecordEncoder encoder("node-1", {});
  const kdb_audit_event event = SampleEvent{}.event();
  std::uint64_t seq = 0;
  for (auto _ : state) {
    std::string text = boost::json::serialize(encoder.fields(event, ++seq));
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_Encode);

// Encode and chain: what record() does before the write, into reused buffers. Args: chain
// keyed, keys hashed.
void BM_EncodeAndChain(benchmark::State& state) {
  const RecordEncoder encoder("node-1", state.range(1) != 0 ? kKey : std::string_view());
  const ChainHasher chain(state.range(0) != 0 ? kKey : std::string_view());
  const kdb_audit_event event = SampleEvent{}.event();
  std::string prev = keepdb::audit::genesis_hash();
  std::string hash;
  std::string line;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    line.clear();
    encoder.append_sealed(line, event, ++seq, prev, chain, hash);
    benchmark::DoNotOptimize(line);
    prev.swap(hash);
  }
  state.SetLabel(std::string(state.range(0) != 0 ? "hmac chain" : "sha256 chain") +
                 (state.range(1) != 0 ? ", hashed keys" : ""));
}
BENCHMARK(BM_EncodeAndChain)->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});

// A whole record() on the file sink, with a flush() after every 16 records as the host's
// queue makes once per batch. Arg: 0 every_record, 1 interval_ms (200), 2 none.
void BM_FileSinkRecord(benchmark::State& state) {
  const keepdb::test::TempDir dir("audit-bench");
  keepdb::audit::Settings settings;
  settings.path = dir / "audit.log";
  settings.fsync = state.range(0) == 0   ? keepdb::audit::FsyncPolicy::kEveryRecord
                   : state.range(0) == 1 ? keepdb::audit::FsyncPolicy::kInterval
                                         : keepdb::audit::FsyncPolicy::kNone;
  const kdb_audit_event event = SampleEvent{}.event();
  {
    keepdb::audit::FileSink sink(settings, [](int, std::string_view) {});
    std::uint64_t records = 0;
    for (auto _ : state) {
      if (!sink.record(event) || (++records % 16 == 0 && !sink.flush())) {
        state.SkipWithError("record failed");
      }
    }
  }
  state.SetLabel(state.range(0) == 0   ? "every_record"
                 : state.range(0) == 1 ? "interval_ms"
                                       : "none");
}
BENCHMARK(BM_FileSinkRecord)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
