// LogBytes: cumulative byte counts of the raft log's entries, by index.
#include "kernel/consensus/raft/log_bytes.h"

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
  // The bytes of the run ending at `through` grow with its length, so a binary search finds
  // the longest held run that fits: O(log most) on every poll of the raft thread.
  const raft_index held = through >= first_index_ ? through - first_index_ + 1 : 0;
  unsigned low = 1;  // one entry is always kept
  unsigned high =
      static_cast<unsigned>(std::max<raft_index>(1, std::min<raft_index>({most, held, through})));
  while (low < high) {
    const unsigned mid = low + (high - low + 1) / 2;
    if (bytes_between(through - mid, through) <= budget) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

}  // namespace keepdb::consensus
