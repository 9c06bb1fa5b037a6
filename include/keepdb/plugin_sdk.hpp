// keepdb/plugin_sdk.hpp: a tiny C++17 helper for writing KeepDB plugins against
// keepdb/plugin.h. Header-only, no dependencies beyond the standard library.
//
// What it owns: the exception barrier (convention 5 of plugin.h: nothing may unwind into
// the host) and small conversions between the ABI's value types and std::string_view.
// Every function here is noexcept and thread-safe; none allocates.
//
// Usage, for every function the descriptor points to:
//
//   static kdb_status my_authenticate(void* inst, const kdb_auth_request* req,
//                                     kdb_principal* out, kdb_outbuf* error) {
//     return KDB_GUARD(error, static_cast<MyPlugin*>(inst)->authenticate(*req, *out, *error));
//   }
//   static void my_destroy(void* inst) { kdb::sdk::guard_void([&] { delete ...; }); }
#pragma once

#include <keepdb/plugin.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string_view>

namespace kdb::sdk {

// Copies `message` into a host buffer, truncated to its capacity. `out` may be NULL.
inline void set_message(kdb_outbuf* out, std::string_view message) noexcept {
  if (out == nullptr || out->ptr == nullptr) return;
  const std::size_t n = message.size() < out->cap ? message.size() : out->cap;
  if (n > 0) std::memcpy(out->ptr, message.data(), n);
  out->len = n;
}

inline std::string_view view(kdb_str s) noexcept {
  return s.len == 0 ? std::string_view() : std::string_view(s.ptr, s.len);
}

inline std::string_view view(kdb_bytes b) noexcept {
  return b.len == 0 ? std::string_view()
                    : std::string_view(reinterpret_cast<const char*>(b.ptr), b.len);
}

inline kdb_str str(std::string_view s) noexcept {
  return kdb_str{s.data(), s.size()};
}

// A schema entry with struct_size filled in.
constexpr kdb_option_spec option(const char* key, const char* help, std::uint32_t flags) noexcept {
  return kdb_option_spec{sizeof(kdb_option_spec), flags, key, help};
}

// The KDB_ROLE_* bit a role name stands for ("read", "write", "admin"), 0 for any other
// name: the one spelling of roles every plugin reading role lists shares.
constexpr std::uint32_t role_bit(std::string_view name) noexcept {
  if (name == "read") return KDB_ROLE_READ;
  if (name == "write") return KDB_ROLE_WRITE;
  if (name == "admin") return KDB_ROLE_ADMIN;
  return 0;
}

// The value of `key` among the options create() received, if present.
inline std::optional<std::string_view> find_option(const kdb_option* options, std::size_t n,
                                                   std::string_view key) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (view(options[i].key) == key) return view(options[i].value);
  }
  return std::nullopt;
}

// The directory of the configuration file (plugin.h, kdb_host_api.config_dir), or an
// empty view from a 1.0 host or when the instance was not configured from a file.
inline std::string_view config_dir(const kdb_host_api* host) noexcept {
  if (host == nullptr || !KDB_HAS(kdb_host_api, host, config_dir)) return {};
  return view(host->config_dir);
}

// Runs `body` (returning kdb_status) and turns any exception into a status: bad_alloc
// becomes KDB_E_NOMEM, anything else KDB_E_INTERNAL, with what() as the error message.
// Exception messages follow the same rule as every other message: no secrets.
template <typename Body>
kdb_status guard(kdb_outbuf* error, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    set_message(error, "out of memory");
    return KDB_E_NOMEM;
  } catch (const std::exception& e) {
    set_message(error, e.what());
    return KDB_E_INTERNAL;
  } catch (...) {
    set_message(error, "unknown exception");
    return KDB_E_INTERNAL;
  }
}

// For functions that return nothing (destroy, tick, close_notify): an exception is
// swallowed, since there is no way to report it.
template <typename Body>
void guard_void(Body&& body) noexcept {
  try {
    body();
  } catch (...) {
  }
}

}  // namespace kdb::sdk

// Evaluates the expression after `error_outbuf` (a kdb_status) behind the exception
// barrier. Variadic, so the expression may contain top-level commas
// (`KDB_GUARD(error, make(new Deny{host, {}}))`).
#define KDB_GUARD(error_outbuf, ...) \
  ::kdb::sdk::guard((error_outbuf), [&]() -> kdb_status { return (__VA_ARGS__); })
