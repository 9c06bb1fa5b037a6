// The bitmap command family: GETBIT SETBIT BITCOUNT BITPOS. A value is read as a string of
// bits, bit 0 being the most significant bit of its first byte; a missing key reads as all
// zeros. GETBIT, BITCOUNT and BITPOS are keyspace reads; SETBIT is applied by the state
// machine.
#include <bit>
#include <cstdint>
#include <optional>
#include <string>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/number.h"
#include "kernel/commands/value_range.h"

namespace keepdb::commands {
namespace {

constexpr std::string_view kBitOffsetError = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBitValueError = "ERR bit is not an integer or out of range";

// Redis refuses a bit offset whose byte lies past its largest string (512 MB).
constexpr std::uint64_t kRedisMaxStringBytes = 512u << 20;

std::optional<std::uint64_t> parse_bit_offset(std::string_view text) {
  const auto offset = parse_int64(text);
  if (!offset || *offset < 0 ||
      (static_cast<std::uint64_t>(*offset) >> 3) >= kRedisMaxStringBytes) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*offset);
}

// The bits of byte `index` that lie within bits [first, last] of a value.
std::uint8_t bits_in_range(std::int64_t index, std::int64_t first, std::int64_t last) {
  unsigned mask = 0xFF;
  if (index == first >> 3) mask &= 0xFFu >> (first & 7);
  if (index == last >> 3) mask &= 0xFFu << (7 - (last & 7));
  return static_cast<std::uint8_t>(mask);
}

std::uint8_t byte_at(std::string_view bytes, std::int64_t index) {
  return static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(index)]);
}

std::int64_t count_ones(std::string_view bytes, std::int64_t first, std::int64_t last) {
  std::int64_t count = 0;
  for (std::int64_t index = first >> 3; index <= last >> 3; ++index) {
    count += std::popcount(
        static_cast<std::uint8_t>(byte_at(bytes, index) & bits_in_range(index, first, last)));
  }
  return count;
}

// The position of the first bit equal to `bit` among bits [first, last], if any.
std::optional<std::int64_t> find_bit(std::string_view bytes, bool bit, std::int64_t first,
                                     std::int64_t last) {
  for (std::int64_t index = first >> 3; index <= last >> 3; ++index) {
    const std::uint8_t byte = byte_at(bytes, index);
    const auto wanted =
        static_cast<std::uint8_t>((bit ? byte : ~byte) & bits_in_range(index, first, last));
    if (wanted != 0) return index * 8 + std::countl_zero(wanted);
  }
  return std::nullopt;
}

// BITCOUNT and BITPOS: whether a range's unit is a BIT or a BYTE, or nullopt for neither.
std::optional<bool> parse_bit_unit(std::string_view unit) {
  if (equals_ignore_case(unit, "bit")) return true;
  if (equals_ignore_case(unit, "byte")) return false;
  return std::nullopt;
}

// Bits [first, last] of a value of `size` bytes that a start and an end in bits or bytes
// address; empty when the range is.
ValueRange bit_range(std::int64_t start, std::int64_t end, bool in_bits, std::size_t size) {
  const auto bytes = static_cast<std::int64_t>(size);
  const ValueRange range = clamp_range(start, end, in_bits ? bytes * 8 : bytes);
  if (in_bits || range.empty()) return range;
  return {range.first * 8, range.last * 8 + 7};
}

void exec_getbit(ExecContext& c) {
  const auto offset = parse_bit_offset(c.args[2]);
  if (!offset) {
    c.out.error(kBitOffsetError);
    return;
  }
  const auto value = c.lookup(c.args[1]);
  const std::uint64_t index = *offset >> 3;
  const bool set = value && index < value->payload.size() &&
                   ((static_cast<std::uint8_t>(value->payload[index]) << (*offset & 7)) & 0x80);
  c.out.integer(set ? 1 : 0);
}

// BITCOUNT key [start end [BIT|BYTE]], with Redis's order of checks: a missing key is 0
// whatever the arguments.
void exec_bitcount(ExecContext& c) {
  const auto value = c.lookup(c.args[1]);
  if (!value) {
    c.out.integer(0);
    return;
  }
  const std::size_t argc = c.args.size();
  std::int64_t start = 0, end = -1;
  bool in_bits = false;
  if (argc == 4 || argc == 5) {
    const auto parsed_start = parse_int64(c.args[2]);
    const auto parsed_end = parse_int64(c.args[3]);
    if (!parsed_start || !parsed_end) {
      c.out.error(errors::kNotInteger);
      return;
    }
    start = *parsed_start;
    end = *parsed_end;
    if (backwards_from_end(start, end)) {
      c.out.integer(0);
      return;
    }
    const auto unit = argc == 5 ? parse_bit_unit(c.args[4]) : std::optional<bool>(false);
    if (!unit) {
      c.out.error(errors::kSyntax);
      return;
    }
    in_bits = *unit;
  } else if (argc != 2) {
    c.out.error(errors::kSyntax);
    return;
  }
  const ValueRange bits = bit_range(start, end, in_bits, value->payload.size());
  c.out.integer(bits.empty() ? 0 : count_ones(value->payload, bits.first, bits.last));
}

