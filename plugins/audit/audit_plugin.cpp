// The audit plugin's ABI surface (libkeepdb_audit.so): descriptor, option schema,
// create/destroy and the kdb_audit_v1 table, all behind the SDK's exception barrier. One
// instance drives one sink, chosen by the `sink` option: the JSON Lines file (FileSink) or
// syslog (SyslogSink); configure two instances to run both side by side.
#include <keepdb/plugin.h>
#include <openssl/opensslv.h>
#include <keepdb/plugin_sdk.hpp>

#include <boost/version.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "plugins/audit/file_sink.h"
#include "plugins/audit/settings.h"
#include "plugins/audit/syslog_sink.h"

namespace {

using keepdb::audit::Sink;

keepdb::audit::Logger host_logger(const kdb_host_api* host) {
  return [host](int level, std::string_view line) {
    if (host != nullptr && host->log != nullptr) host->log(host->ctx, level, kdb::sdk::str(line));
  };
}

kdb_status create_sink(const kdb_host_api* host, const kdb_option* options, size_t n,
                       void** instance, kdb_outbuf* error) {
  std::unique_ptr<Sink> sink;
  try {
    const keepdb::audit::Settings settings = keepdb::audit::parse_settings(options, n);
    if (settings.sink == keepdb::audit::SinkKind::kFile) {
      sink = std::make_unique<keepdb::audit::FileSink>(settings, host_logger(host));
    } else {
      sink = std::make_unique<keepdb::audit::SyslogSink>(settings, host_logger(host));
    }
  } catch (const std::invalid_argument& invalid) {
    kdb::sdk::set_message(error, invalid.what());
    return KDB_E_INVALID;
  }
  *instance = sink.release();
  return KDB_OK;
}

kdb_status create(const kdb_host_api* host, const kdb_option* options, size_t n, void** instance,
                  kdb_outbuf* error) {
  return KDB_GUARD(error, create_sink(host, options, n, instance, error));
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<Sink*>(instance); });
}

kdb_status record(void* instance, const kdb_audit_event* event) {
  if (event == nullptr || !KDB_HAS(kdb_audit_event, event, detail)) return KDB_E_INVALID;
  return KDB_GUARD(nullptr, static_cast<Sink*>(instance)->record(*event) ? KDB_OK : KDB_E_INTERNAL);
}

kdb_status flush(void* instance) {
  return KDB_GUARD(nullptr, static_cast<Sink*>(instance)->flush() ? KDB_OK : KDB_E_INTERNAL);
}

constexpr kdb_audit_v1 kAudit{sizeof(kdb_audit_v1), record, flush};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,
    1,  // KDB_OPT_PATH needs ABI 1.1; the 1.4 event fields are read when present
    "audit",
    KEEPDB_AUDIT_VERSION,
    "compiler " __VERSION__ ", " OPENSSL_VERSION_TEXT ", Boost " BOOST_LIB_VERSION,
    KDB_KIND_AUDIT,
    keepdb::audit::kOptionSpecs,
    keepdb::audit::kOptionCount,
    &create,
    &destroy,
    nullptr,
    nullptr,
    nullptr,
    &kAudit,
};

}  // namespace

extern "C" KDB_EXPORT const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api* host) {
  if (host == nullptr || host->abi_major != 1 || host->abi_minor < 1) return nullptr;
  return &kDescriptor;
}
