/* keepdb/plugin.h: the contract between KeepDB and its provider plugins (ABI 1.4).
 *
 * This is the only header a plugin needs: C11, no dependencies beyond <stddef.h> and
 * <stdint.h>. A plugin is a shared object that exports one symbol, kdb_plugin_entry_v1,
 * which returns a descriptor: who the plugin is, what kinds of provider it implements,
 * which options it accepts, and one table of functions per kind.
 *
 * Conventions (numbered so that documentation and reviews can cite them):
 *
 *  1. Exports. A plugin exports exactly one symbol per ABI major: kdb_plugin_entry_v1.
 *     Everything else is hidden (-fvisibility=hidden, a version script,
 *     -Wl,--no-undefined). The host exports no symbols for plugins: every service comes
 *     from the kdb_host_api table passed to the entry point and to create().
 *
 *  2. Struct growth. Every struct that may grow begins with `uint32_t struct_size`, set by
 *     whoever fills the struct to sizeof() in the header it was compiled against. Fields
 *     are only ever added at the end, so a reader checks KDB_HAS(T, p, field) before using
 *     a field newer than 1.0. The value types kdb_str, kdb_bytes, kdb_outbuf and kdb_option
 *     are frozen and carry no struct_size. In an array of a growable struct (the option
 *     schema) every element has the same struct_size and readers step by it.
 *
 *  3. Versions. KDB_ABI_MAJOR changes only for an incompatible change and renames the
 *     entry symbol (kdb_plugin_entry_v2), so a mismatched plugin is refused by name.
 *     KDB_ABI_MINOR counts compatible additions. A plugin writes the literal values it was
 *     written for into its descriptor (not these macros re-read on every rebuild:
 *     recompiling against a newer header does not make a plugin use newer fields).
 *
 *  4. Ownership. Every pointer the host passes is borrowed for the duration of the call
 *     only; copy what you keep. Results go into host-owned buffers (kdb_outbuf): the plugin
 *     writes at most `cap` bytes at `ptr` and sets `len`. Nothing allocated on one side is
 *     ever freed on the other. Strings the plugin returns in its descriptor are static.
 *
 *  5. Errors. Functions return a kdb_status. On failure a plugin may write a one-line,
 *     human-readable message into the `error` kdb_outbuf. Messages and log lines must
 *     never contain secrets (tokens, passwords, keys, option values marked sensitive).
 *     No C++ exception, longjmp or C++ type may cross this boundary; C++ plugins wrap every
 *     entry point (keepdb/plugin_sdk.hpp does it with KDB_GUARD). The host treats a status
 *     it does not know, an outbuf `len` larger than its `cap`, a moved outbuf `ptr`, or a
 *     bad struct_size as a plugin failure: the call fails, the kernel stays up. A write past
 *     `cap` that reaches the guard bytes the host places after every buffer it lends is
 *     detected after the call: the call fails and the instance is disabled. Other memory
 *     errors in plugin code are not contained (docs/plugin-authoring.md, section 5).
 *
 *  6. Threading, per kind:
 *     - entry, create and destroy run on the host's control thread, never concurrently
 *       with anything else of the same instance. destroy runs after every in-flight call on
 *       the instance has returned; a plugin that started threads must stop them in destroy.
 *     - authenticator and admission functions are called concurrently from several host
 *       threads on one instance: they must be thread-safe and must not block for long.
 *       An authenticator that must wait (network, disk) returns KDB_PENDING and completes
 *       later through host->auth_complete, from any thread.
 *     - transport: different sessions are used concurrently; one session is never called
 *       concurrently with itself.
 *     - audit: record and flush are called serially from one host thread behind a bounded
 *       queue, and may block (fsync).
 *     - host services are thread-safe and may be called from any thread, including threads
 *       the plugin starts, while the instance exists.
 *
 *  7. Options are a flat list of `key = value` text pairs (a plugin's TOML table flattened
 *     to dotted keys). The host checks them against the schema in the descriptor before
 *     create(): an unknown key or a missing KDB_OPT_REQUIRED key refuses the plugin. Values
 *     of KDB_OPT_SENSITIVE keys are never logged. Prefer `*_file` options for secrets.
 *     Since 1.1, a relative value of a KDB_OPT_PATH key arrives resolved against the
 *     directory of the configuration file (absolute values arrive unchanged), and
 *     host->config_dir names that directory for paths the plugin builds itself.
 *
 *  8. Reload is replacement: the host calls create() with the new options, swaps, then
 *     destroys the old instance once its in-flight calls have drained. A failed create
 *     keeps the old instance. Libraries are never unloaded, so static data lives for the
 *     whole process; do not rely on library destructors.
 *
 *  9. Strings are UTF-8, passed as pointer + length (kdb_str), not NUL-terminated, unless
 *     a field is declared as `const char *` (static NUL-terminated descriptor strings).
 *     Byte strings (kdb_bytes) may contain NUL bytes.
 */
