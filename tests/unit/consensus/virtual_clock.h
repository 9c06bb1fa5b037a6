// Deterministic time for consensus tests: VirtualScheduler is one simulated timeline (events
// ordered by time, then by scheduling order) shared by every simulated server, disk and
// network link; VirtualExecutor is one server's Executor on it. Nothing sleeps: running an
// event jumps the clock to that event's time.
//
// Thread-safety: none; the whole simulation runs on the test's thread.
// Lifetime: executors must outlive the scheduler's last run (their tick events point at them).
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

  std::uint64_t now_ms() const { return now_ms_; }

  // Runs `event` at `at_ms` (or now, if that is in the past), after events already due then.
  void schedule(std::uint64_t at_ms, Event event);

  // Runs the earliest event; false when none is left.
  bool run_next();

  // Runs events until `done()` holds (checked before each event) or until the clock would
  // pass now + max_ms. Returns done().
  bool run_until(const std::function<bool()>& done, std::uint64_t max_ms);

  // Runs every event due within the next `ms` milliseconds, then sets the clock to now + ms.
  void run_for(std::uint64_t ms);

 private:
  std::uint64_t now_ms_ = 1000;  // not 0, so "0" never looks like a valid timestamp
  std::uint64_t next_sequence_ = 0;
  std::map<std::pair<std::uint64_t, std::uint64_t>, Event> events_;  // (time, sequence)
};

class VirtualExecutor final : public util::Executor {
 public:
  explicit VirtualExecutor(VirtualScheduler& scheduler) : scheduler_(scheduler) {}

  void post(Task task) override;
  std::uint64_t now_ms() const override { return scheduler_.now_ms(); }
  void start_tick(std::chrono::milliseconds period, Task on_tick) override;
  void stop_tick() override { ++tick_generation_; }

 private:
  void schedule_tick(std::uint64_t at_ms, std::uint64_t generation);

  VirtualScheduler& scheduler_;
  std::uint64_t tick_period_ms_ = 0;
  Task on_tick_;
  std::uint64_t tick_generation_ = 0;
};

}  // namespace keepdb::consensus::testing
