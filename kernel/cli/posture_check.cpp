// Gathering the posture facts from the machine, and printing the posture table.
#include "kernel/cli/posture_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>

#include "kernel/plugin_host/library_loader.h"

namespace keepdb::cli {
namespace {

config::PluginFacts plugin_facts(const config::PluginSpec& spec) {
  const plugin_host::LibraryReport report = plugin_host::open_library(spec.path, spec.sha256);
  if (report.status != plugin_host::LoadStatus::kOk) {
    throw std::runtime_error("plugin '" + spec.name + "' (" + spec.path.string() +
                             "): " + std::string(plugin_host::load_status_name(report.status)) +
                             ": " + report.reason);
  }
  const std::uint32_t kinds = report.descriptor->kinds;
  return {report.descriptor->name, (kinds & KDB_KIND_AUTHENTICATOR) != 0,
          (kinds & KDB_KIND_TRANSPORT) != 0, (kinds & KDB_KIND_ADMISSION) != 0,
          (kinds & KDB_KIND_AUDIT) != 0};
}

config::FileFacts file_facts(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return {};
  return {true, static_cast<std::uint32_t>(status.st_mode & 07777),
          static_cast<std::uint64_t>(status.st_size)};
}

bool is_accepted(const config::Config& config, const config::Control& row) {
  const auto& risks = config.security.accept_risks;
  return row.status != config::ControlStatus::kOk &&
         std::find(risks.begin(), risks.end(), row.risk) != risks.end();
}

std::string_view level_name(const config::Config& config) {
  return config.security.level == config::SecurityLevel::kProd ? "prod" : "dev";
}

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

}  // namespace

PostureReport check_posture(const config::Config& config) {
  config::PostureFacts facts;
  for (const config::PluginSpec& spec : config.plugins.load) {
    facts.plugins.emplace(spec.name, plugin_facts(spec));
  }
  for (const config::PostureFile& file : config::posture_files(config)) {
    facts.files.emplace(file.path, file_facts(file.path));
  }
  facts.running_as_root = ::geteuid() == 0;
  PostureReport report;
  report.controls = config::evaluate_posture(config, facts);
  report.refusals = config::posture_refusals(config, report.controls);
  return report;
}

std::string posture_table(const config::Config& config, const PostureReport& report) {
  std::size_t name_width = 0;
  std::size_t risk_width = 0;
  for (const config::Control& row : report.controls) {
    name_width = std::max(name_width, row.name.size() + 2);
    risk_width = std::max(risk_width, row.risk.size() + 2);
  }
  constexpr std::size_t kStatusWidth = 9;  // "missing*" and a space
  std::string text = "security level " + std::string(level_name(config)) + "\n";
  text += padded("STATUS", kStatusWidth) + padded("CONTROL", name_width) +
          padded("RISK", risk_width) + "KEY: REASON\n";
  for (const config::Control& row : report.controls) {
    const std::string status = std::string(config::control_status_name(row.status)) +
                               (is_accepted(config, row) ? "*" : "");
    text += padded(status, kStatusWidth) + padded(row.name, name_width) +
            padded(row.risk, risk_width) + row.key + ": " + row.reason + "\n";
  }
  text += "(* accepted in [security] accept_risks)\n";
  return text;
}

boost::json::object posture_json(const config::Config& config, const PostureReport& report) {
  boost::json::array controls;
  for (const config::Control& row : report.controls) {
    controls.push_back(boost::json::object{{"control", row.name},
                                           {"status", config::control_status_name(row.status)},
                                           {"risk", row.risk},
                                           {"key", row.key},
                                           {"reason", row.reason},
                                           {"accepted", is_accepted(config, row)}});
  }
  boost::json::array refusals;
  for (const std::string& refusal : report.refusals)
    refusals.push_back(boost::json::string(refusal));
  return {{"level", level_name(config)},
          {"controls", std::move(controls)},
          {"refusals", std::move(refusals)},
          {"would_start", report.refusals.empty()}};
}

}  // namespace keepdb::cli
