// Connection and server commands whose replies legitimately differ from Redis (ids, server
// name, command tables, INFO) and are checked by their structure: CLIENT, HELLO and
// RESP3 types, SELECT, QUIT, COMMAND COUNT/DOCS/INFO, INFO, CONFIG GET, TIME and LASTSAVE.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/redis_tools.h"

using namespace keepdb::integration;

namespace {

// The commands issue 3 requires; COMMAND must describe each of them.
const std::vector<std::string> kKernelCommands = {
    "ping",   "echo",   "hello",  "quit",   "select", "client", "command", "info",   "dbsize",
    "get",    "set",    "del",    "exists", "mget",   "mset",   "incr",    "incrby", "decr",
    "decrby", "append", "strlen", "getdel", "getset", "setnx",  "scan",    "flushdb"};

// Value of `key` in a map reply (RESP3 '%' or a RESP2 flat array of pairs).
const RespValue* map_value(const RespValue& map, const std::string& key) {
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].text == key) return &map.elements[i + 1];
  }
  return nullptr;
}

}  // namespace

TEST_CASE("CLIENT ID is a distinct, increasing integer per connection", "[connection]") {
  KeepdProcess keepd(KeepdSettings("client-id"));
  RawClient first(keepd.port());
  RawClient second(keepd.port());
  const RespValue first_id = first.command({"CLIENT", "ID"});
  const RespValue second_id = second.command({"CLIENT", "ID"});
  REQUIRE(first_id.type == ':');
  REQUIRE(second_id.type == ':');
  CHECK(first_id.integer > 0);
  CHECK(second_id.integer > first_id.integer);
  CHECK(first.command({"CLIENT", "ID"}).integer == first_id.integer);
}

TEST_CASE("CLIENT SETNAME, GETNAME and INFO through redis-cli", "[connection][cli]") {
  KeepdProcess keepd(KeepdSettings("client-name"));
  const RedisCli cli(keepd.port());
  // One redis-cli session, so the name set is the one read back.
  const ProgramResult session = cli.run({}, CliOutput::kRaw,
                                        "CLIENT GETNAME\nCLIENT SETNAME worker-7\n"
                                        "CLIENT GETNAME\nCLIENT INFO\n");
  REQUIRE(session.status.exited_normally(0));
  CHECK(session.err == "");
  CHECK(session.out.find("\nOK\nworker-7\n") != std::string::npos);
  CHECK(session.out.find(" name=worker-7 ") != std::string::npos);
  CHECK(session.out.find("id=") != std::string::npos);
  CHECK(session.out.find(" resp=2") != std::string::npos);
  CHECK(cli.raw({"CLIENT", "GETNAME"}).empty());  // a new connection has no name
}

TEST_CASE("CLIENT INFO describes the calling connection", "[connection]") {
  KeepdProcess keepd(KeepdSettings("client-info"));
  RawClient client(keepd.port());
  const std::int64_t id = client.command({"CLIENT", "ID"}).integer;
  const RespValue info = client.command({"CLIENT", "INFO"});
  REQUIRE(info.type == '$');
  CHECK(info.text.rfind("id=" + std::to_string(id) + " addr=127.0.0.1:", 0) == 0);
  CHECK(info.text.find(" laddr=127.0.0.1:" + std::to_string(keepd.port()) + " ") !=
        std::string::npos);
  CHECK(info.text.back() == '\n');
}

TEST_CASE("HELLO 3 switches the connection to RESP3 types", "[connection][resp3]") {
  KeepdProcess keepd(KeepdSettings("hello3"));
  RawClient client(keepd.port());
  const std::int64_t id = client.command({"CLIENT", "ID"}).integer;

  const RespValue hello = client.command({"HELLO", "3", "SETNAME", "resp3-client"});
  REQUIRE(hello.type == '%');
  REQUIRE(map_value(hello, "proto") != nullptr);
  CHECK(map_value(hello, "proto")->integer == 3);
  CHECK(map_value(hello, "id")->integer == id);
  CHECK(map_value(hello, "server")->text == "keepdb");
  CHECK(map_value(hello, "version")->text.rfind("7.", 0) == 0);
  CHECK(map_value(hello, "mode")->text == "standalone");
  CHECK(map_value(hello, "role")->text == "master");
  CHECK(map_value(hello, "modules")->elements.empty());

  SECTION("null is _ and names stick") {
    REQUIRE(client.send(encode_command({"GET", "missing"})));
    CHECK(client.read_reply_bytes() == "_\r\n");
    CHECK(client.command({"CLIENT", "GETNAME"}).text == "resp3-client");
    REQUIRE(client.send(encode_command({"MGET", "missing", "missing"})));
    CHECK(client.read_reply_bytes() == "*2\r\n_\r\n_\r\n");
  }
  SECTION("INFO and CLIENT INFO are verbatim strings") {
    const RespValue info = client.command({"INFO", "server"});
    REQUIRE(info.type == '=');
    CHECK(info.text.rfind("txt:# Server\r\n", 0) == 0);
    const RespValue client_info = client.command({"CLIENT", "INFO"});
    REQUIRE(client_info.type == '=');
    CHECK(client_info.text.find(" resp=3") != std::string::npos);
  }
  SECTION("COMMAND DOCS is a map") {
    const RespValue docs = client.command({"COMMAND", "DOCS", "get"});
    REQUIRE(docs.type == '%');
    REQUIRE(docs.elements.size() == 2);
    CHECK(docs.elements[0].text == "get");
    CHECK(docs.elements[1].type == '%');
  }
  SECTION("HELLO 2 switches back") {
    const RespValue back = client.command({"HELLO", "2"});
    REQUIRE(back.type == '*');
    CHECK(map_value(back, "proto")->integer == 2);
    REQUIRE(client.send(encode_command({"GET", "missing"})));
    CHECK(client.read_reply_bytes() == "$-1\r\n");
  }
}

