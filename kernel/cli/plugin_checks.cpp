// The harness's misbehaviour checks (keepd plugins test --checks): hostile, odd and
// concurrent inputs of the kinds a kernel meets in service, for every kind the plugin
// implements, each through the kernel's adapter. A check fails when the plugin answers with
// a failure where the ABI wants an answer, breaks the contract (caught by the adapter: an
// exception, an unknown status, a byte count past what it was given, a write past a lent
// buffer), or lets a secret reach a log line or an error message.
#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "kernel/cli/plugin_harness.h"
#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/plugin_authenticator.h"
#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_transport.h"

namespace keepdb::cli::harness {
namespace {

using plugin_host::AuthStep;
using Clock = std::chrono::steady_clock;

// Every secret the checks send starts with this, so one search finds any of them.
constexpr std::string_view kSecretMark = "kdb-check-secret-";
// The kernel logs an admission check slower than this (docs/plugin-authoring.md).
constexpr auto kSlowCheck = std::chrono::milliseconds(5);

// Prints one check's line; `failure` empty means it passed.
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}
  void line(const std::string& name, const std::string& failure) {
    out_ << "check " << name << ": " << (failure.empty() ? "ok" : "FAIL: " + failure) << "\n";
    passed_ = passed_ && failure.empty();
  }
  bool passed() const { return passed_; }

 private:
  std::ostream& out_;
  bool passed_ = true;
};

// Runs `count` calls of `call(i)` on `threads` threads at once; the first failure text, or "".
std::string concurrently(std::size_t threads, std::size_t count,
                         const std::function<std::string(std::size_t)>& call) {
  std::mutex mutex;
  std::string first_failure;
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t i = t; i < count; i += threads) {
        std::string failure = call(i);
        if (failure.empty()) continue;
        const std::lock_guard lock(mutex);
        if (first_failure.empty()) first_failure = std::move(failure);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return first_failure;
}

void check_authenticator(const Instance& instance, std::chrono::milliseconds deadline,
                         Report& report) {
  plugin_host::PluginAuthenticator authenticator(instance);
  const auto answer = [&](const std::string& username, const std::string& secret) {
    plugin_host::AuthRequest request;
    request.username = username;
    request.secret = kdb::sdk::SecretBytes(std::string_view(secret));
    request.conn_id = 1;
    request.peer_addr = "127.0.0.1";
    AuthStep step = ask(authenticator, request, deadline);
    if (step.reason.find(kSecretMark) != std::string::npos) {
      return std::string("the answer's reason holds the secret");
    }
    if (step.decision != AuthStep::Decision::kFail) return std::string();
    return "answered fail: " + step.reason +
           " (wrong or odd credentials are KDB_E_DENIED or KDB_DEFER; an error status is a "
           "plugin failure)";
  };
  const std::string mark(kSecretMark);
  const std::string odd_user = std::string("\x01\xff\"\n", 4) + std::string(4096, 'u');
  const struct {
    const char* name;
    std::string username;
    std::string secret;
  } cases[] = {
      {"auth: empty secret", "", ""},
      {"auth: empty secret for a username", "kdb-check-user", ""},
      {"auth: secret with NUL and non-UTF-8 bytes", "", mark + std::string("\0\xff\x01\n", 4)},
      {"auth: 64 KiB secret", "", mark + std::string(65536, 'a')},
      {"auth: odd 4 KiB username", odd_user, mark + "user"},
  };
  for (const auto& c : cases) report.line(c.name, answer(c.username, c.secret));
  report.line("auth: 64 calls on 16 threads at once", concurrently(16, 64, [&](std::size_t i) {
                return answer(i % 2 == 0 ? "" : "kdb-check-user", mark + std::to_string(i));
              }));
}

