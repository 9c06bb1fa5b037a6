// Writes into a stopped node's raft log behind its back, as the durability tests need: the
// entries a leader of another version would have written, or the records of one write that
// a crash tore.
//
// Thread-safety: the test thread; the node must not be running.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/raft_c_api.h"

namespace keepdb::integration {

// Appends one command entry per payload to the raft log under `data_dir`, at the last entry's
// term, in one write and one sync; returns the first one's index.
raft_index append_raft_entries(const std::filesystem::path& data_dir,
                               const std::vector<std::string>& payloads);

}  // namespace keepdb::integration
