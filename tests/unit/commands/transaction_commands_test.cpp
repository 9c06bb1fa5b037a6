// Transactions through the command layer: queueing and its errors (EXECABORT), EXEC as one
// keepdb.exec op applied by the real state machine (run-time errors inside the array, reads
// that see the transaction's writes), WATCH decisions (changed, expired, deleted, created,
// flushed), the limits, RESP3, and the leader's admission of a forwarded transaction op.
// Replies are compared with the bytes redis-server 7 sends.
#include <catch2/catch.hpp>

#include "kernel/commands/op_batch.h"
#include "kernel/commands/unappliable_batch.h"
#include "kernel/commands/transaction.h"
#include "tests/unit/commands/command_fixture.h"

using keepdb::test::CommandFixture;
using namespace keepdb::test::resp2;
namespace commands = keepdb::commands;

namespace {
const std::string kQueued = "+QUEUED\r\n";
const std::string kAborted = "*-1\r\n";
const std::string kExecAbort =
    error("EXECABORT Transaction discarded because of previous errors.");
const std::string kNotAllowed = error("ERR Command not allowed inside a transaction");
}  // namespace

TEST_CASE("MULTI queues and EXEC runs the commands in order as one write", "[transactions]") {
  CommandFixture db;
  const std::uint64_t before = db.applied_index();
  CHECK(db.run({"MULTI"}) == kOk);
  CHECK(db.run({"SET", "mk", "1"}) == kQueued);
  CHECK(db.run({"INCR", "mk"}) == kQueued);
  CHECK(db.run({"GET", "mk"}) == kQueued);
  CHECK(db.run({"MGET", "mk", "none"}) == kQueued);
  CHECK(db.run({"PING"}) == kQueued);
  CHECK(db.stored_payload("mk") == std::nullopt);  // nothing ran while queueing
  CHECK(db.run({"EXEC"}) ==
        array({kOk, integer(2), bulk("2"), array({bulk("2"), kNil}), "+PONG\r\n"}));
  CHECK(db.applied_index() == before + 1);  // one log entry
  CHECK(db.run({"EXEC"}) == error("ERR EXEC without MULTI"));
  CHECK(db.run({"MULTI"}) == kOk);
  CHECK(db.run({"EXEC"}) == "*0\r\n");
}

TEST_CASE("errors while queueing make EXEC answer EXECABORT and nothing runs",
          "[transactions]") {
  CommandFixture db;
  db.run({"MULTI"});
  CHECK(db.run({"SET", "a", "1"}) == kQueued);
  CHECK(db.run({"NOSUCH", "x"}) ==
        error("ERR unknown command 'NOSUCH', with args beginning with: 'x' "));
  CHECK(db.run({"EXEC"}) == kExecAbort);
  CHECK(db.stored_payload("a") == std::nullopt);

  db.run({"MULTI"});
  CHECK(db.run({"SET", "a"}) == error("ERR wrong number of arguments for 'set' command"));
  CHECK(db.run({"EXEC"}) == kExecAbort);

  db.run({"MULTI"});
  CHECK(db.run({"CLIENT", "SETNAME", "x"}) == kNotAllowed);
  CHECK(db.run({"HELLO", "2"}) == kNotAllowed);
  CHECK(db.run({"EXEC"}) == kExecAbort);
  CHECK(db.run({"SET", "a", "1"}) == kOk);  // the connection is out of MULTI

  db.run({"MULTI"});
  db.run({"SET", "b", "1"});
  CHECK(db.run({"EXEC", "extra"}) ==
        error("EXECABORT Transaction discarded because of: wrong number of arguments for "
              "'exec' command"));
  CHECK(db.run({"EXEC"}) == error("ERR EXEC without MULTI"));
  CHECK(db.stored_payload("b") == std::nullopt);
}

