// Owns the transport seam (issue 12, item 1) end to end: keepd with `[client] transport`
// naming the frame fixture (tests/plugin_abi/fixtures/transport_frame) serves a matching
// frame client, while a plain keepd of the same build serves a plain client; the verified
// identity reaches CLIENT INFO and authenticators (kdb_conn_info.peer); a plaintext client
// on the transport listener, a stalled or oversized handshake, a failing session_new and a
// misbehaving plugin (exception, bad status, oversized output) close only that connection,
// with a log line saying why.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/harness/raw_client.h"
#include "tests/integration/seams/seams_keepd.h"
#include "tests/plugin_abi/fixtures/transport_frame/frame_codec.h"

namespace keepdb::integration::seams {
namespace {

namespace frame = keepdb::fixture::frame;

// A client speaking the frame fixture's protocol over a raw socket.
class FrameClient {
 public:
  FrameClient(std::uint16_t port, const std::string& name) : raw_(port) {
    raw_.send(std::string(frame::kHelloPrefix) + name + "\n");
    answer_ = raw_.read_bytes(frame::kAnswer.size());
  }

  const std::string& answer() const { return answer_; }
  RawClient& raw() { return raw_; }

  // Sends `bytes` in frames of at most kMaxFrame bytes.
  bool send(std::string_view bytes) {
    std::string framed;
    for (std::size_t at = 0; at < bytes.size(); at += frame::kMaxFrame) {
      frame::encode(bytes.substr(at, frame::kMaxFrame), framed);
    }
    return raw_.send(framed);
  }

  RespValue command(const std::vector<std::string>& args) {
    send(encode_command(args));
    return read_reply();
  }

  RespValue read_reply() {
    for (;;) {
      if (const auto length = reply_length(plain_)) {
        RespValue reply = decode_reply(std::string_view(plain_).substr(0, *length));
        plain_.erase(0, *length);
        return reply;
      }
      const std::string header = raw_.read_bytes(frame::kHeader);
      const std::size_t n = *frame::frame_length(header);
      if (n == 0) throw std::runtime_error("the server sent close_notify");
      const std::string body = raw_.read_bytes(n);
      frame::decode(header + body, n, plain_);
    }
  }

