// Deterministic time for consensus and write-path tests: VirtualScheduler is one simulated
// timeline (events ordered by time, then by scheduling order) shared by every simulated
// server, disk and network link; VirtualExecutor is one server's Executor on it, timers
// included. Nothing sleeps: running an event jumps the clock to that event's time. Time
// has microsecond resolution (group commit's gather window is sub-millisecond); the
// millisecond API is the same timeline, whole milliseconds.
//
// Thread-safety: none; the whole simulation runs on the test's thread.
// Lifetime: executors must outlive the scheduler's last run (their tick events point at
// them); a Timer refers to the scheduler, not to its executor, so the scheduler must outlive
// every Timer set on it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "util/executor.h"

namespace keepdb::consensus::testing {

class VirtualScheduler {
 public:
  using Event = std::function<void()>;
  using EventId = std::pair<std::uint64_t, std::uint64_t>;  // (time in us, sequence)

  std::uint64_t now_ms() const { return now_us_ / 1000; }
  std::uint64_t now_us() const { return now_us_; }

  // Runs `event` at `at_ms` (or now, if that is in the past), after events already due then.
  EventId schedule(std::uint64_t at_ms, Event event) { return schedule_us(at_ms * 1000, std::move(event)); }
  EventId schedule_us(std::uint64_t at_us, Event event);
  // Removes an event that has not run yet; false when it ran or was cancelled already.
  bool cancel(EventId id) { return events_.erase(id) != 0; }

  // Runs the earliest event; false when none is left.
  bool run_next();

  // Runs events until `done()` holds (checked before each event) or until the clock would
  // pass now + max_ms. Returns done().
  bool run_until(const std::function<bool()>& done, std::uint64_t max_ms);

  // Runs every event due within the next `ms` milliseconds, then sets the clock to now + ms.
  void run_for(std::uint64_t ms) { run_for_us(ms * 1000); }
  void run_for_us(std::uint64_t us);

  // Events not run yet.
  std::size_t pending() const { return events_.size(); }

 private:
  std::uint64_t now_us_ = 1'000'000;  // 1000 ms, not 0, so "0" never looks like a valid timestamp
  std::uint64_t next_sequence_ = 0;
  std::map<EventId, Event> events_;
};

class VirtualExecutor final : public util::Executor {
 public:
  explicit VirtualExecutor(VirtualScheduler& scheduler) : scheduler_(scheduler) {}

  void post(Task task) override;
  std::uint64_t now_ms() const override { return scheduler_.now_ms(); }
  void start_tick(std::chrono::milliseconds period, Task on_tick) override;
  void stop_tick() override { ++tick_generation_; }
  // The task runs at now + delay on the scheduler (a delay of zero or less: now, after the
  // events already due); cancelling removes its event, so it no longer moves the clock.
  Timer post_after(std::chrono::microseconds delay, Task task) override;

 private:
  void schedule_tick(std::uint64_t at_ms, std::uint64_t generation);

  VirtualScheduler& scheduler_;
  std::uint64_t tick_period_ms_ = 0;
  Task on_tick_;
  std::uint64_t tick_generation_ = 0;
};

}  // namespace keepdb::consensus::testing
