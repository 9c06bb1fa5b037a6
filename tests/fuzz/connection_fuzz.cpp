// libFuzzer targets: a client connection to a running node. KeepDB runs in this process for
// the whole fuzzing run (each node's node::run on its own thread, data in a private
// temporary directory, listeners on free loopback ports); each input is what one client
// sends on a new TCP connection, so the bytes go through everything a real client's do: the
// connection's reads and partial requests, pipelining, admission, MULTI/EXEC, the read
// barrier, the group commit, Raft's log and the state machine, reply buffering.
// connection_fuzz runs one node without an authenticator. connection_cluster_fuzz (built
// with KEEPDB_FUZZ_CLUSTER) runs a 3-node cluster and its clients talk to node 2, which
// forwards their writes to the leader and runs their reads after a round of the cluster.
// connection_auth_fuzz (built with KEEPDB_AUTH_TOKEN_SO) loads the auth-token plugin with
// an admin and a read-only token, so a client starts unauthenticated, under Redis's smaller
// request limits, and AUTH and HELLO AUTH go through the plugin and answer later (deferred
// replies); and the admission fixture, denying every APPEND, so refusals meet pipelined
// writes; its node also moves the client sockets' bytes on an I/O thread ([client]
// io_threads = 1), the other path a connection's bytes can take. connection_tls_fuzz (built
// with KEEPDB_TLS_SO) runs one node whose client listener is plugins/tls: each input's
// client completes a TLS handshake first, and its bytes travel inside TLS records, through
// the transport seam, the TLS session (on an I/O thread, as in connection_auth_fuzz) and
// the drain of a connection closed on a protocol error (which discards raw, still
// encrypted, bytes). connection_cluster_tls_fuzz (both) is the cluster on TLS throughout:
// its clients' listeners as above, and its peer links on mutual TLS, each member's
// certificate checked against its roster identity, under the cluster secret's handshake.
//
// Input: the first byte picks how the rest is sent (0: in one send; n: in sends of n bytes);
// the rest is the client's byte stream. The target splits that stream into requests with
// the node's own parser and limits, the way the connection will, and forwards each request's
// bytes except commands that would change the node itself for every later input (cluster
// membership, CONFIG SET, KEEPDB.RELOAD, CLIENT KILL). Requests are pipelined; with the
// authenticator, AUTH and HELLO end a pipeline: their replies tell whether the client is
// authenticated, which decides the limits the next requests are parsed under. Oracles,
// besides crashes, hangs and sanitizer reports:
// - every request forwarded gets exactly one reply, in one well-formed RESP2/RESP3 value,
//   within the deadline, and the connection stays open, except that QUIT's reply and a
//   protocol error's reply are followed by the end of the stream, in order (over TLS after
//   close_notify), not by a reset; a protocol error's reply
//   comes last, after the replies to every request before it (pipelined writes included);
//   with the admission fixture, every APPEND's reply, and no other, is its denial;
// - nothing more: after the input's requests, one more (an ECHO) gets its own reply next;
// - once the client has closed, the node holds no trace of the connection (INFO clients
//   counts only the control connection), and the node still answers (FLUSHALL, which
//   also empties the keyspace for the next input);
// - in a cluster, every node ends with the same records, each read from the node's own
//   state (READONLY).
// The flags files turn libFuzzer's leak check off: the node's threads allocate while an
// input runs, so it would run LeakSanitizer after nearly every input, at a third of the
// speed. Leaks are left to the integration tests that stop a keepd under ASan and require
// exit code 0, which LeakSanitizer's report at exit would change. The nodes take SIGINT and
// SIGTERM as theirs and stop, which the target reports as a failure: end a run with
// -max_total_time or -runs, or SIGKILL.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kernel/commands/command_families.h"
#include "kernel/config/config.h"
#include "kernel/log/log.h"
#include "kernel/node/node.h"
#include "kernel/resp/request_parser.h"
#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/info_text.h"
#include "tests/integration/harness/plugin_tables.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/support/deadline.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#ifdef KEEPDB_AUTH_TOKEN_SO
#include "plugins/auth-token/token_digest.h"
#endif

