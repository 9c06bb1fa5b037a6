// Peer frame encoding and strict decoding (layout in the header).
#include "kernel/consensus/peer/peer_codec.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <initializer_list>

#include "util/byte_codec.h"
#include "util/configuration_codec.h"

namespace keepdb::consensus {
namespace {

constexpr std::size_t kEntryHeaderBytes = 8 + 1 + 8;  // term, type, payload length

util::IoStatus malformed(const std::string& what) {
  return util::IoStatus::failure(RAFT_MALFORMED, "malformed peer frame: " + what);
}

bool is_message_type(std::uint8_t type) {
  return type >= RAFT_IO_APPEND_ENTRIES && type <= RAFT_IO_TIMEOUT_NOW;
}

// Starts a frame: header with a placeholder length; finish_frame() patches the length.
void start_frame(std::vector<std::uint8_t>& frame, FrameType type) {
  frame.clear();
  util::ByteWriter writer(frame);
  writer.put_u8(kFrameMagicVersion);
  writer.put_u8(static_cast<std::uint8_t>(type));
  writer.put_u64(0);
}

util::IoStatus finish_frame(std::vector<std::uint8_t>& frame, std::uint64_t max_body) {
  const std::uint64_t body_bytes = frame.size() - kFrameHeaderBytes;
  if (body_bytes > max_body) {
    frame.clear();
    return util::IoStatus::failure(RAFT_TOOBIG, "peer frame body of " + std::to_string(body_bytes) +
                                              " bytes exceeds the limit");
  }
  util::ByteWriter(frame).patch_u64(2, body_bytes);
  return util::IoStatus::success();
}

void encode_append_entries(const raft_append_entries& append, util::ByteWriter& writer) {
  writer.put_u64(append.term);
  writer.put_u64(append.prev_log_index);
  writer.put_u64(append.prev_log_term);
  writer.put_u64(append.leader_commit);
  writer.put_u64(append.n_entries);
  for (unsigned i = 0; i < append.n_entries; ++i) {
    writer.put_u64(append.entries[i].term);
    writer.put_u8(static_cast<std::uint8_t>(append.entries[i].type));
    writer.put_u64(append.entries[i].buf.len);
  }
  for (unsigned i = 0; i < append.n_entries; ++i) {
    const raft_buffer& payload = append.entries[i].buf;
    writer.put_bytes({static_cast<const std::uint8_t*>(payload.base), payload.len});
  }
}

util::IoStatus encode_fields(const raft_message& message, util::ByteWriter& writer) {
  switch (message.type) {
    case RAFT_IO_APPEND_ENTRIES:
      encode_append_entries(message.append_entries, writer);
      return util::IoStatus::success();
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      const raft_append_entries_result& result = message.append_entries_result;
      writer.put_u64(result.term);
      writer.put_u64(result.rejected);
      writer.put_u64(result.last_log_index);
      return util::IoStatus::success();
    }
    case RAFT_IO_REQUEST_VOTE: {
      const raft_request_vote& vote = message.request_vote;
      writer.put_u64(vote.term);
      writer.put_u64(vote.candidate_id);
      writer.put_u64(vote.last_log_index);
      writer.put_u64(vote.last_log_term);
      writer.put_u8(vote.disrupt_leader ? 1 : 0);
      writer.put_u8(vote.pre_vote ? 1 : 0);
      return util::IoStatus::success();
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      const raft_request_vote_result& result = message.request_vote_result;
      writer.put_u64(result.term);
      writer.put_u8(result.vote_granted ? 1 : 0);
      writer.put_u8(static_cast<std::uint8_t>(result.pre_vote));
      return util::IoStatus::success();
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
      const raft_install_snapshot& install = message.install_snapshot;
      writer.put_u64(install.term);
      writer.put_u64(install.last_index);
      writer.put_u64(install.last_term);
      writer.put_u64(install.conf_index);
      if (util::IoStatus status = util::encode_configuration(install.conf, writer); !status.ok()) {
        return status;
      }
      writer.put_u64(install.data.len);
      writer.put_bytes({static_cast<const std::uint8_t*>(install.data.base), install.data.len});
      return util::IoStatus::success();
    }
    case RAFT_IO_TIMEOUT_NOW: {
      const raft_timeout_now& timeout = message.timeout_now;
      writer.put_u64(timeout.term);
      writer.put_u64(timeout.last_log_index);
      writer.put_u64(timeout.last_log_term);
      return util::IoStatus::success();
    }
    default:
      return util::IoStatus::failure(RAFT_INVALID,
                               "unknown raft message type " + std::to_string(message.type));
  }
}

bool terms_in_range(std::initializer_list<raft_term> terms) {
  return std::all_of(terms.begin(), terms.end(), [](raft_term term) { return term <= kMaxTerm; });
}

// Reads one u64 into each field in order; false when truncated.
template <typename... Fields>
bool get_u64s(util::ByteReader& reader, Fields&... fields) {
  return (reader.get_u64(fields) && ...);
}

bool get_bool(util::ByteReader& reader, bool& value) {
  std::uint8_t byte = 0;
  if (!reader.get_u8(byte) || byte > 1) return false;
  value = byte == 1;
  return true;
}

util::IoStatus decode_append_entries(util::ByteReader& reader, raft_append_entries& append) {
  std::uint64_t count = 0;
  if (!get_u64s(reader, append.term, append.prev_log_index, append.prev_log_term,
                append.leader_commit, count)) {
    return malformed("truncated AppendEntries");
  }
  if (!terms_in_range({append.term, append.prev_log_term})) return malformed("term out of range");
  if (count > UINT_MAX || count > reader.remaining() / kEntryHeaderBytes) {
    return malformed("AppendEntries entry count exceeds the frame");
  }
  if (count == 0)
    return reader.remaining() == 0 ? util::IoStatus::success() : malformed("trailing bytes");
  append.entries = static_cast<raft_entry*>(raft_calloc(count, sizeof(raft_entry)));
  if (append.entries == nullptr) return util::IoStatus::failure(RAFT_NOMEM, "out of memory");
  append.n_entries = static_cast<unsigned>(count);
  std::uint64_t payload_bytes = 0;
  for (unsigned i = 0; i < append.n_entries; ++i) {
    raft_entry& entry = append.entries[i];
    std::uint8_t type = 0;
    std::uint64_t length = 0;
    if (!reader.get_u64(entry.term) || !reader.get_u8(type) || !reader.get_u64(length)) {
      return malformed("truncated entry header");
    }
    if (type < RAFT_COMMAND || type > RAFT_CHANGE) return malformed("unknown entry type");
    if (entry.term > kMaxTerm) return malformed("term out of range");
    if (payload_bytes > reader.remaining() || length > reader.remaining() - payload_bytes) {
      return malformed("entry payloads exceed the frame");
    }
    entry.type = type;
    entry.buf.len = length;
    payload_bytes += length;
  }
  if (payload_bytes != reader.remaining()) return malformed("entry payloads do not fill frame");
  auto* block = static_cast<std::uint8_t*>(raft_malloc(std::max<std::uint64_t>(payload_bytes, 1)));
  if (block == nullptr) return util::IoStatus::failure(RAFT_NOMEM, "out of memory");
  std::span<const std::uint8_t> payloads;
  reader.get_bytes(payload_bytes, payloads);
  if (payload_bytes > 0) std::memcpy(block, payloads.data(), payload_bytes);
  std::size_t offset = 0;
  for (unsigned i = 0; i < append.n_entries; ++i) {
    raft_entry& entry = append.entries[i];
    entry.batch = block;
    entry.buf.base = block + offset;
    offset += entry.buf.len;
  }
  return util::IoStatus::success();
}

util::IoStatus decode_install_snapshot(util::ByteReader& reader, raft_install_snapshot& install) {
  raft_configuration_init(&install.conf);
  if (!get_u64s(reader, install.term, install.last_index, install.last_term, install.conf_index)) {
    return malformed("truncated InstallSnapshot");
  }
  if (!terms_in_range({install.term, install.last_term})) return malformed("term out of range");
  if (util::IoStatus status = util::decode_configuration(reader, install.conf); !status.ok()) return status;
  std::uint64_t data_bytes = 0;
  if (!reader.get_u64(data_bytes)) return malformed("truncated snapshot data length");
  if (data_bytes != reader.remaining()) return malformed("snapshot data length mismatch");
  install.data.base = raft_malloc(std::max<std::uint64_t>(data_bytes, 1));
  if (install.data.base == nullptr) return util::IoStatus::failure(RAFT_NOMEM, "out of memory");
  install.data.len = data_bytes;
  std::span<const std::uint8_t> data;
  reader.get_bytes(data_bytes, data);
  if (data_bytes > 0) std::memcpy(install.data.base, data.data(), data_bytes);
  return util::IoStatus::success();
}

// The term of a fixed-size message, and the log term it names (0 when it names none).
raft_term message_term(const raft_message& message) {
  switch (message.type) {
    case RAFT_IO_APPEND_ENTRIES_RESULT:
      return message.append_entries_result.term;
    case RAFT_IO_REQUEST_VOTE:
      return message.request_vote.term;
    case RAFT_IO_REQUEST_VOTE_RESULT:
      return message.request_vote_result.term;
    case RAFT_IO_TIMEOUT_NOW:
      return message.timeout_now.term;
    default:
      return 0;
  }
}

raft_term last_log_term(const raft_message& message) {
  switch (message.type) {
    case RAFT_IO_REQUEST_VOTE:
      return message.request_vote.last_log_term;
    case RAFT_IO_TIMEOUT_NOW:
      return message.timeout_now.last_log_term;
    default:
      return 0;
  }
}

util::IoStatus decode_fields(util::ByteReader& reader, raft_message& message) {
  bool complete = false;
  switch (message.type) {
    case RAFT_IO_APPEND_ENTRIES:
      return decode_append_entries(reader, message.append_entries);
    case RAFT_IO_INSTALL_SNAPSHOT:
      return decode_install_snapshot(reader, message.install_snapshot);
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      raft_append_entries_result& result = message.append_entries_result;
      complete = get_u64s(reader, result.term, result.rejected, result.last_log_index);
      break;
    }
    case RAFT_IO_REQUEST_VOTE: {
      raft_request_vote& vote = message.request_vote;
      complete =
          get_u64s(reader, vote.term, vote.candidate_id, vote.last_log_index, vote.last_log_term) &&
          get_bool(reader, vote.disrupt_leader) && get_bool(reader, vote.pre_vote);
      break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      raft_request_vote_result& result = message.request_vote_result;
      std::uint8_t pre_vote = 0;
      complete = get_u64s(reader, result.term) && get_bool(reader, result.vote_granted) &&
                 reader.get_u8(pre_vote) && pre_vote <= raft_tribool_false;
      result.pre_vote = static_cast<raft_tribool>(pre_vote);
      break;
    }
    case RAFT_IO_TIMEOUT_NOW: {
      raft_timeout_now& timeout = message.timeout_now;
      complete = get_u64s(reader, timeout.term, timeout.last_log_index, timeout.last_log_term);
      break;
    }
  }
  if (!complete) return malformed("truncated or invalid fields");
  if (!terms_in_range({message_term(message), last_log_term(message)})) {
    return malformed("term out of range");
  }
  return reader.remaining() == 0 ? util::IoStatus::success() : malformed("trailing bytes");
}

