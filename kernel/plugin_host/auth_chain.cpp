// The chain's attempt state machine, its worker pool and its deadline thread.
#include "kernel/plugin_host/auth_chain.h"

#include <pthread.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernel/plugin_host/live_slot.h"
#include "kernel/plugin_host/pending_auth.h"

namespace keepdb::plugin_host {

namespace asio = boost::asio;

// One attempt moving through the chain. Its request's secret (kdb::sdk::SecretBytes) is wiped
// when the last holder of the attempt lets go: a plugin call still running past the
// deadline keeps reading valid bytes. Steps run one at a time, each posted after the
// previous answer, so `deferrals` needs no lock; `next` is also read by the deadline thread
// for its message; `finished` picks the single winner between the last step and the
// deadline. `ticket` is written by a step and read by finish(), which may run on the
// deadline thread at the same moment: see step() for how they never both miss it.
struct Attempt {
  Attempt(AuthRequest r, std::function<void(AuthOutcome)> d, asio::io_context& timers)
      : request(std::move(r)),
        done(std::move(d)),
        deadline(std::make_unique<asio::steady_timer>(timers)) {}
  AuthRequest request;
  std::function<void(AuthOutcome)> done;
  // Touched only on the deadline thread, and destroyed there once the attempt finishes: a
  // plugin thread that drops the last reference to the attempt later (after the chain and
  // its io_context are gone) must not run the timer's destructor.
  std::unique_ptr<asio::steady_timer> deadline;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> ticket{0};
  std::string deferrals;  // "plugin 'a' (x) deferred; plugin 'b' (y) deferred"
  std::atomic<bool> finished{false};
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

using AttemptPtr = std::shared_ptr<Attempt>;

// One authenticator's worker threads, sharing one io_context and named "keepd-auth-<N>" (N:
// the authenticator's place in the chain) for ps and perf. join() lets the queued and
// running handlers finish, then joins; the destructor stops and joins if join() was not run.
class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t number)
      : context_(threads == 1 ? 1 : BOOST_ASIO_CONCURRENCY_HINT_DEFAULT),
        work_(asio::make_work_guard(context_)) {
    const std::string name = "keepd-auth-" + std::to_string(number);
    for (std::size_t i = 0; i < threads; ++i) {
      runners_.emplace_back([this] { context_.run(); });
      pthread_setname_np(runners_.back().native_handle(), name.c_str());
    }
  }
  ~WorkerPool() {
    if (work_.owns_work()) context_.stop();
    join();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  asio::io_context& context() { return context_; }
  void join() {
    work_.reset();
    for (std::thread& runner : runners_) {
      if (runner.joinable()) runner.join();
    }
  }

 private:
  asio::io_context context_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> runners_;
};

// Handlers on the chain's own threads capture `this`: shutdown() runs or discards them all
// before the Impl goes away. The answer callbacks reach it through its AnswerGate.
//
// Each authenticator has its own worker pool (a bulkhead): calls stuck in a slow plugin
// occupy only that plugin's threads, so attempts that an earlier authenticator decides are
// never queued behind them.
class AuthChain::Impl {
 public:
  Impl(std::vector<std::shared_ptr<Authenticator>> authenticators, AuthChainOptions options,
       LogSink& log)
      : options_(options),
        log_(log),
        timer_work_(asio::make_work_guard(timers_)) {
    gate_->chain = this;
    for (auto& authenticator : authenticators) {
      names_.push_back(authenticator->name());
      authenticators_.push_back(
          std::make_unique<LiveSlot<Authenticator>>(std::move(authenticator)));
      pools_.push_back(std::make_unique<WorkerPool>(options.threads == 0 ? 1 : options.threads,
                                                    pools_.size() + 1));
    }
  }

  // Waits for every attempt to finish, then for running plugin calls, then stops.
  void shutdown() {
    {
      std::unique_lock lock(mutex_);
      drained_.wait(lock, [this] { return in_flight_ == 0; });
    }
    {
      // Every attempt has finished: later answers are late, and none reaches the chain now.
      const std::lock_guard lock(gate_->mutex);
      gate_->chain = nullptr;
    }
    for (auto& pool : pools_) pool->join();
    timer_work_.reset();
    if (timer_thread_.joinable()) timer_thread_.join();
  }

