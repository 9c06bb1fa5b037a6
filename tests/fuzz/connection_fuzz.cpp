// libFuzzer target: a client connection to a running node. One single-node KeepDB runs in
// this process for the whole fuzzing run (node::run on its own thread, data in a private
// temporary directory, its listener on a free loopback port); each input is what one client
// sends on a new TCP connection, so the bytes go through everything a real client's do: the
// connection's reads and partial requests, pipelining, admission, MULTI/EXEC, the read
// barrier, the group commit, Raft's log and the state machine, reply buffering.
//
// Input: the first byte picks how the rest is sent (0: in one send; n: in sends of n bytes);
// the rest is the client's byte stream. The target splits that stream into requests with
// the node's own parser and limits, the way the connection will, and forwards each request's
// bytes except commands that would change the node itself for every later input (cluster
// membership, CONFIG SET, KEEPDB.RELOAD, CLIENT KILL). Oracles, besides crashes, hangs and
// sanitizer reports:
// - every request forwarded gets exactly one reply, in one well-formed RESP2/RESP3 value,
//   within the deadline, and the connection stays open, except that QUIT's reply and a
//   protocol error's reply are followed by the end of the stream; a protocol error's reply
//   comes last, after the replies to every request before it (pipelined writes included);
// - nothing more: after the input's requests, one more (an ECHO) gets its own reply next;
// - once the client has closed, the node holds no trace of the connection (INFO clients
//   counts only the control connection), and the node still answers (FLUSHALL, which
//   also empties the keyspace for the next input).
// Its flags file turns libFuzzer's leak check off: the node's threads allocate while an
// input runs, so it would run LeakSanitizer after nearly every input, at a third of the
// speed. Leaks are left to the integration tests that stop a keepd under ASan and require
// exit code 0, which LeakSanitizer's report at exit would change.
#include <strings.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/log/log.h"
#include "kernel/node/node.h"
#include "kernel/resp/request_parser.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/support/deadline.h"
#include "tests/support/temp_dir.h"

namespace {

using keepdb::integration::RawClient;
using std::chrono::milliseconds;

// Small limits keep each input fast; the target's parser uses the node's.
const keepdb::resp::RequestLimits kRequestLimits{
    .max_bulk_bytes = 64u << 10, .max_array_len = 256, .max_inline_bytes = 4096};
constexpr std::size_t kMaxRequests = 64;
// Under libFuzzer's -timeout (10 s in scripts/fuzz.sh), so a hang is reported as one.
constexpr milliseconds kReplyDeadline{5000};
constexpr std::string_view kProtocolError = "-ERR Protocol error";
constexpr std::string_view kSentinel = "*2\r\n$4\r\nECHO\r\n$13\r\nfuzz-sentinel\r\n";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "connection_fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

bool is(std::string_view arg, std::string_view name) {
  return arg.size() == name.size() && ::strncasecmp(arg.data(), name.data(), arg.size()) == 0;
}

// Commands that change the node for every input after this one; they have tests of their own.
bool changes_the_node(const std::vector<std::string_view>& args) {
  if (is(args[0], "keepdb.add") || is(args[0], "keepdb.remove") || is(args[0], "keepdb.transfer") ||
      is(args[0], "keepdb.reload")) {
    return true;
  }
  return args.size() > 1 && ((is(args[0], "config") && is(args[1], "set")) ||
                             (is(args[0], "client") && is(args[1], "kill")));
}

// The node, started once per process and never stopped: the process ends with it.
class Node {
 public:
  Node()
      : dir_(new keepdb::test::TempDir("connection-fuzz")),
        port_(keepdb::integration::free_port()) {
    keepdb::log::set_min_level(keepdb::log::Level::kError);
    const std::filesystem::path config_file = dir_->path() / "keepd.toml";
    std::ofstream(config_file) << "node_id = 1\n"
                               << "[storage]\ndata_dir = \"data\"\nmap_size_bytes = 268435456\n"
                               << "[client]\nhost = \"127.0.0.1\"\nport = " << port_ << "\n"
                               << "[limits]\nmax_bulk_bytes = " << kRequestLimits.max_bulk_bytes
                               << "\nmax_array_len = " << kRequestLimits.max_array_len
                               << "\nmax_inline_bytes = " << kRequestLimits.max_inline_bytes
                               << "\nmax_request_buffer_bytes = 1048576\n"
                               << "max_reply_buffer_bytes = 1048576\nidle_timeout_ms = 0\n"
                               << "max_keys_visited = 1000\n"
                               << "[cluster]\nid = \"connection-fuzz\"\npeer_port = 0\n"
                               << "bootstrap = true\n";
    const keepdb::config::Config config = keepdb::config::load_file(config_file);
    // Detached: the node runs until the process exits (see stop_at_exit()).
    std::thread([config] {
      const int code = keepdb::node::run(config);
      fail("the node stopped with exit code " + std::to_string(code));
    }).detach();
    const bool up = keepdb::test::poll_until(
        [&] {
          try {
            control_ = std::make_unique<RawClient>(port_);
            return control_->command({"PING"}).text == "PONG";
          } catch (const std::exception&) {
            control_.reset();
            return false;
          }
        },
        milliseconds(30000));
    if (!up) fail("the node did not answer PING within 30 s");
    stop_at_exit();
  }

