// The kdb_host_api table one plugin instance receives: logging (prefixed with the
// instance's name, made printable), clocks, CSPRNG bytes, auth_complete, which routes
// a KDB_PENDING answer to the waiting chain through pending_auths(), and (ABI 1.1) the
// config file's directory.
//
// Thread-safety: the table's functions may be called from any thread. Lifetime: the
// HostServices must outlive the plugin instance (PluginInstance owns both and destroys
// the instance first); the LogSink must outlive the HostServices.
#pragma once

#include <keepdb/plugin.h>

#include <string>

#include "kernel/plugin_host/log_sink.h"

namespace keepdb::plugin_host {

class HostServices {
 public:
  // `label` names the plugin in every line it logs, e.g. "plugin 'tokens'". `config_dir`
  // is what the plugin reads as host->config_dir (may be empty).
  HostServices(std::string label, std::string config_dir, LogSink& log);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  const kdb_host_api* api() const { return &api_; }
  const std::string& label() const { return label_; }
  LogSink& log() const { return log_; }

 private:
  std::string label_;
  std::string config_dir_;
  LogSink& log_;
  kdb_host_api api_;
};

}  // namespace keepdb::plugin_host
