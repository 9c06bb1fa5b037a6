// plugin-transport: the shape of a KeepDB transport, written against the installed
// <keepdb/plugin.h> and <keepdb/plugin_sdk.hpp> only. NOT a security protocol: it encrypts
// nothing and proves nothing. It shows the sans-IO session a real transport (TLS:
// plugins/tls) implements, with the smallest possible handshake:
//
//   client -> keepd   "HELLO <name>\n"   (<name>: 1 to 64 bytes of [A-Za-z0-9._-])
//   keepd -> client   "WELCOME\n"
//   then bytes pass through unchanged both ways.
//
// keepd owns the socket. It feeds the bytes it received (feed_ciphertext), drains what the
// session has for the client (pull_ciphertext, until it returns 0 bytes) and for itself
// (read_plaintext), and offers its replies (write_plaintext), reading `state` to know what
// the session wants. A session never buffers more than `max_buffered` bytes in either
// direction (keepd's bound, or this plugin's own when keepd passes 0, as it does today): it
// takes fewer and keepd offers the rest later. A bad greeting fails
// the session: every later call returns KDB_E_TLS, and an empty feed returns the reason.
//
// keepd calls one session from one thread at a time and different sessions concurrently;
// sessions share nothing here, so no lock is needed. The instance holds no state at all.
#include <keepdb/plugin.h>
#include <keepdb/plugin_sdk.hpp>

#include <algorithm>
#include <cstring>
#include <string>

namespace {

constexpr std::string_view kHello = "HELLO ";
constexpr std::string_view kWelcome = "WELCOME\n";
constexpr std::size_t kMaxName = 64;
constexpr std::size_t kDefaultMaxBuffered = 1 << 20;  // when keepd leaves the bound to us

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxName &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

}  // namespace

// The opaque session type plugin.h declares; the plugin defines it.
struct kdb_tls_session {
  enum class Phase { kGreeting, kOpen, kFailed } phase = Phase::kGreeting;
  std::size_t max_buffered = 0;
  std::string greeting;   // bytes of the greeting line received so far
  std::string to_client;  // bytes pull_ciphertext hands out
  std::string to_keepd;   // bytes read_plaintext hands out
  std::string failure;    // why the session failed
  bool closed = false;
  std::string name;  // the greeting's name, once open
  kdb_peer_identity identity{};
};