#ifndef KEEPDB_PLUGIN_H
#define KEEPDB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KDB_ABI_MAJOR 1
#define KDB_ABI_MINOR 4

/* The number of bytes of T up to and including `field`. */
#define KDB_SIZE_THROUGH(T, field) (offsetof(T, field) + sizeof(((T*)0)->field))
/* True when the struct at `p` (of type T) is large enough to hold `field` (convention 2). */
#define KDB_HAS(T, p, field) ((size_t)(p)->struct_size >= KDB_SIZE_THROUGH(T, field))

#if defined(_WIN32)
#define KDB_EXPORT __declspec(dllexport)
#else
#define KDB_EXPORT __attribute__((visibility("default")))
#endif

/* ---- Value types (frozen) ------------------------------------------------------------ */

typedef struct kdb_str {
  const char* ptr; /* UTF-8, not NUL-terminated; may be NULL when len == 0 */
  size_t len;
} kdb_str;

typedef struct kdb_bytes {
  const uint8_t* ptr; /* arbitrary bytes, NUL included; may be NULL when len == 0 */
  size_t len;
} kdb_bytes;

/* A host-owned output buffer. The plugin writes at most `cap` bytes at `ptr` and sets
 * `len` to the number written. A message that does not fit is truncated by the plugin. */
typedef struct kdb_outbuf {
  char* ptr;
  size_t cap;
  size_t len;
} kdb_outbuf;

/* One option: a dotted key and its value as text ("8", "true", "/etc/keepdb/tokens"). */
typedef struct kdb_option {
  kdb_str key;
  kdb_str value;
} kdb_option;

/* ---- Status -------------------------------------------------------------------------- */

typedef int32_t kdb_status;
enum {
  KDB_OK = 0,
  KDB_DEFER = 1,          /* authenticator: not mine, ask the next authenticator */
  KDB_PENDING = 2,        /* authenticator: the answer comes later via host->auth_complete */
  KDB_E_DENIED = -1,      /* authenticator/admission: a definite no */
  KDB_E_INVALID = -2,     /* bad input or options */
  KDB_E_NOMEM = -3,       /* out of memory */
  KDB_E_BUFSIZE = -4,     /* a host buffer was too small */
  KDB_E_UNSUPPORTED = -5, /* the request is valid but not supported by this plugin */
  KDB_E_TLS = -6,         /* transport: protocol or certificate failure */
  KDB_E_INTERNAL = -7     /* anything else, including a caught exception */
};

/* ---- Flags --------------------------------------------------------------------------- */

enum {
  KDB_KIND_AUTHENTICATOR = 1u << 0,
  KDB_KIND_TRANSPORT = 1u << 1,
  KDB_KIND_ADMISSION = 1u << 2,
  KDB_KIND_AUDIT = 1u << 3
};

enum {
  KDB_OPT_REQUIRED = 1u << 0,  /* create() is never called without it */
  KDB_OPT_SENSITIVE = 1u << 1, /* its value is never logged or shown */
  /* 1.1: a file-system path. A relative value is resolved against the directory of the
   * configuration file before create(); an absolute one is passed unchanged. A 1.0 host
   * refuses the flag as unknown, so a plugin that sets it needs host->abi_minor >= 1. */
  KDB_OPT_PATH = 1u << 2
};

