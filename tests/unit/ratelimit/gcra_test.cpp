// Gcra: the one-word token bucket (plugins/ratelimit/gcra.h) on explicit times.
#include <catch2/catch.hpp>

#include "plugins/ratelimit/gcra.h"
#include "tests/unit/ratelimit/limiter_support.h"

namespace keepdb::ratelimit::test {

TEST_CASE("ratelimit gcra: a burst is admitted then the rate holds", "[ratelimit][gcra]") {
  const GcraLimit limit{100 * kMs, 5};  // 10 per second, burst 5
  Gcra bucket;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(bucket.peek(limit, kT0, 1).admitted);
    bucket.take(limit, kT0, 1);
  }
  const GcraResult refused = bucket.peek(limit, kT0, 1);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.retry_after_ns == 100 * kMs);
  CHECK_FALSE(bucket.peek(limit, kT0 + 99 * kMs, 1).admitted);
  CHECK(bucket.peek(limit, kT0 + 100 * kMs, 1).admitted);
  CHECK_FALSE(bucket.full(kT0 + 499 * kMs));
  CHECK(bucket.full(kT0 + 500 * kMs));
  // A long idle time refills to the burst, no further.
  const std::uint64_t later = kT0 + 60 * kSec;
  for (int i = 0; i < 5; ++i) bucket.take(limit, later, 1);
  CHECK_FALSE(bucket.peek(limit, later, 1).admitted);
}

TEST_CASE("ratelimit gcra: a request above the burst is admitted from a full bucket and repaid",
          "[ratelimit][gcra]") {
  const GcraLimit limit{kMs, 1000};  // 1000 units per second, burst 1000
  Gcra bucket;
  REQUIRE(bucket.peek(limit, kT0, 5000).admitted);
  bucket.take(limit, kT0, 5000);
  // 5 s of debt: the next unit waits until the bucket holds one again.
  const GcraResult refused = bucket.peek(limit, kT0, 1);
  CHECK_FALSE(refused.admitted);
  CHECK(refused.retry_after_ns == 5000 * kMs - 1000 * kMs + kMs);
  CHECK(bucket.peek(limit, kT0 + refused.retry_after_ns, 1).admitted);
  // A second oversized request needs a full bucket again.
  CHECK_FALSE(bucket.peek(limit, kT0 + 4500 * kMs, 5000).admitted);
  CHECK(bucket.peek(limit, kT0 + 5000 * kMs, 5000).admitted);
}

TEST_CASE("ratelimit gcra: costs saturate instead of overflowing", "[ratelimit][gcra]") {
  const GcraLimit limit{kSec, 1};
  Gcra bucket;
  bucket.take(limit, kT0, UINT64_MAX);
  CHECK_FALSE(bucket.peek(limit, kT0 + 1000 * kSec, 1).admitted);
  CHECK_FALSE(bucket.full(UINT64_MAX - 1));
}

}  // namespace keepdb::ratelimit::test
