// Executor: the raft thread as RaftIo sees it: a FIFO task queue, a monotonic millisecond
// clock and one drift-free periodic tick. AsioExecutor runs it on an io_context; tests use a
// virtual clock.
//
// Thread-safety: post() and now_ms() may be called from any thread; start_tick() and
// stop_tick() only from the executor thread. Tasks and ticks run on the executor thread.
// Lifetime: the executor must outlive every object that posts to it (RaftIo, log storage
// and transport completions).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace keepdb::util {

class Executor {
 public:
  using Task = std::function<void()>;

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
};

}  // namespace keepdb::util