// BITPOS key bit [start [end [BIT|BYTE]]]. A missing key is all zeros: 0 for a clear bit,
// -1 for a set one. Without an end, the value is taken as followed by zeros, so a search
// for a clear bit in a value of ones finds the bit just past it; with an end, it finds none.
void exec_bitpos(ExecContext& c) {
  const auto bit = parse_int64(c.args[2]);
  if (!bit) {
    c.out.error(errors::kNotInteger);
    return;
  }
  if (*bit != 0 && *bit != 1) {
    c.out.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  const auto value = c.lookup(c.args[1]);
  if (!value) {
    c.out.integer(*bit == 1 ? -1 : 0);
    return;
  }
  const std::size_t argc = c.args.size();
  if (argc > 6) {
    c.out.error(errors::kSyntax);
    return;
  }
  std::int64_t start = 0, end = -1;
  bool in_bits = false;
  if (argc >= 4) {
    const auto parsed_start = parse_int64(c.args[3]);
    if (!parsed_start) {
      c.out.error(errors::kNotInteger);
      return;
    }
    start = *parsed_start;
    const auto unit = argc == 6 ? parse_bit_unit(c.args[5]) : std::optional<bool>(false);
    if (!unit) {
      c.out.error(errors::kSyntax);
      return;
    }
    in_bits = *unit;
  }
  if (argc >= 5) {
    const auto parsed_end = parse_int64(c.args[4]);
    if (!parsed_end) {
      c.out.error(errors::kNotInteger);
      return;
    }
    end = *parsed_end;
  }
  const ValueRange bits = bit_range(start, end, in_bits, value->payload.size());
  if (bits.empty()) {
    c.out.integer(-1);
    return;
  }
  const auto found = find_bit(value->payload, *bit == 1, bits.first, bits.last);
  if (found) {
    c.out.integer(*found);
  } else {
    c.out.integer(*bit == 1 || argc >= 5 ? -1 : bits.last + 1);
  }
}

std::optional<std::string> validate_setbit(Args a) {
  if (auto error = key_error(a[1])) return error;
  if (!parse_bit_offset(a[2])) return std::string(kBitOffsetError);
  const auto bit = parse_int64(a[3]);
  if (!bit || (*bit != 0 && *bit != 1)) return std::string(kBitValueError);
  return std::nullopt;
}

// Sets or clears the bit, growing the value with zero bytes up to the largest value KeepDB
// stores, keeps the TTL, and replies the bit's previous value.
Reply apply_setbit(ApplyContext& c, Args a) {
  const std::uint64_t offset = *parse_bit_offset(a[2]);
  const bool on = *parse_int64(a[3]) == 1;
  const std::uint64_t index = offset >> 3;
  if (index >= c.max_value_bytes) return Reply::error(std::string(kBitOffsetError));
  const auto old = c.live(a[1]);
  std::string value = old ? std::string(old->payload) : std::string();
  const bool grows = value.size() <= index;
  if (grows) value.resize(index + 1, '\0');
  const auto mask = static_cast<std::uint8_t>(0x80u >> (offset & 7));
  auto byte = static_cast<std::uint8_t>(value[index]);
  const bool was_on = (byte & mask) != 0;
  byte = on ? byte | mask : byte & static_cast<std::uint8_t>(~mask);
  value[index] = static_cast<char>(byte);
  if (grows || was_on != on) c.put(a[1], value, old ? old->expires_at_ms : 0);
  return Reply::number(was_on ? 1 : 0);
}

constexpr CommandSpec kBitmapCommands[] = {
    keyspace_read("bitmap", "getbit", 3, kOneKey, "2.2.0", "Returns a bit value by offset.",
                  exec_getbit),
    keyspace_read("bitmap", "bitcount", -2, kOneKey, "2.6.0",
                  "Counts the number of set bits (population counting) in a string.",
                  exec_bitcount),
    keyspace_read("bitmap", "bitpos", -3, kOneKey, "2.8.7",
                  "Finds the first set (1) or clear (0) bit in a string.", exec_bitpos),
    keyspace_write("bitmap", "setbit", 4, Access::kReadWrite, kOneKey, "2.2.0",
                   "Sets or clears the bit at offset of the string value. Creates the key if it "
                   "doesn't exist.",
                   validate_setbit, apply_setbit),
};

}  // namespace

std::span<const CommandSpec> bitmap_commands() {
  return kBitmapCommands;
}

}  // namespace keepdb::commands