namespace {

using keepdb::integration::RawClient;
using std::chrono::milliseconds;

#ifdef KEEPDB_AUTH_TOKEN_SO
constexpr bool kWithAuthenticator = true;
#else
constexpr bool kWithAuthenticator = false;
#endif
#ifdef KEEPDB_TLS_SO
constexpr bool kOverTls = true;
#else
constexpr bool kOverTls = false;
#endif
#ifdef KEEPDB_FUZZ_CLUSTER
constexpr std::uint64_t kNodes = 3;
#else
constexpr std::uint64_t kNodes = 1;
#endif
// The node the fuzzed clients and the control connection talk to: in a cluster node 2,
// which forwards writes to the leader and runs reads after a round of the cluster (unless
// it has become the leader since).
constexpr std::uint64_t kClientNode = kNodes == 1 ? 1 : 2;
// The tokens connection_auth_fuzz's secrets file grants (its seeds use them).
constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789";
[[maybe_unused]] constexpr std::string_view kReaderToken = "fuzz-reader-token-0123456789";

// Small limits keep each input fast; the target's parser uses the node's.
const keepdb::resp::RequestLimits kRequestLimits{
    .max_bulk_bytes = 64u << 10, .max_array_len = 256, .max_inline_bytes = 4096};
constexpr std::size_t kMaxRequests = 64;
// Under libFuzzer's -timeout (10 s in scripts/fuzz.sh, 30 s in connection_cluster_fuzz's
// flags file, 90 s in connection_cluster_tls_fuzz's, whose first input also waits for the
// start-up and an election over mutual TLS, all built with ASan), so a hang is reported as
// one. In a cluster a reply may wait for an election: a follower waits up to 10 s for the
// leader to answer a forwarded write.
constexpr milliseconds kReplyDeadline{kNodes == 1 ? 5000 : 20000};
// Start-up, and a leader's election in a cluster.
constexpr milliseconds kStartDeadline{60000};
constexpr std::string_view kProtocolError = "-ERR Protocol error";
// connection_auth_fuzz's admission fixture refuses every APPEND, with this reply.
constexpr bool kDeniesAppend = kWithAuthenticator;
constexpr std::string_view kDenial = "-ERR rate limit exceeded, retry in 100 ms\r\n";
constexpr std::string_view kSentinel = "*2\r\n$4\r\nECHO\r\n$13\r\nfuzz-sentinel\r\n";

[[noreturn]] void fail(const std::string& what) {
  const std::string line = "connection_fuzz: " + what + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);  // replies may hold NUL bytes
  std::fflush(stderr);
  __builtin_trap();
}

// Whether a client's argument names `lowercase`, in any case.
bool is(std::string_view arg, std::string_view lowercase) {
  return keepdb::commands::equals_ignore_case(arg, lowercase);
}

