// Forwarder (follower side) and ForwardService (leader side) over the in-memory peer
// network on the virtual clock: writes and read-index requests answered by the leader, the
// forward timeout, the leader changing mid-request, unreachable and unknown leaders, replies
// from the wrong server or malformed, and the leader admitting every forwarded op again.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/write/forward_codec.h"
#include "kernel/consensus/write/forwarder.h"
#include "tests/unit/write/write_cluster.h"

using keepdb::commands::Caller;
using keepdb::commands::Reply;
using keepdb::consensus::ForwardKind;
using keepdb::consensus::Forwarder;
using keepdb::consensus::ForwardReply;
using keepdb::consensus::ForwardRequest;
using keepdb::consensus::FrameType;
using keepdb::consensus::testing::describe_reply;
using keepdb::consensus::testing::WriteCluster;
using keepdb::consensus::testing::WriteClusterOptions;
using namespace std::chrono_literals;

namespace {

std::string batch_of(const std::vector<std::vector<std::string_view>>& ops) {
  keepdb::commands::OpBatchBuilder builder;
  for (const auto& op : ops) builder.add(op);
  return builder.take(1'700'000'000'000);
}

// An outcome as text: the error line, "replies :1 +OK", or "index 7".
std::string describe(const Forwarder::Outcome& outcome) {
  if (const auto* error = std::get_if<std::string>(&outcome)) return *error;
  if (const auto* index = std::get_if<std::uint64_t>(&outcome)) return "index " + std::to_string(*index);
  std::string text = "replies";
  for (const Reply& reply : std::get<std::vector<Reply>>(outcome)) text += " " + describe_reply(reply);
  return text;
}

struct Result {
  std::optional<std::string> outcome;
  std::uint64_t at_us = 0;
};

Forwarder::Done record(WriteCluster& cluster, Result& result) {
  return [&cluster, &result](Forwarder::Outcome outcome) {
    REQUIRE_FALSE(result.outcome);  // exactly once
    result.outcome = describe(outcome);
    result.at_us = cluster.scheduler().now_us();
  };
}

const Caller kApp{"app", keepdb::commands::kAllRoles};

}  // namespace

TEST_CASE("a forwarded write gets the leader's replies; a read index its index", "[forwarder]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  Result write;
  Result read;
  cluster.node(2).forwarder().forward_write(batch_of({{"INCR", "x"}, {"SET", "a", "1"}}),
                                            {kApp, kApp}, record(cluster, write));
  cluster.settle();
  CHECK(write.outcome == "replies :1 +OK");
  cluster.node(3).forwarder().read_index(record(cluster, read));
  CHECK_FALSE(read.outcome);
  cluster.settle();
  // The leader's commit index when its read round started (the write's entry).
  CHECK(read.outcome == "index " + std::to_string(cluster.raft().last_index() - 1));
}