TEST_CASE("HELLO with AUTH default and a bad protocol version", "[connection]") {
  KeepdProcess keepd(KeepdSettings("hello-auth"));
  RawClient client(keepd.port());
  CHECK(client.command({"HELLO", "3", "AUTH", "default", "any"}).type == '%');
  CHECK(client.command({"HELLO", "3", "AUTH", "someone", "pw"}).describe() ==
        "(error) WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(client.command({"HELLO", "1"}).describe() ==
        "(error) NOPROTO unsupported protocol version");
  CHECK(client.command({"PING"}).text == "PONG");
}

TEST_CASE("SELECT 15 works and SELECT 16 is refused with the connection kept", "[connection]") {
  KeepdProcess keepd(KeepdSettings("select"));
  RawClient client(keepd.port());
  CHECK(client.command({"SELECT", "15"}).describe() == "\"OK\"");
  // storage.databases is 16 by default, as Redis's databases.
  CHECK(client.command({"SELECT", "16"}).describe() == "(error) ERR DB index is out of range");
  CHECK(client.command({"SET", "k", "v"}).text == "OK");
  CHECK(client.command({"GET", "k"}).text == "v");
  CHECK(client.command({"SELECT", "0"}).describe() == "\"OK\"");
  CHECK(client.command({"GET", "k"}).null);
}

TEST_CASE("QUIT replies OK after pending writes and closes the connection", "[connection]") {
  KeepdProcess keepd(KeepdSettings("quit"));
  RawClient client(keepd.port());
  // Writes pipelined before QUIT complete first; requests after QUIT are not executed.
  REQUIRE(client.send(encode_command({"SET", "before", "1"}) + encode_command({"INCR", "before"}) +
                      encode_command({"QUIT"}) + encode_command({"SET", "after", "quit"})));
  CHECK(client.read_reply().text == "OK");
  CHECK(client.read_reply().integer == 2);
  CHECK(client.read_reply().text == "OK");
  CHECK(client.wait_closed());
  CHECK(client.buffered().empty());
  RawClient other(keepd.port());
  CHECK(other.command({"GET", "before"}).text == "2");
  CHECK(other.command({"EXISTS", "after"}).integer == 0);
}

TEST_CASE("COMMAND COUNT, INFO and DOCS describe every kernel command", "[server]") {
  KeepdProcess keepd(KeepdSettings("command"));
  RawClient client(keepd.port());
  const RespValue count = client.command({"COMMAND", "COUNT"});
  REQUIRE(count.type == ':');
  const RespValue all = client.command({"COMMAND"});
  REQUIRE(all.type == '*');
  CHECK(static_cast<std::int64_t>(all.elements.size()) == count.integer);

  std::vector<std::string> info_request = {"COMMAND", "INFO"};
  info_request.insert(info_request.end(), kKernelCommands.begin(), kKernelCommands.end());
  const RespValue info = client.command(info_request);
  REQUIRE(info.elements.size() == kKernelCommands.size());
  for (std::size_t i = 0; i < kKernelCommands.size(); ++i) {
    INFO(kKernelCommands[i]);
    REQUIRE(info.elements[i].type == '*');
    REQUIRE(info.elements[i].elements.size() >= 7);
    CHECK(info.elements[i].elements[0].text == kKernelCommands[i]);
  }
  CHECK(client.command({"COMMAND", "INFO", "get"}).elements[0].elements[1].integer == 2);
  CHECK(client.command({"COMMAND", "INFO", "set"}).elements[0].elements[1].integer == -3);

  std::vector<std::string> docs_request = {"COMMAND", "DOCS"};
  docs_request.insert(docs_request.end(), kKernelCommands.begin(), kKernelCommands.end());
  const RespValue docs = client.command(docs_request);
  REQUIRE(docs.type == '*');  // a RESP2 map: name, doc, name, doc...
  for (const std::string& name : kKernelCommands) {
    INFO(name);
    const RespValue* doc = map_value(docs, name);
    REQUIRE(doc != nullptr);
    REQUIRE(map_value(*doc, "summary") != nullptr);
    CHECK_FALSE(map_value(*doc, "summary")->text.empty());
    // KeepDB's own field: the roles the command needs (docs/authorization.md).
    const RespValue* roles = map_value(*doc, "acl_roles");
    REQUIRE(roles != nullptr);
    CHECK(roles->type == '*');
  }
  // COMMAND INFO lists the roles as Redis-style ACL categories before the group.
  const RespValue getset = client.command({"COMMAND", "INFO", "getset"}).elements[0];
  REQUIRE(getset.elements.size() == 10);
  std::vector<std::string> categories;
  for (const RespValue& category : getset.elements[6].elements) categories.push_back(category.text);
  CHECK(categories == std::vector<std::string>{"@read", "@write", "@string"});
}