bool is_error(std::string_view reply) {
  return reply.starts_with('-') || reply.starts_with('!');
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

// The files the nodes' plugins read, made once: connection_auth_fuzz's secrets file (mode
// 0600) granting kAdminToken every role and kReaderToken only read; with TLS, the
// certificates of scripts/gen-certs.sh in <dir>/tls (a CA, and nodeN.pem for each node).
void prepare_plugin_files([[maybe_unused]] const std::filesystem::path& dir) {
#ifdef KEEPDB_AUTH_TOKEN_SO
  using keepdb::auth_token::to_hex;
  using keepdb::auth_token::token_digest;
  keepdb::test::write_file(dir / "tokens",
                           to_hex(token_digest(kAdminToken)) + " read,write,admin fuzz-admin\n" +
                               to_hex(token_digest(kReaderToken)) + " read fuzz-reader\n",
                           keepdb::test::kOwnerOnly);
#endif
#ifdef KEEPDB_TLS_SO
  const auto made = keepdb::integration::run_program(
      {"/bin/bash", KEEPDB_SOURCE_DIR "/scripts/gen-certs.sh", (dir / "tls").string(),
       std::to_string(kNodes)});
  if (!made.status.exited_normally(0)) fail("gen-certs.sh failed: " + made.err);
#endif
}

// The [[plugin]] tables of node `id`. connection_auth_fuzz: the auth-token plugin and the
// admission fixture denying APPEND. With TLS: plugins/tls on the client listener, presenting
// the node's certificate, and in a cluster again on the peer links, as mutual TLS.
std::vector<keepdb::integration::PluginTable> node_plugins(
    [[maybe_unused]] const std::filesystem::path& dir, [[maybe_unused]] std::uint64_t id) {
  std::vector<keepdb::integration::PluginTable> tables;
#ifdef KEEPDB_AUTH_TOKEN_SO
  tables.emplace_back("tokens", KEEPDB_AUTH_TOKEN_SO,
                      keepdb::integration::PluginTable::Options{
                          {"secrets_file", (dir / "tokens").string()}});
  tables.emplace_back("deny-append", KEEPDB_ADMISSION_SO,
                      keepdb::integration::PluginTable::Options{{"deny_command", "append"},
                                                                {"retry_ms", "100"}});
#endif
#ifdef KEEPDB_TLS_SO
  const std::filesystem::path certificate = dir / "tls" / ("node" + std::to_string(id));
  keepdb::integration::PluginTable::Options options = {
      {"cert_file", certificate.string() + ".pem"}, {"key_file", certificate.string() + ".key"}};
  tables.emplace_back("tls", KEEPDB_TLS_SO, options);
  if (kNodes > 1) {
    options.emplace_back("ca_file", (dir / "tls" / "ca.pem").string());
    options.emplace_back("require_client_cert", "true");
    tables.emplace_back("peer-tls", KEEPDB_TLS_SO, options);
  }
#endif
  return tables;
}

// The config of node `id` (1..kNodes): client ports first, then peer ports.
std::string node_config(std::uint64_t id, const std::vector<std::uint16_t>& ports,
                        const std::filesystem::path& dir) {
  std::ostringstream text;
  text << "node_id = " << id << "\n"
       << "[storage]\ndata_dir = \"data-" << id << "\"\nmap_size_bytes = 268435456\n"
       << "[client]\nhost = \"127.0.0.1\"\nport = " << ports[id - 1] << "\n"
       << "io_threads = " << (kWithAuthenticator || kOverTls ? 1 : 0) << "\n"
       << (kOverTls ? "transport = \"tls\"\n" : "")
       << "[limits]\nmax_bulk_bytes = " << kRequestLimits.max_bulk_bytes
       << "\nmax_array_len = " << kRequestLimits.max_array_len
       << "\nmax_inline_bytes = " << kRequestLimits.max_inline_bytes
       << "\nmax_request_buffer_bytes = 1048576\nmax_reply_buffer_bytes = 1048576\n"
       << "idle_timeout_ms = 0\nmax_keys_visited = 1000\n"
       << "[cluster]\nid = \"connection-fuzz\"\nbootstrap = true\n"
       << "peer_port = " << (kNodes == 1 ? 0 : ports[kNodes + id - 1]) << "\n";
  if (kNodes > 1) text << "secret_file = \"cluster-secret\"\n";
  if (kNodes > 1 && kOverTls) text << "transport = \"peer-tls\"\n";
  for (std::uint64_t member = 1; kNodes > 1 && member <= kNodes; ++member) {
    text << "[[cluster.member]]\nid = " << member
         << "\npeer = \"127.0.0.1:" << ports[kNodes + member - 1]
         << "\"\nclient = \"127.0.0.1:" << ports[member - 1] << "\"\n";
    if (kOverTls) text << "identity = \"node" << member << "\"\n";
  }
  const auto plugins = node_plugins(dir, id);
  if (!plugins.empty()) text << keepdb::integration::render_plugin_tables(dir / "plugins", plugins);
  return text.str();
}

// The nodes, started once per process and never stopped: the process ends with them.
class Deployment {
 public:
  Deployment()
      : dir_(new keepdb::test::TempDir("connection-fuzz")), ports_(keepdb::integration::free_ports(2 * kNodes)) {
    keepdb::log::set_min_level(keepdb::log::Level::kError);
    prepare_plugin_files(dir_->path());
    // Every node loads the same libraries: copied once, before any node runs.
    if (const auto plugins = node_plugins(dir_->path(), 1); !plugins.empty()) {
      keepdb::integration::fill_plugin_dir(dir_->path() / "plugins", plugins);
    }
    if (kOverTls) client_options_.tls_ca_file = (dir_->path() / "tls" / "ca.pem").string();
    if (kNodes > 1) {
      keepdb::test::write_file(dir_->path() / "cluster-secret", std::string(64, '7'),
                               keepdb::test::kOwnerOnly);
    }
    for (std::uint64_t id = 1; id <= kNodes; ++id) {
      const std::filesystem::path config_file =
          dir_->path() / ("keepd-" + std::to_string(id) + ".toml");
      keepdb::test::write_file(config_file, node_config(id, ports_, dir_->path()));
      const keepdb::config::Config config = keepdb::config::load_file(config_file);
      // Detached: the node runs until the process exits (see stop_at_exit()).
      std::thread([config, id] {
        const int code = keepdb::node::run(config);
        fail("node " + std::to_string(id) + " stopped with exit code " + std::to_string(code));
      }).detach();
    }
    // Up once the client's node takes a write (in a cluster: a leader was elected).
    const bool up = keepdb::test::poll_until(
        [&] {
          try {
            control_ = connect(port());
            return control_->command({"FLUSHALL"}).text == "OK";
          } catch (const std::exception&) {
            control_.reset();
            return false;
          }
        },
        kStartDeadline);
    if (!up) fail("the nodes took no write within 60 s");
    // Every node's records are read from its own state: READONLY connections.
    for (std::uint64_t id = 1; kNodes > 1 && id <= kNodes; ++id) {
      readers_.push_back(id == kClientNode ? control_.get()
                                           : owned_.emplace_back(connect(ports_[id - 1])).get());
      if (readers_.back()->command({"READONLY"}).text != "OK") fail("READONLY refused");
    }
    stop_at_exit();
  }

  // The client port of the node the fuzzed clients talk to.
  std::uint16_t port() const { return ports_[kClientNode - 1]; }
  // How a client connects (over TLS in the TLS targets).
  const RawClient::Options& client_options() const { return client_options_; }

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
    if (kNodes > 1) check_replicas_agree();
    // A cluster may be electing a leader (-TRYAGAIN): FLUSHALL is retried.
    std::string flushed;
    const bool emptied = keepdb::test::poll_until(
        [&] {
          const auto reply = control_->command({"FLUSHALL"});
          flushed = reply.describe();
          return reply.type == '+' && reply.text == "OK";
        },
        kStartDeadline);
    if (!emptied) fail("FLUSHALL replied " + flushed);
  }

 private:
  // A connection to a node, authenticated as the admin when there is an authenticator.
  std::unique_ptr<RawClient> connect(std::uint16_t port) const {
    auto client = std::make_unique<RawClient>(port, client_options_);
    if (kWithAuthenticator && client->command({"AUTH", std::string(kAdminToken)}).text != "OK") {
      throw std::runtime_error("the admin token was refused");
    }
    return client;
  }

  // Every record the node at `reader` holds, one "db key=value" line each, sorted.
  static std::string records(RawClient& reader) {
    std::string image;
    std::istringstream info(reader.command({"INFO", "keyspace"}).text);
    for (std::string line; std::getline(info, line);) {
      if (!line.starts_with("db")) continue;
      const std::string db = line.substr(2, line.find(':') - 2);
      reader.command({"SELECT", db});
      std::vector<std::string> keys;
      for (const auto& key : reader.command({"KEYS", "*"}).elements) keys.push_back(key.text);
      std::sort(keys.begin(), keys.end());
      keys.insert(keys.begin(), "MGET");
      const auto values = keys.size() > 1 ? reader.command(keys).elements
                                          : std::vector<keepdb::integration::RespValue>{};
      for (std::size_t i = 0; i < values.size(); ++i) {
        image += db + " " + keys[i + 1] + "=" + values[i].describe() + "\n";
      }
    }
    reader.command({"SELECT", "0"});
    return image;
  }

  // The nodes of a cluster end with the same records. Followers apply what the leader has
  // committed a moment later, and keys may expire meanwhile: polled until they agree.
  void check_replicas_agree() {
    std::vector<std::string> images;
    const bool agree = keepdb::test::poll_until(
        [&] {
          images.clear();
          for (RawClient* reader : readers_) images.push_back(records(*reader));
          return std::all_of(images.begin(), images.end(),
                             [&](const std::string& image) { return image == images[0]; });
        },
        kReplyDeadline);
    if (agree) return;
    std::string report = "the nodes hold different records:";
    for (std::size_t i = 0; i < images.size(); ++i) {
      report += "\nnode " + std::to_string(i + 1) + ":\n" + images[i];
    }
    fail(report);
  }

  // The process ends with the nodes running: exit() would destroy statics their threads
  // still use, so once the temporary directory is removed the process ends at once with
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

  keepdb::test::TempDir* dir_;          // owned by the exit handler
  std::vector<std::uint16_t> ports_;    // client ports of nodes 1..kNodes, then peer ports
  RawClient::Options client_options_;
  std::unique_ptr<RawClient> control_;  // to the client's node
  std::vector<std::unique_ptr<RawClient>> owned_;  // to the other nodes of a cluster
  std::vector<RawClient*> readers_;                // in a cluster: to node 1, 2, 3 (READONLY)
};

