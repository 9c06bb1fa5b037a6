// RaftIo's contract (libraft 0.15's rules for a raft_io), driven directly through struct raft_io: deferred
// callbacks, FIFO durable appends, sticky failures with errmsg, address copies, NULL send
// callbacks, the per-peer send bound, close cancelling everything before its own callback,
// received messages, time and random, and async_work plus ticks on a real io_context.
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "util/asio_executor.h"
#include "kernel/consensus/peer/peer_codec.h"
#include "kernel/consensus/raft/raft_io.h"
#include "tests/unit/consensus/memory_log_storage.h"
#include "tests/unit/consensus/virtual_clock.h"

namespace keepdb::consensus::testing {
namespace {

// A transport that keeps every send pending until the test completes it.
struct HeldTransport final : PeerTransport {
  struct Sent {
    raft_id to = 0;
    std::string address;
    SendDone done;
  };
  std::vector<Sent> sent;
  Receiver receiver;

  void send(raft_id to_id, const std::string& to_address, const raft_message&,
            SendDone done) override {
    sent.push_back({to_id, to_address, std::move(done)});
  }
  void set_receiver(Receiver new_receiver) override { receiver = std::move(new_receiver); }
  // RaftIo never sends forward frames.
  void send_forward(raft_id, const std::string&, FrameType, std::span<const std::uint8_t>,
                    SendDone done) override {
    done(util::IoStatus::failure(RAFT_NOCONNECTION, "no forward frames here"));
  }
  void set_forward_receiver(ForwardReceiver) override {}
  void set_snapshot_receiver(ForwardReceiver) override {}
};

// Every callback raft would receive, in order, as "what:status".
struct Events {
  std::vector<std::string> seen;
  void add(const std::string& what, int status) {
    seen.push_back(what + ":" + std::to_string(status));
  }
};

struct Request {
  Events* events = nullptr;
  std::string name;
  raft_io_append append{};
  raft_io_send send{};
  raft_io_snapshot_get get{};

  Request(Events& log, std::string request_name) : events(&log), name(std::move(request_name)) {
    append.data = send.data = get.data = this;
  }
};

void on_append(raft_io_append* req, int status) {
  auto* request = static_cast<Request*>(req->data);
  request->events->add(request->name, status);
}
void on_send(raft_io_send* req, int status) {
  auto* request = static_cast<Request*>(req->data);
  request->events->add(request->name, status);
}
void on_snapshot_get(raft_io_snapshot_get* req, raft_snapshot* snapshot, int status) {
  auto* request = static_cast<Request*>(req->data);
  request->events->add(request->name, status);
  CHECK(snapshot == nullptr);
}

struct Fixture {
  explicit Fixture(RaftIoOptions options = {})
      : io(executor, storage, transport, options), raw(io.get()) {
    REQUIRE(raw->init(raw, 1, "server-1") == 0);
  }

  int append(Request& request, const raft_entry* entries, unsigned n) {
    return raw->append(raw, &request.append, entries, n, on_append);
  }
  int send(Request* request, raft_id to, const char* address) {
    raft_message message{};
    message.type = RAFT_IO_TIMEOUT_NOW;
    message.server_id = to;
    message.server_address = address;
    return raw->send(raw, request ? &request->send : &unused_send, &message,
                     request ? on_send : nullptr);
  }
  bool close() {
    closed = 0;
    raw->data = this;
    raw->close(raw, [](raft_io* io) { ++static_cast<Fixture*>(io->data)->closed; });
    return closed == 0;  // never called inside close()
  }

