// SnapshotTransfer: the leader's chunked, flow-controlled sender and the follower's
// checked, durable receiver of a key-value image (see the header).
#include "kernel/consensus/raft/snapshot_transfer.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "kernel/consensus/fsm/kv_snapshot.h"
#include "kernel/consensus/peer/peer_codec.h"
#include "kernel/consensus/peer/snapshot_frames.h"
#include "kernel/log/log.h"
#include "util/posix_file.h"
#include "util/serial_worker.h"

namespace keepdb::consensus {
namespace {

// Written and not yet acknowledged bytes a follower accepts before it drops the transfer.
constexpr std::uint64_t kMaxUnwrittenBytes = 16 * kMaxSnapshotChunkBytes;

// An incremental SHA-256 (OpenSSL).
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
      throw std::runtime_error("SHA-256 is unavailable");
    }
  }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const std::uint8_t> bytes) {
    EVP_DigestUpdate(context_, bytes.data(), bytes.size());
  }
  SnapshotDigest finish() {
    SnapshotDigest digest{};
    unsigned size = 0;
    EVP_DigestFinal_ex(context_, digest.data(), &size);
    return digest;
  }

 private:
  EVP_MD_CTX* context_;
};

// The leader's side of one transfer that only the worker thread touches.
struct Reader {
  std::unique_ptr<KvImageStream> stream;
  Sha256 sha;
};

// What one read on the worker produced.
struct ReadResult {
  util::IoStatus status;
  std::vector<std::uint8_t> data;
  bool last = false;  // data is empty; digest is the stream's
  SnapshotDigest digest{};
  std::uint64_t image_index = 0;
};

// The follower's side of one transfer that only the worker thread touches.
struct Writer {
  std::filesystem::path path;
  util::FileDescriptor fd;
  Sha256 sha;
  util::IoStatus status;  // the first failure; later writes are skipped
};

// A leader's transfer to one follower (network thread only).
struct Outgoing {
  std::uint64_t id = 0;
  std::string address;
  OwnedMessage install;  // sent once the follower holds the image
  raft_index install_index = 0;
  std::shared_ptr<Reader> reader;
  std::uint64_t image_index = 0;  // known after the first read
  std::uint64_t sent = 0;         // stream bytes sent
  std::uint64_t acked = 0;
  std::deque<std::uint64_t> unacked_ends;  // stream offset after each unacknowledged chunk
  bool reading = false;
  bool sent_last = false;
  std::uint64_t last_progress_ms = 0;
};

// A follower's transfer from its leader (network thread only).
struct Incoming {
  raft_id from = 0;
  std::uint64_t id = 0;
  std::uint64_t received = 0;  // bytes handed to the writer
  std::uint64_t written = 0;   // bytes the writer reported written
  bool finishing = false;
  std::shared_ptr<Writer> writer;
};

std::filesystem::path temp_path(const std::filesystem::path& install_path) {
  return install_path.string() + ".tmp";
}

}  // namespace

