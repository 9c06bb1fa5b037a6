// The operator listener of a real keepd: /metrics parsed by the Prometheus client library
// with counters that move with traffic (commands, commits, syncs, the store's window
// commits), /health on a single node and on a node with no leader, and every bad input the
// listener can meet: a malformed request line, an oversized head, a body, a slow client, a
// silent one, an unknown path, POST, too many connections.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "tests/integration/harness/free_port.h"
#include "tests/integration/harness/keepd_process.h"
#include "tests/integration/harness/raw_client.h"
#include "tests/integration/operator/operator_client.h"

using namespace keepdb::integration;

namespace {

// A single node with its operator listener on a free port.
struct OperatorNode {
  explicit OperatorNode(std::string label) : operator_port(free_port()), keepd([&] {
    KeepdSettings settings(std::move(label));
    settings.extra_tables = operator_table(operator_port);
    return settings;
  }()) {}
  std::uint16_t operator_port;
  KeepdProcess keepd;
};

}  // namespace

TEST_CASE("operator: /metrics parses and its counters move with traffic", "[operator]") {
  OperatorNode node("operator-metrics");
  const Samples before = scrape_metrics(node.operator_port);
  RawClient client(node.keepd.port());
  client.pipeline({{"SET", "m:1", "a"}, {"SET", "m:2", "b"}, {"GET", "m:1"}, {"GET", "m:3"},
                   {"GET", "m:2"}, {"NOSUCHCOMMAND"}});
  const Samples after = scrape_metrics(node.operator_port);
  const SampleDelta moved{before, after};
  CHECK(moved(R"(keepdb_commands_total{command="set"})") == 2);
  CHECK(moved(R"(keepdb_commands_total{command="get"})") == 3);
  CHECK(moved(R"(keepdb_command_duration_seconds_count{command="get"})") == 3);
  CHECK(moved(R"(keepdb_command_duration_seconds_bucket{command="set",le="+Inf"})") == 2);
  CHECK(moved("keepdb_writes_applied_total{}") == 2);
  CHECK(moved("keepdb_commit_duration_seconds_count{}") >= 1);
  CHECK(moved("keepdb_log_fsync_duration_seconds_count{}") >= 1);
  CHECK(moved("keepdb_raft_applied_index{}") >= 1);
  CHECK(sample(after, "keepdb_raft_commit_index{}") == sample(after, "keepdb_raft_applied_index{}"));
  CHECK(sample(after, "keepdb_raft_term{}") >= 1);
  CHECK(sample(after, "keepdb_raft_leader{}") == 1);
  CHECK(sample(after, "keepdb_connected_clients{}") >= 1);
  CHECK(moved("keepdb_connections_received_total{}") >= 1);
  CHECK(sample(after, R"(keepdb_auth_total{outcome="failed"})") == 0);
}

TEST_CASE("operator: the store's window commits are timed and counted by cause", "[operator]") {
  OperatorNode node("operator-store-commits");
  const Samples before = scrape_metrics(node.operator_port);
  RawClient client(node.keepd.port());
  REQUIRE(client.command({"SET", "m:1", "a"}).text == "OK");
  // SAVE commits the window that holds the SET, unless its age committed it first.
  REQUIRE(client.command({"SAVE"}).text == "OK");
  const Samples after = scrape_metrics(node.operator_port);
  const SampleDelta moved{before, after};
  const double commits = moved(R"(keepdb_store_commits_total{cause="age"})") +
                         moved(R"(keepdb_store_commits_total{cause="size"})") +
                         moved(R"(keepdb_store_commits_total{cause="requested"})");
  CHECK(commits >= 1);
  CHECK(moved("keepdb_store_commit_duration_seconds_count{}") == commits);
  CHECK(moved(R"(keepdb_store_commit_duration_seconds_bucket{le="+Inf"})") == commits);
}