enum { KDB_ROLE_READ = 1u << 0, KDB_ROLE_WRITE = 1u << 1, KDB_ROLE_ADMIN = 1u << 2 };

enum { KDB_LOG_DEBUG = 0, KDB_LOG_INFO = 1, KDB_LOG_WARN = 2, KDB_LOG_ERROR = 3 };

/* One accepted option. `help` is shown by tooling; both strings are static. */
typedef struct kdb_option_spec {
  uint32_t struct_size;
  uint32_t flags; /* KDB_OPT_* */
  const char* key;
  const char* help;
} kdb_option_spec;

/* ---- Connections and identities ------------------------------------------------------ */

/* A verified TLS peer, owned by the transport session, valid until session_free. */
typedef struct kdb_peer_identity {
  uint32_t struct_size;
  uint8_t verified;    /* 1: chain verified against the configured CA */
  kdb_str subject_dn;  /* RFC 4514 */
  kdb_str common_name; /* CN of the leaf */
  const kdb_str* dns_sans;
  size_t n_dns_sans;
  const kdb_str* uri_sans;
  size_t n_uri_sans;
  uint8_t sha256[32]; /* SHA-256 of the leaf certificate DER */
  kdb_bytes leaf_der;
  kdb_str tls_version;
  kdb_str cipher;
  kdb_str alpn;
  kdb_str sni;
} kdb_peer_identity;

typedef struct kdb_conn_info {
  uint32_t struct_size;
  uint64_t conn_id;
  kdb_str peer_addr;
  uint16_t peer_port;
  uint16_t local_port;
  const kdb_peer_identity* peer; /* NULL on plaintext listeners */
  /* 1.2 (check KDB_HAS(kdb_conn_info, conn, server_name)), read by session_new only:
   * dialed is 1 when the host dialled this connection (the transport opens a client
   * session; peer links between nodes), 0 when it accepted it; server_name is the identity
   * the host expects the dialled server to prove (a transport may send it as SNI; the host
   * checks the verified identity itself). */
  uint8_t dialed;
  kdb_str server_name;
} kdb_conn_info;

/* ---- Host services ------------------------------------------------------------------- */

/* The result of an authentication that returned KDB_PENDING. Borrowed for the call. */
typedef struct kdb_auth_completion {
  uint32_t struct_size;
  kdb_status status;       /* KDB_OK, KDB_DEFER, KDB_E_DENIED or another error */
  uint64_t ticket;         /* kdb_auth_request.ticket of the request being completed */
  kdb_str principal;       /* name of the authenticated principal (KDB_OK) */
  uint32_t roles;          /* KDB_ROLE_* (KDB_OK) */
  uint64_t expires_unix_s; /* 0: no expiry */
  kdb_str error;           /* optional one-line reason, never a secret */
} kdb_auth_completion;

/* Services of the kernel, valid from the call that received it until destroy() returns.
 * Every function is thread-safe. Fields after 1.0 must be checked with KDB_HAS. */
typedef struct kdb_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  void* ctx; /* pass back as the first argument of every service */
  void (*log)(void* ctx, int level, kdb_str message); /* KDB_LOG_*; no secrets */
  uint64_t (*monotonic_ns)(void* ctx);
  uint64_t (*wall_ns)(void* ctx); /* nanoseconds since the Unix epoch */
  kdb_status (*random_bytes)(void* ctx, uint8_t* out, size_t n); /* CSPRNG */
  /* Completes a request that returned KDB_PENDING: exactly once per ticket, from any
   * thread. A completion after the host's deadline is ignored. */
  void (*auth_complete)(void* ctx, const kdb_auth_completion* completion);
  /* 1.1 (check KDB_HAS(kdb_host_api, host, config_dir)): the absolute, normalized
   * directory of the configuration file the instance was configured from, for paths the
   * plugin derives itself. Empty when the instance was not created from a file. */
  kdb_str config_dir;
} kdb_host_api;

/* ---- Authenticator ------------------------------------------------------------------- */

