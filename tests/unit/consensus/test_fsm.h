// TestFsm: the tiny state machine of the consensus tests. Each command is one u64; the state
// is the list of every value applied, in order, so comparing two servers' lists checks that
// they applied the same commands in the same order. Snapshots carry the whole list.
//
// Thread-safety: none; called by raft on the simulation's thread.
#pragma once

#include <cstdint>
#include <vector>

#include "util/raft_c_api.h"

namespace keepdb::consensus::testing {

class TestFsm {
 public:
  TestFsm();
  TestFsm(const TestFsm&) = delete;
  TestFsm& operator=(const TestFsm&) = delete;

  raft_fsm* get() { return &fsm_; }
  const std::vector<std::uint64_t>& applied() const { return applied_; }
  unsigned restores() const { return restores_; }
  // Forgets everything, as a restarted process would.
  void reset();

  // A raft_malloc'd command buffer holding `value`, ready for raft_apply.
  static raft_buffer command(std::uint64_t value);

 private:
  static TestFsm& self(raft_fsm* fsm) { return *static_cast<TestFsm*>(fsm->data); }
  static int apply(raft_fsm* fsm, const raft_buffer* buf, void** result);
  static int snapshot(raft_fsm* fsm, raft_buffer* bufs[], unsigned* n_bufs);
  static int restore(raft_fsm* fsm, raft_buffer* buf);

  raft_fsm fsm_{};
  std::vector<std::uint64_t> applied_;
  unsigned restores_ = 0;
};

}  // namespace keepdb::consensus::testing
