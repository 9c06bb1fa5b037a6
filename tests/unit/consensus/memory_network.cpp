// MemoryNetwork: frame encoding on send, faults, delayed delivery and decoding on receipt.
#include "tests/unit/consensus/memory_network.h"

namespace keepdb::consensus::testing {

MemoryNetwork::MemoryNetwork(VirtualScheduler& scheduler, std::uint64_t seed)
    : scheduler_(scheduler), random_(seed) {}

MemoryNetwork::~MemoryNetwork() = default;

MemoryNetwork::Endpoint& MemoryNetwork::add_endpoint(raft_id id, const std::string& address) {
  auto& endpoint = endpoints_[id];
  endpoint = std::make_unique<Endpoint>(*this, id, address);
  return *endpoint;
}

void MemoryNetwork::set_link(raft_id from, raft_id to, bool up) {
  if (up) {
    cut_links_.erase({from, to});
  } else {
    cut_links_.insert({from, to});
  }
}

void MemoryNetwork::isolate(raft_id id) {
  for (const auto& [other, endpoint] : endpoints_) {
    if (other == id) continue;
    set_link(id, other, false);
    set_link(other, id, false);
  }
}

std::uint64_t MemoryNetwork::delivered_of_type(FrameType type) const {
  auto found = delivered_by_type_.find(type);
  return found == delivered_by_type_.end() ? 0 : found->second;
}

bool MemoryNetwork::link_up(raft_id from, raft_id to) const {
  return endpoints_.contains(to) && !cut_links_.contains({from, to});
}

bool MemoryNetwork::chance(double probability) {
  return probability > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < probability;
}

void MemoryNetwork::Endpoint::send(raft_id to_id, const std::string&, const raft_message& message,
                                   SendDone done) {
  network_.send(*this, to_id, message, std::move(done));
}

void MemoryNetwork::Endpoint::send_forward(raft_id to_id, const std::string&, FrameType type,
                                           std::span<const std::uint8_t> body, SendDone done) {
  network_.send_forward(*this, to_id, type, body, std::move(done));
}

void MemoryNetwork::send(Endpoint& from, raft_id to_id, const raft_message& message,
                         PeerTransport::SendDone done) {
  auto frame = std::make_shared<std::vector<std::uint8_t>>();
  if (util::IoStatus status = encode_message_frame(from.id(), message, FrameLimits{}, *frame);
      !status.ok()) {
    return done(status);
  }
  transmit(from.id(), to_id, std::move(frame), std::move(done));
}

void MemoryNetwork::send_forward(Endpoint& from, raft_id to_id, FrameType type,
                                 std::span<const std::uint8_t> body,
                                 PeerTransport::SendDone done) {
  auto frame = std::make_shared<std::vector<std::uint8_t>>();
  if (util::IoStatus status = encode_forward_frame(type, body, FrameLimits{}, *frame);
      !status.ok()) {
    return done(status);
  }
  transmit(from.id(), to_id, std::move(frame), std::move(done));
}

void MemoryNetwork::transmit(raft_id from, raft_id to_id,
                             std::shared_ptr<const std::vector<std::uint8_t>> frame,
                             PeerTransport::SendDone done) {
  if (!link_up(from, to_id)) {
    return done(util::IoStatus::failure(RAFT_NOCONNECTION, "link is down"));
  }
  done(util::IoStatus::success());
  if (chance(faults_.drop_probability)) {
    ++frames_dropped_;
    return;
  }
  const int copies = chance(faults_.duplicate_probability) ? 2 : 1;
  frames_duplicated_ += copies - 1;
  for (int copy = 0; copy < copies; ++copy) {
    const std::uint64_t delay = std::uniform_int_distribution<std::uint64_t>(
        faults_.min_delay_ms, faults_.max_delay_ms)(random_);
    scheduler_.schedule(scheduler_.now_ms() + delay,
                        [this, from, to_id, frame] { deliver(from, to_id, frame); });
  }
}

void MemoryNetwork::deliver(raft_id from, raft_id to,
                            std::shared_ptr<const std::vector<std::uint8_t>> frame) {
  if (!link_up(from, to)) {
    ++frames_dropped_;  // the link went down while the frame was in flight
    return;
  }
  Endpoint& endpoint = *endpoints_.at(to);
  FrameHeader header;
  if (decode_frame_header(*frame, FrameLimits{}, header).ok() &&
      (is_forward_frame(header.type) || is_snapshot_frame(header.type))) {
    deliver_forward(from, endpoint, header, *frame);
    return;
  }
  OwnedMessage message;
  if (!decode_message_frame(*frame, FrameLimits{}, message).ok()) {
    ++decode_failures_;
    return;
  }
  ++frames_delivered_;
  ++delivered_by_type_[static_cast<FrameType>(message.message().type)];
  // As the TCP transport: the sender's address comes from who sent it, not from the frame.
  const auto sender = endpoints_.find(from);
  if (sender == endpoints_.end()) return;
  message.sender_address() = sender->second->address();
  if (endpoint.receiver_) endpoint.receiver_(std::move(message));
}

void MemoryNetwork::deliver_forward(raft_id from, Endpoint& to, const FrameHeader& header,
                                    std::span<const std::uint8_t> frame) {
  if (frame.size() - kFrameHeaderBytes != header.body_bytes) {
    ++decode_failures_;
    return;
  }
  ++frames_delivered_;
  ++delivered_by_type_[header.type];
  const auto body = frame.subspan(kFrameHeaderBytes);
  auto& receiver = is_forward_frame(header.type) ? to.forward_receiver_ : to.snapshot_receiver_;
  if (receiver) receiver(from, header.type, std::vector<std::uint8_t>(body.begin(), body.end()));
}

}  // namespace keepdb::consensus::testing