namespace {

kdb_status fail(kdb_tls_session* session, std::string why) {
  session->phase = kdb_tls_session::Phase::kFailed;
  session->failure = std::move(why);
  return KDB_E_TLS;
}

// Takes `in` as greeting bytes; on the end of the line, opens the session and passes the
// bytes after it on to keepd.
kdb_status take_greeting(kdb_tls_session* session, std::string_view in) {
  const std::size_t end = in.find('\n');
  session->greeting.append(in.substr(0, end));
  if (session->greeting.size() > kHello.size() + kMaxName) {
    return fail(session, "greeting longer than " + std::to_string(kHello.size() + kMaxName));
  }
  if (end == std::string_view::npos) return KDB_OK;  // wait for the rest of the line
  const std::string_view line = session->greeting;
  if (line.substr(0, kHello.size()) != kHello || !valid_name(line.substr(kHello.size()))) {
    return fail(session, "the client did not send HELLO <name>");
  }
  session->name = std::string(line.substr(kHello.size()));
  session->identity = kdb_peer_identity{};
  session->identity.struct_size = sizeof(kdb_peer_identity);
  session->identity.verified = 0;  // a name the client chose: nothing is verified
  session->identity.common_name = kdb::sdk::str(session->name);
  session->to_client.append(kWelcome);
  session->to_keepd.append(in.substr(end + 1));
  session->phase = kdb_tls_session::Phase::kOpen;
  return KDB_OK;
}

kdb_status create(const kdb_host_api*, const kdb_option*, size_t, void** instance, kdb_outbuf*) {
  *instance = nullptr;  // stateless
  return KDB_OK;
}

void destroy(void*) {}

kdb_status session_new(void*, const kdb_conn_info*, size_t max_buffered, kdb_tls_session** out,
                       kdb_outbuf* error) {
  return KDB_GUARD(error, [&] {
    auto* session = new kdb_tls_session;
    session->max_buffered = max_buffered != 0 ? max_buffered : kDefaultMaxBuffered;
    *out = session;
    return KDB_OK;
  }());
}

kdb_status feed_ciphertext(kdb_tls_session* session, kdb_bytes in, size_t* consumed,
                           kdb_outbuf* error) {
  return KDB_GUARD(error, [&]() -> kdb_status {
    *consumed = 0;
    if (session->phase == kdb_tls_session::Phase::kFailed) {
      kdb::sdk::set_message(error, session->failure);
      return KDB_E_TLS;
    }
    const std::size_t room = session->max_buffered -
                             std::min(session->max_buffered, session->to_keepd.size());
    const std::string_view bytes = kdb::sdk::view(in).substr(0, room);
    *consumed = bytes.size();
    if (session->phase == kdb_tls_session::Phase::kOpen) {
      session->to_keepd.append(bytes);
      return KDB_OK;
    }
    const kdb_status status = take_greeting(session, bytes);
    if (status != KDB_OK) kdb::sdk::set_message(error, session->failure);
    return status;
  }());
}

// Moves up to `cap` bytes from the front of `from` to `out`.
size_t hand_out(std::string& from, uint8_t* out, size_t cap) {
  const std::size_t n = std::min(cap, from.size());
  if (n > 0) std::memcpy(out, from.data(), n);
  from.erase(0, n);
  return n;
}

kdb_status pull_ciphertext(kdb_tls_session* session, uint8_t* out, size_t cap, size_t* written) {
  *written = hand_out(session->to_client, out, cap);
  return session->phase == kdb_tls_session::Phase::kFailed && *written == 0 ? KDB_E_TLS : KDB_OK;
}

kdb_status read_plaintext(kdb_tls_session* session, uint8_t* out, size_t cap, size_t* read) {
  *read = hand_out(session->to_keepd, out, cap);
  return session->phase == kdb_tls_session::Phase::kFailed && *read == 0 ? KDB_E_TLS : KDB_OK;
}

kdb_status write_plaintext(kdb_tls_session* session, kdb_bytes in, size_t* consumed) {
  *consumed = 0;
  if (session->phase == kdb_tls_session::Phase::kFailed) return KDB_E_TLS;
  if (session->phase != kdb_tls_session::Phase::kOpen || session->closed) return KDB_OK;
  return kdb::sdk::guard(nullptr, [&] {
    const std::size_t room = session->max_buffered -
                             std::min(session->max_buffered, session->to_client.size());
    const std::string_view bytes = kdb::sdk::view(in).substr(0, room);
    session->to_client.append(bytes);
    *consumed = bytes.size();
    return KDB_OK;
  });
}

uint32_t state(const kdb_tls_session* session) {
  uint32_t bits = 0;
  if (session->phase == kdb_tls_session::Phase::kFailed || session->closed) {
    bits |= KDB_TLS_CLOSED;
  } else {
    bits |= KDB_TLS_WANT_INPUT;
  }
  if (!session->to_client.empty()) bits |= KDB_TLS_HAS_OUTPUT;
  if (!session->to_keepd.empty()) bits |= KDB_TLS_HAS_PLAINTEXT;
  if (session->phase == kdb_tls_session::Phase::kOpen) bits |= KDB_TLS_ESTABLISHED;
  return bits;
}

void close_notify(kdb_tls_session* session) {
  session->closed = true;  // this protocol has no closing message: the socket's end is it
}

const kdb_peer_identity* peer_identity(const kdb_tls_session* session) {
  return session->phase == kdb_tls_session::Phase::kOpen ? &session->identity : nullptr;
}

void session_free(kdb_tls_session* session) {
  delete session;
}

constexpr kdb_transport_v1 kTransport{
    sizeof(kdb_transport_v1), &session_new,  &feed_ciphertext, &pull_ciphertext,
    &read_plaintext,          &write_plaintext, &state,         &close_notify,
    &peer_identity,           &session_free,
};

const kdb_plugin_descriptor kDescriptor{
    sizeof(kdb_plugin_descriptor),
    1,  // written for ABI 1.0: literals, not KDB_ABI_MAJOR/MINOR (plugin.h convention 3)
    0,
    "greeting",
    PLUGIN_VERSION,
    "compiler " __VERSION__,
    KDB_KIND_TRANSPORT,
    nullptr,
    0,
    &create,
    &destroy,
    nullptr,
    &kTransport,  // one table per kind: this one is transport
    nullptr,
    nullptr,
};

}  // namespace

extern "C" const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api*) {
  return &kDescriptor;
}