void check_admission(const Instance& instance, RecordingLog& log, Report& report) {
  const plugin_host::AdmissionChain chain({instance}, log);
  const auto ask_chain = [&](std::uint32_t event, std::uint64_t conn_id, std::string_view command,
                             std::string_view principal) {
    plugin_host::AdmissionQuery query;
    query.event = event;
    query.conn_id = conn_id;
    query.peer_addr = "127.0.0.1";
    query.peer_port = 50000;
    query.local_port = 6379;
    query.principal = principal;
    query.command = command;
    query.request_bytes = command.size() + 16;
    const plugin_host::AdmissionVerdict verdict = chain.check(query);
    return verdict.failure.empty() ? std::string() : "failed: " + verdict.failure;
  };
  const auto all = [](std::initializer_list<std::string> failures) {
    const auto failed = std::find_if(failures.begin(), failures.end(),
                                     [](const std::string& failure) { return !failure.empty(); });
    return failed == failures.end() ? std::string() : *failed;
  };
  report.line("admission: every event of one unauthenticated connection",
              all({ask_chain(KDB_ADM_CONNECT, 1, "", ""), ask_chain(KDB_ADM_COMMAND, 1, "get", ""),
                   ask_chain(KDB_ADM_AUTH_FAIL, 1, "", ""),
                   ask_chain(KDB_ADM_AUTH_OK, 1, "", "kdb-check-user"),
                   ask_chain(KDB_ADM_COMMAND, 1, "set", "kdb-check-user"),
                   ask_chain(KDB_ADM_DISCONNECT, 1, "", "kdb-check-user")}));
  report.line("admission: empty, binary and 64-byte command names",
              all({ask_chain(KDB_ADM_COMMAND, 2, "", ""),
                   ask_chain(KDB_ADM_COMMAND, 2, std::string("\x00\xff\n", 3), ""),
                   ask_chain(KDB_ADM_COMMAND, 2, std::string(64, '\xfe'), "")}));
  report.line("admission: disconnect of a connection never seen",
              ask_chain(KDB_ADM_DISCONNECT, 999, "", ""));
  chain.tick(static_cast<std::uint64_t>(Clock::now().time_since_epoch() /
                                        std::chrono::nanoseconds(1)));
  report.line("admission: tick, then a command", ask_chain(KDB_ADM_COMMAND, 3, "get", ""));
  report.line("admission: 8000 checks on 8 threads at once",
              concurrently(8, 8000, [&](std::size_t i) {
                const std::uint64_t conn = 100 + i % 64;
                return ask_chain(i % 97 == 0 ? KDB_ADM_CONNECT : KDB_ADM_COMMAND, conn, "get", "");
              }));
  std::vector<Clock::duration> times;
  for (int i = 0; i < 1000; ++i) {
    const auto start = Clock::now();
    ask_chain(KDB_ADM_COMMAND, 4, "get", "");
    times.push_back(Clock::now() - start);
  }
  std::nth_element(times.begin(), times.begin() + 500, times.end());
  const auto median = std::chrono::duration_cast<std::chrono::microseconds>(times[500]);
  report.line("admission: median check time " + std::to_string(median.count()) + " us",
              median < kSlowCheck ? ""
                                  : "slower than the 5 ms keepd logs as slow; every client of "
                                    "the network thread waits for a check");
}

void check_audit(const Instance& instance, Report& report) {
  const auto record = [&](std::uint32_t type, std::string detail, std::string principal) {
    return plugin_host::record_to(
        *instance, {type, 1, 1, "127.0.0.1:50000", std::move(principal), "check", "ok",
                    std::move(detail)});
  };
  std::string failure;
  for (std::uint32_t type = 1; type <= 10 && failure.empty(); ++type) {
    failure = record(type, "key=k", "kdb-check-user");
  }
  report.line("audit: one event of each kind 1 to 10", failure);
  report.line("audit: empty fields",
              plugin_host::record_to(*instance, {7, 0, 0, "", "", "", "", ""}));
  report.line("audit: control, non-UTF-8 and 64 KiB fields",
              record(7, std::string("\x00\xff\n\"", 4) + std::string(65536, 'd'),
                     std::string("\n\x01\"", 3)));
  report.line("audit: flush", plugin_host::flush_to(*instance));
}