 private:
  RawClient raw_;
  std::string answer_;
  std::string plain_;  // decoded, not yet returned as replies
};

PluginTable frame_table() {
  return PluginTable("frame", transport_frame_fixture());
}

SeamsSetup frame_setup(std::string extra_client_lines = {}) {
  SeamsSetup setup({frame_table()});
  setup.client_lines = "transport = \"frame\"\n" + extra_client_lines;
  return setup;
}

}  // namespace

TEST_CASE("transport: a plain keepd and a frame-transport keepd of one build both serve",
          "[seams][transport]") {
  SeamsKeepd plain(SeamsSetup({}));
  plain.start();
  SeamsKeepd framed(frame_setup());
  framed.start();

  RawClient plain_client(plain.port());
  CHECK(plain_client.command({"SET", "k", "plain"}).text == "OK");
  CHECK(plain_client.command({"GET", "k"}).text == "plain");

  FrameClient client(framed.port(), "alice");
  CHECK(client.answer() == frame::kAnswer);
  CHECK(client.command({"SET", "k", "framed"}).text == "OK");
  CHECK(client.command({"GET", "k"}).text == "framed");
  // A value spanning several frames each way, and a pipeline in one send.
  const std::string big(200000, 'v');
  CHECK(client.command({"SET", "big", big}).text == "OK");
  CHECK(client.command({"GET", "big"}).text == big);
  std::string pipeline;
  for (int i = 0; i < 100; ++i) pipeline += encode_command({"INCR", "n"});
  client.send(pipeline);
  for (int i = 1; i <= 100; ++i) REQUIRE(client.read_reply().integer == i);

  CHECK(client.command({"CLIENT", "INFO"}).text.find(" identity=alice") != std::string::npos);
  CHECK(plain_client.command({"CLIENT", "INFO"}).text.find("identity=") == std::string::npos);
  // The bytes on the wire are not the plaintext.
  RawClient sniff(framed.port());
  CHECK(sniff.send(std::string(frame::kHelloPrefix) + "bob\n"));
  CHECK(sniff.read_bytes(frame::kAnswer.size()) == frame::kAnswer);
}

TEST_CASE("transport: the transport's identity reaches authenticators as kdb_conn_info.peer",
          "[seams][transport]") {
  SeamsSetup setup({frame_table(), PluginTable("peer", peer_principal_fixture())});
  setup.client_lines = "transport = \"frame\"\n";
  SeamsKeepd keepd(std::move(setup));
  keepd.start();
  FrameClient client(keepd.port(), "carol");
  // Offered at the handshake (mechanism "certificate"), accepted before any AUTH.
  CHECK_FALSE(client.command({"GET", "k"}).is_error());
  CHECK(client.command({"AUTH", "anything"}).text == "OK");
  CHECK(client.command({"SET", "k", "v"}).text == "OK");
  const RespValue info = client.command({"CLIENT", "INFO"});
  INFO(info.describe());
  CHECK(info.text.find("user=peer:carol") != std::string::npos);
  CHECK(info.text.find("identity=carol") != std::string::npos);
}

TEST_CASE("transport: plaintext, garbage and stalled or oversized handshakes close only that "
          "connection",
          "[seams][transport]") {
  SeamsKeepd keepd(
      frame_setup("handshake_timeout_ms = 300\nhandshake_max_bytes = 4096\n"));
  keepd.start();
  FrameClient good(keepd.port(), "good");

  RawClient plaintext(keepd.port());
  plaintext.send(encode_command({"PING"}));
  CHECK(plaintext.wait_closed());
  CHECK(keepd.wait_for_log("transport: plugin 'frame' (transport-frame): the peer does not "
                           "speak the frame protocol"));

  RawClient garbage(keepd.port());
  garbage.send(std::string("\x16\x03\x01\x00\xff\x00garbage\n", 15));
  CHECK(garbage.wait_closed());

  RawClient stalled(keepd.port());
  stalled.send("FRAME1 sl");  // never completes its hello
  CHECK(stalled.wait_closed());
  CHECK(keepd.wait_for_log("transport handshake not completed within "
                           "client.handshake_timeout_ms = 300"));

  RawClient oversized(keepd.port());
  oversized.send("FRAME1 " + std::string(8192, 'x'));  // no end of hello within the budget
  CHECK(oversized.wait_closed());
  CHECK(keepd.wait_for_log("the handshake sent more than 4096 bytes without completing"));

  CHECK(good.command({"PING"}).text == "PONG");
}

TEST_CASE("transport: a misbehaving transport plugin fails only that session, with a reason",
          "[seams][transport]") {
  SeamsKeepd keepd(frame_setup());
  keepd.start();
  FrameClient good(keepd.port(), "good");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"throw", "feed_ciphertext threw an exception through the ABI"},
      {"bad_status", "feed_ciphertext returned unknown status 42"},
      {"oversize", "pull_ciphertext reported 16897 bytes, more than the 16896 it was given"}};
  for (const auto& [name, reason] : cases) {
    INFO(name);
    FrameClient bad(keepd.port(), name);
    bad.send(encode_command({"PING"}));
    CHECK(bad.raw().wait_closed());
    CHECK(keepd.wait_for_log(reason));
    CHECK(good.command({"PING"}).text == "PONG");
  }
}

TEST_CASE("transport: a session_new failure closes the connection with the plugin's reason",
          "[seams][transport]") {
  SeamsSetup setup({PluginTable("broken", transport_kind_fixture())});
  setup.client_lines = "transport = \"broken\"\n";
  SeamsKeepd keepd(std::move(setup));
  keepd.start();
  RawClient client(keepd.port());
  client.send(encode_command({"PING"}));
  CHECK(client.wait_closed());
  CHECK(keepd.wait_for_log("session_new failed with KDB_E_UNSUPPORTED"));
}

TEST_CASE("transport: a transport no listener names, or a name that is no transport, is refused",
          "[seams][transport]") {
  SeamsKeepd unused(SeamsSetup({frame_table()}));
  CHECK(unused.start_expecting_exit().exited_normally(1));
  CHECK(unused.log().find("is of kind transport, but no listener names it") != std::string::npos);

  SeamsSetup setup({PluginTable("limit", admission_fixture())});
  setup.client_lines = "transport = \"limit\"\n";
  SeamsKeepd wrong(std::move(setup));
  CHECK(wrong.start_expecting_exit().exited_normally(1));
  CHECK(wrong.log().find("client.transport = \"limit\": that [[plugin]] is not of kind transport") !=
        std::string::npos);
}

}  // namespace keepdb::integration::seams
