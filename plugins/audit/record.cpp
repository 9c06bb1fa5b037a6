// Record encoding and the hash chain (record.h).
#include "plugins/audit/record.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <keepdb/plugin_sdk.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
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

boost::json::value text_or_null(std::string_view text) {
  if (text.empty()) return nullptr;
  return boost::json::string(text);
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
  const auto seconds = static_cast<std::time_t>(wall_ns / 1'000'000'000u);
  const auto micros = static_cast<unsigned>(wall_ns % 1'000'000'000u / 1000u);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%06uZ", micros);
  return text;
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
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(kHashHexSize);
  for (const std::uint8_t byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

std::string genesis_hash() {
  return std::string(kHashHexSize, '0');
}

ChainHasher::ChainHasher(std::string_view key) : key_(key) {}

namespace {

Digest hmac_sha256(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned length = 0;
  if (::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
             &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return out;
}

}  // namespace

std::string hashed_key(std::string_view key_text, std::string_view hmac_key) {
  return "hmac-sha256:" + to_hex(hmac_sha256(hmac_key, key_text));
}

Digest ChainHasher::digest(std::string_view body) const {
  if (keyed()) return hmac_sha256(key_.view(), body);
  Digest out{};
  ::SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), out.data());
  return out;
}

RecordEncoder::RecordEncoder(std::string node_id, std::string_view key_hash_key)
    : node_id_(std::move(node_id)), key_hash_key_(key_hash_key) {}

boost::json::object RecordEncoder::fields(const kdb_audit_event& event, std::uint64_t seq) const {
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
  boost::json::value key = nullptr;
  if (key_text) {
    key = key_hash_key_.empty() ? boost::json::string(*key_text)
                                : boost::json::string(hashed_key(*key_text, key_hash_key_.view()));
  }
  boost::json::value reason = legacy_key ? boost::json::value(nullptr) : text_or_null(detail);
  const std::string_view node =
      !node_id_.empty() || !v1_4 ? std::string_view(node_id_) : kdb::sdk::view(event.node_id);
  boost::json::value duration = nullptr;
  if (v1_4 && event.duration_us != KDB_AUDIT_UNTIMED) duration = event.duration_us;

  boost::json::object record;
  record.reserve(16);
  record["seq"] = seq;
  record["time"] = rfc3339_micros(event.wall_ns);
  record["node"] = node;
  record["kind"] = kind;
  record["kind_id"] = event.type;
  record["conn"] = event.conn_id;
  record["client_addr"] = text_or_null(client.addr);
  record["client_port"] = client.port ? boost::json::value(*client.port) : nullptr;
  record["principal"] = text_or_null(kdb::sdk::view(event.principal));
  record["command"] = action == kind ? boost::json::value(nullptr) : text_or_null(action);
  record["key"] = std::move(key);
  record["outcome"] = text_or_null(kdb::sdk::view(event.outcome));
  record["reason"] = std::move(reason);
  record["duration_us"] = std::move(duration);
  return record;
}

std::string RecordEncoder::sealed_line(const kdb_audit_event& event, std::uint64_t seq,
                                       std::string_view prev_hex, const ChainHasher& chain,
                                       std::string& hash_hex) const {
  boost::json::object record = fields(event, seq);
  record["prev"] = prev_hex;
  std::string line = boost::json::serialize(record);
  hash_hex = to_hex(chain.digest(line));
  line.pop_back();  // the closing brace: `hash` goes in as the last member
  line += kHashMember;
  line += hash_hex;
  line += "\"}\n";
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
