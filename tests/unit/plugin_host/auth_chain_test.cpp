// AuthChain with in-process fake authenticators: decision order, threads, deadline,
// back-pressure and shutdown, deterministic and without any plugin library.
#include "kernel/plugin_host/auth_chain.h"
#include "kernel/plugin_host/pending_auth.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

namespace keepdb::plugin_host {
namespace {

using Decision = AuthStep::Decision;
using Verdict = AuthOutcome::Verdict;
using namespace std::chrono_literals;

class NullLog final : public LogSink {
 public:
  void write(LogLevel, std::string_view) noexcept override {}
};

// Answers every request with one decision, at once or from its own thread after `delay`;
// or never, when `answers` is false.
class FakeAuthenticator final : public Authenticator {
 public:
  FakeAuthenticator(std::string name, Decision decision, bool answers = true,
                    std::chrono::milliseconds delay = 0ms)
      : name_(std::move(name)), decision_(decision), answers_(answers), delay_(delay) {}
  // The chain must never let the last reference go on one of this authenticator's own
  // answering threads (a plugin's destroy() there would join itself): if it does, that is
  // counted in released_on_own_thread, and the thread is detached rather than joined.
  ~FakeAuthenticator() override {
    for (std::thread& thread : threads_) {
      if (thread.get_id() == std::this_thread::get_id()) {
        ++released_on_own_thread;
        thread.detach();
      } else {
        thread.join();
      }
    }
  }

  static inline std::atomic<int> released_on_own_thread{0};

  const std::string& name() const override { return name_; }
  void authenticate(const AuthRequest&, std::uint64_t, AuthStepDone done) override {
    ++calls;
    if (!answers_) return;
    AuthStep step{decision_, Principal{name_, KDB_ROLE_READ, 0, name_}, name_ + " decided"};
    if (delay_ == 0ms) {
      done(std::move(step));
      return;
    }
    const std::lock_guard lock(mutex_);
    threads_.emplace_back([this, step = std::move(step), done = std::move(done)]() mutable {
      std::this_thread::sleep_for(delay_);
      done(std::move(step));
    });
  }

  std::atomic<int> calls{0};