class SnapshotTransfer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(util::Executor& executor, PeerTransport& transport, KvFsm& fsm,
       SnapshotTransferOptions options)
      : executor_(executor),
        transport_(transport),
        fsm_(fsm),
        options_(std::move(options)),
        random_(std::random_device{}()) {
    options_.chunk_bytes = std::clamp<std::size_t>(options_.chunk_bytes, 1, kMaxSnapshotChunkBytes);
    options_.window = std::max<std::size_t>(options_.window, 1);
    std::error_code ignored;
    std::filesystem::remove(temp_path(fsm_.install_path()), ignored);  // a killed install
  }

  void start() {
    transport_.set_snapshot_receiver(
        [weak = weak_from_this()](raft_id from, FrameType type, std::vector<std::uint8_t> body) {
          if (auto self = weak.lock()) self->receive(from, type, std::move(body));
        });
  }

  void close() {
    transport_.set_snapshot_receiver({});
    outgoing_.clear();
    incoming_.reset();
  }

  std::size_t outgoing() const { return outgoing_.size(); }

  void send_install(raft_id to, const std::string& address, const raft_message& message) {
    OwnedMessage copy;
    if (!copy_install(message, copy)) return;
    const raft_index index = message.install_snapshot.last_index;
    auto found = outgoing_.find(to);
    if (found != outgoing_.end()) {
      Outgoing& transfer = found->second;
      const bool stalled =
          executor_.now_ms() - transfer.last_progress_ms >=
          static_cast<std::uint64_t>(options_.stall_timeout.count());
      if (!stalled) {
        transfer.address = address;
        transfer.install = std::move(copy);  // the newest snapshot raft wants there
        transfer.install_index = index;
        return;
      }
      log::warn("snapshot transfer to server ", to, " stalled at byte ", transfer.acked,
                "; starting over");
      outgoing_.erase(found);
    }
    Outgoing& transfer = outgoing_[to];
    transfer.id = next_transfer_id();
    transfer.address = address;
    transfer.install = std::move(copy);
    transfer.install_index = index;
    transfer.last_progress_ms = executor_.now_ms();
    transfer.reader = std::make_shared<Reader>();
    log::info("streaming the key-value state to server ", to, " for its snapshot at index ",
              index);
    pump(to, transfer);
  }

  bool ready_to_install(const raft_install_snapshot& message) const {
    if (fsm_.applied_index() >= message.last_index) return true;
    const auto image = read_kv_image_file_header(fsm_.install_path());
    return image && image->applied_index >= message.last_index;
  }

 private:
  // Copies an InstallSnapshot (raft frees its own after the send call); its data becomes a
  // descriptor if it was an image (a snapshot stored by an older version).
  static bool copy_install(const raft_message& message, OwnedMessage& copy) {
    std::vector<std::uint8_t> frame;
    FrameLimits unbounded;
    unbounded.max_body_bytes = ~std::uint64_t{0};
    const raft_buffer& data = message.install_snapshot.data;
    const auto header =
        read_kv_snapshot_header({static_cast<const std::uint8_t*>(data.base), data.len});
    if (!header) {
      log::error("not sending a malformed snapshot to server ", message.server_id);
      return false;
    }
    raft_message descriptor_message = message;
    const std::vector<std::uint8_t> descriptor =
        encode_kv_descriptor(header->applied_index, header->clock_ms);
    descriptor_message.install_snapshot.data =
        raft_buffer{const_cast<std::uint8_t*>(descriptor.data()), descriptor.size()};
    util::IoStatus status =
        encode_message_frame(message.server_id, descriptor_message, unbounded, frame);
    if (status.ok()) {
      status = decode_message_body(FrameType::kInstallSnapshot,
                                   std::span<const std::uint8_t>(frame).subspan(kFrameHeaderBytes),
                                   copy);
    }
    if (!status.ok()) log::error("cannot copy a snapshot message: ", status.message);
    return status.ok();
  }

  std::uint64_t next_transfer_id() {
    std::uint64_t id = 0;
    while (id == 0) id = random_();
    return id;
  }

  // Reads the next chunk of `to`'s transfer when the window allows.
  void pump(raft_id to, Outgoing& transfer) {
    if (transfer.reading || transfer.sent_last ||
        transfer.unacked_ends.size() >= options_.window) {
      return;
    }
    transfer.reading = true;
    worker_.submit([this_weak = weak_from_this(), &executor = executor_, reader = transfer.reader,
                    &fsm = fsm_, id = transfer.id, to, chunk_bytes = options_.chunk_bytes] {
      auto result = std::make_shared<ReadResult>(read_chunk(*reader, fsm, chunk_bytes));
      executor.post([this_weak, id, to, result] {
        if (auto self = this_weak.lock()) self->on_read(to, id, std::move(*result));
      });
    });
  }

  static ReadResult read_chunk(Reader& reader, const KvFsm& fsm, std::size_t chunk_bytes) {
    ReadResult result;
    try {
      if (!reader.stream) reader.stream = std::make_unique<KvImageStream>(fsm.kv_store());
      result.image_index = reader.stream->applied_index();
      if (reader.stream->next(chunk_bytes, result.data)) {
        reader.sha.update(result.data);
      } else {
        result.last = true;
        result.digest = reader.sha.finish();
        reader.stream.reset();  // ends the read transaction
      }
    } catch (const storage::StorageError& e) {
      result.status = util::IoStatus::failure(RAFT_IOERR, e.what());
    }
    return result;
  }

  void on_read(raft_id to, std::uint64_t id, ReadResult result) {
    const auto found = outgoing_.find(to);
    if (found == outgoing_.end() || found->second.id != id) return;
    Outgoing& transfer = found->second;
    transfer.reading = false;
    if (!result.status.ok()) {
      log::error("snapshot transfer to server ", to, " failed: ", result.status.message);
      outgoing_.erase(found);
      return;
    }
    transfer.image_index = result.image_index;
    SnapshotChunk chunk;
    chunk.transfer = id;
    chunk.offset = transfer.sent;
    chunk.last = result.last;
    chunk.digest = result.digest;
    chunk.data = result.data;
    std::vector<std::uint8_t> body;
    encode_snapshot_chunk(chunk, body);
    transfer.sent += result.data.size();
    transfer.sent_last = result.last;
    transfer.unacked_ends.push_back(transfer.sent);
    transport_.send_forward(to, transfer.address, FrameType::kSnapshotChunk, body,
                            [this_weak = weak_from_this(), &executor = executor_, to,
                             id](util::IoStatus status) {
                              if (status.ok()) return;
                              executor.post([this_weak, to, id, status] {
                                if (auto self = this_weak.lock()) {
                                  self->drop_outgoing(to, id, status.message);
                                }
                              });
                            });
    pump(to, transfer);
  }

  void drop_outgoing(raft_id to, std::uint64_t id, const std::string& why) {
    const auto found = outgoing_.find(to);
    if (found == outgoing_.end() || found->second.id != id) return;
    log::warn("snapshot transfer to server ", to, " dropped at byte ", found->second.acked, ": ",
              why, " (the next InstallSnapshot starts it over)");
    outgoing_.erase(found);
  }

  void receive(raft_id from, FrameType type, std::vector<std::uint8_t> body) {
    if (type == FrameType::kSnapshotAck) {
      SnapshotAck ack;
      if (util::IoStatus status = decode_snapshot_ack(body, ack); !status.ok()) {
        log::warn("from server ", from, ": ", status.message);
        return;
      }
      on_ack(from, ack);
    } else {
      SnapshotChunk chunk;
      if (util::IoStatus status = decode_snapshot_chunk(body, chunk); !status.ok()) {
        log::warn("from server ", from, ": ", status.message);
        return;
      }
      on_chunk(from, chunk, std::move(body));
    }
  }

  void on_ack(raft_id from, const SnapshotAck& ack) {
    const auto found = outgoing_.find(from);
    if (found == outgoing_.end() || found->second.id != ack.transfer) return;
    Outgoing& transfer = found->second;
    switch (ack.status) {
      case SnapshotAckStatus::kRestart:
        drop_outgoing(from, ack.transfer, "the follower refused it");
        return;
      case SnapshotAckStatus::kProgress:
        if (ack.offset < transfer.acked || ack.offset > transfer.sent) return;
        transfer.acked = ack.offset;
        transfer.last_progress_ms = executor_.now_ms();
        while (!transfer.unacked_ends.empty() && transfer.unacked_ends.front() <= ack.offset) {
          transfer.unacked_ends.pop_front();
        }
        pump(from, transfer);
        return;
      case SnapshotAckStatus::kDone:
        if (!transfer.sent_last || ack.offset != transfer.sent) return;
        if (transfer.image_index < transfer.install_index) {
          // raft compacted past the streamed state meanwhile: stream it again.
          log::info("server ", from, " received the state at index ", transfer.image_index,
                    ", raft now sends its snapshot at ", transfer.install_index, "; streaming again");
          OwnedMessage install = std::move(transfer.install);
          const std::string address = transfer.address;
          outgoing_.erase(found);
          send_install(from, address, install.message());
          return;
        }
        log::info("server ", from, " holds the streamed state (", transfer.sent,
                  " bytes, applied index ", transfer.image_index, "); sending its snapshot");
        transport_.send(from, transfer.address, transfer.install.message(), [](util::IoStatus) {});
        outgoing_.erase(found);
        return;
    }
  }

  void send_ack(raft_id to, std::uint64_t id, std::uint64_t offset, SnapshotAckStatus status) {
    const std::string address = options_.address_of ? options_.address_of(to) : "";
    if (address.empty()) return;
    std::vector<std::uint8_t> body;
    encode_snapshot_ack({.transfer = id, .offset = offset, .status = status}, body);
    transport_.send_forward(to, address, FrameType::kSnapshotAck, body, [](util::IoStatus) {});
  }

  void refuse(raft_id from, std::uint64_t id, const std::string& why) {
    log::warn("snapshot transfer from server ", from, " refused: ", why);
    if (incoming_ && incoming_->id == id) incoming_.reset();
    send_ack(from, id, 0, SnapshotAckStatus::kRestart);
  }

  void on_chunk(raft_id from, const SnapshotChunk& chunk, std::vector<std::uint8_t> body) {
    if (!incoming_ || incoming_->id != chunk.transfer || incoming_->from != from) {
      if (chunk.offset != 0) return refuse(from, chunk.transfer, "it does not start at byte 0");
      if (incoming_) log::info("a new snapshot transfer replaces the one in progress");
      incoming_.emplace();
      incoming_->from = from;
      incoming_->id = chunk.transfer;
      incoming_->writer = std::make_shared<Writer>();
      incoming_->writer->path = temp_path(fsm_.install_path());
      worker_.submit([writer = incoming_->writer] { open_temp(*writer); });
      log::info("receiving the key-value state from server ", from);
    }
    Incoming& transfer = *incoming_;
    if (transfer.finishing) return;
    if (chunk.offset != transfer.received) {
      return refuse(from, chunk.transfer, "a gap at byte " + std::to_string(transfer.received));
    }
    if (transfer.received + chunk.data.size() - transfer.written > kMaxUnwrittenBytes) {
      return refuse(from, chunk.transfer, "the sender ignores the window");
    }
    const std::size_t data_offset = static_cast<std::size_t>(chunk.data.data() - body.data());
    const std::size_t size = chunk.data.size();
    transfer.received += size;
    transfer.finishing = chunk.last;
    worker_.submit([this_weak = weak_from_this(), &executor = executor_,
                    writer = transfer.writer, body = std::move(body), data_offset, size,
                    last = chunk.last, digest = chunk.digest, id = chunk.transfer, from,
                    end = transfer.received] {
      write_chunk(*writer, std::span<const std::uint8_t>(body).subspan(data_offset, size));
      if (last) finish_temp(*writer, digest);
      executor.post([this_weak, id, from, end, last, status = writer->status] {
        if (auto self = this_weak.lock()) self->on_written(from, id, end, last, status);
      });
    });
  }

  static void open_temp(Writer& writer) {
    std::error_code ignored;
    std::filesystem::remove(writer.path, ignored);
    writer.fd = util::FileDescriptor(
        ::open(writer.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!writer.fd.valid()) writer.status = util::os_failure("create " + writer.path.string(), errno);
  }

  static void write_chunk(Writer& writer, std::span<const std::uint8_t> data) {
    if (!writer.status.ok() || data.empty()) return;
    writer.sha.update(data);
    writer.status = util::write_all(writer.fd.get(), data.data(), data.size(), writer.path.string());
  }

  static void finish_temp(Writer& writer, const SnapshotDigest& expected) {
    if (!writer.status.ok()) return;
    if (writer.sha.finish() != expected) {
      writer.status = util::IoStatus::failure(RAFT_CORRUPT, "the SHA-256 of the stream differs");
    } else if (::fsync(writer.fd.get()) != 0) {
      writer.status = util::os_failure("fsync " + writer.path.string(), errno);
    } else if (!writer.fd.close()) {
      writer.status = util::os_failure("close " + writer.path.string(), errno);
    }
  }

  void on_written(raft_id from, std::uint64_t id, std::uint64_t end, bool last,
                  const util::IoStatus& status) {
    if (!incoming_ || incoming_->id != id) return;  // replaced or dropped meanwhile
    if (!status.ok()) return refuse(from, id, status.message);
    incoming_->written = end;
    if (!last) return send_ack(from, id, end, SnapshotAckStatus::kProgress);
    const std::filesystem::path path = fsm_.install_path();
    if (::rename(incoming_->writer->path.c_str(), path.c_str()) != 0) {
      return refuse(from, id, util::os_failure("rename to " + path.string(), errno).message);
    }
    if (util::IoStatus synced = util::fsync_directory(path.parent_path()); !synced.ok()) {
      return refuse(from, id, synced.message);
    }
    log::info("received the key-value state from server ", from, " (", end,
              " bytes, checksum verified, durable)");
    incoming_.reset();
    send_ack(from, id, end, SnapshotAckStatus::kDone);
  }

  util::Executor& executor_;
  PeerTransport& transport_;
  KvFsm& fsm_;
  SnapshotTransferOptions options_;
  std::mt19937_64 random_;
  std::unordered_map<raft_id, Outgoing> outgoing_;
  std::optional<Incoming> incoming_;
  // Last: joined first, while everything its tasks use exists.
  util::SerialWorker worker_{"keepd-snapshot"};
};

SnapshotTransfer::SnapshotTransfer(util::Executor& executor, PeerTransport& transport, KvFsm& fsm,
                                   SnapshotTransferOptions options)
    : impl_(std::make_shared<Impl>(executor, transport, fsm, std::move(options))) {
  impl_->start();
}

SnapshotTransfer::~SnapshotTransfer() { impl_->close(); }

void SnapshotTransfer::send_install(raft_id to, const std::string& address,
                                    const raft_message& message) {
  impl_->send_install(to, address, message);
}

bool SnapshotTransfer::ready_to_install(const raft_install_snapshot& message) const {
  return impl_->ready_to_install(message);
}

std::size_t SnapshotTransfer::outgoing() const { return impl_->outgoing(); }

}  // namespace keepdb::consensus
