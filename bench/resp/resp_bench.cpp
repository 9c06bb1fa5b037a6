// Google Benchmark hot paths of RESP framing: parsing a SET with a 256-byte value, alone
// and as a 16-command pipeline, and writing a 256-byte bulk reply.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "kernel/resp/reply_writer.h"
#include "kernel/resp/request_parser.h"

namespace {

using namespace std::string_literals;

using keepdb::resp::ParseStatus;
using keepdb::resp::RequestParser;

const std::string kValue(256, 'v');

// `*3 SET key:000001 <256-byte value>` as a client library sends it.
std::string set_request() {
  return "*3\r\n$3\r\nSET\r\n$10\r\nkey:000001\r\n$"s + std::to_string(kValue.size()) + "\r\n" +
         kValue + "\r\n";
}

// Parses every request in `stream` (which holds `n_requests` whole requests) per iteration.
void parse_stream(benchmark::State& state, const std::string& stream, int n_requests) {
  RequestParser parser({});
  std::vector<std::string_view> args;
  for (auto _ : state) {
    std::string_view rest = stream;
    for (int i = 0; i < n_requests; ++i) {
      if (parser.parse(rest, args) != ParseStatus::kComplete) {
        state.SkipWithError("request did not parse");
        return;
      }
      benchmark::DoNotOptimize(args.data());
      rest.remove_prefix(parser.consumed());
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
  state.SetItemsProcessed(state.iterations() * n_requests);
}

void BM_ParseSet(benchmark::State& state) {
  parse_stream(state, set_request(), 1);
}
BENCHMARK(BM_ParseSet);

void BM_ParseSetPipeline16(benchmark::State& state) {
  constexpr int kPipelineDepth = 16;
  std::string pipeline;
  for (int i = 0; i < kPipelineDepth; ++i) pipeline += set_request();
  parse_stream(state, pipeline, kPipelineDepth);
}
BENCHMARK(BM_ParseSetPipeline16);

void BM_WriteBulk(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    keepdb::resp::ReplyWriter writer(out, keepdb::resp::Protocol::kResp2);
    writer.bulk(kValue);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}
BENCHMARK(BM_WriteBulk);

}  // namespace
