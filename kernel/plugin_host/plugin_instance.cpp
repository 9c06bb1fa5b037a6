// create() and destroy() of one plugin instance, behind the ABI guard.
#include "kernel/plugin_host/plugin_instance.h"

#include <vector>

#include "kernel/plugin_host/abi_guard.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::plugin_host {
namespace {

kdb_str to_str(const std::string& text) {
  return kdb_str{text.data(), text.size()};
}

std::string instance_label(const std::string& name, const kdb_plugin_descriptor& descriptor) {
  return "plugin '" + name + "' (" + descriptor.name + ")";
}

}  // namespace

PluginInstance::PluginInstance(std::string name, const kdb_plugin_descriptor& descriptor,
                               const OptionList& given_options,
                               const std::filesystem::path& config_dir, LogSink& log)
    : name_(std::move(name)),
      descriptor_(descriptor),
      services_(instance_label(name_, descriptor), config_dir.string(), log) {
  check_options(label(), descriptor_, given_options);
  const OptionList options = resolve_path_options(descriptor_, given_options, config_dir);

  std::vector<kdb_option> abi_options;
  abi_options.reserve(options.size());
  for (const auto& [key, value] : options) abi_options.push_back({to_str(key), to_str(value)});

  HostBuffer error_buffer(kMaxPluginMessage);
  kdb_outbuf error = error_buffer.outbuf();
  std::string failure;
  const kdb_status status = call_guarded(
      [&] {
        return descriptor_.create(services_.api(), abi_options.data(), abi_options.size(), &handle_,
                                  &error);
      },
      failure);
  const BufferBreach breach = error_buffer.inspect(error);
  if (status == KDB_OK && failure.empty() && breach != BufferBreach::kWrotePastCap) {
    log.write(LogLevel::kInfo, label() + " " + descriptor_.version +
                                   " created; options: " + describe_options(descriptor_, options));
    return;
  }
  // A write past the error buffer fails create whatever it returned; an instance it did
  // create is destroyed at once, so its resources are released.
  std::string message = label() + ": create failed";
  if (breach == BufferBreach::kWrotePastCap) {
    if (status == KDB_OK && failure.empty()) destroy_instance();
    message += ": " + std::string(breach_text(breach)) + " lent for its error message (" +
               std::to_string(kMaxPluginMessage) + " bytes)";
  } else if (!failure.empty()) {
    message += ": " + failure;
  } else if (!is_known_status(status)) {
    message += ": returned " + status_name(status);
  } else if (breach != BufferBreach::kNone) {
    message += " (" + status_name(status) + ") and " + std::string(breach_text(breach)) +
               " lent for its error message (" + std::to_string(kMaxPluginMessage) + " bytes)";
  } else {
    const std::string_view text = *error_buffer.read(error);
    message += " (" + status_name(status) + ")" + (text.empty() ? "" : ": " + printable(text));
  }
  throw PluginError(message);
}

PluginInstance::~PluginInstance() {
  destroy_instance();
}

void PluginInstance::destroy_instance() noexcept {
  std::string failure;
  call_guarded(
      [&] {
        descriptor_.destroy(handle_);
        return KDB_OK;
      },
      failure);
  if (!failure.empty()) log().write(LogLevel::kError, label() + ": destroy " + failure);
}

}  // namespace keepdb::plugin_host
