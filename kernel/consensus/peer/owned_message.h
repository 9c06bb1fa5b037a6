// OwnedMessage: a raft_message decoded from a peer frame, holding its sender address and,
// until it is handed to raft's recv callback, its raft_malloc'd payload:
// AppendEntries entries array plus one payload block shared by every entry's batch, or
// InstallSnapshot configuration plus data. A message dropped before reaching raft (shutdown,
// closed io) frees its payload in the destructor.
//
// Thread-safety: a move-only value; build it on any thread, deliver it on the raft thread.
#pragma once

#include <string>

#include "util/raft_c_api.h"

namespace keepdb::consensus {

class OwnedMessage {
 public:
  OwnedMessage();
  OwnedMessage(OwnedMessage&& other) noexcept;
  OwnedMessage& operator=(OwnedMessage&& other) noexcept;
  OwnedMessage(const OwnedMessage&) = delete;
  OwnedMessage& operator=(const OwnedMessage&) = delete;
  ~OwnedMessage();

  // The message being built or inspected. Its payload pointers are owned by this object
  // (set them only to raft_malloc'd memory); server_address is only set by hand_to_raft().
  raft_message& message() { return message_; }
  const raft_message& message() const { return message_; }
  std::string& sender_address() { return sender_address_; }
  const std::string& sender_address() const { return sender_address_; }

  // Points server_address at the sender address and gives up the payload: raft frees it
  // once recv() returns. The returned message stays valid while this object lives.
  raft_message& hand_to_raft();

 private:
  void free_payload() noexcept;

  raft_message message_;
  std::string sender_address_;
  bool owns_payload_ = true;
};

}  // namespace keepdb::consensus
