// SecurityStats' admission refusals by limit (kernel/commands/node_context.h): counted per
// name, unnamed ones under "unnamed", and never more than kMaxAdmissionLimits names.
#include <catch2/catch.hpp>

#include "kernel/commands/node_context.h"

namespace keepdb::commands {
namespace {

TEST_CASE("security stats: admission refusals are counted by limit and the names are bounded",
          "[stats]") {
  SecurityStats stats;
  count_admission_denial(stats, "banned");
  count_admission_denial(stats, "banned");
  count_admission_denial(stats, "");
  CHECK(stats.admission_denials.at("banned") == 2);
  CHECK(stats.admission_denials.at("unnamed") == 1);
  for (int i = 0; i < 100; ++i) count_admission_denial(stats, "limit_" + std::to_string(i));
  CHECK(stats.admission_denials.size() == kMaxAdmissionLimits + 1);  // and "other"
  CHECK(stats.admission_denials.at("other") == 100 - (kMaxAdmissionLimits - 2));
  // A name already counted keeps counting under its own name.
  count_admission_denial(stats, "banned");
  CHECK(stats.admission_denials.at("banned") == 3);
}

}  // namespace
}  // namespace keepdb::commands
