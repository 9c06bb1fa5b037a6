// TestFsm: apply, snapshot and restore of a list of u64 commands.
#include "tests/unit/consensus/test_fsm.h"

#include <cstring>

namespace keepdb::consensus::testing {

TestFsm::TestFsm() {
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &TestFsm::apply;
  fsm_.snapshot = &TestFsm::snapshot;
  fsm_.restore = &TestFsm::restore;
}

void TestFsm::reset() {
  applied_.clear();
  restores_ = 0;
}

raft_buffer TestFsm::command(std::uint64_t value) {
  raft_buffer buffer{raft_malloc(sizeof value), sizeof value};
  std::memcpy(buffer.base, &value, sizeof value);
  return buffer;
}

int TestFsm::apply(raft_fsm* fsm, const raft_buffer* buf, void** result) {
  std::uint64_t value = 0;
  if (buf->len != sizeof value) return RAFT_MALFORMED;
  std::memcpy(&value, buf->base, sizeof value);  // may be unaligned
  self(fsm).applied_.push_back(value);
  *result = nullptr;
  return 0;
}

int TestFsm::snapshot(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs) {
  const std::vector<std::uint64_t>& applied = self(fsm).applied_;
  *bufs = static_cast<raft_buffer*>(raft_malloc(sizeof(raft_buffer)));
  (*bufs)[0].len = applied.size() * sizeof(std::uint64_t);
  (*bufs)[0].base = raft_malloc((*bufs)[0].len + 1);
  if (!applied.empty()) std::memcpy((*bufs)[0].base, applied.data(), (*bufs)[0].len);
  *n_bufs = 1;
  return 0;
}

int TestFsm::restore(raft_fsm* fsm, raft_buffer* buf) {
  TestFsm& state = self(fsm);
  if (buf->len % sizeof(std::uint64_t) != 0) return RAFT_MALFORMED;
  state.applied_.resize(buf->len / sizeof(std::uint64_t));
  if (buf->len > 0) std::memcpy(state.applied_.data(), buf->base, buf->len);
  raft_free(buf->base);  // on success the FSM owns the buffer
  ++state.restores_;
  return 0;
}

}  // namespace keepdb::consensus::testing
