// Crc32 and crc32_of(): thin wrappers over zlib's crc32_z().
#include "storage/crc32.h"

#include <zlib.h>

namespace keepdb::storage {

void Crc32::update(std::span<const std::uint8_t> bytes) {
  // crc32_z() with a null buffer returns the initial value: an empty span may have one.
  if (bytes.empty()) return;
  value_ = static_cast<std::uint32_t>(crc32_z(value_, bytes.data(), bytes.size()));
}

std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
  Crc32 crc;
  crc.update(bytes);
  return crc.value();
}

}  // namespace keepdb::storage
