// AsioExecutor: the Executor over a Boost.Asio io_context run by exactly one thread (the
// network thread). The tick is a steady_timer re-armed with expires_at(previous + period);
// each post_after() is a steady_timer of its own, cancelled with its Timer.
//
// Thread-safety: as Executor. Lifetime: destroy it on the io_context's thread, or after the
// io_context has stopped; pending tick handlers then see operation_aborted and do nothing.
// One-shot timers do not refer to the AsioExecutor: a Timer may outlive it, but not the
// io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "util/executor.h"

namespace keepdb::util {

class AsioExecutor final : public Executor {
 public:
  explicit AsioExecutor(boost::asio::io_context& io_context);

  void post(Task task) override;
  std::uint64_t now_ms() const override;
  void start_tick(std::chrono::milliseconds period, Task on_tick) override;
  void stop_tick() override;
  Timer post_after(std::chrono::microseconds delay, Task task) override;

 private:
  void arm_tick(std::uint64_t generation);

  boost::asio::io_context& io_context_;
  boost::asio::steady_timer tick_timer_;
  std::chrono::milliseconds tick_period_{0};
  Task on_tick_;
  std::uint64_t tick_generation_ = 0;  // bumped by start/stop so stale expiries are ignored
};

}  // namespace keepdb::util
