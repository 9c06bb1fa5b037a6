// The duplicate-refusing Boost.JSON handler: Boost.JSON's own value_stack builds the value
// while a stack of key sets, one per open object, catches a repeated key.
#include "plugins/auth-jwt/strict_json.h"

#include <openssl/crypto.h>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <cstdlib>
#include <new>
#include <unordered_set>
#include <vector>

namespace keepdb::auth_jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxDepth = 16;

// malloc's alignment serves every Boost.JSON type (which does not always pass the same
// alignment to deallocate as to allocate, so aligned operator new is no choice).
class WipingResource final : public json::memory_resource {
  void* do_allocate(std::size_t bytes, std::size_t) override {
    void* block = std::malloc(bytes == 0 ? 1 : bytes);
    if (block == nullptr) throw std::bad_alloc();
    return block;
  }
  void do_deallocate(void* block, std::size_t bytes, std::size_t) override {
    OPENSSL_cleanse(block, bytes);
    std::free(block);
  }
  bool do_is_equal(const json::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

class StrictHandler {
 public:
  explicit StrictHandler(const json::storage_ptr& storage) : storage_(storage), values_(storage) {}

  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  bool duplicate() const { return duplicate_; }
  json::value release() { return values_.release(); }

  bool on_document_begin(json::error_code&) {
    values_.reset(storage_);
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys_.pop_back();
    values_.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    values_.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    values_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    const bool fresh = keys_.back().insert(std::move(key_)).second;
    key_.clear();
    if (!fresh) {
      duplicate_ = true;
      ec = json::error::syntax;
      return false;
    }
    values_.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    values_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    values_.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    values_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    values_.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    values_.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    values_.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    values_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  json::storage_ptr storage_;
  json::value_stack values_;
  std::vector<std::unordered_set<std::string>> keys_;
  std::string key_;  // the key being read, when it arrives in parts
  bool duplicate_ = false;
};

}  // namespace

std::variant<json::value, JsonError> parse_strict_json(std::string_view text,
                                                       const json::storage_ptr& storage) {
  json::parse_options options;
  options.max_depth = kMaxDepth;
  json::basic_parser<StrictHandler> parser(options, storage);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate()) return JsonError{"duplicate key"};
  if (ec == json::error::too_deep) {
    return JsonError{"nested deeper than " + std::to_string(kMaxDepth)};
  }
  if (ec || used != text.size() || !parser.done()) return JsonError{"not valid JSON"};
  return parser.handler().release();
}

std::variant<json::object, JsonError> parse_strict_object(std::string_view text,
                                                          const json::storage_ptr& storage) {
  auto parsed = parse_strict_json(text, storage);
  if (auto* error = std::get_if<JsonError>(&parsed)) return std::move(*error);
  auto& value = std::get<json::value>(parsed);
  if (!value.is_object()) return JsonError{"not a JSON object"};
  return std::move(value.get_object());
}

json::storage_ptr wiping_storage() {
  static const json::storage_ptr storage = json::make_shared_resource<WipingResource>();
  return storage;
}

}  // namespace keepdb::auth_jwt