  bool empty() const { return authenticators_.empty(); }
  const util::LatencyHistogram& latency() const { return latency_; }

  std::shared_ptr<Authenticator> replace(std::shared_ptr<Authenticator> authenticator) {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == authenticator->name()) {
        return authenticators_[i]->replace(std::move(authenticator));
      }
    }
    return nullptr;
  }

  void start(AuthRequest request, std::function<void(AuthOutcome)> done) {
    // The deadline thread starts with the first attempt: a node whose clients never
    // authenticate (no authenticator configured) runs no idle thread for it.
    std::call_once(timer_started_, [this] {
      timer_thread_ = std::thread([this] { timers_.run(); });
      pthread_setname_np(timer_thread_.native_handle(), "keepd-authtimer");
    });
    auto attempt = std::make_shared<Attempt>(std::move(request), std::move(done), timers_);
    bool busy = false;
    {
      const std::lock_guard lock(mutex_);
      busy = in_flight_ >= options_.max_in_flight;
      ++in_flight_;
    }
    if (busy) {
      asio::post(timers_, [this, attempt] {
        finish(attempt, {AuthOutcome::Verdict::kFailed, {}, "auth chain busy"});
      });
      return;
    }
    // Posted before the first step, so the timer is armed before anything can cancel it.
    asio::post(timers_, [this, attempt] {
      if (!attempt->deadline) return;  // already finished
      attempt->deadline->expires_after(options_.deadline);
      attempt->deadline->async_wait([this, attempt](const boost::system::error_code& error) {
        if (error) return;  // cancelled: the chain answered first
        finish(attempt, {AuthOutcome::Verdict::kFailed,
                         {},
                         "deadline of " + std::to_string(options_.deadline.count()) + " ms passed" +
                             waiting_on(*attempt)});
      });
    });
    post_step(attempt);
  }

 private:
  std::string waiting_on(const Attempt& attempt) const {
    const std::size_t next = attempt.next;
    if (next >= authenticators_.size()) return {};
    return " waiting for plugin '" + names_[next] + "'";
  }

  // Runs the attempt's next step on the pool of the authenticator it will ask (any pool
  // when none is left).
  void post_step(const AttemptPtr& attempt) {
    if (pools_.empty()) {
      asio::post(timers_, [this, attempt] { step(attempt); });
      return;
    }
    const std::size_t next = std::min<std::size_t>(attempt->next, pools_.size() - 1);
    asio::post(pools_[next]->context(), [this, attempt] { step(attempt); });
  }

  // Asks the next authenticator; runs on that authenticator's pool.
  void step(const AttemptPtr& attempt) {
    if (attempt->finished) return;
    const std::size_t next = attempt->next;
    if (next == authenticators_.size()) {
      std::string why = authenticators_.empty()
                            ? "no authenticator is configured"
                            : "every authenticator deferred (" + attempt->deferrals + ")";
      finish(attempt, {AuthOutcome::Verdict::kRejected, {}, std::move(why)});
      return;
    }
    // Open the ticket, then look at `finished` again: finish() sets `finished`, then forgets
    // the ticket it reads. Both sides are sequentially consistent, so either finish() reads
    // this ticket and closes it, or this step sees `finished` and closes it itself; the
    // authenticator's expect() then fails, and no completion stays in the table.
    const std::uint64_t ticket = pending_auths().open_ticket();
    attempt->ticket = ticket;
    if (attempt->finished) {
      pending_auths().forget(ticket);
      return;
    }
    // Held for the call: a reload that replaces it meanwhile destroys it only afterwards.
    const std::shared_ptr<Authenticator> authenticator = authenticators_[next]->get();
    authenticator->authenticate(
        attempt->request, ticket, [gate = gate_, attempt](AuthStep answer) {
          // May run on a plugin's thread: continue on the answering plugin's pool, unless
          // the chain has shut down.
          const std::lock_guard lock(gate->mutex);
          if (gate->chain == nullptr) return;
          asio::post(gate->chain->pools_[attempt->next]->context(),
                     [chain = gate->chain, attempt, answer = std::move(answer)]() mutable {
                       chain->advance(attempt, std::move(answer));
                     });
        });
  }

  void advance(const AttemptPtr& attempt, AuthStep answer) {
    if (attempt->finished) return;
    switch (answer.decision) {
      case AuthStep::Decision::kAccept:
        finish(attempt, {AuthOutcome::Verdict::kAccepted, std::move(answer.principal),
                         std::move(answer.reason)});
        return;
      case AuthStep::Decision::kReject:
        finish(attempt, {AuthOutcome::Verdict::kRejected, {}, std::move(answer.reason)});
        return;
      case AuthStep::Decision::kFail:
        finish(attempt, {AuthOutcome::Verdict::kFailed, {}, std::move(answer.reason)});
        return;
      case AuthStep::Decision::kDefer:
        if (!attempt->deferrals.empty()) attempt->deferrals += "; ";
        attempt->deferrals += answer.reason;
        ++attempt->next;
        post_step(attempt);
        return;
    }
  }

  // Ends an attempt once: destroys its deadline timer, wipes the secret, calls done. The
  // outcome is logged by the caller (one line per attempt, with what it knows of the client).
  void finish(const AttemptPtr& attempt, AuthOutcome outcome) {
    if (attempt->finished.exchange(true)) return;
    latency_.observe(std::chrono::steady_clock::now() - attempt->started);
    pending_auths().forget(attempt->ticket);
    asio::post(timers_, [attempt] { attempt->deadline.reset(); });  // cancels the wait
    try {
      attempt->done(std::move(outcome));
    } catch (...) {
      log_.write(LogLevel::kError, "an auth completion handler threw; ignored");
    }
    const std::lock_guard lock(mutex_);
    if (--in_flight_ == 0) drained_.notify_all();
  }

  // How an authenticator's answer callback, which a plugin thread may call at any time,
  // reaches the chain. shutdown() closes it (chain = nullptr) under its mutex, so no answer
  // posts to the chain afterwards, and a plugin thread never holds the chain itself: if it
  // did, its last reference could run the chain's destructor there, and that can release
  // the plugin instance and call the plugin's destroy() on the plugin's own thread, which
  // joins itself. The callbacks share the gate; whoever drops it last frees only a mutex.
  struct AnswerGate {
    std::mutex mutex;
    Impl* chain = nullptr;  // guarded by mutex; nullptr once the chain shut down
  };
  const std::shared_ptr<AnswerGate> gate_ = std::make_shared<AnswerGate>();

  // In config order; names_[i] is the name of authenticators_[i] (a reload keeps names).
  std::vector<std::unique_ptr<LiveSlot<Authenticator>>> authenticators_;
  std::vector<std::string> names_;
  const AuthChainOptions options_;
  LogSink& log_;

  std::mutex mutex_;
  std::condition_variable drained_;
  std::size_t in_flight_ = 0;

  std::vector<std::unique_ptr<WorkerPool>> pools_;  // one per authenticator
  asio::io_context timers_;
  asio::executor_work_guard<asio::io_context::executor_type> timer_work_;
  std::once_flag timer_started_;
  std::thread timer_thread_;  // from the first attempt on
  util::LatencyHistogram latency_;
};

AuthChain::AuthChain(std::vector<std::shared_ptr<Authenticator>> authenticators,
                     AuthChainOptions options, LogSink& log)
    : impl_(std::make_unique<Impl>(std::move(authenticators), options, log)) {}

AuthChain::~AuthChain() {
  impl_->shutdown();
}

bool AuthChain::empty() const {
  return impl_->empty();
}

const util::LatencyHistogram& AuthChain::latency() const {
  return impl_->latency();
}

void AuthChain::authenticate(AuthRequest request, std::function<void(AuthOutcome)> done) {
  impl_->start(std::move(request), std::move(done));
}

std::shared_ptr<Authenticator> AuthChain::replace(std::shared_ptr<Authenticator> authenticator) {
  return impl_->replace(std::move(authenticator));
}

}  // namespace keepdb::plugin_host