// Checks a whole frame's header and that the body has exactly the declared length.
util::IoStatus split_frame(std::span<const std::uint8_t> frame, const FrameLimits& limits,
                     FrameHeader& header, std::span<const std::uint8_t>& body) {
  if (util::IoStatus status = decode_frame_header(frame, limits, header); !status.ok()) return status;
  if (header.body_bytes != frame.size() - kFrameHeaderBytes) {
    return malformed("body length does not match the frame");
  }
  body = frame.subspan(kFrameHeaderBytes);
  return util::IoStatus::success();
}

}  // namespace

util::IoStatus encode_message_frame(raft_id sender_id, const raft_message& message,
                              const FrameLimits& limits, std::vector<std::uint8_t>& frame) {
  if (message.type > UINT8_MAX || !is_message_type(static_cast<std::uint8_t>(message.type))) {
    return util::IoStatus::failure(RAFT_INVALID,
                             "unknown raft message type " + std::to_string(message.type));
  }
  start_frame(frame, static_cast<FrameType>(message.type));
  util::ByteWriter writer(frame);
  writer.put_u64(sender_id);
  if (util::IoStatus status = encode_fields(message, writer); !status.ok()) return status;
  return finish_frame(frame, max_body_bytes(static_cast<FrameType>(message.type), limits));
}

