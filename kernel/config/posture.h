// The security posture check: from a loaded Config and a few facts about the machine (which
// [[plugin]] is of which kind, the modes and sizes of the files the config names, whether
// keepd runs as root), the table of controls an operator reads in `keepd config check` and
// at start-up, and the decision whether `keepd run` may start. Pure: it reads no file and
// loads no library (kernel/node/posture_facts.* gathers the facts).
//
// Each control has a stable risk name; `[security] accept_risks` names the gaps an operator
// accepts on purpose. The rules (docs/SECURITY.md):
//   - any level: a listener on a non-loopback address without TLS or without authentication
//     refuses to start unless its "exposed-client-listener", "exposed-peer-listener" or
//     "exposed-operator-listener" risk is accepted;
//   - level "prod": every control that is missing or weak refuses to start unless its risk
//     name is accepted.
// Names in accept_risks that are no risk name are refused when the file is loaded.
//
// Thread-safety: functions of their arguments only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/config/config.h"

namespace keepdb::config {

enum class ControlStatus { kOk, kMissing, kWeak };

// "ok", "missing", "weak".
std::string_view control_status_name(ControlStatus status);

struct Control {
  std::string name;  // "client TLS"
  std::string risk;  // "no-client-tls": the accept_risks name, stable
  std::string key;   // the config key that sets it, "client.transport"
  ControlStatus status = ControlStatus::kOk;
  std::string reason;  // one line: why this status
};

// The provider kinds of one [[plugin]], as its library's descriptor declares them.
struct PluginFacts {
  std::string provider;  // the descriptor's name, e.g. "auth-token", "tls"
  bool authenticator = false;
  bool transport = false;
  bool admission = false;
  bool audit = false;
};

struct FileFacts {
  bool exists = false;
  std::uint32_t mode = 0;  // permission bits (st_mode & 07777)
  std::uint64_t size = 0;  // bytes
};

// A file the check looks at, and the key that names it.
struct PostureFile {
  std::filesystem::path path;
  std::string key;  // "storage.data_dir", "plugin 'tokens' options.secrets_file"
};

struct PostureFacts {
  std::map<std::string, PluginFacts, std::less<>> plugins;  // by [[plugin]] name
  std::map<std::filesystem::path, FileFacts> files;         // by PostureFile::path
  bool running_as_root = false;
};

// Every risk name, in the table's order.
std::span<const std::string_view> risk_names();
bool is_risk_name(std::string_view name);

// The files whose facts evaluate_posture reads: the data dir and every secret file the
// config names (the cluster secret, plugin key and token files), paths resolved as keepd
// resolves them.
std::vector<PostureFile> posture_files(const Config& config);

// The table, one row per risk name, in risk_names() order. A plugin missing from
// facts.plugins counts as providing no kind; a file missing from facts.files as absent.
std::vector<Control> evaluate_posture(const Config& config, const PostureFacts& facts);

// True when `row` is a gap (missing or weak) that [security] accept_risks names.
bool risk_accepted(const Config& config, const Control& row);

// Why `keepd run` must not start with this config and table (empty: it may), one line each,
// naming the control, its key and the risk name that would accept it.
std::vector<std::string> posture_refusals(const Config& config,
                                          const std::vector<Control>& controls);

// The banner line for one accepted risk: "accepted risk no-audit: audit is missing
// ([[plugin]] of kind audit): no audit plugin".
std::string accepted_risk_banner(const std::string& risk, const std::vector<Control>& controls);

}  // namespace keepdb::config
