// The posture table (kernel/node/posture_facts.h) as `keepd run` and `keepd config check`
// print it: text for people, JSON for tools.
//
// Thread-safety: functions of their arguments only.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "kernel/config/config.h"
#include "kernel/config/posture.h"
#include "kernel/node/posture_facts.h"

namespace keepdb::cli {

// One line per control: status, control, risk name, key, reason; "accepted" marks a gap
// named in accept_risks.
std::string posture_table(const config::Config& config, const node::PostureReport& report);

// {"level", "controls": [{"control", "status", "risk", "key", "reason", "accepted"}],
//  "refusals": [...], "would_start"}
boost::json::object posture_json(const config::Config& config, const node::PostureReport& report);

}  // namespace keepdb::cli