TEST_CASE("a command the principal may not run is refused while queueing", "[transactions]") {
  CommandFixture db;
  db.session().principal = "reader";
  db.session().roles = commands::kRoleRead;
  db.run({"MULTI"});
  CHECK(db.run({"GET", "a"}) == kQueued);
  CHECK(db.run({"SET", "a", "1"}) ==
        error("NOPERM User reader has no permissions to run the 'set' command"));
  CHECK(db.run({"EXEC"}) == kExecAbort);
  CHECK(db.stored_payload("a") == std::nullopt);
}

TEST_CASE("run-time errors are replies inside EXEC's array; the other commands apply",
          "[transactions]") {
  CommandFixture db;
  db.run({"MULTI"});
  db.run({"SET", "s", "abc"});
  db.run({"INCR", "s"});
  db.run({"SET", "k", "v", "XX", "NX"});
  db.run({"GETRANGE", "s", "x", "y"});
  db.run({"SET", "after", "1"});
  CHECK(db.run({"EXEC"}) == array({kOk, error("ERR value is not an integer or out of range"),
                                   error("ERR syntax error"),
                                   error("ERR value is not an integer or out of range"), kOk}));
  CHECK(db.stored_payload("after") == "1");
}

TEST_CASE("nested MULTI and WATCH inside MULTI are refused without failing the transaction",
          "[transactions]") {
  CommandFixture db;
  CHECK(db.run({"DISCARD"}) == error("ERR DISCARD without MULTI"));
  CHECK(db.run({"MULTI", "extra"}) == error("ERR wrong number of arguments for 'multi' command"));
  db.run({"MULTI"});
  CHECK(db.run({"MULTI"}) == error("ERR MULTI calls can not be nested"));
  CHECK(db.run({"WATCH", "a"}) == error("ERR WATCH inside MULTI is not allowed"));
  CHECK(db.run({"SET", "a", "1"}) == kQueued);
  CHECK(db.run({"EXEC"}) == array({kOk}));
  db.run({"MULTI"});
  db.run({"SET", "a", "2"});
  CHECK(db.run({"DISCARD"}) == kOk);
  CHECK(db.stored_payload("a") == "1");
}

TEST_CASE("WATCH aborts EXEC when a watched key changed after it", "[transactions]") {
  CommandFixture db;
  db.run({"SET", "w", "1"});
  SECTION("unchanged: EXEC runs") {
    CHECK(db.run({"WATCH", "w", "missing"}) == kOk);
    db.run({"MULTI"});
    db.run({"INCR", "w"});
    CHECK(db.run({"EXEC"}) == array({integer(2)}));
  }
  SECTION("written by another client") {
    db.run({"WATCH", "w"});
    db.put("w", "2");
    db.run({"MULTI"});
    db.run({"SET", "out", "x"});
    CHECK(db.run({"EXEC"}) == kAborted);
    CHECK(db.stored_payload("out") == std::nullopt);
  }
  SECTION("its expiry changed") {
    db.run({"WATCH", "w"});
    db.put("w", "1", db.now_ms() + 60'000);
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == kAborted);
  }
  SECTION("expired between WATCH and EXEC") {
    db.put("w", "1", db.now_ms() + 1'000);
    db.run({"WATCH", "w"});
    db.advance_ms(1'000);
    db.run({"MULTI"});
    db.run({"SET", "out", "x"});
    CHECK(db.run({"EXEC"}) == kAborted);
  }
  SECTION("deleted, or deleted and recreated with another value") {
    db.run({"WATCH", "w"});
    db.run({"DEL", "w"});
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == kAborted);
    db.run({"WATCH", "w"});
    db.run({"SET", "w", "again"});
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == kAborted);
  }
  SECTION("a missing key was created") {
    db.run({"WATCH", "missing"});
    db.run({"SET", "missing", "now"});
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == kAborted);
  }
  SECTION("FLUSHDB emptied it") {
    db.run({"WATCH", "w"});
    db.run({"FLUSHDB"});
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == kAborted);
  }
  SECTION("UNWATCH, EXEC and DISCARD forget the watched keys") {
    db.run({"WATCH", "w"});
    CHECK(db.run({"UNWATCH"}) == kOk);
    db.put("w", "2");
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == "*0\r\n");
    db.run({"WATCH", "w"});
    db.put("w", "3");
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == kAborted);
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == "*0\r\n");  // the aborted EXEC forgot them
    db.run({"WATCH", "w"});
    db.run({"MULTI"});
    db.run({"DISCARD"});
    db.put("w", "4");
    db.run({"MULTI"});
    CHECK(db.run({"EXEC"}) == "*0\r\n");
  }
}