util::IoStatus encode_hello_frame(const Hello& hello, std::vector<std::uint8_t>& frame) {
  if (hello.cluster_id.empty() || hello.cluster_id.size() > kMaxClusterIdBytes ||
      hello.dialer == 0 || hello.acceptor == 0) {
    return util::IoStatus::failure(RAFT_INVALID, "a hello needs a cluster id and two server ids");
  }
  start_frame(frame, FrameType::kHello);
  util::ByteWriter writer(frame);
  writer.put_u16(static_cast<std::uint16_t>(hello.cluster_id.size()));
  writer.put_bytes(hello.cluster_id);
  writer.put_u64(hello.dialer);
  writer.put_u64(hello.acceptor);
  writer.put_bytes(hello.nonce);
  return finish_frame(frame, kSmallFrameBodyBytes);
}

void encode_challenge_frame(const Challenge& challenge, std::vector<std::uint8_t>& frame) {
  start_frame(frame, FrameType::kChallenge);
  util::ByteWriter writer(frame);
  writer.put_bytes(challenge.nonce);
  writer.put_bytes(challenge.proof);
  finish_frame(frame, kSmallFrameBodyBytes);
}

void encode_proof_frame(const Proof& proof, std::vector<std::uint8_t>& frame) {
  start_frame(frame, FrameType::kProof);
  util::ByteWriter(frame).put_bytes(proof);
  finish_frame(frame, kSmallFrameBodyBytes);
}