 private:
  std::string name_;
  Decision decision_;
  bool answers_;
  std::chrono::milliseconds delay_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

std::shared_ptr<FakeAuthenticator> fake(std::string name, Decision decision) {
  return std::make_shared<FakeAuthenticator>(std::move(name), decision);
}

AuthOutcome run(AuthChain& chain, std::thread::id* done_thread = nullptr) {
  std::promise<AuthOutcome> answer;
  auto outcome = answer.get_future();
  AuthRequest request;
  request.secret = kdb::sdk::SecretBytes("s");
  chain.authenticate(std::move(request), [&](AuthOutcome result) {
    if (done_thread != nullptr) *done_thread = std::this_thread::get_id();
    answer.set_value(std::move(result));
  });
  return outcome.get();
}

NullLog null_log;

}  // namespace

TEST_CASE("AuthChain: the first accept or reject decides, later ones are not asked",
          "[auth_chain]") {
  auto defer = fake("defer", Decision::kDefer);
  auto reject = fake("reject", Decision::kReject);
  auto accept = fake("accept", Decision::kAccept);
  AuthChain chain({defer, reject, accept}, {}, null_log);
  const AuthOutcome outcome = run(chain);
  CHECK(outcome.verdict == Verdict::kRejected);
  CHECK(outcome.reason == "reject decided");
  CHECK(defer->calls == 1);
  CHECK(reject->calls == 1);
  CHECK(accept->calls == 0);
}

TEST_CASE("AuthChain: a failing authenticator ends the chain as kFailed", "[auth_chain]") {
  auto failing = fake("broken", Decision::kFail);
  auto accept = fake("accept", Decision::kAccept);
  AuthChain chain({failing, accept}, {}, null_log);
  CHECK(run(chain).verdict == Verdict::kFailed);
  CHECK(accept->calls == 0);
}

TEST_CASE("AuthChain: done runs on a chain thread, also for answers from other threads",
          "[auth_chain]") {
  auto async = std::make_shared<FakeAuthenticator>("async", Decision::kAccept, true, 10ms);
  AuthChain chain({async}, {}, null_log);
  std::thread::id done_thread;
  const AuthOutcome outcome = run(chain, &done_thread);
  CHECK(outcome.verdict == Verdict::kAccepted);
  CHECK(outcome.principal.name == "async");
  CHECK(done_thread != std::this_thread::get_id());
}

TEST_CASE("AuthChain: an authenticator that never answers meets the deadline", "[auth_chain]") {
  auto silent = std::make_shared<FakeAuthenticator>("silent", Decision::kAccept, false);
  AuthChain chain({silent}, AuthChainOptions{1, 30ms, 8}, null_log);
  const auto start = std::chrono::steady_clock::now();
  const AuthOutcome outcome = run(chain);
  CHECK(outcome.verdict == Verdict::kFailed);
  CHECK(outcome.reason == "deadline of 30 ms passed waiting for plugin 'silent'");
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

// Stands for a plugin adapter whose call was still queued when the deadline passed: it
// registers its completion only once `go` is set, after the attempt has ended.
class LateRegistrar final : public Authenticator {
 public:
  explicit LateRegistrar(std::shared_future<void> go) : go_(std::move(go)) {}
  const std::string& name() const override { return name_; }
  void authenticate(const AuthRequest&, std::uint64_t ticket, AuthStepDone) override {
    go_.wait();
    auto held = std::make_shared<int>();
    held_after_refusal = held;
    const bool accepted = pending_auths().expect(ticket, [held](const PluginAuthResult&) {});
    held.reset();
    registered.set_value(accepted);
  }

  std::promise<bool> registered;
  std::weak_ptr<int> held_after_refusal;

 private:
  std::string name_ = "late";
  std::shared_future<void> go_;
};

TEST_CASE("AuthChain: an authenticator that registers after the deadline is refused",
          "[auth_chain]") {
  std::promise<void> go;
  auto late = std::make_shared<LateRegistrar>(go.get_future().share());
  std::future<bool> registered = late->registered.get_future();
  {
    AuthChain chain({late}, AuthChainOptions{1, 100ms, 8}, null_log);
    CHECK(run(chain).verdict == Verdict::kFailed);  // the deadline answered
    go.set_value();
  }  // joins the chain's threads: the authenticator has returned, or was never asked
  // A step that began only after the deadline (a very slow machine) does not ask at all;
  // otherwise the registration is refused, and the completion with what it held is gone
  // rather than kept in the process-wide table for a ticket nobody will ever complete.
  if (registered.wait_for(0s) == std::future_status::ready) {
    CHECK_FALSE(registered.get());
    CHECK(late->held_after_refusal.expired());
  }
}

TEST_CASE("AuthChain: beyond max_in_flight, attempts fail at once", "[auth_chain]") {
  auto silent = std::make_shared<FakeAuthenticator>("silent", Decision::kAccept, false);
  AuthChain chain({silent}, AuthChainOptions{1, 300ms, 1}, null_log);
  std::promise<AuthOutcome> first;
  chain.authenticate(AuthRequest{}, [&](AuthOutcome o) { first.set_value(std::move(o)); });
  const AuthOutcome second = run(chain);
  CHECK(second.verdict == Verdict::kFailed);
  CHECK(second.reason == "auth chain busy");
  CHECK(first.get_future().get().verdict == Verdict::kFailed);  // its deadline
}

TEST_CASE("AuthChain: destruction waits until every attempt has called done", "[auth_chain]") {
  auto slow = std::make_shared<FakeAuthenticator>("slow", Decision::kAccept, true, 50ms);
  std::atomic<int> answered{0};
  {
    AuthChain chain({slow}, {}, null_log);
    for (int i = 0; i < 5; ++i) chain.authenticate(AuthRequest{}, [&](AuthOutcome) { ++answered; });
  }
  CHECK(answered == 5);
}

TEST_CASE("AuthChain: an authenticator answering from its own thread is never released there",
          "[auth_chain]") {
  // The chain is destroyed as soon as each attempt is done, while the authenticator's thread
  // may still be returning from its answer; the chain holds the only reference to it.
  FakeAuthenticator::released_on_own_thread = 0;
  for (int round = 0; round < 300; ++round) {
    AuthChain chain({std::make_shared<FakeAuthenticator>("async", Decision::kAccept, true, 1ms)},
                    {}, null_log);
    REQUIRE(run(chain).verdict == Verdict::kAccepted);
  }
  CHECK(FakeAuthenticator::released_on_own_thread == 0);
}

TEST_CASE("AuthChain: a done handler that throws does not take the chain down", "[auth_chain]") {
  AuthChain chain({fake("accept", Decision::kAccept)}, {}, null_log);
  chain.authenticate(AuthRequest{}, [](AuthOutcome) { throw std::runtime_error("caller bug"); });
  CHECK(run(chain).verdict == Verdict::kAccepted);
}

}  // namespace keepdb::plugin_host
