// AsioExecutor: posting onto the io_context, the drift-free tick timer and one-shot timers.
#include "util/asio_executor.h"

#include <boost/asio/post.hpp>
#include <memory>

namespace keepdb::util {
namespace {

// One post_after(): its own steady_timer. The wait handler shares the state, so the timer
// lives until the handler has run or been destroyed with the io_context; cancel() makes the
// handler complete at once (operation_aborted) and drops the task it would have run.
class AsioTimer final : public Executor::Timer::State {
 public:
  AsioTimer(boost::asio::io_context& io_context, Executor::Task task)
      : timer_(io_context), task_(std::move(task)) {}

  static Executor::Timer start(boost::asio::io_context& io_context,
                               std::chrono::microseconds delay, Executor::Task task) {
    auto state = std::make_shared<AsioTimer>(io_context, std::move(task));
    state->timer_.expires_after(delay);
    state->timer_.async_wait([state](const boost::system::error_code& error) {
      if (error || !state->pending_) return;
      state->pending_ = false;
      Executor::Task task = std::move(state->task_);
      state->task_ = nullptr;
      task();
    });
    return Executor::Timer(std::move(state));
  }

  void cancel() override {
    if (!pending_) return;
    pending_ = false;
    task_ = nullptr;
    timer_.cancel();
  }
  bool pending() const override { return pending_; }

 private:
  boost::asio::steady_timer timer_;
  Executor::Task task_;
  bool pending_ = true;
};

}  // namespace

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

Executor::Timer AsioExecutor::post_after(std::chrono::microseconds delay, Task task) {
  return AsioTimer::start(io_context_, delay, std::move(task));
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