TEST_CASE("a request the leader does not answer fails at the forward timeout", "[forwarder]") {
  WriteClusterOptions options;
  options.nodes = 3;
  options.forward_timeout = 250ms;
  WriteCluster cluster(options);
  cluster.elect_and_settle(1);
  cluster.network().set_link(1, 2, false);  // the request arrives, the reply does not
  Result write;
  const std::uint64_t sent = cluster.scheduler().now_us();
  cluster.node(2).forwarder().forward_write(batch_of({{"INCR", "x"}}), {kApp}, record(cluster, write));
  cluster.scheduler().run_for_us(250'000 - 1);
  CHECK_FALSE(write.outcome);
  cluster.scheduler().run_for_us(1);
  CHECK(write.outcome == "ERR the leader did not answer in time; the outcome is unknown");
  CHECK(write.at_us == sent + 250'000);
  CHECK(cluster.node(1).replica().counter("x") == 1);  // it was applied: unknown indeed
  cluster.network().heal();
  cluster.settle();  // nothing else arrives for it
}

TEST_CASE("a request pending when another server becomes leader ends at once", "[forwarder]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  cluster.raft().hold_commits(true);  // the leader cannot answer yet
  Result write;
  Result read;
  cluster.node(2).forwarder().forward_write(batch_of({{"SET", "a", "1"}}), {kApp}, record(cluster, write));
  cluster.node(2).forwarder().read_index(record(cluster, read));
  cluster.scheduler().run_for(5);
  CHECK_FALSE(write.outcome);
  cluster.raft().elect(3);
  cluster.raft().hold_commits(false);
  cluster.scheduler().run_for(0);
  CHECK(write.outcome ==
        "ERR the leader changed before answering; the write may or may not have been applied");
  CHECK(read.outcome == "TRYAGAIN the leader changed during the read");
  cluster.settle();  // the old leader's late replies are ignored
}

TEST_CASE("without a known leader, or as the leader, the answer is TRYAGAIN, later", "[forwarder]") {
  WriteCluster cluster(3);
  Result none;
  cluster.node(2).forwarder().forward_write(batch_of({{"SET", "a", "1"}}), {kApp}, record(cluster, none));
  CHECK_FALSE(none.outcome);
  cluster.scheduler().run_for(0);
  CHECK(none.outcome == "TRYAGAIN no leader");

  cluster.elect_and_settle(1);
  Result self;
  cluster.node(1).forwarder().read_index(record(cluster, self));
  cluster.scheduler().run_for(0);
  CHECK(self.outcome == "TRYAGAIN no leader");
}

TEST_CASE("a leader that cannot be reached gets TRYAGAIN", "[forwarder]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  cluster.network().set_link(2, 1, false);
  Result write;
  cluster.node(2).forwarder().forward_write(batch_of({{"SET", "a", "1"}}), {kApp}, record(cluster, write));
  CHECK_FALSE(write.outcome);  // the transport failed inside send_forward; the answer is posted
  cluster.scheduler().run_for(0);
  CHECK(write.outcome == "TRYAGAIN leader unreachable");
}

TEST_CASE("only the asked server's reply with the request's id completes it", "[forwarder]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  // The leader's side is played by the test: it keeps the request.
  std::optional<ForwardRequest> seen;
  cluster.node(1).endpoint().set_forward_receiver(
      [&](raft_id, FrameType, std::vector<std::uint8_t> body) {
        seen = keepdb::consensus::decode_forward_request(body);
      });
  Result write;
  cluster.node(2).forwarder().forward_write(batch_of({{"SET", "a", "1"}}), {kApp}, record(cluster, write));
  cluster.scheduler().run_for(10);  // not settle(): the forward timeout would fire
  REQUIRE(seen);
  const auto reply = [&](raft_id from, const ForwardReply& answer) {
    cluster.node(from).endpoint().send_forward(2, "n2", FrameType::kForwardReply,
                                               keepdb::consensus::encode_forward_reply(answer),
                                               [](keepdb::util::IoStatus) {});
    cluster.scheduler().run_for(10);
  };
  reply(3, {seen->id, std::vector<Reply>{Reply::error("ERR forged")}});  // not the leader asked
  reply(1, {seen->id + 1, std::vector<Reply>{Reply::error("ERR guessed")}});  // another id
  CHECK_FALSE(write.outcome);

  SECTION("the right reply") {
    reply(1, {seen->id, std::vector<Reply>{Reply::ok()}});
    CHECK(write.outcome == "replies +OK");
    reply(1, {seen->id, std::vector<Reply>{Reply::error("ERR twice")}});  // late: ignored
  }

  SECTION("a malformed reply") {
    cluster.node(1).endpoint().send_forward(2, "n2", FrameType::kForwardReply,
                                            std::vector<std::uint8_t>(8 + 1, 0xff),
                                            [](keepdb::util::IoStatus) {});
    cluster.scheduler().run_for(10);
    CHECK_FALSE(write.outcome);  // its id is not the request's
    auto body = keepdb::consensus::encode_forward_reply({seen->id, std::vector<Reply>{}});
    body.push_back(0x01);  // trailing bytes
    cluster.node(1).endpoint().send_forward(2, "n2", FrameType::kForwardReply, body,
                                            [](keepdb::util::IoStatus) {});
    cluster.scheduler().run_for(10);
    CHECK(write.outcome == "ERR malformed reply from the leader; outcome unknown");
  }
}

// ForwardService: the leader's side.

namespace {

// Sends a FORWARD request from server 2 to server `to` as a follower would, and returns
// the decoded answer.
std::optional<ForwardReply> ask(WriteCluster& cluster, raft_id to, const ForwardRequest& request) {
  std::optional<ForwardReply> answer;
  cluster.node(2).endpoint().set_forward_receiver(
      [&](raft_id, FrameType type, std::vector<std::uint8_t> body) {
        REQUIRE(type == FrameType::kForwardReply);
        answer = keepdb::consensus::decode_forward_reply(body, request.kind);
      });
  cluster.node(2).endpoint().send_forward(to, "n" + std::to_string(to), FrameType::kForward,
                                          keepdb::consensus::encode_forward_request(request),
                                          [](keepdb::util::IoStatus) {});
  cluster.settle();
  return answer;
}

std::string describe(const std::optional<ForwardReply>& reply) {
  if (!reply) return "(no reply)";
  return describe(std::visit([](const auto& value) { return Forwarder::Outcome(value); }, reply->outcome));
}

}  // namespace

TEST_CASE("the leader admits every forwarded op again for its caller", "[forward_service]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  const Caller writer{"writer", keepdb::commands::kRoleWrite};
  const auto answer = ask(cluster, 1,
                          {.id = 7,
                           .kind = ForwardKind::kWrite,
                           .callers = {writer, writer, kApp, kApp},
                           .batch = batch_of({{"SET", "a", "1"},
                                              {"INCR", "x"},  // needs read too
                                              {"GET", "a"},
                                              {"NOSUCH", "a"}})});
  REQUIRE(answer);
  CHECK(answer->id == 7);
  CHECK(describe(answer) ==
        "replies +OK -NOPERM User writer has no permissions to run the 'incr' command "
        "-ERR 'get' is not a write and cannot be forwarded "
        "-ERR unknown command 'NOSUCH', with args beginning with: 'a' ");
  CHECK(cluster.node(1).replica().counter("x") == 0);
}

TEST_CASE("a server that does not lead answers TRYAGAIN; a malformed write an error",
          "[forward_service]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  CHECK(describe(ask(cluster, 3,
                     {.id = 1, .kind = ForwardKind::kWrite, .callers = {kApp},
                      .batch = batch_of({{"SET", "a", "1"}})})) == "TRYAGAIN no leader");
  CHECK(describe(ask(cluster, 1,
                     {.id = 2, .kind = ForwardKind::kWrite, .callers = {kApp, kApp},
                      .batch = batch_of({{"SET", "a", "1"}})})) ==
        "ERR malformed forwarded write");
  CHECK(describe(ask(cluster, 1, {.id = 3, .kind = ForwardKind::kWrite, .callers = {}, .batch = "x"})) ==
        "ERR malformed forwarded write");
}

TEST_CASE("a forwarded read-index request joins the leader's read round", "[forward_service]") {
  WriteCluster cluster(3);
  cluster.elect_and_settle(1);
  const auto commit = cluster.raft().commit_index();
  const auto answer = ask(cluster, 1, {.id = 9, .kind = ForwardKind::kReadIndex, .callers = {}, .batch = {}});
  CHECK(describe(answer) == "index " + std::to_string(commit));
  CHECK(cluster.raft().last_index() == commit + 1);  // one barrier for the round
}
