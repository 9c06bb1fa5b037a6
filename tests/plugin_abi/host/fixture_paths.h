// Paths of the built fixture plugins, from compile definitions set in CMakeLists.txt.
#pragma once

namespace keepdb::plugin_host::testing::fixture {

inline constexpr const char* kFrozenV1_0 = KDB_FIXTURE_FROZEN_V1_0;
inline constexpr const char* kThrows = KDB_FIXTURE_THROWS;
inline constexpr const char* kBadStructSize = KDB_FIXTURE_BAD_STRUCT_SIZE;
inline constexpr const char* kWrongAbi = KDB_FIXTURE_WRONG_ABI;
inline constexpr const char* kNoEntrySymbol = KDB_FIXTURE_NO_ENTRY_SYMBOL;
inline constexpr const char* kNotALibrary = KDB_FIXTURE_NOT_A_LIBRARY;
inline constexpr const char* kSlowAuth = KDB_FIXTURE_SLOW_AUTH;
inline constexpr const char* kDenyAll = KDB_FIXTURE_DENY_ALL;
inline constexpr const char* kDeferAll = KDB_FIXTURE_DEFER_ALL;
inline constexpr const char* kPendingAuth = KDB_FIXTURE_PENDING_AUTH;
inline constexpr const char* kMisbehaving = KDB_FIXTURE_MISBEHAVING;
inline constexpr const char* kOverflow = KDB_FIXTURE_OVERFLOW;
inline constexpr const char* kConstructorMarker = KDB_FIXTURE_CONSTRUCTOR_MARKER;
inline constexpr const char* kAdmission = KDB_FIXTURE_ADMISSION;
inline constexpr const char* kAuditFile = KDB_FIXTURE_AUDIT_FILE;
inline constexpr const char* kTransportKind = KDB_FIXTURE_TRANSPORT_KIND;
inline constexpr const char* kAuthToken = KDB_PLUGIN_AUTH_TOKEN;

}  // namespace keepdb::plugin_host::testing::fixture
