// The posture check as a node runs it: gathers the facts the pure check needs (each
// [[plugin]] library's descriptor kinds, the modes and sizes of the data dir and secret files,
// the effective uid) and evaluates the table (kernel/config/posture.h). `keepd run` and
// `keepd config check` call it before the node starts; a reload calls it on the new file.
//
// Thread-safety: no shared state; it opens libraries and stats files, so call it where
// blocking for that long is acceptable (start-up, a reload).
#pragma once

#include <string>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/config/posture.h"

namespace keepdb::node {

struct PostureReport {
  std::vector<config::Control> controls;
  std::vector<std::string> refusals;  // empty: keepd run may start
};

// Opens every [[plugin]] library (trust, pin and descriptor checks, no create()) and stats
// the files posture_files() names. Throws std::runtime_error naming a plugin whose library
// cannot be opened.
PostureReport check_posture(const config::Config& config);

}  // namespace keepdb::node
