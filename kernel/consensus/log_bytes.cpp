// LogBytes: cumulative byte counts of the raft log's entries, by index.
#include "kernel/consensus/log_bytes.h"

#include <algorithm>

namespace keepdb::consensus {

void LogBytes::reset(raft_index next_index) {
  first_index_ = next_index;
  cumulative_.clear();
  base_ = 0;
}

void LogBytes::append(std::uint64_t bytes) {
  cumulative_.push_back((cumulative_.empty() ? base_ : cumulative_.back()) + bytes);
}

void LogBytes::truncate(raft_index index) {
  if (index <= first_index_) {
    reset(index);
    return;
  }
  while (next_index() > index) cumulative_.pop_back();
}

void LogBytes::forget_through(raft_index index) {
  while (!cumulative_.empty() && first_index_ <= index) {
    base_ = cumulative_.front();
    cumulative_.pop_front();
    ++first_index_;
  }
}

std::uint64_t LogBytes::total_through(raft_index index) const {
  if (index < first_index_ || cumulative_.empty()) return base_;
  return cumulative_[std::min<raft_index>(index, next_index() - 1) - first_index_];
}

std::uint64_t LogBytes::bytes_between(raft_index after, raft_index through) const {
  if (through <= after) return 0;
  return total_through(through) - total_through(after);
}

unsigned LogBytes::entries_within(raft_index through, std::uint64_t budget, unsigned most) const {
  unsigned count = 1;
  // Grows the range (through - count, through] while the entry before it is held and fits.
  while (count < most && through > count && through - count >= first_index_ &&
         bytes_between(through - count - 1, through) <= budget) {
    ++count;
  }
  return count;
}

}  // namespace keepdb::consensus