typedef struct kdb_auth_request {
  uint32_t struct_size;
  const kdb_conn_info* conn;
  /* "password": RESP AUTH / HELLO AUTH. "certificate": no credentials were sent; the
   * listener's transport verified conn->peer and the host asks whether that identity is a
   * principal (answer KDB_DEFER when it is not yours). */
  kdb_str mechanism;
  kdb_str username;  /* empty when the client sent only a secret */
  kdb_bytes secret;  /* compare in constant time; never log */
  uint64_t ticket;   /* pass to host->auth_complete after returning KDB_PENDING */
} kdb_auth_request;

/* Filled by an authenticator that returns KDB_OK. The host zeroes roles and expiry and
 * provides `name` (a host-owned buffer) before the call. */
typedef struct kdb_principal {
  uint32_t struct_size;
  kdb_outbuf name;         /* e.g. "alice" or "token:3f2a9c1e"; empty: the plugin's name */
  uint32_t roles;          /* KDB_ROLE_* */
  uint64_t expires_unix_s; /* 0: no expiry */
} kdb_principal;

/* Returns KDB_OK (accept, `out` filled), KDB_E_DENIED (reject: ends the chain), KDB_DEFER
 * (not mine: ask the next authenticator), KDB_PENDING (answer via auth_complete) or
 * another error (ends the chain as a rejection and is logged). */
typedef struct kdb_authenticator_v1 {
  uint32_t struct_size;
  kdb_status (*authenticate)(void* instance, const kdb_auth_request* request, kdb_principal* out,
                             kdb_outbuf* error);
} kdb_authenticator_v1;

/* ---- Transport (sans-IO TLS) --------------------------------------------------------- */

/* The host owns sockets and deadlines. After every call it drains pull_ciphertext until
 * that writes 0 bytes, then waits for input. */
enum {
  KDB_TLS_WANT_INPUT = 1u << 0,
  KDB_TLS_HAS_OUTPUT = 1u << 1,
  KDB_TLS_HAS_PLAINTEXT = 1u << 2,
  KDB_TLS_ESTABLISHED = 1u << 3,
  KDB_TLS_CLOSED = 1u << 4
};

typedef struct kdb_tls_session kdb_tls_session; /* opaque, owned by the plugin */

typedef struct kdb_transport_v1 {
  uint32_t struct_size;
  kdb_status (*session_new)(void* instance, const kdb_conn_info* conn, size_t max_buffered,
                            kdb_tls_session** out, kdb_outbuf* error);
  kdb_status (*feed_ciphertext)(kdb_tls_session* session, kdb_bytes in, size_t* consumed,
                                kdb_outbuf* error);
  kdb_status (*pull_ciphertext)(kdb_tls_session* session, uint8_t* out, size_t cap,
                                size_t* written);
  kdb_status (*read_plaintext)(kdb_tls_session* session, uint8_t* out, size_t cap, size_t* read);
  kdb_status (*write_plaintext)(kdb_tls_session* session, kdb_bytes in, size_t* consumed);
  uint32_t (*state)(const kdb_tls_session* session); /* KDB_TLS_* bits */
  /* Queues the protocol's closing message (TLS: close_notify). The host calls it before it
   * ends a stream in order (after its last reply, when it closes an idle or killed client, in
   * answer to the peer's own), then pulls what it queued. It may come more than once, and
   * after the peer closed or the session failed: only the first call on an established,
   * unfailed session queues anything. */
  void (*close_notify)(kdb_tls_session* session);
  /* NULL until KDB_TLS_ESTABLISHED; valid until session_free. */
  const kdb_peer_identity* (*peer_identity)(const kdb_tls_session* session);
  void (*session_free)(kdb_tls_session* session);
} kdb_transport_v1;

/* ---- Admission ----------------------------------------------------------------------- */

enum {
  KDB_ADM_CONNECT = 1,
  KDB_ADM_AUTH_OK = 2,
  KDB_ADM_AUTH_FAIL = 3,
  KDB_ADM_COMMAND = 4,
  KDB_ADM_DISCONNECT = 5
};

