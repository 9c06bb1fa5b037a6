// KeepDB's own encoding of a raft_configuration (libraft exports no decoder), used
// in InstallSnapshot frames and in stored snapshot metadata:
//   u64 server count, then per server: u64 id, u16 address length, address bytes, u8 role.
// Decoding is strict: ids are non-zero, addresses are 1..kMaxAddressBytes bytes without NUL,
// roles are VOTER/STANDBY/SPARE, and duplicates are refused by raft_configuration_add.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/byte_codec.h"
#include "util/io_status.h"
#include "util/raft_c_api.h"

namespace keepdb::util {

inline constexpr std::size_t kMaxAddressBytes = 1024;

// Reads one address (u16 length + bytes) into `address`, checking the rules above.
IoStatus read_address(ByteReader& reader, std::string& address);
// Writes one address; RAFT_INVALID when it breaks the rules above.
IoStatus write_address(ByteWriter& writer, std::string_view address);

// RAFT_INVALID when a server address breaks the rules above.
IoStatus encode_configuration(const raft_configuration& configuration, ByteWriter& writer);

// Adds the decoded servers to `configuration`, which the caller has initialized (and closes,
// also on failure). RAFT_MALFORMED on any malformed input.
IoStatus decode_configuration(ByteReader& reader, raft_configuration& configuration);

}  // namespace keepdb::util
