// The posture check as `keepd run` and `keepd config check` run it: gathers the facts the
// pure check needs (each [[plugin]] library's descriptor kinds, the modes and sizes of the
// data dir and secret files, the effective uid), evaluates the table (kernel/config/posture.h)
// and prints it as text or JSON.
//
// Thread-safety: call from the main thread before the node starts.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/config/posture.h"

namespace keepdb::cli {

struct PostureReport {
  std::vector<config::Control> controls;
  std::vector<std::string> refusals;  // empty: keepd run may start
};

// Opens every [[plugin]] library (trust, pin and descriptor checks, no create()) and stats
// the files posture_files() names. Throws std::runtime_error naming a plugin whose library
// cannot be opened.
PostureReport check_posture(const config::Config& config);

// One line per control: status, control, risk name, key, reason; "accepted" marks a gap
// named in accept_risks.
std::string posture_table(const config::Config& config, const PostureReport& report);

// {"level", "controls": [{"control", "status", "risk", "key", "reason", "accepted"}],
//  "refusals": [...], "would_start"}
boost::json::object posture_json(const config::Config& config, const PostureReport& report);

}  // namespace keepdb::cli
