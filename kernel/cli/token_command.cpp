// keepd token hash | keepd token new: tools for the auth-token plugin's secrets file.
// Both use the plugin's own definition of a token hash (plugins/auth-token/token_digest.h).
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <boost/program_options.hpp>
#include <iostream>
#include <iterator>

#include "kernel/cli/options.h"
#include "kernel/cli/subcommands.h"
#include "plugins/auth-token/token_digest.h"

namespace keepdb::cli {
namespace {

namespace po = boost::program_options;
using auth_token::kMaxTokenLength;
using auth_token::kMinTokenLength;

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
  std::cout << auth_token::to_hex(auth_token::token_digest(token)) << "\n";
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
      values.count("base64url") != 0 ? base64url(random) : auth_token::to_hex(random);
  std::cout << "token  " << token << "\n"
            << "sha256 " << auth_token::to_hex(auth_token::token_digest(token)) << "\n";
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
