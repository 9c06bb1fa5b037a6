// AsioExecutor: posting onto the io_context and the drift-free raft tick timer.
#include "util/asio_executor.h"

#include <boost/asio/post.hpp>

namespace keepdb::util {

AsioExecutor::AsioExecutor(boost::asio::io_context& io_context)
    : io_context_(io_context), tick_timer_(io_context) {}

void AsioExecutor::post(Task task) {
  boost::asio::post(io_context_, std::move(task));
}

std::uint64_t AsioExecutor::now_ms() const {
  const auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

void AsioExecutor::start_tick(std::chrono::milliseconds period, Task on_tick) {
  tick_period_ = period;
  on_tick_ = std::move(on_tick);
  tick_timer_.expires_after(tick_period_);
  arm_tick(++tick_generation_);
}

void AsioExecutor::stop_tick() {
  ++tick_generation_;
  tick_timer_.cancel();
}

void AsioExecutor::arm_tick(std::uint64_t generation) {
  tick_timer_.async_wait([this, generation](const boost::system::error_code& error) {
    if (error || generation != tick_generation_) return;
    tick_timer_.expires_at(tick_timer_.expiry() + tick_period_);
    arm_tick(generation);
    on_tick_();
  });
}

}  // namespace keepdb::util
