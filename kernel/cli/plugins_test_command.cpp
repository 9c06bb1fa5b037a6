// keepd plugins test: exercises one plugin library without a server, for plugin authors'
// own CI. Loads the file through the real plugin host (trust, ELF, entry symbol, ABI and
// descriptor checks), creates an instance with options from the command line (schema
// checks, path options resolved against --config-dir), drives each kind it implements with
// the inputs given (--auth, --admit, --record, --transport; kernel/cli/plugin_harness.h),
// optionally runs the misbehaviour checks (--checks), and prints one line per step. Never
// prints a secret.
#include <boost/program_options.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/cli/options.h"
#include "kernel/cli/plugin_harness.h"
#include "kernel/cli/subcommands.h"
#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/option_schema.h"
#include "kernel/plugin_host/plugin_error.h"
#include "kernel/plugin_host/plugin_set.h"

namespace keepdb::cli {
namespace {

namespace po = boost::program_options;
using plugin_host::AuthStep;

// "key=value" -> {key, value}; nullopt without '=' or with an empty key.
std::optional<std::pair<std::string, std::string>> parse_option(const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) return std::nullopt;
  return std::pair{text.substr(0, equals), text.substr(equals + 1)};
}

// The --expect values for `count` inputs: none, one for all, or one per input, each parsed
// by `parse`; false (with `error` set) otherwise.
template <typename T, typename Parse>
bool expectations(const std::vector<std::string>& texts, std::size_t count, Parse&& parse,
                  std::vector<std::optional<T>>& expected, std::string& error) {
  expected.assign(count, std::nullopt);
  if (!texts.empty() && texts.size() != 1 && texts.size() != count) return false;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::optional<T> value = parse(texts[i]);
    if (!value) {
      error = "'" + texts[i] + "' is not an answer this option takes";
      return false;
    }
    if (texts.size() == 1) {
      expected.assign(count, value);
    } else {
      expected[i] = value;
    }
  }
  return true;
}

// Parses every list of `texts` with `parse`; false (with `error` naming `flag`) on the first
// malformed one.
template <typename T, typename Parse>
bool parse_all(const std::vector<std::string>& texts, const std::string& flag, Parse&& parse,
               std::vector<T>& parsed, std::string& error) {
  for (const std::string& text : texts) {
    std::optional<T> value = parse(text);
    if (!value) {
      if (error.empty()) error = flag + " '" + text + "' is malformed";
      return false;
    }
    parsed.push_back(std::move(*value));
  }
  return true;
}

// The inputs for each kind; what the plugin does not implement must not be given.
struct Inputs {
  std::vector<harness::AuthInput> auths;
  std::vector<harness::AdmitInput> admits;
  std::vector<harness::RecordInput> records;
  std::vector<harness::TransportStep> steps;
};

// Parses the inputs and their expectations; a usage error message, or "".
std::string parse_inputs(const po::variables_map& values, Inputs& inputs) {
  const auto texts = [&](const char* name) { return values[name].as<std::vector<std::string>>(); };
  std::string error;
  for (const std::string& given : texts("auth")) inputs.auths.push_back({given, std::nullopt});
  std::vector<std::optional<AuthStep::Decision>> decisions;
  const auto decision = [](const std::string& text) -> std::optional<AuthStep::Decision> {
    if (text == "accept") return AuthStep::Decision::kAccept;
    if (text == "reject") return AuthStep::Decision::kReject;
    if (text == "defer") return AuthStep::Decision::kDefer;
    return std::nullopt;
  };
  if (!expectations<AuthStep::Decision>(texts("expect"), inputs.auths.size(), decision,
                                        decisions, error)) {
    return "--expect: give accept, reject or defer once, or once per --auth";
  }
  for (std::size_t i = 0; i < decisions.size(); ++i) inputs.auths[i].expected = decisions[i];

  if (!parse_all<harness::AdmitInput>(texts("admit"), "--admit", harness::parse_admit,
                                      inputs.admits, error)) {
    return error + " (connect, command:NAME, auth_ok:PRINCIPAL, auth_fail, disconnect, tick)";
  }
  std::vector<std::optional<bool>> verdicts;
  const auto verdict = [](const std::string& text) -> std::optional<bool> {
    if (text == "admitted") return true;
    if (text == "denied") return false;
    return std::nullopt;
  };
  if (!expectations<bool>(texts("expect-admit"), inputs.admits.size(), verdict, verdicts,
                          error)) {
    return "--expect-admit: give admitted or denied once, or once per --admit";
  }
  for (std::size_t i = 0; i < verdicts.size(); ++i) inputs.admits[i].expect_admitted = verdicts[i];

  if (!parse_all<harness::RecordInput>(texts("record"), "--record", harness::parse_record,
                                       inputs.records, error)) {
    return error + " (KIND[:ACTION[:OUTCOME[:DETAIL]]], KIND an audit event kind)";
  }
  std::string step_error;
  const auto step = [&](const std::string& text) {
    return harness::parse_transport_step(text, step_error);
  };
  if (!parse_all<harness::TransportStep>(texts("transport"), "--transport", step, inputs.steps,
                                         error)) {
    return "--transport: " + step_error;
  }
  return {};
}