bool is_forward_frame(FrameType type) {
  return type == FrameType::kForward || type == FrameType::kForwardReply;
}

bool is_snapshot_frame(FrameType type) {
  return type == FrameType::kSnapshotChunk || type == FrameType::kSnapshotAck;
}

util::IoStatus encode_forward_frame(FrameType type, std::span<const std::uint8_t> body,
                              const FrameLimits& limits, std::vector<std::uint8_t>& frame) {
  if (!is_forward_frame(type) && !is_snapshot_frame(type)) {
    return util::IoStatus::failure(RAFT_INVALID, "not a forward or snapshot frame type");
  }
  start_frame(frame, type);
  util::ByteWriter(frame).put_bytes(body);
  return finish_frame(frame, max_body_bytes(type, limits));
}

bool is_handshake_frame(FrameType type) {
  return type == FrameType::kHello || type == FrameType::kChallenge || type == FrameType::kProof;
}

std::uint64_t max_body_bytes(FrameType type, const FrameLimits& limits) {
  switch (type) {
    case FrameType::kAppendEntries:
    case FrameType::kForward:
    case FrameType::kForwardReply:
      return limits.max_body_bytes;
    case FrameType::kInstallSnapshot:
      return std::min(limits.max_body_bytes, kInstallSnapshotBodyBytes);
    case FrameType::kSnapshotChunk:
      return std::min(limits.max_body_bytes, kSnapshotChunkBodyBytes);
    default:
      return kSmallFrameBodyBytes;
  }
}

