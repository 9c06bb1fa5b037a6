// Executor::post_after() and its Timer, on the virtual clock and on Asio: the task runs once
// at its time (never inside the call), cancel() and dropping or overwriting the handle stop
// it, a task may re-arm or cancel its own handle, and the virtual clock orders timers by
// time then by the order they were set, with microsecond resolution.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/consensus/virtual_clock.h"
#include "util/asio_executor.h"

using keepdb::consensus::testing::VirtualExecutor;
using keepdb::consensus::testing::VirtualScheduler;
using keepdb::util::Executor;
using namespace std::chrono_literals;

TEST_CASE("a virtual timer runs its task once, at its time, never inside post_after", "[timer]") {
  VirtualScheduler scheduler;
  VirtualExecutor executor(scheduler);
  const std::uint64_t start = scheduler.now_us();
  std::vector<std::uint64_t> ran_at;
  Executor::Timer timer = executor.post_after(1500us, [&] { ran_at.push_back(scheduler.now_us()); });
  CHECK(ran_at.empty());
  CHECK(timer.pending());
  scheduler.run_for_us(1499);
  CHECK(ran_at.empty());
  scheduler.run_for_us(1);
  CHECK(ran_at == std::vector<std::uint64_t>{start + 1500});
  CHECK_FALSE(timer.pending());
  scheduler.run_for(100);
  CHECK(ran_at.size() == 1);
}

TEST_CASE("a virtual timer of zero or negative delay runs after the tasks already due", "[timer]") {
  VirtualScheduler scheduler;
  VirtualExecutor executor(scheduler);
  std::vector<std::string> order;
  executor.post([&] { order.push_back("posted"); });
  Executor::Timer zero = executor.post_after(0us, [&] { order.push_back("zero"); });
  Executor::Timer negative = executor.post_after(-5ms, [&] { order.push_back("negative"); });
  CHECK(order.empty());
  scheduler.run_for(0);
  CHECK(order == std::vector<std::string>{"posted", "zero", "negative"});
}

TEST_CASE("virtual timers due together run in the order they were set", "[timer]") {
  VirtualScheduler scheduler;
  VirtualExecutor executor(scheduler);
  std::vector<int> order;
  Executor::Timer late = executor.post_after(2ms, [&] { order.push_back(3); });
  Executor::Timer first = executor.post_after(1ms, [&] { order.push_back(1); });
  Executor::Timer second = executor.post_after(1000us, [&] { order.push_back(2); });
  scheduler.run_for(5);
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("cancel, dropping and overwriting a timer stop its task and release it", "[timer]") {
  VirtualScheduler scheduler;
  VirtualExecutor executor(scheduler);
  int ran = 0;
  auto captured = std::make_shared<int>(0);

  Executor::Timer cancelled = executor.post_after(1ms, [&ran, captured] { ++ran; });
  Executor::Timer overwritten = executor.post_after(1ms, [&] { ran += 10; });
  { Executor::Timer dropped = executor.post_after(1ms, [&] { ran += 100; }); }
  CHECK(captured.use_count() == 2);
  cancelled.cancel();
  CHECK_FALSE(cancelled.pending());
  CHECK(captured.use_count() == 1);  // the task and what it captured are gone
  overwritten = executor.post_after(2ms, [&] { ran += 1000; });
  cancelled.cancel();  // again: nothing happens

  CHECK(scheduler.pending() == 1);  // cancelled timers leave no event to move the clock
  scheduler.run_for(10);
  CHECK(ran == 1000);

  Executor::Timer empty;
  CHECK_FALSE(empty.pending());
  empty.cancel();
}

TEST_CASE("a timer's task may re-arm or cancel its own handle", "[timer]") {
  VirtualScheduler scheduler;
  VirtualExecutor executor(scheduler);
  Executor::Timer timer;
  int runs = 0;
  std::function<void()> tick = [&] {
    ++runs;
    timer.cancel();  // its own, already running: nothing to stop
    if (runs < 3) timer = executor.post_after(1ms, tick);
  };
  timer = executor.post_after(1ms, tick);
  scheduler.run_for(10);
  CHECK(runs == 3);
  CHECK_FALSE(timer.pending());
}

TEST_CASE("an Asio timer runs on the io_context after its delay; cancel stops it", "[timer]") {
  boost::asio::io_context io;
  keepdb::util::AsioExecutor executor(io);
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration waited{};
  bool cancelled_ran = false;
  bool dropped_ran = false;
  Executor::Timer timer = executor.post_after(20ms, [&] {
    waited = std::chrono::steady_clock::now() - start;
  });
  Executor::Timer cancelled = executor.post_after(5ms, [&] { cancelled_ran = true; });
  { Executor::Timer dropped = executor.post_after(5ms, [&] { dropped_ran = true; }); }
  CHECK(timer.pending());
  cancelled.cancel();
  io.run();  // returns once no timer is left: cancelled ones do not hold the loop
  CHECK(waited >= 20ms);
  CHECK_FALSE(timer.pending());
  CHECK_FALSE(cancelled_ran);
  CHECK_FALSE(dropped_ran);
}

TEST_CASE("an Asio timer of zero delay runs later, not inside post_after", "[timer]") {
  boost::asio::io_context io;
  keepdb::util::AsioExecutor executor(io);
  bool ran = false;
  Executor::Timer timer = executor.post_after(0us, [&] { ran = true; });
  CHECK_FALSE(ran);
  io.run();
  CHECK(ran);
}

TEST_CASE("an Asio timer may outlive its executor, not its io_context", "[timer]") {
  boost::asio::io_context io;
  Executor::Timer timer;
  bool ran = false;
  {
    keepdb::util::AsioExecutor executor(io);
    timer = executor.post_after(1ms, [&] { ran = true; });
  }
  io.run();
  CHECK(ran);
}
