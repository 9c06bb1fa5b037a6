// VirtualScheduler's event queue and VirtualExecutor's posts, drift-free ticks and timers.
#include "tests/unit/consensus/virtual_clock.h"

#include <algorithm>
#include <memory>

namespace keepdb::consensus::testing {

VirtualScheduler::EventId VirtualScheduler::schedule_us(std::uint64_t at_us, Event event) {
  const EventId id{std::max(at_us, now_us_), next_sequence_++};
  events_.emplace(id, std::move(event));
  return id;
}

bool VirtualScheduler::run_next() {
  if (events_.empty()) return false;
  auto node = events_.extract(events_.begin());
  now_us_ = node.key().first;
  node.mapped()();
  return true;
}

bool VirtualScheduler::run_until(const std::function<bool()>& done, std::uint64_t max_ms) {
  const std::uint64_t deadline = now_us_ + max_ms * 1000;
  while (!done()) {
    if (events_.empty() || events_.begin()->first.first > deadline) return false;
    run_next();
  }
  return true;
}

void VirtualScheduler::run_for_us(std::uint64_t us) {
  const std::uint64_t deadline = now_us_ + us;
  while (!events_.empty() && events_.begin()->first.first <= deadline) run_next();
  now_us_ = deadline;
}

void VirtualExecutor::post(Task task) {
  scheduler_.schedule_us(scheduler_.now_us(), std::move(task));
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

namespace {

// One post_after(): its event on the scheduler, removed again by cancel().
class VirtualTimer final : public util::Executor::Timer::State {
 public:
  explicit VirtualTimer(VirtualScheduler& scheduler) : scheduler_(scheduler) {}

  void arm(std::uint64_t at_us, util::Executor::Task task, std::shared_ptr<VirtualTimer> self) {
    event_ = scheduler_.schedule_us(at_us, [self = std::move(self), task = std::move(task)] {
      self->pending_ = false;
      task();
    });
  }
  void cancel() override {
    if (!pending_) return;
    pending_ = false;
    scheduler_.cancel(event_);  // drops the task and what it captured
  }
  bool pending() const override { return pending_; }

 private:
  VirtualScheduler& scheduler_;
  VirtualScheduler::EventId event_{};
  bool pending_ = true;
};

}  // namespace

util::Executor::Timer VirtualExecutor::post_after(std::chrono::microseconds delay, Task task) {
  const std::int64_t us = std::max<std::int64_t>(0, delay.count());
  auto state = std::make_shared<VirtualTimer>(scheduler_);
  state->arm(scheduler_.now_us() + static_cast<std::uint64_t>(us), std::move(task), state);
  return Timer(std::move(state));
}

}  // namespace keepdb::consensus::testing