TEST_CASE("operator: /health is ready on a single node", "[operator]") {
  OperatorNode node("operator-health");
  std::string reply;
  // Ready once the election barrier has applied: poll, never sleep a fixed time.
  REQUIRE(poll_until([&] {
    reply = http_get(node.operator_port, "/health");
    return http_status(reply) == 200;
  }, kReplyTimeout));
  CHECK(http_body(reply) == "{\"live\":true,\"ready\":true}\n");
  CHECK(reply.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(reply.find("Connection: close\r\n") != std::string::npos);
  CHECK(http_status(http_get(node.operator_port, "/health?verbose=1")) == 200);
}

TEST_CASE("operator: /health is 503 on a node that has no leader", "[operator]") {
  // One member of a three-member cluster, alone: it can never win an election.
  const std::uint16_t operator_port = free_port();
  KeepdSettings settings("operator-no-leader");
  settings.cluster = {{"peer_port", free_port()}};
  std::string members;
  for (int id = 1; id <= 3; ++id) {
    members += "[[cluster.member]]\nid = " + std::to_string(id) + "\npeer = \"127.0.0.1:" +
               std::to_string(free_port()) + "\"\nclient = \"127.0.0.1:" +
               std::to_string(free_port()) + "\"\n";
  }
  settings.extra_tables = members + operator_table(operator_port) +
                          "[security]\naccept_risks = [\"no-peer-secret\"]\n";
  KeepdProcess keepd(settings);
  const std::string reply = http_get(operator_port, "/health");
  CHECK(http_status(reply) == 503);
  CHECK(http_body(reply) == "{\"live\":true,\"ready\":false}\n");
  CHECK(sample(scrape_metrics(operator_port), "keepdb_ready{}") == 0);
}

TEST_CASE("operator: bad requests get 400, 404, 405 or 431 and the connection closes",
          "[operator]") {
  OperatorNode node("operator-bad-input");
  const std::uint16_t port = node.operator_port;
  CHECK(http_status(http_exchange(port, "GARBAGE\r\n\r\n")) == 400);
  CHECK(http_status(http_exchange(port, "GET /metrics HTTP/9.9\r\n\r\n")) == 400);
  CHECK(http_status(http_exchange(port, "GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n")) == 400);
  // A request with a body: the listener takes none.
  CHECK(http_status(http_exchange(
            port, "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")) == 400);
  CHECK(http_status(http_exchange(
            port, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(16 << 10, 'a') + "\r\n\r\n")) ==
        431);
  CHECK(http_status(http_get(port, "/nope")) == 404);
  CHECK(http_status(http_get(port, "/metrics/x")) == 404);
  const std::string post = http_exchange(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(http_status(post) == 405);
  CHECK(post.find("Allow: GET\r\n") != std::string::npos);
  CHECK(http_status(http_exchange(port, "DELETE /health HTTP/1.1\r\n\r\n")) == 405);
  // Still serving after all of that.
  CHECK(http_status(http_get(port, "/metrics")) == 200);
}

TEST_CASE("operator: a slow or silent client is closed by the deadline", "[operator]") {
  OperatorNode node("operator-slow");
  const auto started = Clock::now();
  // Half a request head, then nothing: closed at the 5 s deadline without a reply.
  const std::string slow = http_exchange(node.operator_port, "GET /metrics HTTP/1.1\r\n", 15s);
  CHECK(slow.empty());
  CHECK(Clock::now() - started >= 4s);
  const std::string silent = http_exchange(node.operator_port, "", 15s);
  CHECK(silent.empty());
}

TEST_CASE("operator: connections beyond the limit are closed at accept", "[operator]") {
  OperatorNode node("operator-max-connections");
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 16; ++i) idle.push_back(std::make_unique<RawClient>(node.operator_port));
  // Each idle connection holds a slot until its deadline; the 17th is closed at once.
  const auto started = Clock::now();
  CHECK(http_get(node.operator_port, "/metrics").empty());
  CHECK(Clock::now() - started < 4s);
  // Once the idle ones reach their deadline, the listener serves again.
  for (auto& client : idle) CHECK(client->wait_closed(15s));
  idle.clear();
  CHECK(poll_until([&] { return http_status(http_get(node.operator_port, "/health")) == 200; },
                   kReplyTimeout));
}
