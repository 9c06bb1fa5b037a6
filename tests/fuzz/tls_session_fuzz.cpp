// libFuzzer target: raw bytes from an untrusted client into the server side of a
// plugins/tls session, through the plugin's kdb_transport_v1 table, as the kernel would
// feed them: in chunks (the first input byte picks the chunk size), pulling the output
// and reading plaintext after every call. Any input must end in an established or a
// failed session, never a crash, a leak or more input held than max_buffered allows.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tests/unit/tls/tls_test_support.h"

namespace {

using keepdb::tls::test::Instance;
using keepdb::tls::test::Session;

constexpr std::size_t kMaxBuffered = 18 * 1024;

// A server requiring client certificates, so the certificate paths are reachable too.
const Instance& server() {
  static const Instance instance(
      keepdb::tls::test::server_options({{"ca_file", keepdb::tls::test::cert("ca.pem")},
                                         {"require_client_cert", "true"},
                                         {"min_version", "1.2"},
                                         {"alpn", "resp3,resp"}}));
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Session session(server(), kMaxBuffered);
  const std::size_t chunk = 1 + static_cast<std::size_t>(data[0]) * 97;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::uint8_t sink[16384];
  while (!rest.empty() && session.failure() == KDB_OK) {
    const std::size_t consumed = session.feed(rest.substr(0, chunk));
    while (session.pull(sink, sizeof sink) > 0) {
    }
    session.read_some(SIZE_MAX);
    if (consumed == 0) break;  // the session holds all it may: the kernel would wait
    rest.remove_prefix(consumed);
  }
  return 0;
}