  VirtualScheduler scheduler;
  VirtualExecutor executor{scheduler};
  MemoryLogStorage storage{scheduler, 5};
  HeldTransport transport;
  RaftIo io;
  raft_io* raw;
  Events events;
  raft_io_send unused_send{};
  int closed = -1;
};

const std::string kPayload = "payload";
raft_entry command_entry(raft_term term) {
  return raft_entry{
      term, RAFT_COMMAND, {const_cast<char*>(kPayload.data()), kPayload.size()}, nullptr};
}

}  // namespace

TEST_CASE("appends complete later, in order, once durable", "[raft_io]") {
  Fixture f;
  raft_entry first[2] = {command_entry(1), command_entry(1)};
  raft_entry second[1] = {command_entry(2)};
  Request a(f.events, "a");
  Request b(f.events, "b");
  REQUIRE(f.append(a, first, 2) == 0);
  REQUIRE(f.append(b, second, 1) == 0);
  CHECK(f.events.seen.empty());  // never inside the method
  CHECK(f.storage.entries().empty());
  f.scheduler.run_for(50);
  CHECK(f.events.seen == std::vector<std::string>{"a:0", "b:0"});
  REQUIRE(f.storage.entries().size() == 3);
  CHECK(f.storage.entries().at(3).term == 2);
  CHECK(f.close());
  f.scheduler.run_for(50);
  CHECK(f.closed == 1);
}

TEST_CASE("a failed write fails every later append and fills errmsg", "[raft_io]") {
  Fixture f;
  raft_entry entry = command_entry(1);
  Request a(f.events, "a");
  Request b(f.events, "b");
  f.storage.fail_next_writes(1);
  REQUIRE(f.append(a, &entry, 1) == 0);
  REQUIRE(f.append(b, &entry, 1) == 0);
  f.scheduler.run_for(50);
  CHECK(f.events.seen == std::vector<std::string>{"a:18", "b:18"});  // RAFT_IOERR, sticky
  CHECK(std::string(f.raw->errmsg).find("injected") != std::string::npos);
  std::memset(f.raw->errmsg, 0, sizeof f.raw->errmsg);
  CHECK(f.raw->set_term(f.raw, 2) == RAFT_IOERR);  // synchronous writes fail too
  CHECK(std::string(f.raw->errmsg).find("injected") != std::string::npos);
  CHECK(f.storage.entries().empty());
  CHECK(f.close());
  f.scheduler.run_for(50);
}

TEST_CASE("bootstrap and load go through storage with raft's memory rules", "[raft_io]") {
  Fixture f;
  raft_configuration configuration;
  raft_configuration_init(&configuration);
  REQUIRE(raft_configuration_add(&configuration, 1, "server-1", RAFT_VOTER) == 0);
  REQUIRE(f.raw->bootstrap(f.raw, &configuration) == 0);
  CHECK(f.raw->bootstrap(f.raw, &configuration) == RAFT_CANTBOOTSTRAP);
  CHECK(std::string(f.raw->errmsg).find("already exists") != std::string::npos);
  raft_configuration_close(&configuration);

  raft_term term = 0;
  raft_id vote = 9;
  raft_snapshot* snapshot = nullptr;
  raft_index start = 0;
  raft_entry* entries = nullptr;
  size_t count = 0;
  REQUIRE(f.raw->load(f.raw, &term, &vote, &snapshot, &start, &entries, &count) == 0);
  CHECK(term == 1);
  CHECK(vote == 0);
  CHECK(snapshot == nullptr);
  CHECK(start == 1);
  REQUIRE(count == 1);
  CHECK(entries[0].type == RAFT_CHANGE);
  CHECK(entries[0].batch == nullptr);
  raft_free(entries[0].buf.base);  // what raft does with loaded entries
  raft_free(entries);
  CHECK(f.close());
  f.scheduler.run_for(50);
}

TEST_CASE("sends copy the address, accept a NULL callback and are bounded per peer", "[raft_io]") {
  RaftIoOptions options;
  options.max_pending_sends_per_peer = 2;
  Fixture f(options);
  std::string address = "server-2";
  Request first(f.events, "first");
  Request third(f.events, "third");
  Request other(f.events, "other");
  REQUIRE(f.send(&first, 2, address.c_str()) == 0);
  address.assign("XXXXXXXX");  // raft's configuration may change after send returns
  REQUIRE(f.send(nullptr, 2, "server-2") == 0);  // TimeoutNow style: no callback
  REQUIRE(f.send(&third, 2, "server-2") == 0);   // over the bound: the oldest fails
  REQUIRE(f.send(&other, 3, "server-3") == 0);
  CHECK(f.events.seen.empty());
  REQUIRE(f.transport.sent.size() == 4);
  CHECK(f.transport.sent[0].address == "server-2");
  f.scheduler.run_for(10);
  CHECK(f.events.seen == std::vector<std::string>{"first:16"});  // RAFT_NOCONNECTION
  for (auto& sent : f.transport.sent) sent.done(util::IoStatus::success());
  f.scheduler.run_for(10);
  CHECK(f.events.seen == std::vector<std::string>{"first:16", "third:0", "other:0"});
  CHECK(f.close());
  f.scheduler.run_for(50);
  CHECK(f.closed == 1);
}

TEST_CASE("close cancels every pending request before its own callback, once", "[raft_io]") {
  Fixture f;
  static int ticks = 0;
  static int received = 0;
  ticks = 0;
  received = 0;
  REQUIRE(f.raw->start(
              f.raw, 100, [](raft_io*) { ++ticks; }, [](raft_io*, raft_message*) { ++received; }) ==
          0);
  f.scheduler.run_for(250);
  CHECK(ticks == 2);
  raft_entry entry = command_entry(1);
  Request send(f.events, "send");
  Request append(f.events, "append");
  Request get(f.events, "get");
  REQUIRE(f.send(&send, 2, "server-2") == 0);
  REQUIRE(f.append(append, &entry, 1) == 0);
  REQUIRE(f.raw->snapshot_get(f.raw, &get.get, on_snapshot_get) == 0);
  PeerTransport::Receiver receiver = f.transport.receiver;
  REQUIRE(f.close());
  CHECK(!f.transport.receiver);  // receives stop at once
  CHECK(f.events.seen.empty());

  // A message arriving after close is freed, not delivered (ASan checks the payload).
  raft_message message{};
  raft_entry payload_entry = command_entry(1);
  message.type = RAFT_IO_APPEND_ENTRIES;
  message.append_entries.entries = &payload_entry;
  message.append_entries.n_entries = 1;
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(2, message, FrameLimits{}, frame).ok());
  OwnedMessage decoded;
  REQUIRE(decode_message_frame(frame, FrameLimits{}, decoded).ok());
  receiver(std::move(decoded));

