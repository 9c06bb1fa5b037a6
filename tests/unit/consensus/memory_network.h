// MemoryNetwork: an in-memory, deterministic network between simulated servers. Every message
// is really encoded into a peer frame (peer_codec.h) on send and decoded on delivery, so the
// codec and its ownership rules run under every cluster test. Forward frames (FORWARD and
// FORWARD_REPLY, for the write-path tests) travel the same way, with the same faults. A
// seeded PRNG decides drops, duplicates and per-frame delays (random delays reorder frames);
// links can be cut one way.
//
// Thread-safety: none; used on the simulation's thread only.
// Lifetime: endpoints belong to the network; the network must outlive the scheduler's runs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "kernel/consensus/peer/peer_codec.h"
#include "kernel/consensus/peer/peer_transport.h"
#include "tests/unit/consensus/virtual_clock.h"

namespace keepdb::consensus::testing {

struct NetworkFaults {
  double drop_probability = 0;
  double duplicate_probability = 0;
  std::uint64_t min_delay_ms = 1;
  std::uint64_t max_delay_ms = 1;
};

class MemoryNetwork {
 public:
  class Endpoint;

  MemoryNetwork(VirtualScheduler& scheduler, std::uint64_t seed);
  ~MemoryNetwork();

  Endpoint& add_endpoint(raft_id id, const std::string& address);
  void set_faults(const NetworkFaults& faults) { faults_ = faults; }
  // Cuts or restores the link from `from` to `to` (one direction).
  void set_link(raft_id from, raft_id to, bool up);
  // Cuts every link to and from `id` / restores every link.
  void isolate(raft_id id);
  void heal() { cut_links_.clear(); }

  std::uint64_t frames_delivered() const { return frames_delivered_; }
  std::uint64_t frames_dropped() const { return frames_dropped_; }
  std::uint64_t frames_duplicated() const { return frames_duplicated_; }
  std::uint64_t decode_failures() const { return decode_failures_; }
  std::uint64_t delivered_of_type(FrameType type) const;

 private:
  void send(Endpoint& from, raft_id to_id, const raft_message& message,
            PeerTransport::SendDone done);
  void send_forward(Endpoint& from, raft_id to_id, FrameType type,
                    std::span<const std::uint8_t> body, PeerTransport::SendDone done);
  // Faults, then delivery of `frame` after a random delay; `done` runs first, inside the send.
  void transmit(raft_id from, raft_id to_id, std::shared_ptr<const std::vector<std::uint8_t>> frame,
                PeerTransport::SendDone done);
  void deliver(raft_id from, raft_id to, std::shared_ptr<const std::vector<std::uint8_t>> frame);
  // A forward frame whose header decoded: its body to `to`'s forward receiver.
  void deliver_forward(raft_id from, Endpoint& to, const FrameHeader& header,
                       std::span<const std::uint8_t> frame);
  bool link_up(raft_id from, raft_id to) const;
  bool chance(double probability);

  VirtualScheduler& scheduler_;
  std::mt19937_64 random_;
  NetworkFaults faults_;
  std::map<raft_id, std::unique_ptr<Endpoint>> endpoints_;
  std::set<std::pair<raft_id, raft_id>> cut_links_;
  std::map<FrameType, std::uint64_t> delivered_by_type_;
  std::uint64_t frames_delivered_ = 0;
  std::uint64_t frames_dropped_ = 0;
  std::uint64_t frames_duplicated_ = 0;
  std::uint64_t decode_failures_ = 0;
};

class MemoryNetwork::Endpoint final : public PeerTransport {
 public:
  Endpoint(MemoryNetwork& network, raft_id id, std::string address)
      : network_(network), id_(id), address_(std::move(address)) {}

  void send(raft_id to_id, const std::string& to_address, const raft_message& message,
            SendDone done) override;
  void set_receiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  void send_forward(raft_id to_id, const std::string& to_address, FrameType type,
                    std::span<const std::uint8_t> body, SendDone done) override;
  void set_forward_receiver(ForwardReceiver receiver) override {
    forward_receiver_ = std::move(receiver);
  }
  void set_snapshot_receiver(ForwardReceiver receiver) override {
    snapshot_receiver_ = std::move(receiver);
  }

  raft_id id() const { return id_; }
  const std::string& address() const { return address_; }

 private:
  friend class MemoryNetwork;

  MemoryNetwork& network_;
  const raft_id id_;
  const std::string address_;
  Receiver receiver_;
  ForwardReceiver forward_receiver_;
  ForwardReceiver snapshot_receiver_;
};

}  // namespace keepdb::consensus::testing
