// Bounded registry of SCAN resume points.
#include "kernel/commands/scan_cursors.h"

namespace keepdb::commands {

ScanCursors::ScanCursors(std::size_t capacity, std::uint64_t first_id)
    : capacity_(capacity), first_id_(first_id == 0 ? 1 : first_id), next_id_(first_id_) {}

std::uint64_t ScanCursors::remember(std::string_view resume_key) {
  if (order_.size() >= capacity_) {
    keys_.erase(order_.front());
    order_.pop_front();
  }
  std::uint64_t id = next_id_++;
  if (id == 0) id = next_id_++;  // wrapped around: 0 means "scan finished"
  keys_.emplace(id, std::string(resume_key));
  order_.push_back(id);
  return id;
}

std::optional<std::string> ScanCursors::resume_key(std::uint64_t cursor) const {
  const auto found = keys_.find(cursor);
  if (found == keys_.end()) return std::nullopt;
  return found->second;
}

}  // namespace keepdb::commands
