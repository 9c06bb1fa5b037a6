// A token bucket stored as one 64-bit time (GCRA, the generic cell rate algorithm): the
// bucket keeps the "theoretical arrival time" `tat`, the instant at which it would be full
// again. A rate r (units per second) gives an emission interval T = 1/r; a burst b gives a
// tolerance of b*T. A request of cost c is admitted when at least min(c, b) tokens are
// there, and then pushes `tat` c*T later, so a request larger than the burst is admitted
// from a full bucket and pays its debt before the next one.
//
// Cost: O(1), no allocation. Thread-safety: a Gcra value is plain data; the caller guards it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace keepdb::ratelimit {

// The configuration of one kind of bucket. A rate of 0 means the limit is off.
struct GcraLimit {
  std::uint64_t interval_ns = 0;  // nanoseconds per unit (1e9 / rate)
  std::uint64_t burst = 0;        // units the bucket holds when full

  bool enabled() const { return interval_ns != 0; }
  // Time for `units` units, saturating instead of overflowing.
  std::uint64_t span(std::uint64_t units) const {
    if (units != 0 && interval_ns > std::numeric_limits<std::uint64_t>::max() / units) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    return units * interval_ns;
  }
};

// The outcome of one request against a bucket: admitted, or the nanoseconds to wait.
struct GcraResult {
  bool admitted = true;
  std::uint64_t retry_after_ns = 0;
};

// One bucket: 8 bytes. A default-constructed bucket is full.
class Gcra {
 public:
  // Would a request of `cost` units at `now_ns` be admitted? Changes nothing.
  GcraResult peek(const GcraLimit& limit, std::uint64_t now_ns, std::uint64_t cost) const {
    const std::uint64_t start = std::max(tat_, now_ns);
    const std::uint64_t debt = start - now_ns;  // time until the bucket is full
    const std::uint64_t need = limit.span(std::min(cost, limit.burst));
    const std::uint64_t tolerance = limit.span(limit.burst);
    // Admitted when the tokens left, tolerance - debt, cover `need`.
    if (debt <= tolerance && tolerance - debt >= need) return {};
    return {false, debt - (tolerance - need)};  // need <= tolerance: burst >= min(cost, burst)
  }
  // Takes `cost` units; call after peek() admitted the request.
  void take(const GcraLimit& limit, std::uint64_t now_ns, std::uint64_t cost) {
    const std::uint64_t start = std::max(tat_, now_ns);
    const std::uint64_t span = limit.span(cost);
    tat_ = span > std::numeric_limits<std::uint64_t>::max() - start
               ? std::numeric_limits<std::uint64_t>::max()
               : start + span;
  }
  // A full bucket: forgetting it loses nothing, since a new one starts full.
  bool full(std::uint64_t now_ns) const { return tat_ <= now_ns; }

 private:
  std::uint64_t tat_ = 0;
};

}  // namespace keepdb::ratelimit
