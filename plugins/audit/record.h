// One audit record: the fields taken from a kdb_audit_event (time, node, connection, client,
// principal, kind, command, key, outcome, reason, duration), encoded as one JSON object by Boost.JSON,
// and the chain that seals it: every record carries its sequence number, the hash of the
// record before it (`prev`) and its own `hash`, SHA-256 (or HMAC-SHA-256 with a chain key)
// over the record's text without its `hash` member. A sealed line is
//   {"seq":N, ... ,"prev":"<64 hex>","hash":"<64 hex>"}\n
// with `hash` always the last member, so a verifier recomputes it from the line's text.
//
// Thread-safety: ChainHasher and Sha256 are immutable after construction, but for a working
// context that one digest at a time borrows; their const functions may run on any thread.
// So may RecordEncoder's, except append_sealed() and sealed_line(), which reuse one record
// object: one thread at a time (a sink's audit thread). Ownership: they copy the keys they
// are given (into OpenSSL's keyed contexts, which clear them when freed).
#pragma once

#include <keepdb/plugin.h>
#include <openssl/types.h>

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/storage_ptr.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace keepdb::audit {

// The stable event kind numbers of kdb_audit_event.type and their names in records.
// Returns "unknown" for a number this plugin does not know (the record keeps the number).
std::string_view kind_name(std::uint32_t type);
// The number of a kind name, for filters; nullopt when the name is not a kind.
std::optional<std::uint32_t> kind_number(std::string_view name);

// "2026-12-05T02:29:28.123456Z": RFC 3339, UTC, microseconds.
std::string rfc3339_micros(std::uint64_t wall_ns);

// The client's address and port from kdb_audit_event.peer_addr ("10.0.0.7:50312",
// "[::1]:50312"); anything else ("server 2", "") is an address without a port.
struct Endpoint {
  std::string addr;
  std::optional<std::uint16_t> port;
};
Endpoint split_peer(std::string_view peer);

constexpr std::size_t kHashHexSize = 64;
using Digest = std::array<std::uint8_t, 32>;
std::string to_hex(const Digest& digest);
// The `prev` of the very first record of a chain.
std::string genesis_hash();

// SHA-256 (no key) or HMAC-SHA-256 (a key) of byte strings. The algorithm is fetched from
// OpenSSL once and the HMAC keyed once, at construction, not per digest: OpenSSL 3's one-shot
// SHA256() and HMAC() look the algorithm up by name on every call, which cost more than
// the hashing of a record. One working context is kept and re-initialised for each digest
// (for HMAC that restarts it with the same key), which saves a context's allocation per
// digest and, keyed, the copy of the keyed state (about half of an HMAC of a record); a call
// that finds it in use by another thread digests with a context of its own instead.
// Throws std::runtime_error when OpenSSL cannot provide it.
class Sha256 {
 public:
  explicit Sha256(std::string_view key = {});
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Digest digest(std::string_view data) const;
  bool keyed() const { return keyed_ != nullptr; }

 private:
  struct Free {
    void operator()(EVP_MD* md) const;
    void operator()(EVP_MD_CTX* ctx) const;
    void operator()(EVP_MAC_CTX* ctx) const;
  };
  Digest plain_digest(EVP_MD_CTX* ctx, std::string_view data) const;
  Digest keyed_digest(EVP_MAC_CTX* ctx, std::string_view data, bool restart) const;

  std::unique_ptr<EVP_MD, Free> md_;           // without a key
  std::unique_ptr<EVP_MAC_CTX, Free> keyed_;  // with one: keyed, never used itself
  std::unique_ptr<EVP_MD_CTX, Free> md_work_;      // without a key: the working context
  std::unique_ptr<EVP_MAC_CTX, Free> keyed_work_;  // with one: a copy of keyed_, reused
  mutable std::atomic_flag work_in_use_;           // set while a digest uses the above
};

// A command key as recorded with hash_keys = true: "hmac-sha256:<64 hex>" of the key's text
// (as the kernel escaped it) under the key of `hmac` (keyed).
std::string hashed_key(std::string_view key_text, const Sha256& hmac);

class ChainHasher {
 public:
  // An empty key: plain SHA-256; otherwise HMAC-SHA-256 with a copy of the key.
  explicit ChainHasher(std::string_view key = {}) : sha_(key) {}
  Digest digest(std::string_view body) const { return sha_.digest(body); }
  bool keyed() const { return sha_.keyed(); }

 private:
  Sha256 sha_;
};

class RecordEncoder {
 public:
  // `key_hash_key` empty: command keys are recorded as the kernel gave them; otherwise as
  // "hmac-sha256:<hex>" of the key's text under that key. `node_id` empty: each record's
  // node is the one the kernel names in the event (ABI 1.4), else empty.
  RecordEncoder(std::string node_id, std::string_view key_hash_key);

  // The record's fields in their fixed order, `seq` first; no `prev` and no `hash`. The
  // object and its members are allocated from `storage`.
  boost::json::object fields(const kdb_audit_event& event, std::uint64_t seq,
                             boost::json::storage_ptr storage = {}) const;
  // Appends to `out` the sealed line (ending in '\n') chained to `prev_hex`; `hash_hex`
  // receives its hash. One JSON object serves every line: its members are assigned in
  // place, in order, and it is serialized straight into `out`, so once its strings have
  // grown to the records' sizes a caller reusing `out` and `hash_hex` allocates nothing per
  // record. One thread at a time.
  void append_sealed(std::string& out, const kdb_audit_event& event, std::uint64_t seq,
                     std::string_view prev_hex, const ChainHasher& chain,
                     std::string& hash_hex) const;
  // The same line in a string of its own.
  std::string sealed_line(const kdb_audit_event& event, std::uint64_t seq,
                          std::string_view prev_hex, const ChainHasher& chain,
                          std::string& hash_hex) const;

 private:
  // Assigns the record's members, in their order, into `record` (record_members()' shape).
  void fill(boost::json::object& record, const kdb_audit_event& event, std::uint64_t seq) const;

  std::string node_id_;
  std::optional<Sha256> key_hash_;  // keyed; nullopt: keys recorded as given
  mutable boost::json::object sealing_;          // append_sealed()'s record, `prev` last
  mutable boost::json::serializer serializer_;  // and its serializer
};

// A sealed line read back: its chain members, whether its hash matches its text under
// `chain`, and all its fields. nullopt when `line` (without its '\n') is not a sealed record:
// no well-formed `"hash":"<64 hex>"}` ending, not a JSON object, or no `seq` or `prev`.
struct ParsedRecord {
  std::uint64_t seq = 0;
  std::string prev;
  std::string hash;
  bool hash_ok = false;
  boost::json::object fields;
};
std::optional<ParsedRecord> parse_sealed(std::string_view line, const ChainHasher& chain);

}  // namespace keepdb::audit
