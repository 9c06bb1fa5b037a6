// OwnedMessage: payload ownership of a received raft_message until raft's recv takes it.
#include "kernel/consensus/peer/owned_message.h"

#include <cstring>
#include <utility>

namespace keepdb::consensus {
namespace {

raft_message empty_message() {
  raft_message message;
  std::memset(&message, 0, sizeof message);
  return message;
}

}  // namespace

OwnedMessage::OwnedMessage() : message_(empty_message()) {}

OwnedMessage::OwnedMessage(OwnedMessage&& other) noexcept
    : message_(std::exchange(other.message_, empty_message())),
      sender_address_(std::move(other.sender_address_)),
      owns_payload_(std::exchange(other.owns_payload_, false)) {}

OwnedMessage& OwnedMessage::operator=(OwnedMessage&& other) noexcept {
  if (this != &other) {
    free_payload();
    message_ = std::exchange(other.message_, empty_message());
    sender_address_ = std::move(other.sender_address_);
    owns_payload_ = std::exchange(other.owns_payload_, false);
  }
  return *this;
}

OwnedMessage::~OwnedMessage() {
  free_payload();
}

raft_message& OwnedMessage::hand_to_raft() {
  owns_payload_ = false;
  message_.server_address = sender_address_.c_str();
  return message_;
}

void OwnedMessage::free_payload() noexcept {
  if (!owns_payload_) return;
  owns_payload_ = false;
  switch (message_.type) {
    case RAFT_IO_APPEND_ENTRIES: {
      raft_append_entries& append = message_.append_entries;
      if (append.entries != nullptr) raft_free(append.entries[0].batch);
      raft_free(append.entries);
      break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT:
      raft_configuration_close(&message_.install_snapshot.conf);
      raft_free(message_.install_snapshot.data.base);
      break;
    default:
      break;
  }
}

}  // namespace keepdb::consensus
