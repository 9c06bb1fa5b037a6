// LoadedLog: contiguity and snapshot-coverage checks applied while loading the raft log.
#include "storage/loaded_log.h"

#include <string>

namespace keepdb::storage {
namespace {

util::IoStatus corrupt(const std::string& what) {
  return util::IoStatus::failure(RAFT_CORRUPT, "corrupt raft log: " + what);
}

}  // namespace

util::IoStatus LoadedLog::add_entry(raft_index index, raft_term entry_term, unsigned short type,
                              std::span<const std::uint8_t> payload) {
  if (first_index_ == 0) first_index_ = index;
  if (index == 0 || index != first_index_ + entries.size()) {
    return corrupt("entry " + std::to_string(index) + " breaks the contiguous range");
  }
  if (type < RAFT_COMMAND || type > RAFT_CHANGE) {
    return corrupt("entry " + std::to_string(index) + " has unknown type");
  }
  return entries.append(entry_term, type, payload);
}

util::IoStatus LoadedLog::finish(raft_index& next_index) {
  const raft_index after_snapshot = snapshot ? snapshot->index + 1 : 1;
  if (entries.size() == 0) {
    start_index = after_snapshot;
  } else if (first_index_ > after_snapshot) {
    return corrupt("gap between " + std::to_string(after_snapshot - 1) + " and entry " +
                   std::to_string(first_index_));
  } else if (first_index_ + entries.size() < after_snapshot) {
    entries.shrink(0);  // every stored entry is already inside the snapshot
    start_index = after_snapshot;
  } else {
    start_index = first_index_;
  }
  next_index = start_index + entries.size();
  return util::IoStatus::success();
}

}  // namespace keepdb::storage
