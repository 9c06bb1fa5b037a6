// Encoding and strict decoding of raft configurations (see the header for the layout).
#include "util/configuration_codec.h"

#include <string>

namespace keepdb::util {
namespace {

constexpr std::size_t kMinServerBytes = 8 + 2 + 1 + 1;  // id, length, one address byte, role

IoStatus malformed(std::string what) {
  return IoStatus::failure(RAFT_MALFORMED, "malformed configuration: " + what);
}

bool valid_address(std::string_view address) {
  return !address.empty() && address.size() <= kMaxAddressBytes &&
         address.find('\0') == std::string_view::npos;
}

bool valid_role(std::uint8_t role) {
  return role == RAFT_VOTER || role == RAFT_STANDBY || role == RAFT_SPARE;
}

}  // namespace

IoStatus read_address(ByteReader& reader, std::string& address) {
  std::uint16_t length = 0;
  std::span<const std::uint8_t> bytes;
  if (!reader.get_u16(length) || !reader.get_bytes(length, bytes)) {
    return malformed("truncated address");
  }
  address.assign(bytes.begin(), bytes.end());
  if (!valid_address(address)) return malformed("invalid address");
  return IoStatus::success();
}

IoStatus write_address(ByteWriter& writer, std::string_view address) {
  if (!valid_address(address)) {
    return IoStatus::failure(
        RAFT_INVALID,
        "address must be 1.." + std::to_string(kMaxAddressBytes) + " bytes without NUL");
  }
  writer.put_u16(static_cast<std::uint16_t>(address.size()));
  writer.put_bytes(address);
  return IoStatus::success();
}

IoStatus encode_configuration(const raft_configuration& configuration, ByteWriter& writer) {
  writer.put_u64(configuration.n);
  for (unsigned i = 0; i < configuration.n; ++i) {
    const raft_server& server = configuration.servers[i];
    writer.put_u64(server.id);
    if (IoStatus status = write_address(writer, server.address); !status.ok()) return status;
    writer.put_u8(static_cast<std::uint8_t>(server.role));
  }
  return IoStatus::success();
}

IoStatus decode_configuration(ByteReader& reader, raft_configuration& configuration) {
  std::uint64_t count = 0;
  if (!reader.get_u64(count)) return malformed("truncated server count");
  if (count > reader.remaining() / kMinServerBytes) return malformed("server count too large");
  std::string address;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t id = 0;
    std::uint8_t role = 0;
    if (!reader.get_u64(id)) return malformed("truncated server id");
    if (IoStatus status = read_address(reader, address); !status.ok()) return status;
    if (!reader.get_u8(role)) return malformed("truncated server role");
    if (id == 0 || !valid_role(role)) return malformed("invalid server id or role");
    if (raft_configuration_add(&configuration, id, address.c_str(), role) != 0) {
      return malformed("duplicate server (or out of memory)");
    }
  }
  return IoStatus::success();
}

}  // namespace keepdb::util
