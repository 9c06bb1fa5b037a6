// The ABI 1.0 layout, pinned: offsets of released fields and the sizes of the frozen value
// types never change (plugin.h convention 2). Growable structs may get bigger, so only
// their 1.0 minimum sizes (abi_v1_0.h) are pinned. Numbers for LP64 (x86-64, AArch64).
#include <catch2/catch.hpp>
#include <cstddef>

#include "kernel/plugin_host/abi_v1_0.h"

namespace keepdb::plugin_host {

static_assert(sizeof(void*) == 8 && sizeof(long) == 8, "layout numbers are for LP64");

static_assert(sizeof(kdb_str) == 16 && sizeof(kdb_bytes) == 16);
static_assert(sizeof(kdb_outbuf) == 24 && sizeof(kdb_option) == 32);

static_assert(offsetof(kdb_option_spec, key) == 8 && offsetof(kdb_option_spec, help) == 16);
static_assert(offsetof(kdb_host_api, ctx) == 8 && offsetof(kdb_host_api, log) == 16);
static_assert(offsetof(kdb_host_api, auth_complete) == 48);
static_assert(offsetof(kdb_host_api, config_dir) == 56 && sizeof(kdb_host_api) == 72);  // 1.1
static_assert(KDB_OPT_PATH == 4);
static_assert(offsetof(kdb_auth_completion, ticket) == 8);
static_assert(offsetof(kdb_auth_completion, principal) == 16);
static_assert(offsetof(kdb_auth_completion, error) == 48);
static_assert(offsetof(kdb_conn_info, peer_addr) == 16 && offsetof(kdb_conn_info, peer) == 40);
static_assert(offsetof(kdb_conn_info, dialed) == 48 && offsetof(kdb_conn_info, server_name) == 56);  // 1.2
static_assert(offsetof(kdb_admission_query, reason) == 56);  // 1.3
static_assert(offsetof(kdb_audit_event, detail) == 88 && offsetof(kdb_audit_event, key) == 104);
static_assert(offsetof(kdb_audit_event, node_id) == 120);
static_assert(offsetof(kdb_audit_event, duration_us) == 136);  // 1.4
static_assert(sizeof(kdb_audit_event) == 144);
static_assert(KDB_AUDIT_UNTIMED == UINT64_MAX);
static_assert(offsetof(kdb_peer_identity, sha256) == 72);
static_assert(offsetof(kdb_peer_identity, sni) == 168);
static_assert(offsetof(kdb_auth_request, secret) == 48);
static_assert(offsetof(kdb_auth_request, ticket) == 64);
static_assert(offsetof(kdb_principal, name) == 8 && offsetof(kdb_principal, roles) == 32);
static_assert(offsetof(kdb_principal, expires_unix_s) == 40);
static_assert(offsetof(kdb_transport_v1, session_free) == 72);
static_assert(offsetof(kdb_plugin_descriptor, name) == 8);
static_assert(offsetof(kdb_plugin_descriptor, kinds) == 32);
static_assert(offsetof(kdb_plugin_descriptor, create) == 56);
static_assert(offsetof(kdb_plugin_descriptor, authenticator) == 72);
static_assert(offsetof(kdb_plugin_descriptor, audit) == 96);

static_assert(abi_v1_0::kDescriptorSize == 104 && abi_v1_0::kOptionSpecSize == 24);
static_assert(abi_v1_0::kAuthenticatorSize == 16 && abi_v1_0::kTransportSize == 80);
static_assert(abi_v1_0::kAdmissionSize == 24 && abi_v1_0::kAuditSize == 24);
static_assert(abi_v1_0::kAuthCompletionSize == 64);

TEST_CASE("ABI 1.0 layout is pinned at compile time (LP64)", "[abi]") {
  CHECK(KDB_ABI_MAJOR == 1);
  CHECK(KDB_ABI_MINOR >= 0);
}

}  // namespace keepdb::plugin_host
