// A plugin of kind transport as the kernel's util::Transport: each session call goes through
// kdb_transport_v1 behind the ABI guard, so a plugin that throws, returns a status the host
// does not know, reports more bytes than it was offered or lent, or writes past its error
// buffer fails that session only (with a one-line reason naming the plugin); the last of
// these also disables the instance, as for every kind.
//
// Reload is replacement: replace() swaps in a new instance; sessions opened after it use the
// new one, open sessions keep the instance they were opened on.
//
// Thread-safety: open() from any thread, replace() on the control thread (a mutex guards the
// instance pointer); a session is used by one thread at a time (plugin.h, convention 6).
// Lifetime: every session holds its instance, so destroy() runs after its last session is
// freed.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "kernel/plugin_host/plugin_instance.h"
#include "util/transport_session.h"

namespace keepdb::plugin_host {

class PluginTransport final : public util::Transport {
 public:
  explicit PluginTransport(std::shared_ptr<const PluginInstance> instance);

  std::unique_ptr<util::TransportSession> open(const util::TransportPeer& peer,
                                               std::string& error) override;
  const std::string& label() const override { return label_; }
  const std::string& name() const { return name_; }
  // The instance new sessions are opened on from now on (same plugin, new options).
  void replace(std::shared_ptr<const PluginInstance> instance);

 private:
  const std::string name_;
  const std::string label_;
  mutable std::mutex mutex_;
  std::shared_ptr<const PluginInstance> instance_;  // guarded by mutex_
};

}  // namespace keepdb::plugin_host
