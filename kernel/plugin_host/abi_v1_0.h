// The sizes of every growable ABI struct as of ABI 1.0: the smallest struct_size the host
// accepts from a plugin. These numbers never change once released (plugin.h convention
// 2); newer fields are read only after checking KDB_HAS.
#pragma once

#include <keepdb/plugin.h>

#include <cstddef>

namespace keepdb::plugin_host::abi_v1_0 {

inline constexpr std::size_t kDescriptorSize = KDB_SIZE_THROUGH(kdb_plugin_descriptor, audit);
inline constexpr std::size_t kOptionSpecSize = KDB_SIZE_THROUGH(kdb_option_spec, help);
inline constexpr std::size_t kAuthenticatorSize =
    KDB_SIZE_THROUGH(kdb_authenticator_v1, authenticate);
inline constexpr std::size_t kTransportSize = KDB_SIZE_THROUGH(kdb_transport_v1, session_free);
inline constexpr std::size_t kAdmissionSize = KDB_SIZE_THROUGH(kdb_admission_v1, tick);
inline constexpr std::size_t kAuditSize = KDB_SIZE_THROUGH(kdb_audit_v1, flush);
inline constexpr std::size_t kAuthCompletionSize = KDB_SIZE_THROUGH(kdb_auth_completion, error);

// Any struct_size above this is a corrupt value, not a future minor version.
inline constexpr std::size_t kMaxStructSize = 64 * 1024;

}  // namespace keepdb::plugin_host::abi_v1_0
