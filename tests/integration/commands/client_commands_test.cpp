// CLIENT INFO, LIST and KILL against a real keepd: the fields Redis 7 prints, in its order
// (compared with a real redis-server's line), the list of every connection with its filters,
// and KILL closing other clients (by id, address, user) or the caller after its reply. The
// error replies are in the byte-for-byte corpus (redis7_compat_corpus.txt).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/reference_redis.h"

using namespace keepdb::integration;

namespace {

// The field names of one CLIENT INFO line, in order ("id", "addr", ...).
std::vector<std::string> field_names(const std::string& line) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < line.size() && line[start] != '\n') {
    const std::size_t equals = line.find('=', start);
    if (equals == std::string::npos) break;
    names.push_back(line.substr(start, equals - start));
    const std::size_t space = line.find(' ', equals);
    if (space == std::string::npos) break;
    start = space + 1;
  }
  return names;
}

// The lines of a CLIENT LIST reply whose id= is `id`.
std::size_t lines_with_id(const std::string& list, std::int64_t id) {
  std::size_t count = 0;
  const std::string prefix = "id=" + std::to_string(id) + " ";
  for (std::size_t at = 0; at < list.size();) {
    const std::size_t end = list.find('\n', at);
    if (list.compare(at, prefix.size(), prefix) == 0) ++count;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return count;
}

// The value of `field` in a CLIENT INFO line.
std::string field_value(const std::string& line, const std::string& field) {
  const std::size_t at = line.find(" " + field + "=");
  if (at == std::string::npos) return {};
  const std::size_t begin = at + field.size() + 2;
  return line.substr(begin, line.find_first_of(" \n", begin) - begin);
}

}  // namespace

TEST_CASE("CLIENT INFO prints every field Redis 7 prints and in its order", "[connection]") {
  KeepdProcess keepd(KeepdSettings("client-fields"));
  ReferenceRedis redis;
  RawClient keepdb_client(keepd.port());
  RawClient redis_client(redis.port());
  const std::string ours = keepdb_client.command({"CLIENT", "INFO"}).text;
  const std::string theirs = redis_client.command({"CLIENT", "INFO"}).text;
  CHECK(field_names(ours) == field_names(theirs));
  CHECK(field_value(ours, "cmd") == "client|info");
  CHECK(field_value(ours, "flags") == "N");
  CHECK(field_value(ours, "user") == "default");
}

TEST_CASE("CLIENT LIST lists every connection and filters by id and type", "[connection]") {
  KeepdProcess keepd(KeepdSettings("client-list"));
  RawClient admin(keepd.port());
  RawClient worker(keepd.port());
  REQUIRE(worker.command({"CLIENT", "SETNAME", "worker-1"}).text == "OK");
  const std::int64_t admin_id = admin.command({"CLIENT", "ID"}).integer;
  const std::int64_t worker_id = worker.command({"CLIENT", "ID"}).integer;

  const std::string all = admin.command({"CLIENT", "LIST"}).text;
  CHECK(lines_with_id(all, admin_id) == 1);
  CHECK(lines_with_id(all, worker_id) == 1);
  CHECK(all.find(" name=worker-1 ") != std::string::npos);
  CHECK(all.find(" cmd=client|list ") != std::string::npos);  // the caller's own line

  const std::string only_worker =
      admin.command({"CLIENT", "LIST", "ID", std::to_string(worker_id)}).text;
  CHECK(lines_with_id(only_worker, worker_id) == 1);
  CHECK(lines_with_id(only_worker, admin_id) == 0);
  const std::string normal = admin.command({"CLIENT", "LIST", "TYPE", "normal"}).text;
  CHECK(lines_with_id(normal, admin_id) == 1);
  CHECK(lines_with_id(normal, worker_id) == 1);
  CHECK(admin.command({"CLIENT", "LIST", "TYPE", "pubsub"}).text.empty());
}

TEST_CASE("CLIENT KILL closes other clients by id address or user and the caller only when asked",
          "[connection]") {
  // Sockets on the network thread, then on two I/O threads ([client] io_threads).
  const unsigned io_threads = GENERATE(0u, 2u);
  CAPTURE(io_threads);
  KeepdProcess keepd(KeepdSettings("client-kill").io_threads(io_threads));
  RawClient admin(keepd.port());
  const std::int64_t admin_id = admin.command({"CLIENT", "ID"}).integer;

  SECTION("by id: the victim is closed, the caller keeps working") {
    RawClient victim(keepd.port());
    const std::int64_t victim_id = victim.command({"CLIENT", "ID"}).integer;
    CHECK(admin.command({"CLIENT", "KILL", "ID", std::to_string(victim_id)}).integer == 1);
    CHECK(victim.wait_closed());
    CHECK(keepd.wait_for_log("killed by CLIENT KILL from client id=" + std::to_string(admin_id)));
    CHECK(lines_with_id(admin.command({"CLIENT", "LIST"}).text, victim_id) == 0);
    CHECK(admin.command({"CLIENT", "KILL", "ID", std::to_string(victim_id)}).integer == 0);
  }
  SECTION("by address, the old form: +OK, then no such client") {
    RawClient victim(keepd.port());
    const std::string info = victim.command({"CLIENT", "INFO"}).text;
    const std::string addr = field_value(info, "addr");
    CHECK(admin.command({"CLIENT", "KILL", addr}).text == "OK");
    CHECK(victim.wait_closed());
    CHECK(admin.command({"CLIENT", "KILL", addr}).text == "ERR No such client");
  }
  SECTION("by user: every connection of the principal except the caller (SKIPME yes)") {
    RawClient first(keepd.port());
    RawClient second(keepd.port());
    // Answered: the server has accepted them (a connect alone may still be in its backlog).
    REQUIRE(first.command({"PING"}).text == "PONG");
    REQUIRE(second.command({"PING"}).text == "PONG");
    CHECK(admin.command({"CLIENT", "KILL", "USER", "default"}).integer == 2);
    CHECK(first.wait_closed());
    CHECK(second.wait_closed());
    CHECK(admin.command({"PING"}).text == "PONG");
  }
  SECTION("SKIPME no: the caller gets its reply, then is closed") {
    CHECK(admin.command({"CLIENT", "KILL", "ID", std::to_string(admin_id), "SKIPME", "no"})
              .integer == 1);
    CHECK(admin.wait_closed());
  }
  SECTION("the server still serves new clients") {
    RawClient fresh(keepd.port());
    CHECK(fresh.command({"SET", "k", "v"}).text == "OK");
  }
}