  f.scheduler.run_for(1000);
  std::sort(f.events.seen.begin(), f.events.seen.end());
  CHECK(f.events.seen == std::vector<std::string>{"append:13", "get:13", "send:13"});
  CHECK(f.closed == 1);
  CHECK(ticks == 2);
  CHECK(received == 0);
  f.transport.sent[0].done(util::IoStatus::success());  // a late completion is dropped
  f.scheduler.run_for(10);
  CHECK(f.events.seen.size() == 3);
  CHECK(f.closed == 1);
}

TEST_CASE("received messages reach raft later, with the sender's identity", "[raft_io]") {
  Fixture f;
  static std::string sender;
  sender.clear();
  REQUIRE(f.raw->start(
              f.raw, 100, [](raft_io*) {},
              [](raft_io*, raft_message* message) {
                sender = std::to_string(message->server_id) + "@" + message->server_address;
              }) == 0);
  raft_message message{};
  message.type = RAFT_IO_REQUEST_VOTE;
  message.request_vote.term = 3;
  std::vector<std::uint8_t> frame;
  REQUIRE(encode_message_frame(2, message, FrameLimits{}, frame).ok());
  OwnedMessage decoded;
  REQUIRE(decode_message_frame(frame, FrameLimits{}, decoded).ok());
  decoded.sender_address() = "server-2";  // the transport's part (from the configuration)
  f.transport.receiver(std::move(decoded));
  CHECK(sender.empty());
  f.scheduler.run_for(1);
  CHECK(sender == "2@server-2");
  CHECK(f.close());
  f.scheduler.run_for(50);
}

TEST_CASE("time follows the executor's clock and random is a seeded per-instance PRNG",
          "[raft_io]") {
  RaftIoOptions options;
  options.random_seed = 99;
  Fixture one(options);
  Fixture two(options);
  const raft_time before = one.raw->time(one.raw);
  one.scheduler.run_for(250);
  CHECK(one.raw->time(one.raw) == before + 250);
  for (int i = 0; i < 100; ++i) {
    const int value = one.raw->random(one.raw, 1000, 2000);
    CHECK(value >= 1000);
    CHECK(value <= 2000);
    CHECK(value == two.raw->random(two.raw, 1000, 2000));
  }
  CHECK(one.raw->random(one.raw, 5, 5) == 5);
  CHECK(one.close());
  CHECK(two.close());
  one.scheduler.run_for(50);
  two.scheduler.run_for(50);
}

TEST_CASE("async_work runs on a worker thread and completes on the raft thread", "[raft_io]") {
  boost::asio::io_context context;
  auto keep_running = boost::asio::make_work_guard(context);
  util::AsioExecutor executor(context);
  VirtualScheduler disk_clock;
  MemoryLogStorage storage(disk_clock, 0);
  HeldTransport transport;
  RaftIo io(executor, storage, transport, RaftIoOptions{});
  raft_io* raw = io.get();
  REQUIRE(raw->version == 2);

  struct Work {
    raft_io_async_work request{};
    std::thread::id worker;
    std::thread::id completion;
    int status = -1;
    decltype(keep_running)* guard = nullptr;
  } work;
  work.guard = &keep_running;
  work.request.data = &work;
  work.request.work = [](raft_io_async_work* request) {
    static_cast<Work*>(request->data)->worker = std::this_thread::get_id();
    return 0;
  };
  REQUIRE(raw->async_work(raw, &work.request, [](raft_io_async_work* request, int status) {
    auto* done = static_cast<Work*>(request->data);
    done->completion = std::this_thread::get_id();
    done->status = status;
    done->guard->reset();
  }) == 0);
  CHECK(work.status == -1);
  context.run();
  CHECK(work.status == 0);
  CHECK(work.completion == std::this_thread::get_id());
  CHECK(work.worker != std::this_thread::get_id());

  auto keep_running_until_closed = boost::asio::make_work_guard(context);
  raw->data = &keep_running_until_closed;
  raw->close(raw, [](raft_io* closed_io) {
    static_cast<decltype(keep_running_until_closed)*>(closed_io->data)->reset();
  });
  disk_clock.run_for(10);  // the in-memory disk drains on its own clock
  context.restart();
  context.run();  // returns only once the close callback has run
  CHECK(!keep_running_until_closed.owns_work());
}

TEST_CASE("util::AsioExecutor ticks periodically until stopped", "[raft_io]") {
  boost::asio::io_context context;
  util::AsioExecutor executor(context);
  int ticks = 0;
  // Read the clock before arming: ticks are due at arming time + k periods, so a test
  // thread preempted after arming would otherwise see them all due at once.
  const std::uint64_t start = executor.now_ms();
  executor.start_tick(std::chrono::milliseconds(1), [&] {
    if (++ticks == 3) executor.stop_tick();
  });
  bool posted = false;
  executor.post([&] { posted = true; });
  context.run();  // returns once the tick is stopped and nothing else is queued
  CHECK(posted);
  CHECK(ticks == 3);
  CHECK(executor.now_ms() >= start + 3);
}

}  // namespace keepdb::consensus::testing
