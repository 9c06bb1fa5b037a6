// Writes into a stopped node's raft log behind its back, as the durability tests need: the
// entries a leader of another version would have written, or the records of one write that
// a crash tore; and the node with one key, stopped, that they start from.
//
// Thread-safety: the test thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/harness/keepd_process.h"
#include "util/raft_c_api.h"

namespace keepdb::integration {

// Sets before = 1 on the running `keepd` and stops it cleanly: a log to append to.
void write_a_key_and_stop(KeepdProcess& keepd);

// Appends one command entry per payload to the raft log under `data_dir`, at the last entry's
// term, in one write and one sync; returns the first one's index. The node must be stopped.
raft_index append_raft_entries(const std::filesystem::path& data_dir,
                               const std::vector<std::string>& payloads);

}  // namespace keepdb::integration
