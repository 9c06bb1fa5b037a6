// plugin-admission: a KeepDB admission plugin, written against the installed
// <keepdb/plugin.h> and <keepdb/plugin_sdk.hpp> only.
//
// It refuses the commands named by the option `commands` ("flushdb,keys": lowercase, comma
// separated) to every principal but the one named by `allow_principal` (optional), and
// admits everything else: connections, authentication events, other commands. keepd asks it
// before each command runs, on its network thread, so `check` is O(1) in the request and
// never blocks; it only reads what `create` built, so concurrent calls need no lock.
//
// A refused command reads `-ERR command 'keys' is not allowed here` to the client: the
// reason buffer is ABI 1.3, so the plugin writes it only when the host offers it (an older
// host replies `-ERR rate limit exceeded`). The plugin logs nothing per request (a log line
// per command would be a denial of service on the log); keepd's audit seam records denials.
#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>

#include <memory>
#include <set>
#include <string>

namespace {

struct DenyCommands {
  std::set<std::string, std::less<>> commands;
  std::string allow_principal;  // empty: nobody is exempt
};

constexpr kdb_option_spec kOptions[] = {
    kdb::sdk::option("commands", "comma-separated lowercase command names to refuse",
                     KDB_OPT_REQUIRED),
    kdb::sdk::option("allow_principal", "a principal the commands are not refused to", 0),
};

kdb_status create(const kdb_host_api* host, const kdb_option* options, size_t n, void** instance,
                  kdb_outbuf* error) {
  return KDB_GUARD(error, [&] {
    auto self = std::make_unique<DenyCommands>();
    std::string_view list = *kdb::sdk::find_option(options, n, "commands");  // required
    while (!list.empty()) {
      const std::string_view name = list.substr(0, list.find(','));
      if (name.empty()) {
        kdb::sdk::set_message(error, "option commands has an empty name");
        return KDB_E_INVALID;
      }
      self->commands.emplace(name);
      list.remove_prefix(name.size() < list.size() ? name.size() + 1 : list.size());
    }
    if (const auto allowed = kdb::sdk::find_option(options, n, "allow_principal")) {
      self->allow_principal = std::string(*allowed);
    }
    host->log(host->ctx, KDB_LOG_INFO,
              kdb::sdk::str("refusing " + std::to_string(self->commands.size()) + " commands"));
    *instance = self.release();
    return KDB_OK;
  }());
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<DenyCommands*>(instance); });
}

kdb_status check(void* instance, const kdb_admission_query* query, uint32_t* retry_after_ms) {
  // No error buffer in check: an exception becomes KDB_E_INTERNAL, which keepd treats as a
  // refusal (admission fails closed).
  return KDB_GUARD(nullptr, [&] {
    const auto& self = *static_cast<const DenyCommands*>(instance);
    if (query->event != KDB_ADM_COMMAND) return KDB_OK;
    if (self.commands.count(kdb::sdk::view(query->command)) == 0) return KDB_OK;
    const std::string_view principal = kdb::sdk::view(query->principal);
    if (!self.allow_principal.empty() && principal == self.allow_principal) return KDB_OK;
    *retry_after_ms = 0;  // retrying will not help
    if (KDB_HAS(kdb_admission_query, query, reason)) {  // a 1.3 host lends a reason buffer
      const std::string reason =
          "command '" + std::string(kdb::sdk::view(query->command)) + "' is not allowed here";
      kdb::sdk::set_message(query->reason, reason);
    }
    return KDB_E_DENIED;
  }());
}

constexpr kdb_admission_v1 kAdmission{sizeof(kdb_admission_v1), &check, nullptr};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // written for ABI 1.0: literals, not KDB_ABI_MAJOR/MINOR (plugin.h convention 3)
    0,
    "deny-commands",
    PLUGIN_VERSION,
    "compiler " __VERSION__,
    KDB_KIND_ADMISSION,
    kOptions,
    sizeof kOptions / sizeof kOptions[0],
    &create,
    &destroy,
    nullptr,
    nullptr,
    &kAdmission,  // one table per kind: this one is admission
    nullptr,
};

}  // namespace

extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api*) {
  return &kDescriptor;
}