// One input's client: bytes are queued, then sent (in sends of `chunk` bytes) when replies
// must be read, and every reply is checked as it is read.
class Client {
 public:
  Client(std::uint16_t port, const RawClient::Options& options, std::size_t chunk)
      : client_(port, options), chunk_(chunk) {}

  // Queues bytes owed `replies` replies (each kDenial if `denied`, else none is).
  void queue(std::string_view bytes, std::size_t replies, bool denied = false) {
    queued_ += bytes;
    owed_.insert(owed_.end(), replies, denied);
  }

  // Sends what is queued and reads every reply owed; returns the last one ("" if none was
  // owed). `protocol_error`: the queued bytes end in a protocol error, whose reply is the
  // last (no other reply may be one) and after which the node may refuse the rest.
  std::string settle(bool protocol_error = false) {
    for (std::size_t sent = 0; sent < queued_.size(); sent += chunk_) {
      if (!client_.send(std::string_view(queued_).substr(sent, chunk_))) {
        if (!protocol_error) fail("the node closed the connection while it was sent to");
        break;
      }
    }
    queued_.clear();
    std::string reply;
    for (; !owed_.empty(); owed_.pop_front()) {
      ++read_;
      try {
        reply = client_.read_reply_bytes(kReplyDeadline);
      } catch (const std::exception& error) {
        fail("reply " + std::to_string(read_) + ": " + error.what());
      }
      if (reply.starts_with(kProtocolError) != (protocol_error && owed_.size() == 1) ||
          (reply == kDenial) != owed_.front()) {
        fail("reply " + std::to_string(read_) + ": " + reply);
      }
    }
    return reply;
  }