  std::uint16_t port() const { return port_; }

  // After an input's client has closed: its connection is gone, and the node empties the
  // keyspace for the next input.
  void check_and_reset() {
    std::string clients;
    const bool gone = keepdb::test::poll_until(
        [&] {
          clients = keepdb::integration::info_field(control_->command({"INFO", "clients"}).text,
                                                    "connected_clients");
          return clients == "1";
        },
        kReplyDeadline, milliseconds(1));
    if (!gone) fail("connected_clients is " + clients + " after the client closed, not 1");
    const auto flushed = control_->command({"FLUSHALL"});
    if (flushed.text != "OK") fail("FLUSHALL replied " + flushed.describe());
  }

 private:
  // The process ends with the node running: exit() would destroy statics the node thread
  // still uses, so once the temporary directory is removed the process ends at once with
  // exit()'s status (libFuzzer calls exit() only when done; a crash never reaches here).
  void stop_at_exit() {
    static keepdb::test::TempDir* dir = dir_;
    ::on_exit(
        [](int status, void*) {
          delete dir;
          std::_Exit(status);
        },
        nullptr);
  }

  keepdb::test::TempDir* dir_;  // owned by the exit handler
  std::uint16_t port_;
  std::unique_ptr<RawClient> control_;
};

// What the client sends, and what it must get back.
struct Exchange {
  enum class End { kOpen, kQuit, kProtocolError };  // what the last reply is
  std::string bytes;
  std::size_t replies = 0;  // one per request forwarded, and one for a protocol error
  End end = End::kOpen;     // kQuit and kProtocolError: the stream ends after the last reply
  bool complete = true;     // no request left unfinished at the end: the sentinel can follow
};

Exchange plan(std::string_view stream) {
  Exchange exchange;
  keepdb::resp::RequestParser parser(kRequestLimits);
  std::vector<std::string_view> args;
  while (exchange.replies < kMaxRequests) {
    const auto status = parser.parse(stream, args);
    if (status == keepdb::resp::ParseStatus::kError) {
      exchange.bytes += stream;  // the connection replies the error, then reads and drops
      ++exchange.replies;
      exchange.end = Exchange::End::kProtocolError;
      return exchange;
    }
    if (status == keepdb::resp::ParseStatus::kIncomplete) {
      exchange.bytes += stream;
      exchange.complete = parser.consumed() == stream.size();  // only blank lines left
      return exchange;
    }
    const std::string_view request = stream.substr(0, parser.consumed());
    stream.remove_prefix(parser.consumed());
    if (changes_the_node(args)) continue;
    exchange.bytes += request;
    ++exchange.replies;
    if (is(args[0], "quit")) {
      exchange.end = Exchange::End::kQuit;
      return exchange;
    }
  }
  return exchange;
}

std::string next_reply(RawClient& client, std::size_t number, std::size_t of) {
  try {
    return client.read_reply_bytes(kReplyDeadline);
  } catch (const std::exception& error) {
    fail("reply " + std::to_string(number) + " of " + std::to_string(of) + ": " + error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Node node;
  if (size == 0) return 0;
  const std::size_t chunk = data[0] == 0 ? size : data[0];
  const Exchange exchange =
      plan(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const bool ends_with_protocol_error = exchange.end == Exchange::End::kProtocolError;
  {
    RawClient client(node.port());
    for (std::size_t sent = 0; sent < exchange.bytes.size(); sent += chunk) {
      if (!client.send(std::string_view(exchange.bytes).substr(sent, chunk))) {
        // Only bytes after a protocol error may be refused (the node closes in the end).
        if (!ends_with_protocol_error) fail("the node closed the connection while it was sent to");
        break;
      }
    }
    for (std::size_t n = 1; n <= exchange.replies; ++n) {
      const std::string reply = next_reply(client, n, exchange.replies);
      const bool last = n == exchange.replies;
      if (reply.starts_with(kProtocolError) != (last && ends_with_protocol_error)) {
        fail("reply " + std::to_string(n) + " of " + std::to_string(exchange.replies) + ": " +
             reply);
      }
      if (last && exchange.end == Exchange::End::kQuit && reply != "+OK\r\n") {
        fail("QUIT replied " + reply);
      }
    }
    if (exchange.end != Exchange::End::kOpen) {
      if (!client.wait_closed(kReplyDeadline)) fail("the stream did not end after its last reply");
      if (!client.buffered().empty()) fail("bytes after the last reply: " + client.buffered());
    } else if (exchange.complete) {
      if (!client.send(kSentinel)) fail("the node closed the connection");
      const std::string echoed = next_reply(client, exchange.replies + 1, exchange.replies + 1);
      if (echoed != "$13\r\nfuzz-sentinel\r\n" && echoed != "+QUEUED\r\n") {
        fail("an extra reply before the sentinel's: " + echoed);
      }
    }
  }
  node.check_and_reset();
  return 0;
}
