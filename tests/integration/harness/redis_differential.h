// A differential check against Redis 7: seeded random sequences of string, bitmap,
// keyspace, expiry, database and transaction commands over a handful of keys, valid and
// invalid arguments mixed (numbers at the int64 edges, floats, junk, wrong option
// combinations), sent on one connection to a keepd and on one to a fresh redis-server; every
// reply must be the same. Where a corpus pins chosen cases, this finds the combinations
// nobody wrote down: state left by one command meeting the next.
//
// Left out, because they differ by design or by clock: WATCH (KeepDB compares values, so a
// write restoring what WATCH saw does not abort, see docs/architecture.md), OBJECT ENCODING
// and REFCOUNT (Redis's answer depends on how a value was built), DBSIZE (Redis counts keys
// that expired until it reclaims them), offsets past KeepDB's value limit. Clock-dependent
// replies (TTL PTTL EXPIRETIME PEXPIRETIME of a deadline set relative to now) are compared
// by sign; KEYS listings as sets.
//
// Thread-safety: none; one test thread.
#pragma once

#include <cstdint>
#include <string>

namespace keepdb::integration {

// Sends `count` commands drawn with `seed` to the keepd on `keepdb_port` (a fresh node, or
// any node of a cluster; FLUSHALL first) and to a Redis 7 it starts, in RESP3 when `resp3`. Returns
// "" when every reply agreed; else stops at the first that differs (the states have parted) and
// returns the seed, the command's position, both replies and the 40 commands up to it. Throws
// std::runtime_error when a server cannot be started or reached.
std::string check_against_redis(std::uint16_t keepdb_port, std::uint64_t seed, bool resp3,
                                int count);

}  // namespace keepdb::integration
