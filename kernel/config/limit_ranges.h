// The ranges of the [limits] settings that may change on a running node, shared by the
// file's schema (schema.cpp) and CONFIG SET, so both accept exactly the same values.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>

namespace keepdb::config::limit_ranges {

constexpr std::int64_t kMaxConnections = 1'000'000;              // max_connections: 1..
constexpr std::int64_t kMinClientMemoryBytes = 1ll << 20;        // or 0 (no limit)
constexpr std::int64_t kMaxClientMemoryBytes = 1024ll << 30;     // max_client_memory_bytes
constexpr std::int64_t kMaxTimeoutMs = 86'400'000;               // every *_timeout_ms: 0..one day

}  // namespace keepdb::config::limit_ranges
