// Executor: one thread's event loop as the kernel sees it: a FIFO task queue, a monotonic
// millisecond clock, one drift-free periodic tick and one-shot timers. RaftIo runs libraft
// on one; the write path (group commit, raft sink, forwarding, read barrier) and the expiry
// sweeper run on one. AsioExecutor runs it on an io_context (the network thread); the unit
// tests run it on a virtual clock, so timing-dependent code is tested without sleeping.
//
// Thread-safety: post() and now_ms() may be called from any thread; start_tick(),
// stop_tick(), post_after() and Timer's methods only from the executor thread. Tasks, ticks
// and timers run on the executor thread.
// Lifetime: the executor must outlive every object that posts to it (RaftIo, log storage
// and transport completions). A Timer does not refer to the executor once set.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace keepdb::util {

class Executor {
 public:
  using Task = std::function<void()>;
  class Timer;

  virtual ~Executor() = default;

  // Runs `task` later on the executor thread, never inside this call. Tasks posted from one
  // thread run in the order they were posted.
  virtual void post(Task task) = 0;

  // Milliseconds from a monotonic clock: never goes backwards.
  virtual std::uint64_t now_ms() const = 0;

  // Calls `on_tick` every `period`, without drift: deadline k is start + k * period.
  // Replaces any previous tick; must not be called from inside a tick.
  virtual void start_tick(std::chrono::milliseconds period, Task on_tick) = 0;

  // No tick runs after this returns (it may be called from inside a tick).
  virtual void stop_tick() = 0;

  // Runs `task` once on the executor thread, no earlier than `delay` from now (a delay of
  // zero or less: as soon as possible), never inside this call. The returned Timer cancels
  // it: dropping the Timer cancels it too, so keep it for as long as the task should stay
  // set. Nothing is promised about the order of a timer's task relative to posted tasks or
  // other timers beyond their due times (the virtual clock runs timers due at the same
  // time in the order they were set). Executor thread only.
  [[nodiscard]] virtual Timer post_after(std::chrono::microseconds delay, Task task) = 0;
};

// A one-shot timer set by Executor::post_after(). Move-only. cancel(), destroying the handle
// or assigning another timer to it guarantees that the task does not start afterwards and
// releases it (and what it captured). A default-constructed Timer is empty: not pending,
// and cancel() does nothing. Executor thread only.
class Executor::Timer {
 public:
  // What an executor keeps for one timer; the handle shares it with the executor's event.
  class State {
   public:
    virtual ~State() = default;
    // The task will not start after this returns; idempotent.
    virtual void cancel() = 0;
    // Set, neither started nor cancelled.
    virtual bool pending() const = 0;
  };

  Timer() = default;
  explicit Timer(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Timer(Timer&& other) noexcept = default;
  Timer& operator=(Timer&& other) noexcept {
    if (this != &other) {
      cancel();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer() { cancel(); }

  // True from post_after() until the task starts or the timer is cancelled.
  bool pending() const { return state_ && state_->pending(); }

  // The task will not start after this returns. Safe from inside the task itself, and on a
  // timer that already fired or was cancelled.
  void cancel() {
    if (state_) std::exchange(state_, nullptr)->cancel();
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace keepdb::util