// The kinds the inputs need that the plugin does not implement: "admission, audit"; "".
std::string missing_kinds(const Inputs& inputs, std::uint32_t kinds) {
  std::string missing;
  const std::pair<bool, std::uint32_t> needs[] = {
      {!inputs.auths.empty(), KDB_KIND_AUTHENTICATOR},
      {!inputs.admits.empty(), KDB_KIND_ADMISSION},
      {!inputs.records.empty(), KDB_KIND_AUDIT},
      {!inputs.steps.empty(), KDB_KIND_TRANSPORT}};
  for (const auto& [needed, kind] : needs) {
    if (!needed || (kinds & kind) != 0) continue;
    missing += (missing.empty() ? "" : ", ") + plugin_host::kind_names(kind);
  }
  return missing;
}

}  // namespace

int plugins_test_command(const Args& args) {
  po::options_description options("keepd plugins test options");
  const auto list = [] { return po::value<std::vector<std::string>>()->default_value({}, ""); };
  options.add_options()("help,h", "show this help")(
      "file", po::value<std::string>()->required(), "the plugin library (.so) to test")(
      "option", list(), "key=value: a plugin option, as in [plugin.options] (repeatable)")(
      "config-dir", po::value<std::string>()->default_value(""),
      "directory relative path options resolve against (default: as given)")(
      "name", po::value<std::string>()->default_value("test"), "the instance's [[plugin]] name")(
      "sha256", po::value<std::string>()->default_value(""),
      "refuse the file unless it has this hash")(
      "auth", list(),
      "[user:]secret: ask the authenticator, in order (repeatable; use test secrets only)")(
      "expect", list(),
      "accept|reject|defer: the answer expected; once for every --auth, or once per --auth")(
      "deadline-ms", po::value<unsigned>()->default_value(2000), "time each --auth may take")(
      "admit", list(),
      "connect | command:NAME | auth_ok:PRINCIPAL | auth_fail | disconnect | tick: ask the "
      "admission plugin, in order (repeatable)")(
      "expect-admit", list(), "admitted|denied: once for every --admit, or once per --admit")(
      "principal", po::value<std::string>()->default_value(""),
      "the principal of --admit command and --record events (default: unauthenticated)")(
      "record", list(),
      "KIND[:ACTION[:OUTCOME[:DETAIL]]]: one audit event (KIND: write, auth_fail, ... or its "
      "number), recorded in order, then flush (repeatable)")(
      "transport", list(),
      "feed:BYTES | feed-file:PATH | send:BYTES | close: one step of a transport session "
      "(BYTES with \\n \\r \\t \\0 \\\\ \\xNN escapes), in order (repeatable)")(
      "checks", po::bool_switch(),
      "run the misbehaviour checks for every kind the plugin implements");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map values;
  if (const auto exit = parse_options("plugins test", args, options, positional, values)) {
    return *exit;
  }
  const auto usage_error = [&options](const std::string& message) {
    std::cerr << "keepd plugins test: " << message << "\n" << options;
    return 2;
  };

  plugin_host::OptionList plugin_options;
  for (const std::string& text : values["option"].as<std::vector<std::string>>()) {
    const auto option = parse_option(text);
    if (!option) return usage_error("--option '" + text + "' is not key=value");
    plugin_options.push_back(*option);
  }
  Inputs inputs;
  if (const std::string error = parse_inputs(values, inputs); !error.empty()) {
    return usage_error(error);
  }

  const std::string file = values["file"].as<std::string>();
  const plugin_host::LibraryReport report =
      plugin_host::open_library(file, values["sha256"].as<std::string>());
  if (report.status != plugin_host::LoadStatus::kOk) {
    std::cout << "load: " << plugin_host::load_status_name(report.status) << ": " << report.reason
              << "\n";
    return 1;
  }
  const kdb_plugin_descriptor& descriptor = *report.descriptor;
  std::cout << "load: ok: " << descriptor.name << " " << descriptor.version << ", ABI "
            << *report.abi_major << "." << *report.abi_minor << ", "
            << plugin_host::kind_names(descriptor.kinds) << "\n";
  if (const std::string missing = missing_kinds(inputs, descriptor.kinds); !missing.empty()) {
    std::cout << "inputs: the plugin is no " << missing << "\n";
    return 1;
  }

  harness::RecordingLog log;
  const auto create = [&] {
    return std::make_shared<const plugin_host::PluginInstance>(
        values["name"].as<std::string>(), descriptor, plugin_options,
        values["config-dir"].as<std::string>(), log);
  };
  harness::Instance instance;
  try {
    instance = create();
  } catch (const plugin_host::PluginError& error) {
    std::cout << "create: " << error.what() << "\n";
    return 1;
  }
  std::cout << "create: ok: " << plugin_host::describe_options(descriptor, plugin_options) << "\n";

  const harness::Connection conn{.principal = values["principal"].as<std::string>()};
  const std::chrono::milliseconds deadline(values["deadline-ms"].as<unsigned>());
  bool passed = true;
  if (!inputs.auths.empty()) {
    passed = harness::drive_auth(instance, inputs.auths, deadline, conn, std::cout);
  }
  if (!inputs.admits.empty()) {
    passed = harness::drive_admission(instance, inputs.admits, conn, log, std::cout) && passed;
  }
  if (!inputs.records.empty()) {
    passed = harness::drive_audit(instance, inputs.records, conn, std::cout) && passed;
  }
  if (!inputs.steps.empty()) {
    passed = harness::drive_transport(instance, inputs.steps, conn, std::cout) && passed;
  }
  if (values["checks"].as<bool>()) {
    passed = harness::run_checks(instance, create, deadline, log, std::cout) && passed;
  }
  return passed ? 0 : 1;
}

}  // namespace keepdb::cli
