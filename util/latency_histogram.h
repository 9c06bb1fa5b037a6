// LatencyHistogram: the latency distribution of one kind of event (a command, a commit, an
// fsync, a plugin call), in fixed buckets from 10 us to 10 s, kept where the event happens
// and read by INFO and the operator's /metrics.
//
// Thread-safety: observe() and snapshot() may be called from any thread at once; each
// counter is a relaxed atomic, so observe() takes no lock and a snapshot taken while
// events are recorded may be off by the events in flight (count and sum are read
// separately from the buckets). Cost: one bucket search over 16 bounds and three atomic
// increments.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace keepdb::util {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets, in microseconds; the last bucket (+Inf) has no bound.
  static constexpr std::array<std::uint64_t, 16> kBoundsUs = {
      10,    25,    50,     100,    250,    500,     1000,    2500,
      5000, 10000, 25000, 50000, 100000, 250000, 1000000, 10000000};

  struct Snapshot {
    std::array<std::uint64_t, kBoundsUs.size() + 1> buckets{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    std::uint64_t sum_us = 0;
  };

  void observe(std::chrono::nanoseconds elapsed) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    const auto us = static_cast<std::uint64_t>(micros < 0 ? 0 : micros);
    std::size_t bucket = 0;
    while (bucket < kBoundsUs.size() && us > kBoundsUs[bucket]) ++bucket;
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(us, std::memory_order_relaxed);
  }

  Snapshot snapshot() const {
    Snapshot s;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    }
    s.count = count_.load(std::memory_order_relaxed);
    s.sum_us = sum_us_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsUs.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace keepdb::util
