// MemoryLogStorage: in-memory durable raft state with latency and injected write failures.
#include "tests/unit/consensus/memory_log_storage.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "util/configuration_codec.h"

namespace keepdb::consensus::testing {

MemoryLogStorage::MemoryLogStorage(VirtualScheduler& scheduler, std::uint64_t write_latency_ms)
    : scheduler_(scheduler), write_latency_ms_(write_latency_ms) {}

void MemoryLogStorage::restart() {
  sticky_error_ = util::IoStatus::success();
}

void MemoryLogStorage::schedule(std::function<void()> operation) {
  last_operation_ms_ = std::max(scheduler_.now_ms() + write_latency_ms_, last_operation_ms_);
  scheduler_.schedule(last_operation_ms_, std::move(operation));
}

util::IoStatus MemoryLogStorage::start_write() {
  if (sticky_error_.ok() && writes_to_fail_ > 0) {
    --writes_to_fail_;
    sticky_error_ = util::IoStatus::failure(RAFT_IOERR, "injected fsync failure");
  }
  return sticky_error_;
}

void MemoryLogStorage::put_entry(raft_index index, const raft_entry& entry) {
  const auto* payload = static_cast<const std::uint8_t*>(entry.buf.base);
  entries_[index] = StoredEntry{entry.term, entry.type, {payload, payload + entry.buf.len}};
}

void MemoryLogStorage::erase_entries(raft_index first, raft_index last) {
  entries_.erase(entries_.lower_bound(first), entries_.upper_bound(last));
}

util::IoStatus MemoryLogStorage::copy_snapshot(util::RaftSnapshotPtr& out) const {
  out = util::allocate_snapshot(snapshot_->data.size());
  out->index = snapshot_->index;
  out->term = snapshot_->term;
  out->configuration_index = snapshot_->configuration_index;
  std::memcpy(out->bufs[0].base, snapshot_->data.data(), snapshot_->data.size());
  util::ByteReader reader(snapshot_->configuration);
  return util::decode_configuration(reader, out->configuration);
}

util::IoStatus MemoryLogStorage::load(storage::LoadedLog& out) {
  out.term = term_;
  out.voted_for = vote_;
  if (snapshot_) {
    if (util::IoStatus status = copy_snapshot(out.snapshot); !status.ok()) return status;
  }
  for (const auto& [index, entry] : entries_) {
    if (util::IoStatus status = out.add_entry(index, entry.term, entry.type, entry.payload);
        !status.ok()) {
      return status;
    }
  }
  return out.finish(next_index_);
}

util::IoStatus MemoryLogStorage::bootstrap(const raft_entry& first_entry) {
  if (term_ != 0 || vote_ != 0 || !entries_.empty() || snapshot_) {
    return util::IoStatus::failure(RAFT_CANTBOOTSTRAP, "raft state already exists");
  }
  if (util::IoStatus status = start_write(); !status.ok()) return status;
  term_ = 1;
  put_entry(1, first_entry);
  return util::IoStatus::success();
}

util::IoStatus MemoryLogStorage::recover(const raft_buffer& configuration) {
  if (util::IoStatus status = start_write(); !status.ok()) return status;
  raft_index last_index = snapshot_ ? snapshot_->index : 0;
  raft_term last_term = snapshot_ ? snapshot_->term : 1;
  if (!entries_.empty()) {
    last_index = entries_.rbegin()->first;
    last_term = entries_.rbegin()->second.term;
  }
  raft_entry entry{};
  entry.term = std::max<raft_term>(last_term, 1);
  entry.type = RAFT_CHANGE;
  entry.buf = configuration;
  put_entry(last_index + 1, entry);
  return util::IoStatus::success();
}

util::IoStatus MemoryLogStorage::set_term(raft_term term) {
  if (util::IoStatus status = start_write(); !status.ok()) return status;
  term_ = term;
  vote_ = 0;
  return util::IoStatus::success();
}

util::IoStatus MemoryLogStorage::set_vote(raft_id server_id) {
  if (util::IoStatus status = start_write(); !status.ok()) return status;
  vote_ = server_id;
  return util::IoStatus::success();
}

void MemoryLogStorage::append(std::span<const raft_entry> entries, Done done) {
  schedule([this, entries, done = std::move(done)] {
    util::IoStatus status = start_write();
    if (status.ok()) {
      for (const raft_entry& entry : entries) put_entry(next_index_++, entry);
    }
    done(status);
  });
}

void MemoryLogStorage::truncate(raft_index index) {
  schedule([this, index] {
    if (!start_write().ok()) return;
    erase_entries(index, std::numeric_limits<raft_index>::max());
    next_index_ = index;
    ++truncations_;
  });
}

void MemoryLogStorage::snapshot_put(unsigned trailing, const raft_snapshot& snapshot, Done done) {
  schedule([this, trailing, &snapshot, done = std::move(done)] {
    util::IoStatus status = start_write();
    StoredSnapshot stored{snapshot.index, snapshot.term, snapshot.configuration_index, {}, {}};
    util::ByteWriter writer(stored.configuration);
    if (status.ok()) status = util::encode_configuration(snapshot.configuration, writer);
    if (!status.ok()) return done(status);
    for (unsigned i = 0; i < snapshot.n_bufs; ++i) {
      const auto* bytes = static_cast<const std::uint8_t*>(snapshot.bufs[i].base);
      stored.data.insert(stored.data.end(), bytes, bytes + snapshot.bufs[i].len);
    }
    snapshot_ = std::move(stored);
    if (trailing == 0) {
      entries_.clear();
      next_index_ = snapshot.index + 1;
      ++snapshots_installed_;
    } else if (snapshot.index > trailing) {
      erase_entries(0, snapshot.index - trailing);
    }
    done(util::IoStatus::success());
  });
}

void MemoryLogStorage::snapshot_get(SnapshotDone done) {
  schedule([this, done = std::move(done)] {
    if (!snapshot_) return done(util::IoStatus::failure(RAFT_NOTFOUND, "no snapshot"), nullptr);
    util::RaftSnapshotPtr snapshot;
    util::IoStatus status = copy_snapshot(snapshot);
    done(status, status.ok() ? std::move(snapshot) : nullptr);
  });
}

void MemoryLogStorage::drain(std::function<void()> done) {
  schedule(std::move(done));
}

}  // namespace keepdb::consensus::testing
