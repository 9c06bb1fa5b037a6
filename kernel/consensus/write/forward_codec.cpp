// FORWARD / FORWARD_REPLY body encoding and strict decoding.
#include "kernel/consensus/write/forward_codec.h"

#include "util/byte_codec.h"

namespace keepdb::consensus {
namespace {

constexpr std::uint8_t kOutcomeOk = 0;
constexpr std::uint8_t kOutcomeError = 1;
constexpr auto kLastReplyKind = static_cast<std::uint8_t>(commands::Reply::Kind::kEncoded);

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> rest(util::ByteReader& reader) {
  std::span<const std::uint8_t> bytes;
  reader.get_bytes(reader.remaining(), bytes);
  return bytes;
}

std::optional<std::vector<commands::Reply>> decode_replies(util::ByteReader& reader) {
  std::uint32_t count = 0;
  if (!reader.get_u32(count) || count > reader.remaining()) return std::nullopt;
  std::vector<commands::Reply> replies(count);
  for (commands::Reply& reply : replies) {
    std::uint8_t kind = 0;
    std::uint64_t integer = 0;
    std::uint32_t length = 0;
    std::span<const std::uint8_t> text;
    if (!reader.get_u8(kind) || kind > kLastReplyKind || !reader.get_u64(integer) ||
        !reader.get_u32(length) || !reader.get_bytes(length, text)) {
      return std::nullopt;
    }
    reply.kind = static_cast<commands::Reply::Kind>(kind);
    reply.integer = static_cast<std::int64_t>(integer);
    reply.text = as_text(text);
  }
  if (reader.remaining() != 0) return std::nullopt;
  return replies;
}

constexpr std::size_t kMaxPrincipalBytes = 65535;

std::optional<std::vector<commands::Caller>> decode_callers(util::ByteReader& reader) {
  std::uint32_t count = 0;
  if (!reader.get_u32(count) || count > reader.remaining()) return std::nullopt;
  std::vector<commands::Caller> callers(count);
  for (commands::Caller& caller : callers) {
    std::uint16_t length = 0;
    std::span<const std::uint8_t> principal;
    if (!reader.get_u16(length) || !reader.get_bytes(length, principal) ||
        !reader.get_u32(caller.roles)) {
      return std::nullopt;
    }
    caller.principal = as_text(principal);
  }
  return callers;
}

}  // namespace

std::vector<std::uint8_t> encode_forward_request(const ForwardRequest& request) {
  std::vector<std::uint8_t> body;
  util::ByteWriter writer(body);
  writer.put_u64(request.id);
  writer.put_u8(static_cast<std::uint8_t>(request.kind));
  if (request.kind == ForwardKind::kWrite) {
    writer.put_u32(static_cast<std::uint32_t>(request.callers.size()));
    for (const commands::Caller& caller : request.callers) {
      const std::string_view principal =
          std::string_view(caller.principal).substr(0, kMaxPrincipalBytes);
      writer.put_u16(static_cast<std::uint16_t>(principal.size()));
      writer.put_bytes(principal);
      writer.put_u32(caller.roles);
    }
  }
  writer.put_bytes(request.batch);
  return body;
}

std::optional<ForwardRequest> decode_forward_request(std::span<const std::uint8_t> body) {
  util::ByteReader reader(body);
  ForwardRequest request;
  std::uint8_t kind = 0;
  if (!reader.get_u64(request.id) || !reader.get_u8(kind)) return std::nullopt;
  request.kind = static_cast<ForwardKind>(kind);
  if (request.kind == ForwardKind::kWrite) {
    auto callers = decode_callers(reader);
    if (!callers) return std::nullopt;
    request.callers = std::move(*callers);
    request.batch = as_text(rest(reader));
  } else if (request.kind != ForwardKind::kReadIndex || reader.remaining() != 0) {
    return std::nullopt;
  }
  return request;
}

std::vector<std::uint8_t> encode_forward_reply(const ForwardReply& reply) {
  std::vector<std::uint8_t> body;
  util::ByteWriter writer(body);
  writer.put_u64(reply.id);
  if (const auto* error = std::get_if<std::string>(&reply.outcome)) {
    writer.put_u8(kOutcomeError);
    writer.put_bytes(*error);
  } else if (const auto* replies = std::get_if<std::vector<commands::Reply>>(&reply.outcome)) {
    writer.put_u8(kOutcomeOk);
    writer.put_u32(static_cast<std::uint32_t>(replies->size()));
    for (const commands::Reply& one : *replies) {
      writer.put_u8(static_cast<std::uint8_t>(one.kind));
      writer.put_u64(static_cast<std::uint64_t>(one.integer));
      writer.put_u32(static_cast<std::uint32_t>(one.text.size()));
      writer.put_bytes(one.text);
    }
  } else {
    writer.put_u8(kOutcomeOk);
    writer.put_u64(std::get<std::uint64_t>(reply.outcome));
  }
  return body;
}

std::optional<ForwardReply> decode_forward_reply(std::span<const std::uint8_t> body,
                                                 ForwardKind kind) {
  util::ByteReader reader(body);
  ForwardReply reply;
  std::uint8_t outcome = 0;
  if (!reader.get_u64(reply.id) || !reader.get_u8(outcome)) return std::nullopt;
  if (outcome == kOutcomeError) {
    reply.outcome = std::string(as_text(rest(reader)));
  } else if (outcome != kOutcomeOk) {
    return std::nullopt;
  } else if (kind == ForwardKind::kWrite) {
    auto replies = decode_replies(reader);
    if (!replies) return std::nullopt;
    reply.outcome = std::move(*replies);
  } else {
    std::uint64_t index = 0;
    if (!reader.get_u64(index) || reader.remaining() != 0) return std::nullopt;
    reply.outcome = index;
  }
  return reply;
}

std::optional<std::uint64_t> forward_reply_id(std::span<const std::uint8_t> body) {
  util::ByteReader reader(body);
  std::uint64_t id = 0;
  if (!reader.get_u64(id)) return std::nullopt;
  return id;
}

}  // namespace keepdb::consensus