  // The node ends the stream after the last reply, with nothing more, in order: end of
  // stream (after close_notify over TLS), not a reset, for it has read every byte sent.
  void expect_end() {
    if (!client_.wait_closed(kReplyDeadline)) fail("the stream did not end after its last reply");
    if (!client_.closed_cleanly()) {
      fail(kOverTls ? "the stream ended without close_notify" : "the stream ended by a reset");
    }
    if (!client_.buffered().empty()) fail("bytes after the last reply: " + client_.buffered());
  }

  // One more request gets its own reply next: nothing was sent beyond the replies owed.
  void expect_nothing_more(bool authenticated) {
    queue(kSentinel, 1);
    const std::string reply = settle();
    if (reply != "$13\r\nfuzz-sentinel\r\n" && reply != "+QUEUED\r\n" &&
        (authenticated || reply != "-NOAUTH Authentication required.\r\n")) {
      fail("an extra reply before the sentinel's: " + reply);
    }
  }

 private:
  RawClient client_;
  std::size_t chunk_;
  std::string queued_;
  std::deque<bool> owed_;  // a reply per entry: whether it must be kDenial
  std::size_t read_ = 0;   // replies read, to number them in failures
};

void run(Client& client, std::string_view stream) {
  keepdb::resp::RequestParser parser(kRequestLimits);
  std::vector<std::string_view> args;
  bool authenticated = !kWithAuthenticator;
  for (std::size_t requests = 0; requests < kMaxRequests;) {
    parser.set_authenticated(authenticated);
    const auto status = parser.parse(stream, args);
    if (status == keepdb::resp::ParseStatus::kError) {
      client.queue(stream, 1);  // the connection replies the error, then reads and drops
      client.settle(true);
      client.expect_end();
      return;
    }
    if (status == keepdb::resp::ParseStatus::kIncomplete) {
      client.queue(stream, 0);
      client.settle();
      // Only blank lines left: the next request starts a new one.
      if (parser.consumed() == stream.size()) client.expect_nothing_more(authenticated);
      return;
    }
    const std::string_view request = stream.substr(0, parser.consumed());
    stream.remove_prefix(parser.consumed());
    if (changes_the_node(args)) continue;
    client.queue(request, 1, kDeniesAppend && is(args[0], "append"));
    ++requests;
    if (is(args[0], "quit")) {
      const std::string reply = client.settle();
      if (reply != "+OK\r\n") fail("QUIT replied " + reply);
      client.expect_end();
      return;
    }
    if (kWithAuthenticator && (is(args[0], "auth") || is(args[0], "hello"))) {
      // A reply that is not an error means the client is authenticated now (HELLO
      // refuses an unauthenticated client without AUTH; a failed AUTH changes nothing).
      if (!is_error(client.settle())) authenticated = true;
    }
  }
  client.settle();
  client.expect_nothing_more(authenticated);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Deployment deployment;
  if (size == 0) return 0;
  {
    Client client(deployment.port(), deployment.client_options(), data[0] == 0 ? size : data[0]);
    run(client, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  }
  deployment.check_and_reset();
  return 0;
}