TEST_CASE("INFO reports server, clients, stats and keyspace", "[server]") {
  KeepdProcess keepd(KeepdSettings("info"));
  const RedisCli cli(keepd.port());
  REQUIRE(cli.raw({"MSET", "a", "1", "b", "2", "c", "3"}) == "OK");
  const std::string info = cli.raw({"INFO"});
  CHECK(info.find("# Server\r\n") != std::string::npos);
  CHECK(info.find("redis_version:7.") != std::string::npos);
  CHECK(info.find("tcp_port:" + std::to_string(keepd.port()) + "\r\n") != std::string::npos);
  CHECK(info.find("io_threads:0\r\n") != std::string::npos);
  CHECK(info.find("# Clients\r\nconnected_clients:1\r\n") != std::string::npos);
  CHECK(info.find("# Stats\r\n") != std::string::npos);
  CHECK(info.find("# Keyspace\r\ndb0:keys=3,") != std::string::npos);
  // The fields client libraries parse.
  CHECK(info.find("# Persistence\r\nloading:0\r\n") != std::string::npos);
  CHECK(info.find("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n") != std::string::npos);

  const std::string keyspace = cli.raw({"INFO", "keyspace"});
  CHECK(keyspace.rfind("# Keyspace\r\n", 0) == 0);
  CHECK(keyspace.find("# Server") == std::string::npos);
}

TEST_CASE("CONFIG GET answers redis-benchmark and TIME and LASTSAVE tell the time", "[server]") {
  KeepdProcess keepd(KeepdSettings("config-get"));
  const RedisCli cli(keepd.port());
  CHECK(cli.raw({"CONFIG", "GET", "save"}) == "save\n");
  CHECK(cli.raw({"CONFIG", "GET", "appendonly"}) == "appendonly\nyes");
  CHECK(cli.raw({"CONFIG", "GET", "databases"}) == "databases\n16");
  CHECK(cli.raw({"CONFIG", "GET", "port"}) == "port\n" + std::to_string(keepd.port()));
  const std::string time = cli.raw({"TIME"});
  const std::string lastsave = cli.raw({"LASTSAVE"});
  REQUIRE(time.find('\n') != std::string::npos);
  const long long seconds = std::stoll(time.substr(0, time.find('\n')));
  CHECK(std::abs(std::stoll(lastsave) - seconds) <= 1);
  CHECK(seconds > 1'700'000'000);
}

TEST_CASE("SAVE takes a snapshot and BGSAVE starts one", "[server]") {
  KeepdProcess keepd(KeepdSettings("save"));
  const RedisCli cli(keepd.port());
  REQUIRE(cli.raw({"MSET", "a", "1", "b", "2"}) == "OK");
  CHECK(cli.raw({"SAVE"}) == "OK");
  CHECK(keepd.wait_for_log("stored for SAVE"));
  CHECK(cli.raw({"BGSAVE"}) == "Background saving started");
  CHECK(cli.raw({"BGSAVE", "SCHEDULE"}) == "Background saving started");
  CHECK(cli.raw({"BGSAVE", "NOW"}) == "ERR syntax error\n");
  CHECK(cli.raw({"SAVE", "extra"}) == "ERR wrong number of arguments for 'save' command\n");
  CHECK(cli.raw({"GET", "b"}) == "2");
}

TEST_CASE("MEMORY USAGE counts the key, its record and its expiry index entry", "[server]") {
  KeepdProcess keepd(KeepdSettings("memory-usage"));
  const RedisCli cli(keepd.port());
  REQUIRE(cli.raw({"SET", "k", std::string(100, 'v')}) == "OK");
  // LMDB node header (8) and slot (2), the stored key (database byte and key: 2), the
  // flag byte (1), the value (100).
  CHECK(cli.raw({"MEMORY", "USAGE", "k"}) == "113");
  CHECK(cli.raw({"MEMORY", "USAGE", "k", "SAMPLES", "0"}) == "113");
  // An expiry adds 8 bytes to the record and an index entry of 8 + 2 + 8 + 2.
  REQUIRE(cli.raw({"EXPIRE", "k", "1000"}) == "1");
  CHECK(cli.raw({"MEMORY", "USAGE", "k"}) == "141");
  // The same key in another database costs the same.
  REQUIRE(cli.raw({"-n", "3", "SET", "k", std::string(100, 'v')}) == "OK");
  CHECK(cli.raw({"-n", "3", "MEMORY", "USAGE", "k"}) == "113");
  CHECK(cli.raw({"MEMORY", "USAGE", "missing"}).empty());
}
