// The key-value FSM pieces that need no running raft: the snapshot image (round trip with
// expiries, malformed images refused, the applied index carried along) and the forward
// frame bodies (writes, read indexes, errors; truncated bodies refused).
#include <catch2/catch.hpp>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/write/forward_codec.h"
#include "kernel/consensus/fsm/kv_snapshot.h"
#include "storage/kv_store.h"
#include "tests/unit/storage/temp_dir.h"

namespace keepdb::consensus::testing {
namespace {

TEST_CASE("kv snapshot: an image restores the same keys, expiries, clock and applied index",
          "[kv_fsm]") {
  test::TempDir from_dir, to_dir;
  storage::Env from_env(from_dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::Env to_env(to_dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::KvStore from(from_env), to(to_env);
  {
    storage::WriteTxn txn(from_env);
    from.put(txn.get(), "a", "1");
    from.put(txn.get(), "b", std::string(1000, 'x'), 123456);
    from.put(txn.get(), "empty", "");
    from.set_clock_ms(txn.get(), 777);
    txn.commit();
    storage::WriteTxn stale(to_env);
    to.put(stale.get(), "stale", "gone after restore");
    stale.commit();
  }
  storage::ReadTxn read(from_env);
  read.begin();
  const auto image = encode_kv_snapshot(from, read.get(), 42);
  read.end();
  CHECK(kv_snapshot_index(image) == 42u);

  {
    storage::WriteTxn txn(to_env);
    REQUIRE(restore_kv_snapshot(to, txn.get(), image));
    CHECK(to.size(txn.get()) == 3);
    CHECK(!to.get(txn.get(), "stale"));
    CHECK(to.get(txn.get(), "a")->payload == "1");
    CHECK(to.get(txn.get(), "b")->expires_at_ms == 123456);
    CHECK(to.get(txn.get(), "empty")->payload.empty());
    CHECK(to.applied_index(txn.get()) == 42);
    CHECK(to.clock_ms(txn.get()) == 777);
    CHECK(to.keys_due(txn.get(), 123456, 10) == std::vector<std::string>{"b"});
  }

  for (std::size_t cut = 0; cut < image.size(); cut += 7) {
    const std::vector<std::uint8_t> truncated(image.begin(),
                                              image.begin() + static_cast<long>(cut));
    storage::WriteTxn broken(to_env);
    CHECK_FALSE(restore_kv_snapshot(to, broken.get(), truncated));
  }
}

TEST_CASE("kv snapshot: a version 1 image (no clock) still restores, at clock 0", "[kv_fsm]") {
  test::TempDir dir;
  storage::Env env(dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::KvStore kv(env);
  const std::vector<std::uint8_t> v1 = {
      1,                       // version
      9, 0, 0, 0, 0, 0, 0, 0,  // applied index
      1, 0, 0, 0, 0, 0, 0, 0,  // key count
      1, 0, 0, 0, 'k',         // key
      0, 0, 0, 0, 0, 0, 0, 0,  // expiry: none
      1, 0, 0, 0, 'v'};        // payload
  CHECK(kv_snapshot_index(v1) == 9u);
  storage::WriteTxn txn(env);
  REQUIRE(restore_kv_snapshot(kv, txn.get(), v1));
  CHECK(kv.get(txn.get(), "k")->payload == "v");
  CHECK(kv.applied_index(txn.get()) == 9);
  CHECK(kv.clock_ms(txn.get()) == 0);
}

TEST_CASE("forward codec: requests and replies round trip; damage is refused", "[kv_fsm]") {
  commands::OpBatchBuilder batch;
  const std::vector<std::string_view> set{"SET", "k", "v"};
  batch.add(set);
  const ForwardRequest write{7, ForwardKind::kWrite, {{"writer", commands::kRoleWrite}},
                             batch.take(1)};
  const auto request = encode_forward_request(write);
  const auto decoded = decode_forward_request(request);
  REQUIRE(decoded);
  CHECK(decoded->id == 7);
  CHECK(decoded->batch == write.batch);
  REQUIRE(decoded->callers.size() == 1);
  CHECK(decoded->callers[0].principal == "writer");  // the leader re-admits for this caller
  CHECK(decoded->callers[0].roles == commands::kRoleWrite);
  for (std::size_t cut = 0; cut < 9 + 4 + 2 + 6 + 4; ++cut) {  // inside the callers
    CHECK_FALSE(decode_forward_request({request.data(), cut}));
  }
  CHECK(decode_forward_request(encode_forward_request({8, ForwardKind::kReadIndex, {}, {}}))
            ->kind == ForwardKind::kReadIndex);
  CHECK_FALSE(decode_forward_request(std::vector<std::uint8_t>{1, 2, 3}));

  const ForwardReply replies{
      7, std::vector<commands::Reply>{commands::Reply::ok(), commands::Reply::number(-3),
                                      commands::Reply::bulk("x"), commands::Reply::null(),
                                      commands::Reply::error("ERR no")}};
  const auto body = encode_forward_reply(replies);
  const auto back = decode_forward_reply(body, ForwardKind::kWrite);
  REQUIRE(back);
  const auto& got = std::get<std::vector<commands::Reply>>(back->outcome);
  REQUIRE(got.size() == 5);
  CHECK(got[1].integer == -3);
  CHECK(got[2].text == "x");
  CHECK(got[4].kind == commands::Reply::Kind::kError);
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    CHECK_FALSE(decode_forward_reply({body.data(), cut}, ForwardKind::kWrite));
  }
  const auto index =
      decode_forward_reply(encode_forward_reply({9, std::uint64_t{1234}}), ForwardKind::kReadIndex);
  CHECK(std::get<std::uint64_t>(index->outcome) == 1234);
  const auto error = decode_forward_reply(
      encode_forward_reply({9, std::string("TRYAGAIN no leader")}), ForwardKind::kReadIndex);
  CHECK(std::get<std::string>(error->outcome) == "TRYAGAIN no leader");
}

}  // namespace
}  // namespace keepdb::consensus::testing
