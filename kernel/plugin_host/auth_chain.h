// The authenticator chain behind `AUTH` and `HELLO ... AUTH`: authenticators are asked in
// config order; accept or reject ends the chain; defer asks the next; when every one
// defers, the attempt is rejected. Plugin calls never run on the caller's thread: each
// attempt runs on a small pool owned by the chain and must finish within a deadline, so a
// slow or stuck plugin cannot block a network thread. Each authenticator has its own
// workers, so a stuck plugin delays only the attempts that reach it.
//
// Usage (connection layer):
//   chain.authenticate(std::move(request), [strand](AuthOutcome outcome) {
//     boost::asio::post(strand, [outcome = std::move(outcome)] { /* reply, keep principal */ });
//   });
//
// The chain logs nothing about an attempt's outcome: `done` receives the reason, and the
// caller logs it once (kernel/node/plugin_auth_gateway.cpp, as WARN with the client).
//
// Numbers (docs/plugin-authoring.md, "Numbers"): AuthChainOptions below. An authenticator
// whose calls block occupies only its own `threads` workers; attempts that reach it queue
// there and fail when their deadline passes, without asking the authenticators after it.
//
// Thread-safety: authenticate() may be called from any number of threads at once.
// `done` is called exactly once per attempt, on one of the chain's own threads (never
// inside authenticate(), never on a plugin's thread); post its work to your executor.
// replace() may be called from any thread while attempts run.
// Lifetime: the destructor waits for every attempt to call `done` (at most `deadline`)
// and for running plugin calls to return; do not destroy the chain from inside `done`.
// A reload replaces one authenticator at a time (replace()): a step holds the
// authenticator it asks until that call has answered, so the old one goes once its
// in-flight calls (and pending completions) have drained; later steps ask the new one.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernel/plugin_host/authenticator.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/principal.h"
#include "util/latency_histogram.h"

namespace keepdb::plugin_host {

struct AuthOutcome {
  enum class Verdict {
    kAccepted,  // principal is set; reply +OK
    kRejected,  // wrong credentials or every authenticator deferred; reply -WRONGPASS
    kFailed,    // deadline passed, chain busy, or a plugin failed; reply -WRONGPASS too,
                // the log says why
  };
  Verdict verdict = Verdict::kFailed;
  Principal principal;
  std::string reason;  // one line for the log: who decided and why; never the secret
};

struct AuthChainOptions {
  std::size_t threads = 2;                   // plugin-call workers, per authenticator
  std::chrono::milliseconds deadline{2000};  // per attempt, the whole chain included
  std::size_t max_in_flight = 1024;          // beyond this, attempts fail at once (kFailed)
};

class AuthChain {
 public:
  // `authenticators` in config order; an empty chain rejects every attempt (callers check
  // empty() to decide whether authentication is required at all). `log` must outlive
  // the chain.
  AuthChain(std::vector<std::shared_ptr<Authenticator>> authenticators, AuthChainOptions options,
            LogSink& log);
  ~AuthChain();
  AuthChain(const AuthChain&) = delete;
  AuthChain& operator=(const AuthChain&) = delete;

  bool empty() const;
  // How long attempts took, from authenticate() to the outcome (every plugin asked).
  const util::LatencyHistogram& latency() const;

  // Starts one attempt and returns at once. The secret is wiped once the attempt has ended
  // and no plugin call still holds it.
  void authenticate(AuthRequest request, std::function<void(AuthOutcome)> done);

  // A reload: puts `authenticator` in service in place of the one with its name and returns
  // the one it replaces (null when none has that name, and nothing changes).
  std::shared_ptr<Authenticator> replace(std::shared_ptr<Authenticator> authenticator);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keepdb::plugin_host
