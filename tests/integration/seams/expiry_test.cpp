// Owns principal expiry end to end with a real keepd and the expiring_auth fixture: a
// principal whose expiry passes gets NOAUTH naming the expiry on its next command (nothing
// runs), the connection may AUTH again, and an authenticator answering with an expiry already
// in the past is refused at AUTH.
#include <catch2/catch.hpp>

#include "tests/integration/harness/raw_client.h"
#include "tests/integration/seams/seams_keepd.h"

namespace keepdb::integration::seams {

TEST_CASE("seams: expiry: an expired principal gets NOAUTH naming expiry and may AUTH again",
          "[seams][expiry]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("expiring", expiring_auth_fixture())}));
  keepd.start();
  RawClient client(keepd.port());
  REQUIRE(client.command({"AUTH", "carol", "ttl:2"}).text == "OK");
  // Within about three seconds the principal expires; the write that finds it expired does
  // not run, so the key keeps the last value written before.
  RespValue reply;
  int attempt = 0;
  REQUIRE(poll_until(
      [&] {
        reply = client.command({"SET", "exp:key", "attempt-" + std::to_string(++attempt)});
        return reply.is_error();
      },
      kReplyTimeout));
  REQUIRE(attempt > 1);
  CHECK(reply.text.starts_with("NOAUTH principal 'carol' expired at unix time "));
  CHECK(reply.text.ends_with("; AUTH again"));
  CHECK(client.command({"GET", "exp:key"}).text == "NOAUTH Authentication required.");
  REQUIRE(client.command({"AUTH", "carol", "ttl:600"}).text == "OK");
  CHECK(client.command({"GET", "exp:key"}).text == "attempt-" + std::to_string(attempt - 1));
  CHECK(keepd.wait_for_log("principal=carol expired"));
}

TEST_CASE("seams: expiry: a principal already expired at AUTH is refused", "[seams][expiry]") {
  SeamsKeepd keepd(SeamsSetup({PluginTable("expiring", expiring_auth_fixture())}));
  keepd.start();
  RawClient client(keepd.port());
  CHECK(client.command({"AUTH", "dave", "past"}).text ==
        "WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(client.command({"GET", "k"}).text == "NOAUTH Authentication required.");
  CHECK(keepd.wait_for_log("whose expiry (unix time 1) has passed"));
}

}  // namespace keepdb::integration::seams
