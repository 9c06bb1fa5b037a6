// The drivers of keepd plugins test, the plugin test harness: each one takes a created
// instance and inputs from the command line, calls the plugin through the kernel's own
// adapters (PluginAuthenticator, AdmissionChain, the audit queue's record_to/flush_to,
// PluginTransport: the same checks and containment as in keepd run), prints one line per
// input and returns false when an answer failed, broke the contract or differed from the one
// expected. run_checks() adds the misbehaviour checks: hostile, odd and concurrent inputs for
// every kind the plugin implements. Nothing here prints a secret.
//
// Thread-safety: call from one thread (the checks start threads of their own and join them
// before returning). Lifetime: the instance and the log are borrowed for each call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "kernel/plugin_host/authenticator.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/plugin_instance.h"

namespace keepdb::cli::harness {

// The client connection every call describes.
struct Connection {
  std::string peer_addr = "127.0.0.1";
  std::uint16_t peer_port = 50000;
  std::uint16_t local_port = 6379;
  std::string principal;  // admission commands and audit records; empty: unauthenticated
};

// --auth [user:]secret, with its --expect.
struct AuthInput {
  std::string given;
  std::optional<plugin_host::AuthStep::Decision> expected;
};

// --admit connect | command:NAME | auth_ok:PRINCIPAL | auth_fail | disconnect | tick.
struct AdmitInput {
  std::uint32_t event = 0;  // KDB_ADM_*; 0: a tick
  std::string argument;     // the command name, or the principal of auth_ok
  std::optional<bool> expect_admitted;
};
// nullopt when `text` is none of the forms above.
std::optional<AdmitInput> parse_admit(const std::string& text);

// --record KIND[:ACTION[:OUTCOME[:DETAIL]]]: KIND an audit event kind's name (write,
// auth_fail, ...) or number; ACTION defaults to the kind's name, OUTCOME to "ok".
struct RecordInput {
  std::uint32_t type = 0;
  std::string action;
  std::string outcome;
  std::string detail;
};
std::optional<RecordInput> parse_record(const std::string& text);

// --transport feed:BYTES | feed-file:PATH | send:BYTES | close. BYTES take the escapes \n \r
// \t \0 \\ and \xNN.
struct TransportStep {
  enum class Kind { kFeed, kSend, kClose } kind = Kind::kFeed;
  std::string bytes;
  std::string shown;  // the step as given, for its output line
};
// nullopt with `error` set when the step is malformed or its file cannot be read.
std::optional<TransportStep> parse_transport_step(const std::string& text, std::string& error);

using Instance = std::shared_ptr<const plugin_host::PluginInstance>;

// Shared by the drivers and the checks: one authentication through `authenticator`, its
// answer awaited (returned or through auth_complete) until `deadline`, as the kernel's chain
// would; and `bytes` as one printable line (\xNN escapes, cut after 256 bytes).
plugin_host::AuthStep ask(plugin_host::Authenticator& authenticator,
                          const plugin_host::AuthRequest& request,
                          std::chrono::milliseconds deadline);
std::string shown(std::string_view bytes);

bool drive_auth(const Instance& instance, const std::vector<AuthInput>& inputs,
                std::chrono::milliseconds deadline, const Connection& conn, std::ostream& out);
bool drive_admission(const Instance& instance, const std::vector<AdmitInput>& inputs,
                     const Connection& conn, plugin_host::LogSink& log, std::ostream& out);
// Every record, then flush.
bool drive_audit(const Instance& instance, const std::vector<RecordInput>& inputs,
                 const Connection& conn, std::ostream& out);
// One session through every step, in order.
bool drive_transport(const Instance& instance, const std::vector<TransportStep>& steps,
                     const Connection& conn, std::ostream& out);

// Forwards every line to stderr and keeps it, so the checks can look for secrets in it.
class RecordingLog final : public plugin_host::LogSink {
 public:
  void write(plugin_host::LogLevel level, std::string_view line) noexcept override;
  // True when a line written so far contains `text`.
  bool contains(std::string_view text) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;  // guarded by mutex_
};

// Creates another instance with the options of the one under test (a reload runs two at
// once); throws PluginError as the first create would.
using CreateAgain = std::function<Instance()>;

// The misbehaviour checks for every kind the instance implements, one line each
// ("check NAME: ok" or "check NAME: FAIL: why"); false when any failed.
bool run_checks(const Instance& instance, const CreateAgain& create_again,
                std::chrono::milliseconds deadline, RecordingLog& log, std::ostream& out);

}  // namespace keepdb::cli::harness
