// Gathering the posture facts from the machine, and evaluating the table over them.
#include "kernel/node/posture_facts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include "kernel/plugin_host/library_loader.h"

namespace keepdb::node {
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

}  // namespace keepdb::node