util::IoStatus decode_frame_header(std::span<const std::uint8_t> bytes, const FrameLimits& limits,
                             FrameHeader& header) {
  util::ByteReader reader(bytes);
  std::uint8_t magic_version = 0;
  std::uint8_t type = 0;
  std::uint64_t body_bytes = 0;
  if (!reader.get_u8(magic_version) || !reader.get_u8(type) || !reader.get_u64(body_bytes)) {
    return malformed("truncated header");
  }
  if (magic_version != kFrameMagicVersion) return malformed("unknown magic or version");
  if (!is_message_type(type) && !is_handshake_frame(static_cast<FrameType>(type)) &&
      !is_forward_frame(static_cast<FrameType>(type)) &&
      !is_snapshot_frame(static_cast<FrameType>(type))) {
    return malformed("unknown frame type " + std::to_string(type));
  }
  if (body_bytes > max_body_bytes(static_cast<FrameType>(type), limits)) {
    return util::IoStatus::failure(RAFT_TOOBIG, "peer frame body of " + std::to_string(body_bytes) +
                                              " bytes exceeds the limit");
  }
  header.type = static_cast<FrameType>(type);
  header.body_bytes = body_bytes;
  return util::IoStatus::success();
}

util::IoStatus decode_message_body(FrameType type, std::span<const std::uint8_t> body,
                             OwnedMessage& out) {
  if (!is_message_type(static_cast<std::uint8_t>(type))) return malformed("not a raft message");
  raft_message& message = out.message();
  message.type = static_cast<unsigned short>(type);
  util::ByteReader reader(body);
  if (!reader.get_u64(message.server_id) || message.server_id == 0) {
    return malformed("missing sender id");
  }
  return decode_fields(reader, message);
}

util::IoStatus decode_hello_body(std::span<const std::uint8_t> body, Hello& out) {
  util::ByteReader reader(body);
  std::uint16_t length = 0;
  std::span<const std::uint8_t> cluster_id;
  std::span<const std::uint8_t> nonce;
  if (!reader.get_u16(length) || !reader.get_bytes(length, cluster_id) ||
      !reader.get_u64(out.dialer) || !reader.get_u64(out.acceptor) ||
      !reader.get_bytes(kNonceBytes, nonce)) {
    return malformed("truncated hello");
  }
  if (length == 0 || length > kMaxClusterIdBytes || out.dialer == 0 || out.acceptor == 0 ||
      reader.remaining() != 0) {
    return malformed("invalid hello");
  }
  out.cluster_id.assign(cluster_id.begin(), cluster_id.end());
  std::copy(nonce.begin(), nonce.end(), out.nonce.begin());
  return util::IoStatus::success();
}

util::IoStatus decode_challenge_body(std::span<const std::uint8_t> body, Challenge& out) {
  util::ByteReader reader(body);
  std::span<const std::uint8_t> nonce;
  std::span<const std::uint8_t> proof;
  if (!reader.get_bytes(kNonceBytes, nonce) || !reader.get_bytes(kProofBytes, proof) ||
      reader.remaining() != 0) {
    return malformed("invalid challenge");
  }
  std::copy(nonce.begin(), nonce.end(), out.nonce.begin());
  std::copy(proof.begin(), proof.end(), out.proof.begin());
  return util::IoStatus::success();
}

util::IoStatus decode_proof_body(std::span<const std::uint8_t> body, Proof& out) {
  util::ByteReader reader(body);
  std::span<const std::uint8_t> proof;
  if (!reader.get_bytes(kProofBytes, proof) || reader.remaining() != 0) {
    return malformed("invalid proof");
  }
  std::copy(proof.begin(), proof.end(), out.begin());
  return util::IoStatus::success();
}

util::IoStatus decode_message_frame(std::span<const std::uint8_t> frame, const FrameLimits& limits,
                              OwnedMessage& out) {
  FrameHeader header;
  std::span<const std::uint8_t> body;
  if (util::IoStatus status = split_frame(frame, limits, header, body); !status.ok()) return status;
  return decode_message_body(header.type, body, out);
}

util::IoStatus decode_hello_frame(std::span<const std::uint8_t> frame, Hello& out) {
  FrameHeader header;
  std::span<const std::uint8_t> body;
  if (util::IoStatus status = split_frame(frame, FrameLimits{}, header, body); !status.ok())
    return status;
  if (header.type != FrameType::kHello) return malformed("expected a hello");
  return decode_hello_body(body, out);
}

}  // namespace keepdb::consensus
