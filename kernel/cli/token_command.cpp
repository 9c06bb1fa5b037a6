// keepd token hash | keepd token new: tools for the auth-token plugin's secrets file.
// A token's hash is the SHA-256 of its bytes in lowercase hex, as plugins/auth-token/README.md
// defines it for the auth-token plugin; the kernel computes it itself (OpenSSL) and shares no
// code with the plugin.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <boost/program_options.hpp>
#include <iostream>
#include <iterator>
#include <stdexcept>

#include "kernel/cli/options.h"
#include "kernel/cli/subcommands.h"

namespace keepdb::cli {
namespace {

namespace po = boost::program_options;
// The token lengths the auth-token plugin accepts (plugins/auth-token/README.md).
constexpr std::size_t kMinTokenLength = 16;
constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kNewTokenBytes = 32;

constexpr const char* kUsage =
    "usage: keepd token hash          read a token on stdin, print its SHA-256 hex\n"
    "       keepd token new [--base64url]\n"
    "                                 print a fresh 32-byte random token and its hash\n";

// The token on stdin, without the line ending a shell or `echo` adds.
std::string read_token() {
  std::string token{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  return token;
}

// Lowercase hex of `bytes` (OpenSSL writes uppercase).
std::string lowercase_hex(const unsigned char* bytes, std::size_t count) {
  std::string hex(2 * count + 1, '\0');
  std::size_t length = 0;
  if (OPENSSL_buf2hexstr_ex(hex.data(), hex.size(), &length, bytes, count, '\0') != 1) {
    throw std::runtime_error("OpenSSL could not write hex");
  }
  hex.resize(length - 1);  // the length counts the terminating NUL
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return hex;
}

// The token's SHA-256 in lowercase hex.
std::string token_hash(const std::string& token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is unavailable in this OpenSSL");
  }
  return lowercase_hex(digest.data(), length);
}

std::string base64url(const std::array<unsigned char, kNewTokenBytes>& bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(),
                                     static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(length));
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

int hash_command(const Args& args) {
  po::options_description options("keepd token hash options");
  options.add_options()("help,h", "show this help");
  po::variables_map values;
  if (const auto exit = parse_options("token hash", args, options, {}, values)) return *exit;
  const std::string token = read_token();
  if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
    std::cerr << "keepd token hash: the token is " << token.size() << " bytes; auth-token accepts "
              << kMinTokenLength << " to " << kMaxTokenLength << "\n";
    return 1;
  }
  std::cout << token_hash(token) << "\n";
  return 0;
}

int new_command(const Args& args) {
  po::options_description options("keepd token new options");
  options.add_options()("help,h", "show this help")(
      "base64url", "print the token in base64url (43 characters) instead of hex (64)");
  po::variables_map values;
  if (const auto exit = parse_options("token new", args, options, {}, values)) return *exit;
  std::array<unsigned char, kNewTokenBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    std::cerr << "keepd token new: the random generator failed\n";
    return 1;
  }
  const std::string token =
      values.count("base64url") != 0 ? base64url(random) : lowercase_hex(random.data(), random.size());
  std::cout << "token  " << token << "\n"
            << "sha256 " << token_hash(token) << "\n";
  return 0;
}

}  // namespace

int token_command(const Args& args) {
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "hash") return hash_command(rest);
  if (args[0] == "new") return new_command(rest);
  std::cerr << "keepd token: unknown subcommand '" << args[0] << "'\n" << kUsage;
  return 2;
}

}  // namespace keepdb::cli