TEST_CASE("the transaction's own writes do not abort it, and its reads see them",
          "[transactions]") {
  CommandFixture db;
  db.run({"WATCH", "w"});
  db.run({"MULTI"});
  db.run({"SET", "w", "mine"});
  db.run({"APPEND", "w", "+"});
  db.run({"GET", "w"});
  db.run({"EXISTS", "w"});
  CHECK(db.run({"EXEC"}) == array({kOk, integer(5), bulk("mine+"), integer(1)}));
}

TEST_CASE("RESP3 EXEC replies and aborts as Redis 7", "[transactions]") {
  CommandFixture db;
  db.session().protocol = keepdb::resp::Protocol::kResp3;
  db.run({"WATCH", "w"});
  db.run({"MULTI"});
  db.run({"SET", "w", "1"});
  db.run({"GET", "nothing"});
  CHECK(db.run({"EXEC"}) == "*2\r\n+OK\r\n_\r\n");
  db.run({"WATCH", "w"});
  db.put("w", "2");
  db.run({"MULTI"});
  CHECK(db.run({"EXEC"}) == "_\r\n");
}

TEST_CASE("queue and watch limits refuse with errors naming the setting", "[transactions]") {
  CommandFixture db;
  db.config().limits.max_queued_commands = 2;
  db.config().limits.max_watched_keys = 2;
  db.config().limits.max_transaction_bytes = 20;
  CHECK(db.run({"WATCH", "a", "b", "c"}) ==
        error("ERR WATCH refused: more than 2 watched keys (limits.max_watched_keys); UNWATCH "
              "or EXEC first"));
  CHECK(db.run({"WATCH", "a", "a", "b"}) == kOk);  // a key watched twice counts once
  db.run({"MULTI"});
  CHECK(db.run({"SET", "a", "1"}) == kQueued);
  CHECK(db.run({"SET", "b", "1"}) == kQueued);
  CHECK(db.run({"SET", "c", "1"}) ==
        error("ERR transaction too long: more than 2 queued commands "
              "(limits.max_queued_commands); EXEC will abort"));
  CHECK(db.run({"EXEC"}) == kExecAbort);
  db.run({"MULTI"});
  CHECK(db.run({"SET", "a", std::string(30, 'x')}) ==
        error("ERR transaction too large: more than 20 bytes of queued arguments "
              "(limits.max_transaction_bytes); EXEC will abort"));
  CHECK(db.run({"EXEC"}) == kExecAbort);
  CHECK(db.stored_payload("a") == std::nullopt);
}

TEST_CASE("the state machine decides WATCH from replicated state alone", "[transactions]") {
  CommandFixture db;
  db.run({"SET", "w", "1"});
  db.run({"WATCH", "w"});
  db.run({"MULTI"});
  db.run({"INCR", "w"});
  const std::vector<std::string> op = commands::take_transaction_op(db.session());
  const std::vector<std::string_view> op_args(op.begin(), op.end());
  commands::OpBatchBuilder builder;
  builder.add(op_args);
  builder.add(op_args);
  // The same entry twice: the first applies, its own write changes w, the second aborts.
  const auto replies = db.apply_batch(builder.take(db.now_ms()));
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].text == array({integer(2)}));
  CHECK(replies[1].text == kAborted);
  CHECK(db.stored_payload("w") == "2");
}

