// The tls plugin's ABI surface: the descriptor, create/destroy and the transport table.
// Every entry point is wrapped by the SDK's barrier; the logic is Context and Session.
#include "plugins/tls/tls_plugin.h"

#include <openssl/opensslv.h>

#include <keepdb/plugin_sdk.hpp>
#include <memory>
#include <stdexcept>

#include "plugins/tls/tls_context.h"
#include "plugins/tls/tls_session.h"
#include "plugins/tls/tls_settings.h"

// The opaque session type of plugin.h is our Session.
struct kdb_tls_session : keepdb::tls::Session {
  using Session::Session;
};

namespace keepdb::tls {
namespace {

// What create() returns: the shared Context that sessions keep alive.
struct Instance {
  std::shared_ptr<const Context> context;
};

kdb_status create_instance(const kdb_host_api* host, const kdb_option* options,
                           std::size_t n_options, void** instance, kdb_outbuf* error) {
  try {
    *instance =
        new Instance{std::make_shared<const Context>(parse_settings(options, n_options), host)};
  } catch (const std::invalid_argument& invalid) {
    kdb::sdk::set_message(error, invalid.what());
    return KDB_E_INVALID;
  }
  return KDB_OK;
}

kdb_status new_session(void* instance, const kdb_conn_info* conn, std::size_t max_buffered,
                       kdb_tls_session** out, kdb_outbuf* error) {
  try {
    *out = new kdb_tls_session(
        Context::for_connection(static_cast<Instance*>(instance)->context, conn), conn,
        max_buffered);
  } catch (const std::invalid_argument& invalid) {
    kdb::sdk::set_message(error, invalid.what());
    return KDB_E_INVALID;
  }
  return KDB_OK;
}

kdb_status create(const kdb_host_api* host, const kdb_option* options, size_t n_options,
                  void** instance, kdb_outbuf* error) {
  return KDB_GUARD(error, create_instance(host, options, n_options, instance, error));
}

void destroy(void* instance) {
  kdb::sdk::guard_void([&] { delete static_cast<Instance*>(instance); });
}

kdb_status session_new(void* instance, const kdb_conn_info* conn, size_t max_buffered,
                       kdb_tls_session** out, kdb_outbuf* error) {
  *out = nullptr;
  return KDB_GUARD(error, new_session(instance, conn, max_buffered, out, error));
}

kdb_status feed_ciphertext(kdb_tls_session* session, kdb_bytes in, size_t* consumed,
                           kdb_outbuf* error) {
  *consumed = 0;
  return KDB_GUARD(error, session->feed_ciphertext(in, consumed, error));
}

kdb_status pull_ciphertext(kdb_tls_session* session, uint8_t* out, size_t cap, size_t* written) {
  *written = 0;
  return KDB_GUARD(nullptr, (*written = session->pull_ciphertext(out, cap), KDB_OK));
}

// KDB_E_TLS when the session failed and there was nothing left to read.
kdb_status read_plaintext(kdb_tls_session* session, uint8_t* out, size_t cap, size_t* read) {
  *read = 0;
  return KDB_GUARD(nullptr, (*read = session->read_plaintext(out, cap),
                             *read == 0 && session->failed() ? KDB_E_TLS : KDB_OK));
}

kdb_status write_plaintext(kdb_tls_session* session, kdb_bytes in, size_t* consumed) {
  *consumed = 0;
  return KDB_GUARD(nullptr, session->write_plaintext(in, consumed));
}

uint32_t state(const kdb_tls_session* session) {
  return session->state();
}

void close_notify(kdb_tls_session* session) {
  kdb::sdk::guard_void([&] { session->close_notify(); });
}

const kdb_peer_identity* peer_identity(const kdb_tls_session* session) {
  return session->peer_identity();
}

void session_free(kdb_tls_session* session) {
  kdb::sdk::guard_void([&] { delete session; });
}

constexpr kdb_transport_v1 kTransport{
    sizeof(kdb_transport_v1), &session_new, &feed_ciphertext, &pull_ciphertext, &read_plaintext,
    &write_plaintext,         &state,       &close_notify,    &peer_identity,   &session_free,
};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // ABI major this plugin was written for (plugin.h convention 3)
    1,  // ABI minor: 1.1 for KDB_OPT_PATH
    "tls",
    KEEPDB_TLS_VERSION,
    "compiler " __VERSION__ "; " OPENSSL_VERSION_TEXT,
    KDB_KIND_TRANSPORT,
    option_specs(),
    option_count(),
    &create,
    &destroy,
    nullptr,
    &kTransport,
    nullptr,
    nullptr,
};

}  // namespace

const kdb_plugin_descriptor& plugin_descriptor() {
  return kDescriptor;
}

bool session_resumed(const kdb_tls_session* session) {
  return session->resumed();
}

}  // namespace keepdb::tls
