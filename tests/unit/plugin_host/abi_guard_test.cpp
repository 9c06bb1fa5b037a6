// The ABI guard helpers: host buffers, status names, printable plugin text.
#include "kernel/plugin_host/abi_guard.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <stdexcept>

namespace keepdb::plugin_host {

TEST_CASE("HostBuffer: returns what was written within the contract", "[abi_guard]") {
  HostBuffer buffer(8);
  kdb_outbuf out = buffer.outbuf();
  CHECK(out.cap == 8);
  out.ptr[0] = 'h';
  out.ptr[1] = 'i';
  out.len = 2;
  REQUIRE(buffer.read(out));
  CHECK(*buffer.read(out) == "hi");
}

TEST_CASE("HostBuffer: a length past cap or a moved pointer is a breach", "[abi_guard]") {
  HostBuffer buffer(8);
  kdb_outbuf out = buffer.outbuf();
  out.len = 9;
  CHECK_FALSE(buffer.read(out));
  out = buffer.outbuf();
  out.cap = 100;
  CHECK_FALSE(buffer.read(out));
  char elsewhere[4];
  out = buffer.outbuf();
  out.ptr = elsewhere;
  CHECK_FALSE(buffer.read(out));
}

TEST_CASE("HostBuffer: says which breach it saw", "[abi_guard]") {
  HostBuffer buffer(8);
  kdb_outbuf out = buffer.outbuf();
  CHECK(buffer.inspect(out) == BufferBreach::kNone);
  out.len = 9;
  CHECK(buffer.inspect(out) == BufferBreach::kLenPastCap);
  char elsewhere[4];
  out = buffer.outbuf();
  out.ptr = elsewhere;
  CHECK(buffer.inspect(out) == BufferBreach::kMoved);
}

TEST_CASE("HostBuffer: a write past cap changes a guard byte and is detected", "[abi_guard]") {
  const std::size_t past = GENERATE(std::size_t{1}, std::size_t{16}, kGuardBytes);
  const char fill = GENERATE('x', '\0', '\xff');  // none equals the first guard byte
  HostBuffer buffer(8);
  kdb_outbuf out = buffer.outbuf();
  std::memset(out.ptr, fill, out.cap + past);
  out.len = out.cap;
  CHECK(buffer.inspect(out) == BufferBreach::kWrotePastCap);
  CHECK_FALSE(buffer.read(out));
  CHECK(breach_text(BufferBreach::kWrotePastCap) == "wrote past the end of the buffer");
}

TEST_CASE("status_name and is_known_status cover ABI 1.0", "[abi_guard]") {
  CHECK(status_name(KDB_E_DENIED) == "KDB_E_DENIED");
  CHECK(status_name(7) == "unknown status 7");
  CHECK(is_known_status(KDB_PENDING));
  CHECK(is_known_status(KDB_E_INTERNAL));
  CHECK_FALSE(is_known_status(3));
  CHECK_FALSE(is_known_status(-8));
}

TEST_CASE("printable: control bytes are replaced and length is capped", "[abi_guard]") {
  CHECK(printable("a\nb\x1b[31m") == "a?b?[31m");
  CHECK(printable(std::string(5000, 'x')).size() == kMaxPluginMessage);
}

TEST_CASE("call_guarded: an exception becomes KDB_E_INTERNAL", "[abi_guard]") {
  std::string failure;
  CHECK(call_guarded([]() -> kdb_status { throw std::runtime_error("x"); }, failure) ==
        KDB_E_INTERNAL);
  CHECK(failure == "threw an exception through the ABI");
}

}  // namespace keepdb::plugin_host
