// VirtualScheduler's event queue and VirtualExecutor's posts and drift-free ticks.
#include "tests/unit/consensus/virtual_clock.h"

#include <algorithm>

namespace keepdb::consensus::testing {

void VirtualScheduler::schedule(std::uint64_t at_ms, Event event) {
  events_.emplace(std::make_pair(std::max(at_ms, now_ms_), next_sequence_++), std::move(event));
}

bool VirtualScheduler::run_next() {
  if (events_.empty()) return false;
  auto node = events_.extract(events_.begin());
  now_ms_ = node.key().first;
  node.mapped()();
  return true;
}

bool VirtualScheduler::run_until(const std::function<bool()>& done, std::uint64_t max_ms) {
  const std::uint64_t deadline = now_ms_ + max_ms;
  while (!done()) {
    if (events_.empty() || events_.begin()->first.first > deadline) return false;
    run_next();
  }
  return true;
}

void VirtualScheduler::run_for(std::uint64_t ms) {
  const std::uint64_t deadline = now_ms_ + ms;
  while (!events_.empty() && events_.begin()->first.first <= deadline) run_next();
  now_ms_ = deadline;
}

void VirtualExecutor::post(Task task) {
  scheduler_.schedule(scheduler_.now_ms(), std::move(task));
}

void VirtualExecutor::start_tick(std::chrono::milliseconds period, Task on_tick) {
  tick_period_ms_ = static_cast<std::uint64_t>(period.count());
  on_tick_ = std::move(on_tick);
  schedule_tick(scheduler_.now_ms() + tick_period_ms_, ++tick_generation_);
}

void VirtualExecutor::schedule_tick(std::uint64_t at_ms, std::uint64_t generation) {
  scheduler_.schedule(at_ms, [this, at_ms, generation] {
    if (generation != tick_generation_) return;
    schedule_tick(at_ms + tick_period_ms_, generation);
    on_tick_();
  });
}

}  // namespace keepdb::consensus::testing
