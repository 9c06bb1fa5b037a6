// Seeded random command sequences against one node, compared with Redis 7 reply by reply
// (harness/redis_differential.h; the cluster's run is in tests/integration/cluster).
#include <catch2/catch.hpp>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/redis_differential.h"

using namespace keepdb::integration;

TEST_CASE("random command sequences get Redis 7's replies, RESP2", "[compat][differential]") {
  for (const std::uint64_t seed : {1, 2, 3}) {
    KeepdProcess keepd(KeepdSettings("differential"));
    CHECK(check_against_redis(keepd.port(), seed, false, 3000) == "");
  }
}

TEST_CASE("random command sequences get Redis 7's replies, RESP3", "[compat][differential]") {
  for (const std::uint64_t seed : {4, 5}) {
    KeepdProcess keepd(KeepdSettings("differential"));
    CHECK(check_against_redis(keepd.port(), seed, true, 3000) == "");
  }
}
