// plugin-audit: a KeepDB audit sink, written against the installed <keepdb/plugin.h> and
// <keepdb/plugin_sdk.hpp> only.
//
// It appends one text line per event to the file named by the option `path` (created with
// mode 0600), and fsyncs it whenever keepd flushes (when its audit queue runs empty, and at
// shutdown):
//
//   1733390000123456789 7 set admitted principal=bob peer=127.0.0.1:50000 key=greeting
//
// (wall time in ns, the event kind's number, action, outcome, principal, client, detail).
//
// Bytes outside printable ASCII in any field are written as \xNN, so one event is always
// one line. keepd calls record and flush serially from one audit thread, so the plugin needs
// no lock; they may block (the queue in front of them absorbs it). A failed write returns
// KDB_E_INTERNAL: keepd counts it, logs it and, with `fail_closed = true`, refuses the
// commands it would record until a retry succeeds.
//
// `path` is flagged KDB_OPT_PATH (ABI 1.1): a relative value arrives resolved against the
// configuration file's directory. A 1.0 host would refuse the flag, so the entry point
// returns NULL to one.
#include <fcntl.h>
#include <unistd.h>

#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace {

struct AuditLines {
  int fd = -1;
  ~AuditLines() {
    if (fd >= 0) ::close(fd);
  }
};

constexpr kdb_option_spec kOptions[] = {
    kdb::sdk::option("path", "the file events are appended to", KDB_OPT_REQUIRED | KDB_OPT_PATH),
};

// `text` with bytes outside printable ASCII (and the backslash) as \xNN.
void append_escaped(std::string& line, std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x21 && byte < 0x7f && byte != '\\') {
      line += c;
    } else {
      line += "\\x";
      line += kHex[byte >> 4];
      line += kHex[byte & 0xf];
    }
  }
}

kdb_status create(const kdb_host_api*, const kdb_option* options, size_t n, void** instance,
                  kdb_outbuf* error) {
  return KDB_GUARD(error, [&] {
    const std::string path(*kdb::sdk::find_option(options, n, "path"));  // required
    auto self = std::make_unique<AuditLines>();
    self->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (self->fd < 0) {
      kdb::sdk::set_message(error, "cannot open " + path + ": " + std::strerror(errno));
      return KDB_E_INVALID;
    }
    *instance = self.release();
    return KDB_OK;
  }());
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<AuditLines*>(instance); });
}

kdb_status record(void* instance, const kdb_audit_event* event) {
  return KDB_GUARD(nullptr, [&] {
    const auto& self = *static_cast<const AuditLines*>(instance);
    std::string line = std::to_string(event->wall_ns) + " " + std::to_string(event->type) + " ";
    append_escaped(line, kdb::sdk::view(event->action));
    line += ' ';
    append_escaped(line, kdb::sdk::view(event->outcome));
    line += " principal=";
    append_escaped(line, kdb::sdk::view(event->principal));
    line += " peer=";
    append_escaped(line, kdb::sdk::view(event->peer_addr));
    line += ' ';
    append_escaped(line, kdb::sdk::view(event->detail));
    line += '\n';
    for (std::size_t written = 0; written < line.size();) {
      const ssize_t n = ::write(self.fd, line.data() + written, line.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return KDB_E_INTERNAL;
      written += static_cast<std::size_t>(n);
    }
    return KDB_OK;
  }());
}

kdb_status flush(void* instance) {
  const auto& self = *static_cast<const AuditLines*>(instance);
  return ::fsync(self.fd) == 0 ? KDB_OK : KDB_E_INTERNAL;
}

constexpr kdb_audit_v1 kAudit{sizeof(kdb_audit_v1), &record, &flush};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // written for ABI 1.1 (KDB_OPT_PATH): literals, not KDB_ABI_MAJOR/MINOR
    1,
    "audit-lines",
    PLUGIN_VERSION,
    "compiler " __VERSION__,
    KDB_KIND_AUDIT,
    kOptions,
    sizeof kOptions / sizeof kOptions[0],
    &create,
    &destroy,
    nullptr,
    nullptr,
    nullptr,
    &kAudit,  // one table per kind: this one is audit
};

}  // namespace

extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api* host) {
  return host->abi_minor >= 1 ? &kDescriptor : nullptr;
}
