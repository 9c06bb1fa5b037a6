// Record encoding and the hash chain (record.h).
#include "plugins/audit/record.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <keepdb/plugin_sdk.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <utility>

namespace keepdb::audit {

namespace {

// The kernel's event kinds (kdb_audit_event.type). The numbers are the kernel's contract
// with audit plugins: a number is never reused, so this table only grows.
constexpr std::pair<std::uint32_t, std::string_view> kKinds[] = {
    {1, "connect"},       {2, "disconnect"},       {3, "auth_ok"}, {4, "auth_fail"},
    {5, "denied_role"},   {6, "denied_admission"}, {7, "write"},   {8, "admin"},
    {9, "config_reload"}, {10, "accepted_risk"},
};

constexpr std::string_view kKeyPrefix = "key=";
constexpr std::string_view kHashMember = ",\"hash\":\"";
// The serializer writes a record in chunks of this size.
constexpr std::size_t kSerializeChunk = 2048;

// The members of a record, in their order, each null until filled; `prev` and `hash` follow
// in a sealed line.
constexpr std::string_view kRecordMembers[] = {
    "seq",         "time",      "node",    "kind", "kind_id", "conn",    "client_addr",
    "client_port", "principal", "command", "key",  "outcome", "reason", "duration_us"};
constexpr std::string_view kPrevMember = "prev";

boost::json::object record_members(boost::json::storage_ptr storage) {
  boost::json::object record(std::move(storage));
  record.reserve(std::size(kRecordMembers) + 1);
  for (const std::string_view name : kRecordMembers) record.emplace(name, nullptr);
  return record;
}

// `text` as the member's string; null when empty, unless `present` (the time, node and kind
// are always strings, and an empty key is still a key). A member that holds a string
// already keeps its storage.
void set_text(boost::json::value& member, std::string_view text, bool present = false) {
  if (text.empty() && !present) {
    member = nullptr;
  } else if (member.is_string()) {
    member.get_string().assign(text);
  } else {
    member = text;
  }
}

// "2026-12-05T02:29:28.123456Z" into `text`; returns its length. The calendar part is
// formatted once per second on each thread: records come thousands a second.
std::size_t format_rfc3339(std::uint64_t wall_ns, char (&text)[40]) {
  constexpr std::size_t kSecondsSize = 19;  // "2026-12-05T02:29:28"
  thread_local std::time_t cached_second = -1;
  thread_local char cached[kSecondsSize + 1];
  const auto seconds = static_cast<std::time_t>(wall_ns / 1'000'000'000u);
  if (seconds != cached_second) {
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    if (std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &utc) != kSecondsSize) {
      return 0;  // a year past 9999: no time rather than a wrong one
    }
    cached_second = seconds;
  }
  std::memcpy(text, cached, kSecondsSize);
  char* const fraction = text + kSecondsSize;  // ".123456Z"
  fraction[0] = '.';
  auto micros = static_cast<unsigned>(wall_ns % 1'000'000'000u / 1000u);
  for (std::size_t digit = 6; digit >= 1; --digit, micros /= 10) {
    fraction[digit] = static_cast<char>('0' + micros % 10);
  }
  fraction[7] = 'Z';
  return kSecondsSize + 8;
}

// Formatted in place and appended once: a character at a time cost a capacity check each.
void append_hex(std::string& out, const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  char hex[kHashHexSize];
  char* next = hex;
  for (const std::uint8_t byte : digest) {
    *next++ = kHex[byte >> 4];
    *next++ = kHex[byte & 0xf];
  }
  out.append(hex, sizeof hex);
}

}  // namespace

std::string_view kind_name(std::uint32_t type) {
  for (const auto& [number, name] : kKinds) {
    if (number == type) return name;
  }
  return "unknown";
}

std::optional<std::uint32_t> kind_number(std::string_view name) {
  for (const auto& [number, kind] : kKinds) {
    if (kind == name) return number;
  }
  return std::nullopt;
}

std::string rfc3339_micros(std::uint64_t wall_ns) {
  char text[40];
  return std::string(text, format_rfc3339(wall_ns, text));
}

Endpoint split_peer(std::string_view peer) {
  std::size_t colon = std::string_view::npos;
  std::string_view addr;
  if (peer.starts_with('[')) {
    const std::size_t close = peer.find("]:");
    if (close != std::string_view::npos) {
      colon = close + 1;
      addr = peer.substr(1, close - 1);
    }
  } else if (peer.find(':') == peer.rfind(':')) {
    colon = peer.find(':');
    addr = peer.substr(0, colon);
  }
  if (colon != std::string_view::npos) {
    const std::string_view digits = peer.substr(colon + 1);
    std::uint16_t port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (!digits.empty() && error == std::errc() && end == digits.data() + digits.size()) {
      return Endpoint{std::string(addr), port};
    }
  }
  return Endpoint{std::string(peer), std::nullopt};
}

std::string to_hex(const Digest& digest) {
  std::string hex;
  hex.reserve(kHashHexSize);
  append_hex(hex, digest);
  return hex;
}

std::string genesis_hash() {
  return std::string(kHashHexSize, '0');
}

void Sha256::Free::operator()(EVP_MD* md) const {
  EVP_MD_free(md);
}

void Sha256::Free::operator()(EVP_MD_CTX* ctx) const {
  EVP_MD_CTX_free(ctx);
}

void Sha256::Free::operator()(EVP_MAC_CTX* ctx) const {
  EVP_MAC_CTX_free(ctx);
}

Sha256::Sha256(std::string_view key) {
  if (key.empty()) {
    md_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (md_ == nullptr) throw std::runtime_error("OpenSSL provides no SHA-256");
    md_work_.reset(EVP_MD_CTX_new());
    if (md_work_ == nullptr) throw std::runtime_error("cannot make a SHA-256 context");
    return;
  }
  EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw std::runtime_error("OpenSSL provides no HMAC");
  keyed_.reset(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context holds its own reference
  char digest_name[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  if (keyed_ == nullptr ||
      EVP_MAC_init(keyed_.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    throw std::runtime_error("cannot key HMAC-SHA-256");
  }
  keyed_work_.reset(EVP_MAC_CTX_dup(keyed_.get()));
  if (keyed_work_ == nullptr) throw std::runtime_error("cannot copy the HMAC-SHA-256 context");
}

Digest Sha256::digest(std::string_view data) const {
  if (work_in_use_.test_and_set(std::memory_order_acquire)) {
    // Another thread holds the working context: a context of this call's own.
    if (md_ != nullptr) {
      const std::unique_ptr<EVP_MD_CTX, Free> ctx(EVP_MD_CTX_new());
      if (ctx == nullptr) throw std::runtime_error("SHA-256 failed");
      return plain_digest(ctx.get(), data);
    }
    const std::unique_ptr<EVP_MAC_CTX, Free> ctx(EVP_MAC_CTX_dup(keyed_.get()));
    if (ctx == nullptr) throw std::runtime_error("HMAC-SHA-256 failed");
    return keyed_digest(ctx.get(), data, false);
  }
  struct Release {
    std::atomic_flag& flag;
    ~Release() { flag.clear(std::memory_order_release); }
  } release{work_in_use_};
  return md_ != nullptr ? plain_digest(md_work_.get(), data)
                        : keyed_digest(keyed_work_.get(), data, true);
}

Digest Sha256::plain_digest(EVP_MD_CTX* ctx, std::string_view data) const {
  Digest out{};
  unsigned int length = 0;
  if (EVP_DigestInit_ex2(ctx, md_.get(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &length) != 1 || length != out.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

// `restart`: the context was used before; a null key restarts HMAC with the key it holds.
Digest Sha256::keyed_digest(EVP_MAC_CTX* ctx, std::string_view data, bool restart) const {
  Digest out{};
  std::size_t length = 0;
  if ((restart && EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1) ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx, out.data(), &length, out.size()) != 1 || length != out.size()) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return out;
}

std::string hashed_key(std::string_view key_text, const Sha256& hmac) {
  return "hmac-sha256:" + to_hex(hmac.digest(key_text));
}

RecordEncoder::RecordEncoder(std::string node_id, std::string_view key_hash_key)
    : node_id_(std::move(node_id)) {
  if (!key_hash_key.empty()) key_hash_.emplace(key_hash_key);
}

boost::json::object RecordEncoder::fields(const kdb_audit_event& event, std::uint64_t seq,
                                          boost::json::storage_ptr storage) const {
  boost::json::object record = record_members(std::move(storage));
  fill(record, event, seq);
  return record;
}

void RecordEncoder::fill(boost::json::object& record, const kdb_audit_event& event,
                         std::uint64_t seq) const {
  const std::string_view kind = kind_name(event.type);
  const std::string_view action = kdb::sdk::view(event.action);
  const std::string_view detail = kdb::sdk::view(event.detail);
  const Endpoint client = split_peer(kdb::sdk::view(event.peer_addr));

  // A 1.4 host passes the key, the node and the duration as fields; an older one put the
  // key in `detail` as "key=<key>" and passed neither of the others.
  const bool v1_4 = KDB_HAS(kdb_audit_event, &event, duration_us);
  const bool legacy_key = detail.starts_with(kKeyPrefix);
  std::optional<std::string_view> key_text;
  if (v1_4 && event.key.ptr != nullptr) {
    key_text = kdb::sdk::view(event.key);
  } else if (legacy_key) {
    key_text = detail.substr(kKeyPrefix.size());
  }
  std::string hashed;
  if (key_text && key_hash_) {
    hashed = hashed_key(*key_text, *key_hash_);
    key_text = hashed;
  }
  const std::string_view node =
      !node_id_.empty() || !v1_4 ? std::string_view(node_id_) : kdb::sdk::view(event.node_id);
  char time[40];
  const std::size_t time_size = format_rfc3339(event.wall_ns, time);

  // In kRecordMembers' order: each value is assigned in place, without a lookup.
  auto member = record.begin();
  const auto next = [&member]() -> boost::json::value& { return (member++)->value(); };
  next() = seq;
  set_text(next(), std::string_view(time, time_size), true);
  set_text(next(), node, true);
  set_text(next(), kind, true);
  next() = event.type;
  next() = event.conn_id;
  set_text(next(), client.addr);
  if (client.port) {
    next() = *client.port;
  } else {
    next() = nullptr;
  }
  set_text(next(), kdb::sdk::view(event.principal));
  set_text(next(), action == kind ? std::string_view() : action);
  set_text(next(), key_text.value_or(std::string_view()), key_text.has_value());
  set_text(next(), kdb::sdk::view(event.outcome));
  set_text(next(), legacy_key ? std::string_view() : detail);
  if (v1_4 && event.duration_us != KDB_AUDIT_UNTIMED) {
    next() = event.duration_us;
  } else {
    next() = nullptr;
  }
}

void RecordEncoder::append_sealed(std::string& out, const kdb_audit_event& event,
                                  std::uint64_t seq, std::string_view prev_hex,
                                  const ChainHasher& chain, std::string& hash_hex) const {
  if (sealing_.empty()) {
    sealing_ = record_members({});
    sealing_.emplace(kPrevMember, nullptr);
  }
  fill(sealing_, event, seq);
  set_text(sealing_.rbegin()->value(), prev_hex);
  const std::size_t start = out.size();
  serializer_.reset(&sealing_);
  while (!serializer_.done()) {
    const std::size_t used = out.size();
    out.resize(used + kSerializeChunk);
    out.resize(used + serializer_.read(out.data() + used, kSerializeChunk).size());
  }
  hash_hex.clear();
  append_hex(hash_hex, chain.digest(std::string_view(out).substr(start)));
  out.pop_back();  // the closing brace: `hash` goes in as the last member
  out += kHashMember;
  out += hash_hex;
  out += "\"}\n";
}

std::string RecordEncoder::sealed_line(const kdb_audit_event& event, std::uint64_t seq,
                                       std::string_view prev_hex, const ChainHasher& chain,
                                       std::string& hash_hex) const {
  std::string line;
  append_sealed(line, event, seq, prev_hex, chain, hash_hex);
  return line;
}

std::optional<ParsedRecord> parse_sealed(std::string_view line, const ChainHasher& chain) {
  constexpr std::size_t kTail = kHashMember.size() + kHashHexSize + 2;
  if (line.size() <= kTail || !line.ends_with("\"}")) return std::nullopt;
  const std::size_t member = line.size() - kTail;
  if (line.substr(member, kHashMember.size()) != kHashMember) return std::nullopt;
  const std::string_view hex = line.substr(member + kHashMember.size(), kHashHexSize);
  for (const char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  std::string body(line.substr(0, member));
  body += '}';
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(body, error);
  if (error || !value.is_object()) return std::nullopt;
  ParsedRecord parsed;
  parsed.fields = std::move(value.as_object());
  const boost::json::value* seq = parsed.fields.if_contains("seq");
  const boost::json::value* prev = parsed.fields.if_contains("prev");
  if (seq == nullptr || prev == nullptr || !prev->is_string()) return std::nullopt;
  if (seq->is_uint64()) {
    parsed.seq = seq->get_uint64();
  } else if (seq->is_int64() && seq->get_int64() >= 0) {
    parsed.seq = static_cast<std::uint64_t>(seq->get_int64());
  } else {
    return std::nullopt;
  }
  parsed.prev = std::string(prev->get_string());
  parsed.hash = std::string(hex);
  parsed.hash_ok = to_hex(chain.digest(body)) == hex;
  parsed.fields["hash"] = parsed.hash;
  return parsed;
}

}  // namespace keepdb::audit