// The adapter's words for a broken contract (kernel/plugin_host/plugin_transport.cpp), as
// opposed to a session the plugin failed for a reason of its own (a bad handshake).
bool breaks_contract(const Instance& instance, const std::string& error) {
  constexpr std::string_view kBreaches[] = {"through the ABI", "returned unknown status",
                                            "more than the", "struct_size", "wrote past"};
  return instance->disabled() ||
         std::any_of(std::begin(kBreaches), std::end(kBreaches),
                     [&](std::string_view words) { return error.find(words) != std::string::npos; });
}

void check_transport(const Instance& instance, Report& report) {
  plugin_host::PluginTransport transport(instance);
  const auto open = [&](std::string& error) {
    util::TransportPeer peer;
    peer.conn_id = 1;
    peer.peer_addr = "127.0.0.1";
    peer.peer_port = 50000;
    peer.local_port = 6379;
    return transport.open(peer, error);
  };
  // Offers `bytes` `chunk` at a time, draining after each; the contract breach, or "".
  const auto feed = [&](std::string_view bytes, std::size_t chunk) {
    std::string error;
    const auto session = open(error);
    if (!session) return "session_new: " + error;
    std::array<std::uint8_t, 4096> out{};
    for (std::size_t at = 0; at < bytes.size() || at == 0; at += chunk) {
      const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data()) + at;
      std::size_t consumed = 0;
      std::size_t n = 0;
      const bool ok = session->feed({data, std::min(chunk, bytes.size() - at)}, consumed) &&
                      session->pull(out, n) && session->read(out, n);
      if (!ok || bytes.empty()) break;
    }
    return breaks_contract(instance, session->error()) ? session->error() : std::string();
  };
  std::string garbage(4096, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 131 + 7);
  report.line("transport: empty feed", feed("", 1));
  report.line("transport: 4 KiB of garbage before the handshake", feed(garbage, garbage.size()));
  report.line("transport: an HTTP request one byte at a time",
              feed("GET / HTTP/1.1\r\nHost: keepdb\r\n\r\n", 1));
  report.line("transport: plaintext written before the handshake", [&] {
    std::string error;
    const auto session = open(error);
    if (!session) return "session_new: " + error;
    std::size_t consumed = 0;
    const std::string_view text = "PING\r\n";
    session->write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, consumed);
    return breaks_contract(instance, session->error()) ? session->error() : std::string();
  }());
  report.line("transport: 64 sessions open at once, freed before the handshake", [&] {
    std::vector<std::unique_ptr<util::TransportSession>> sessions;
    std::string error;
    for (int i = 0; i < 64 && error.empty(); ++i) {
      sessions.push_back(open(error));
      if (!sessions.back()) return "session_new: " + error;
    }
    sessions.clear();
    return std::string();
  }());
}

}  // namespace

bool run_checks(const Instance& instance, const CreateAgain& create_again,
                std::chrono::milliseconds deadline, RecordingLog& log, std::ostream& out) {
  Report report(out);
  std::string second;
  try {
    create_again();  // created, then destroyed at once
  } catch (const plugin_host::PluginError& error) {
    second = error.what();
  }
  report.line("create: a second instance beside the first (as a reload does)", second);
  const std::uint32_t kinds = instance->descriptor().kinds;
  if ((kinds & KDB_KIND_AUTHENTICATOR) != 0) check_authenticator(instance, deadline, report);
  if ((kinds & KDB_KIND_ADMISSION) != 0) check_admission(instance, log, report);
  if ((kinds & KDB_KIND_AUDIT) != 0) check_audit(instance, report);
  if ((kinds & KDB_KIND_TRANSPORT) != 0) check_transport(instance, report);
  report.line("no secret in an error message or log line",
              log.contains(kSecretMark) ? "a secret the checks sent reached the log" : "");
  return report.passed();
}

}  // namespace keepdb::cli::harness
