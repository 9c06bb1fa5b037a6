// The reload command family: KEEPDB.RELOAD (admin) re-reads the configuration file through
// the node's ConfigReload (config_reload.h) and replies +OK or the error that kept the
// running configuration.
#include "kernel/commands/command_families.h"
#include "kernel/commands/config_reload.h"
#include "kernel/commands/node_context.h"

namespace keepdb::commands {
namespace {

void exec_reload(ExecContext& c) {
  ConfigReload* reloader = c.node.reloader();
  if (reloader == nullptr) {
    c.out.error("ERR this node cannot reload its configuration");
    return;
  }
  const auto error = reloader->reload(
      {"KEEPDB.RELOAD", c.session.id, c.session.peer_address, c.session.principal});
  if (error) {
    c.out.error(*error);
  } else {
    c.out.simple("OK");
  }
}

constexpr CommandSpec kReloadCommands[] = {
    keyless_command("server", "keepdb.reload", 1, Access::kAdmin, "0.1.0",
                    "Re-reads the configuration file: applies all of it or nothing.",
                    exec_reload),
};

}  // namespace

std::span<const CommandSpec> reload_commands() {
  return kReloadCommands;
}

}  // namespace keepdb::commands
