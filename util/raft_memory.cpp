// Owners for raft_malloc'd snapshots and entry arrays, and configuration copies.
#include "util/raft_memory.h"

#include <algorithm>
#include <cstring>

namespace keepdb::util {

void RaftSnapshotDeleter::operator()(raft_snapshot* snapshot) const noexcept {
  raft_configuration_close(&snapshot->configuration);
  for (unsigned i = 0; i < snapshot->n_bufs; ++i) raft_free(snapshot->bufs[i].base);
  raft_free(snapshot->bufs);
  raft_free(snapshot);
}

RaftSnapshotPtr allocate_snapshot(std::size_t data_bytes) {
  auto* snapshot = static_cast<raft_snapshot*>(raft_calloc(1, sizeof(raft_snapshot)));
  if (snapshot == nullptr) return nullptr;
  raft_configuration_init(&snapshot->configuration);
  RaftSnapshotPtr owner(snapshot);
  snapshot->bufs = static_cast<raft_buffer*>(raft_calloc(1, sizeof(raft_buffer)));
  if (snapshot->bufs == nullptr) return nullptr;
  snapshot->bufs[0].base = raft_malloc(std::max<std::size_t>(data_bytes, 1));
  if (snapshot->bufs[0].base == nullptr) return nullptr;
  snapshot->bufs[0].len = data_bytes;
  snapshot->n_bufs = 1;
  return owner;
}

IoStatus copy_configuration(const raft_configuration& source, raft_configuration& target) {
  for (unsigned i = 0; i < source.n; ++i) {
    const raft_server& server = source.servers[i];
    if (int rv = raft_configuration_add(&target, server.id, server.address, server.role)) {
      return IoStatus::failure(rv, "cannot copy raft configuration");
    }
  }
  return IoStatus::success();
}

std::size_t snapshot_data_bytes(const raft_snapshot& snapshot) {
  std::size_t total = 0;
  for (unsigned i = 0; i < snapshot.n_bufs; ++i) total += snapshot.bufs[i].len;
  return total;
}

RaftEntryArray::RaftEntryArray(RaftEntryArray&& other) noexcept
    : entries_(std::move(other.entries_)) {
  other.entries_.clear();
}

RaftEntryArray& RaftEntryArray::operator=(RaftEntryArray&& other) noexcept {
  if (this != &other) {
    shrink(0);
    entries_ = std::move(other.entries_);
    other.entries_.clear();
  }
  return *this;
}

RaftEntryArray::~RaftEntryArray() {
  shrink(0);
}

IoStatus RaftEntryArray::append(raft_term term, unsigned short type,
                                std::span<const std::uint8_t> payload) {
  void* base = raft_malloc(std::max<std::size_t>(payload.size(), 1));
  if (base == nullptr) return IoStatus::failure(RAFT_NOMEM, "out of memory loading log entry");
  if (!payload.empty()) std::memcpy(base, payload.data(), payload.size());
  raft_entry entry{};
  entry.term = term;
  entry.type = type;
  entry.buf = raft_buffer{base, payload.size()};
  entry.batch = nullptr;
  entries_.push_back(entry);
  return IoStatus::success();
}

void RaftEntryArray::shrink(std::size_t count) {
  for (std::size_t i = count; i < entries_.size(); ++i) raft_free(entries_[i].buf.base);
  if (count < entries_.size()) entries_.resize(count);
}

raft_entry* RaftEntryArray::release(std::size_t& count) {
  count = 0;
  if (entries_.empty()) return nullptr;
  auto* array = static_cast<raft_entry*>(raft_malloc(entries_.size() * sizeof(raft_entry)));
  if (array == nullptr) return nullptr;
  std::memcpy(array, entries_.data(), entries_.size() * sizeof(raft_entry));
  count = entries_.size();
  entries_.clear();
  return array;
}

}  // namespace keepdb::util
