// Checks a plugin descriptor field by field against ABI 1.0.
#include "kernel/plugin_host/descriptor_check.h"

#include <cstring>
#include <set>
#include <string_view>

#include "kernel/plugin_host/abi_v1_0.h"

namespace keepdb::plugin_host {
namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxOptions = 256;
constexpr std::uint32_t kKnownKinds =
    KDB_KIND_AUTHENTICATOR | KDB_KIND_TRANSPORT | KDB_KIND_ADMISSION | KDB_KIND_AUDIT;
constexpr std::uint32_t kKnownOptionFlags = KDB_OPT_REQUIRED | KDB_OPT_SENSITIVE | KDB_OPT_PATH;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A bounded strlen: the length of a static plugin string, or npos past `limit`.
std::size_t bounded_length(const char* text, std::size_t limit) {
  const std::size_t length = ::strnlen(text, limit + 1);
  return length > limit ? std::string_view::npos : length;
}

std::string size_problem(std::string_view what, std::uint32_t size, std::size_t minimum) {
  if (size < minimum) {
    return std::string(what) + " struct_size " + std::to_string(size) +
           " is smaller than ABI 1.0's " + std::to_string(minimum);
  }
  if (size > abi_v1_0::kMaxStructSize) {
    return std::string(what) + " struct_size " + std::to_string(size) + " is implausibly large";
  }
  return {};
}

std::string name_problem(const char* name) {
  if (name == nullptr) return "descriptor has no name";
  const std::size_t length = bounded_length(name, kMaxNameLength);
  if (length == 0 || length == std::string_view::npos) {
    return "plugin name must be 1 to 64 characters";
  }
  for (std::size_t i = 0; i < length; ++i) {
    if (!is_name_char(name[i])) return "plugin name may only use a-z, 0-9, '-' and '_'";
  }
  return {};
}

std::string text_problem(std::string_view what, const char* text, bool required) {
  if (text == nullptr) return required ? "descriptor has no " + std::string(what) : std::string();
  if (bounded_length(text, 256) == std::string_view::npos) {
    return "descriptor " + std::string(what) + " is longer than 256 characters";
  }
  return {};
}

// Every kind bit must come with its table, large enough and with its functions set.
std::string kind_tables_problem(const kdb_plugin_descriptor& d) {
  if (d.kinds == 0) return "descriptor declares no kind";
  if ((d.kinds & ~kKnownKinds) != 0) return "descriptor declares an unknown kind";
  if ((d.kinds & KDB_KIND_AUTHENTICATOR) != 0) {
    if (d.authenticator == nullptr) return "authenticator kind without an authenticator table";
    if (auto p = size_problem("authenticator", d.authenticator->struct_size,
                              abi_v1_0::kAuthenticatorSize);
        !p.empty()) {
      return p;
    }
    if (d.authenticator->authenticate == nullptr) return "authenticator table has no authenticate";
  }
  if ((d.kinds & KDB_KIND_TRANSPORT) != 0) {
    if (d.transport == nullptr) return "transport kind without a transport table";
    if (auto p = size_problem("transport", d.transport->struct_size, abi_v1_0::kTransportSize);
        !p.empty()) {
      return p;
    }
    const kdb_transport_v1& t = *d.transport;
    if (!t.session_new || !t.feed_ciphertext || !t.pull_ciphertext || !t.read_plaintext ||
        !t.write_plaintext || !t.state || !t.close_notify || !t.peer_identity || !t.session_free) {
      return "transport table has a NULL function";
    }
  }
  if ((d.kinds & KDB_KIND_ADMISSION) != 0) {
    if (d.admission == nullptr) return "admission kind without an admission table";
    if (auto p = size_problem("admission", d.admission->struct_size, abi_v1_0::kAdmissionSize);
        !p.empty()) {
      return p;
    }
    if (d.admission->check == nullptr) return "admission table has no check";
  }
  if ((d.kinds & KDB_KIND_AUDIT) != 0) {
    if (d.audit == nullptr) return "audit kind without an audit table";
    if (auto p = size_problem("audit", d.audit->struct_size, abi_v1_0::kAuditSize); !p.empty()) {
      return p;
    }
    if (d.audit->record == nullptr) return "audit table has no record";
  }
  return {};
}

std::string option_schema_problem(const kdb_plugin_descriptor& d) {
  if (d.n_options == 0) return {};
  if (d.options == nullptr) return "descriptor declares options but no option table";
  if (d.n_options > kMaxOptions) return "descriptor declares more than 256 options";
  const std::uint32_t stride = d.options[0].struct_size;
  if (auto p = size_problem("option spec", stride, abi_v1_0::kOptionSpecSize); !p.empty()) {
    return p;
  }
  std::set<std::string_view> keys;
  for (std::size_t i = 0; i < d.n_options; ++i) {
    const kdb_option_spec& spec = option_spec_at(d, i);
    if (spec.struct_size != stride) return "option specs differ in struct_size";
    if (spec.key == nullptr) return "option spec without a key";
    const std::size_t length = bounded_length(spec.key, kMaxNameLength);
    if (length == 0 || length == std::string_view::npos) {
      return "option key must be 1 to 64 characters";
    }
    const std::string_view key(spec.key, length);
    if (!keys.insert(key).second) return "option '" + std::string(key) + "' is declared twice";
    if ((spec.flags & ~kKnownOptionFlags) != 0) {
      return "option '" + std::string(key) + "' has unknown flags";
    }
  }
  return {};
}

}  // namespace

const kdb_option_spec& option_spec_at(const kdb_plugin_descriptor& descriptor, std::size_t index) {
  const auto* base = reinterpret_cast<const unsigned char*>(descriptor.options);
  return *reinterpret_cast<const kdb_option_spec*>(base +
                                                   index * descriptor.options[0].struct_size);
}

bool abi_major_matches(const kdb_plugin_descriptor& descriptor) {
  return descriptor.struct_size >= KDB_SIZE_THROUGH(kdb_plugin_descriptor, abi_minor) &&
         descriptor.abi_major == KDB_ABI_MAJOR;
}

std::string descriptor_problem(const kdb_plugin_descriptor& d) {
  if (auto p = size_problem("descriptor", d.struct_size, abi_v1_0::kDescriptorSize); !p.empty()) {
    return p;
  }
  if (auto p = name_problem(d.name); !p.empty()) return p;
  if (auto p = text_problem("version", d.version, true); !p.empty()) return p;
  if (auto p = text_problem("build_info", d.build_info, false); !p.empty()) return p;
  if (d.create == nullptr || d.destroy == nullptr) return "descriptor lacks create or destroy";
  if (auto p = kind_tables_problem(d); !p.empty()) return p;
  return option_schema_problem(d);
}

}  // namespace keepdb::plugin_host
