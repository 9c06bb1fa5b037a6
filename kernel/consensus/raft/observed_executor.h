// ObservedExecutor: an Executor that runs an observer after every task, tick and timer of
// the executor it wraps. libraft 0.15 has no state-change callback, so the node reads
// raft_state(), the leader and the applied index after each tick, receive and completion
// (all of which RaftIo runs as tasks or ticks) to react to elections and progress.
//
// Thread-safety: as Executor. Lifetime: tasks still queued after this object is destroyed
// run without the observer.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include "util/executor.h"

namespace keepdb::consensus {

class ObservedExecutor final : public util::Executor {
 public:
  ObservedExecutor(util::Executor& inner, std::function<void()> observer)
      : inner_(inner), observer_(std::make_shared<std::function<void()>>(std::move(observer))) {}

  void post(Task task) override { inner_.post(observed(std::move(task))); }
  std::uint64_t now_ms() const override { return inner_.now_ms(); }
  void start_tick(std::chrono::milliseconds period, Task on_tick) override {
    inner_.start_tick(period, observed(std::move(on_tick)));
  }
  void stop_tick() override { inner_.stop_tick(); }
  Timer post_after(std::chrono::microseconds delay, Task task) override {
    return inner_.post_after(delay, observed(std::move(task)));
  }

 private:
  Task observed(Task task) const {
    return [task = std::move(task), weak = std::weak_ptr(observer_)] {
      task();
      if (auto observer = weak.lock()) (*observer)();
    };
  }

  util::Executor& inner_;
  std::shared_ptr<std::function<void()>> observer_;
};

}  // namespace keepdb::consensus