typedef struct kdb_admission_query {
  uint32_t struct_size;
  uint32_t event; /* KDB_ADM_* */
  const kdb_conn_info* conn;
  kdb_str principal; /* empty before authentication */
  kdb_str command;   /* KDB_ADM_COMMAND only */
  uint64_t request_bytes;
  /* 1.3 (check KDB_HAS(kdb_admission_query, query, reason) and reason != NULL): with
   * KDB_E_DENIED the plugin may write one line the client reads after "ERR " instead of
   * "rate limit exceeded" (e.g. "banned after failed authentications"), at most reason->cap
   * bytes, printable text, never a secret. The host also puts it in the audit record. */
  kdb_outbuf* reason;
} kdb_admission_query;

/* check: KDB_OK admits, KDB_E_DENIED refuses (with an optional retry hint and, since 1.3,
 * an optional reason in query->reason). O(1). */
typedef struct kdb_admission_v1 {
  uint32_t struct_size;
  kdb_status (*check)(void* instance, const kdb_admission_query* query, uint32_t* retry_after_ms);
  void (*tick)(void* instance, uint64_t monotonic_ns); /* expire bans and buckets */
} kdb_admission_v1;

/* ---- Audit --------------------------------------------------------------------------- */

typedef struct kdb_audit_event {
  uint32_t struct_size;
  uint32_t type;
  uint64_t wall_ns;
  uint64_t conn_id;
  kdb_str peer_addr;
  kdb_str principal;
  kdb_str action;
  kdb_str outcome;
  kdb_str detail; /* the host never puts secrets here */
  /* 1.4 (check KDB_HAS(kdb_audit_event, event, duration_us)): */
  kdb_str key;          /* the command's first key as text (printable ASCII kept, other bytes
                         * and the backslash as \xNN, cut at 256 bytes of key); ptr NULL: no key */
  kdb_str node_id;      /* the recording node's [node] id, in decimal */
  uint64_t duration_us; /* how long the kernel took to reach the outcome (an AUTH: from the
                         * request to the verdict); KDB_AUDIT_UNTIMED when not timed */
} kdb_audit_event;

#define KDB_AUDIT_UNTIMED UINT64_MAX

typedef struct kdb_audit_v1 {
  uint32_t struct_size;
  kdb_status (*record)(void* instance, const kdb_audit_event* event);
  kdb_status (*flush)(void* instance);
} kdb_audit_v1;

/* ---- Descriptor and entry point ------------------------------------------------------ */

typedef struct kdb_plugin_descriptor {
  uint32_t struct_size;
  uint16_t abi_major;             /* the ABI the plugin was written for: literal 1 */
  uint16_t abi_minor;             /* literal minor it was written for */
  const char* name;               /* static; [a-z0-9_-], e.g. "auth-token" */
  const char* version;            /* static; the plugin's own version, e.g. "1.2.0" */
  const char* build_info;         /* static; compiler, libraries, e.g. "gcc 12.2, OpenSSL 3.0" */
  uint32_t kinds;                 /* KDB_KIND_* */
  const kdb_option_spec* options; /* schema; NULL when n_options == 0 */
  size_t n_options;
  /* Control thread. On success sets *instance (may be NULL for a stateless plugin). */
  kdb_status (*create)(const kdb_host_api* host, const kdb_option* options, size_t n_options,
                       void** instance, kdb_outbuf* error);
  void (*destroy)(void* instance);
  const kdb_authenticator_v1* authenticator; /* non-NULL exactly when its kind is set */
  const kdb_transport_v1* transport;
  const kdb_admission_v1* admission;
  const kdb_audit_v1* audit;
} kdb_plugin_descriptor;

/* The only exported symbol. Called once per process on the control thread; the returned
 * descriptor must stay valid for the life of the process. Returns NULL to refuse the host
 * (e.g. host->abi_minor too old for what the plugin needs). */
KDB_EXPORT const kdb_plugin_descriptor* kdb_plugin_entry_v1(const kdb_host_api* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KEEPDB_PLUGIN_H */