TEST_CASE("a damaged transaction op refuses its batch without applying anything",
          "[transactions]") {
  CommandFixture db;
  commands::OpBatchBuilder queued;
  const std::vector<std::string_view> set = {"SET", "k", "v"};
  queued.add(set);
  const std::string commands_blob = queued.take(0);
  const std::string truncated = commands_blob.substr(0, commands_blob.size() - 1);
  for (const std::vector<std::string_view>& op : std::vector<std::vector<std::string_view>>{
           {"keepdb.exec", "2", "", truncated},
           {"keepdb.exec", "9", "", commands_blob},
           {"keepdb.exec", "2", "garbage", commands_blob},
           {"keepdb.exec", "2", ""}}) {
    commands::OpBatchBuilder batch;
    batch.add(op);
    // The wrong argument count is the state machine's refusal, the others the transaction's.
    CHECK_THROWS_AS(db.apply_batch(batch.take(db.now_ms())), commands::UnappliableBatch);
  }
  // A WATCH entry without its digest.
  commands::OpBatchBuilder short_watch;
  const std::vector<std::string_view> watched = {"k"};
  short_watch.add(watched);
  const std::string short_watches = short_watch.take(0);
  commands::OpBatchBuilder watch_batch;
  const std::vector<std::string_view> watch_op = {"keepdb.exec", "2", short_watches,
                                                  commands_blob};
  watch_batch.add(watch_op);
  CHECK_THROWS_WITH(db.apply_batch(watch_batch.take(db.now_ms())),
                    "a transaction op does not decode");
  // A command a newer version queued: the SET queued before it does not apply either.
  commands::OpBatchBuilder newer;
  const std::vector<std::string_view> unknown = {"NEWCOMMAND", "k"};
  newer.add(set);
  newer.add(unknown);
  commands::OpBatchBuilder no_watches;
  const std::string watches = no_watches.take(0);
  const std::string queued_blob = newer.take(0);
  commands::OpBatchBuilder batch;
  const std::vector<std::string_view> op = {"keepdb.exec", "2", watches, queued_blob};
  batch.add(op);
  CHECK_THROWS_WITH(db.apply_batch(batch.take(db.now_ms())),
                    "a transaction queues 'NEWCOMMAND' with 1 argument(s), not a command this "
                    "build runs in a transaction");
  CHECK(db.stored_payload("k") == std::nullopt);
}

TEST_CASE("the leader admits a forwarded transaction op command by command", "[transactions]") {
  commands::Session caller;
  caller.authenticated = true;
  caller.principal = "reader";
  caller.roles = commands::kRoleRead;
  const auto op_of = [](std::vector<std::string_view> command) {
    commands::OpBatchBuilder queued;
    queued.add(command);
    return std::vector<std::string>{"keepdb.exec", "2", "", queued.take(0)};
  };
  const auto admit = [&caller](const std::vector<std::string>& op) {
    const std::vector<std::string_view> args(op.begin(), op.end());
    return commands::admit_op(args, caller);
  };
  CHECK(admit(op_of({"GET", "k"})).spec == &commands::transaction_op_spec());
  CHECK(admit(op_of({"SET", "k", "v"})).error ==
        "NOPERM User reader has no permissions to run the 'set' command");
  CHECK(admit(op_of({"CLIENT", "SETNAME", "x"})).error ==
        "ERR Command not allowed inside a transaction");
  CHECK(admit({"keepdb.exec", "2", ""}).error == "ERR corrupt transaction");
  CHECK(admit({"keepdb.exec", "2", "", "garbage"}).error == "ERR corrupt transaction");
  // A client cannot send the op itself: admit() does not know it.
  const std::vector<std::string_view> direct = {"keepdb.exec", "2", "", ""};
  CHECK(commands::admit(direct, caller).spec == nullptr);
}
