// The key-value FSM pieces that need no running raft: the snapshot descriptor and image
// (round trip with expiries, malformed ones refused, the applied index carried along), the
// image streamed in pieces and restored from a file, the FSM's snapshot and restore of
// descriptors (switching to a streamed image), and the forward
// frame bodies (writes, read indexes, errors; truncated bodies refused).
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <string>

#include "kernel/commands/op_batch.h"
#include "kernel/consensus/fsm/kv_fsm.h"
#include "kernel/consensus/fsm/kv_snapshot.h"
#include "kernel/consensus/write/forward_codec.h"
#include "storage/kv_store.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "util/raft_memory.h"

namespace keepdb::consensus::testing {
namespace {

TEST_CASE("kv snapshot: an image restores the same keys of every database, expiries, clock and "
          "applied index",
          "[kv_fsm]") {
  test::TempDir from_dir, to_dir;
  storage::Env from_env(from_dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::Env to_env(to_dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::KvStore from(from_env), to(to_env);
  {
    storage::WriteTxn txn(from_env);
    from.put(txn.get(), 0, "a", "1");
    from.put(txn.get(), 3, "b", std::string(1000, 'x'), 123456);
    from.put(txn.get(), 0, "empty", "");
    from.put(txn.get(), 255, "", "the empty key");
    from.set_clock_ms(txn.get(), 777);
    from.set_applied_index(txn.get(), 42);
    txn.commit();
    storage::WriteTxn stale(to_env);
    to.put(stale.get(), 9, "stale", "gone after restore");
    stale.commit();
  }
  storage::ReadTxn read(from_env);
  read.begin();
  const auto image = encode_kv_snapshot(from, read.get());
  read.end();
  const auto header = read_kv_snapshot_header(image);
  REQUIRE(header);
  CHECK_FALSE(header->descriptor);
  CHECK(header->applied_index == 42u);
  CHECK(header->clock_ms == 777u);

  {
    storage::WriteTxn txn(to_env);
    REQUIRE(restore_kv_snapshot(to, txn.get(), image));
    CHECK(to.size_all(txn.get()) == 4);
    CHECK(to.size(txn.get(), 0) == 2);
    CHECK(to.size(txn.get(), 3) == 1);
    CHECK(to.size(txn.get(), 9) == 0);
    CHECK(!to.get(txn.get(), 9, "stale"));
    CHECK(to.get(txn.get(), 0, "a")->payload == "1");
    CHECK(to.get(txn.get(), 3, "b")->expires_at_ms == 123456);
    CHECK_FALSE(to.get(txn.get(), 0, "b"));
    CHECK(to.get(txn.get(), 0, "empty")->payload.empty());
    CHECK(to.get(txn.get(), 255, "")->payload == "the empty key");
    CHECK(to.applied_index(txn.get()) == 42);
    CHECK(to.clock_ms(txn.get()) == 777);
    const auto due = to.keys_due(txn.get(), 123456, 10);
    REQUIRE(due.size() == 1);
    CHECK((due[0].db == 3 && due[0].key == "b"));
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
  CHECK(read_kv_snapshot_header(v1)->applied_index == 9u);
  storage::WriteTxn txn(env);
  REQUIRE(restore_kv_snapshot(kv, txn.get(), v1));
  CHECK(kv.get(txn.get(), 0, "k")->payload == "v");
  CHECK(kv.applied_index(txn.get()) == 9);
  CHECK(kv.clock_ms(txn.get()) == 0);
}

TEST_CASE("kv snapshot: a descriptor round trips; damaged ones are refused", "[kv_fsm]") {
  const auto descriptor = encode_kv_descriptor(1234, 5678);
  CHECK(descriptor.size() == 17);
  const auto header = read_kv_snapshot_header(descriptor);
  REQUIRE(header);
  CHECK(header->descriptor);
  CHECK(header->applied_index == 1234u);
  CHECK(header->clock_ms == 5678u);
  for (std::size_t cut = 0; cut < descriptor.size(); ++cut) {
    CHECK_FALSE(read_kv_snapshot_header({descriptor.data(), cut}));
  }
  auto longer = descriptor;
  longer.push_back(0);
  CHECK_FALSE(read_kv_snapshot_header(longer));
  auto unknown = descriptor;
  unknown[0] = 4;
  CHECK_FALSE(read_kv_snapshot_header(unknown));

  test::TempDir dir;
  storage::Env env(dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::KvStore kv(env);
  storage::WriteTxn txn(env);
  CHECK_FALSE(restore_kv_snapshot(kv, txn.get(), descriptor));  // names a state, holds none
}

// Drives the FSM's callbacks the way raft does, without a raft instance.
struct FsmHarness {
  test::TempDir dir;
  storage::Env env{dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4}};
  storage::KvStore kv{env};
  const bool seeded;
  KvFsm fsm{env, kv, 1 << 20};  // reads the applied index seeded before it

  FsmHarness(std::uint64_t applied, std::uint64_t clock) : seeded(seed(applied, clock)) {}
  bool seed(std::uint64_t applied, std::uint64_t clock) {
    storage::WriteTxn txn(env);
    kv.put(txn.get(), 0, "k", "v");
    kv.set_applied_index(txn.get(), applied);
    kv.set_clock_ms(txn.get(), clock);
    txn.commit();
    return true;
  }
  std::vector<std::uint8_t> snapshot() {
    raft_buffer* bufs = nullptr;
    unsigned n = 0;
    REQUIRE(fsm.get()->snapshot(fsm.get(), &bufs, &n) == 0);
    REQUIRE(n == 1);
    const auto* bytes = static_cast<const std::uint8_t*>(bufs[0].base);
    std::vector<std::uint8_t> data(bytes, bytes + bufs[0].len);
    raft_free(bufs[0].base);
    raft_free(bufs);
    return data;
  }
  // raft's restore contract: on success the FSM frees the buffer, on failure raft does.
  int restore(std::span<const std::uint8_t> data) {
    raft_buffer buffer{raft_malloc(data.size()), data.size()};
    std::memcpy(buffer.base, data.data(), data.size());
    const int rv = fsm.get()->restore(fsm.get(), &buffer);
    if (rv != 0) raft_free(buffer.base);
    return rv;
  }
};

TEST_CASE("kv fsm: a snapshot is a descriptor of the store, whatever its size", "[kv_fsm]") {
  FsmHarness node(0, 0);
  {
    storage::WriteTxn txn(node.env);
    for (int i = 0; i < 2000; ++i) node.kv.put(txn.get(), 0, "key" + std::to_string(i), "value");
    node.kv.set_applied_index(txn.get(), 7);
    node.kv.set_clock_ms(txn.get(), 99);
    txn.commit();
  }
  KvFsm fresh(node.env, node.kv, 1 << 20);  // reads the applied index the store holds
  raft_buffer* bufs = nullptr;
  unsigned n = 0;
  REQUIRE(fresh.get()->snapshot(fresh.get(), &bufs, &n) == 0);
  const auto header = read_kv_snapshot_header(
      {static_cast<const std::uint8_t*>(bufs[0].base), bufs[0].len});
  REQUIRE(header);
  CHECK(header->descriptor);
  CHECK(header->applied_index == 7u);
  CHECK(header->clock_ms == 99u);
  raft_free(bufs[0].base);
  raft_free(bufs);
}

TEST_CASE("kv fsm: restoring a descriptor keeps the store; one ahead of the store is refused",
          "[kv_fsm]") {
  FsmHarness node(10, 5);
  CHECK(node.restore(encode_kv_descriptor(10, 5)) == 0);  // a restart: the store is the state
  CHECK(node.restore(encode_kv_descriptor(3, 5)) == 0);   // the store is ahead: kept
  CHECK(node.fsm.applied_index() == 10u);
  CHECK(node.restore(encode_kv_descriptor(11, 5)) == RAFT_CORRUPT);  // data was lost
  CHECK(node.restore(std::vector<std::uint8_t>{3, 1, 2}) == RAFT_MALFORMED);
  storage::ReadTxn txn(node.env);
  txn.begin();
  CHECK(node.kv.get(txn.get(), 0, "k")->payload == "v");
}

// Writes `bytes` to `path` (a test's stand-in for a received stream).
void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  test::write_file(path,
                   std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

TEST_CASE("kv image stream: pieces of any size make the image; a file of it restores",
          "[kv_fsm]") {
  FsmHarness leader(20, 1000);
  {
    storage::WriteTxn txn(leader.env);
    for (int i = 0; i < 300; ++i) {
      leader.kv.put(txn.get(), 0, "key" + std::to_string(i), std::string(i * 7, 'v'),
                    i % 3 == 0 ? 5000 + i : 0);
    }
    leader.kv.put(txn.get(), 0, "big", std::string(100000, 'b'));  // larger than a piece
    txn.commit();
  }
  storage::ReadTxn read(leader.env);
  read.begin();
  const auto image = encode_kv_snapshot(leader.kv, read.get());
  read.end();
  for (const std::size_t piece : {1u, 7u, 4096u, 1u << 20}) {
    KvImageStream stream(leader.kv);
    CHECK(stream.applied_index() == 20u);
    {
      storage::WriteTxn txn(leader.env);  // later writes do not reach the stream
      leader.kv.put(txn.get(), 0, "late", "x");
      leader.kv.erase(txn.get(), 0, "late");
      txn.commit();
    }
    std::vector<std::uint8_t> streamed, out;
    while (stream.next(piece, out)) {
      CHECK(out.size() <= piece);
      streamed.insert(streamed.end(), out.begin(), out.end());
    }
    CHECK(out.empty());
    CHECK(streamed == image);
  }

  FsmHarness follower(4, 10);
  const auto path = follower.fsm.install_path();
  write_file(path, image);
  CHECK(read_kv_image_file_header(path)->applied_index == 20u);
  {
    storage::WriteTxn txn(follower.env);
    REQUIRE(restore_kv_image_file(follower.kv, txn.get(), path));
    CHECK(follower.kv.size(txn.get(), 0) == 302);
    CHECK(follower.kv.get(txn.get(), 0, "big")->payload.size() == 100000);
    CHECK(follower.kv.get(txn.get(), 0, "key3")->expires_at_ms == 5003u);
    CHECK(follower.kv.clock_ms(txn.get()) == 1000u);
  }
  for (const std::size_t cut : {std::size_t{0}, std::size_t{10}, std::size_t{30}, image.size() / 2,
                                image.size() - 1}) {
    write_file(path, std::span<const std::uint8_t>(image).first(cut));
    storage::WriteTxn txn(follower.env);
    CHECK_FALSE(restore_kv_image_file(follower.kv, txn.get(), path));
  }
  auto longer = image;
  longer.push_back(0);
  write_file(path, longer);
  storage::WriteTxn txn(follower.env);
  CHECK_FALSE(restore_kv_image_file(follower.kv, txn.get(), path));
  CHECK_FALSE(restore_kv_image_file(follower.kv, txn.get(), path.string() + ".missing"));
}

TEST_CASE("kv fsm: a descriptor ahead of the store switches to a streamed image at or past it",
          "[kv_fsm]") {
  FsmHarness leader(20, 1000);
  storage::ReadTxn read(leader.env);
  read.begin();
  const auto image = encode_kv_snapshot(leader.kv, read.get());
  read.end();
  {
    storage::WriteTxn txn(leader.env);
    leader.kv.put(txn.get(), 0, "only-on-leader", "yes");
    txn.commit();
  }

  FsmHarness follower(4, 10);
  const auto path = follower.fsm.install_path();
  write_file(path, image);
  CHECK(follower.restore(encode_kv_descriptor(21, 1000)) == RAFT_CORRUPT);  // image too old
  CHECK(std::filesystem::exists(path));
  CHECK(follower.restore(encode_kv_descriptor(18, 900)) == 0);  // the image is past it
  CHECK(follower.fsm.applied_index() == 20u);
  CHECK_FALSE(std::filesystem::exists(path));  // switched to, then dropped
  storage::ReadTxn txn(follower.env);
  txn.begin();
  CHECK(follower.kv.clock_ms(txn.get()) == 1000u);  // expiry's clock travels with the state
  CHECK(follower.kv.get(txn.get(), 0, "k")->payload == "v");
  CHECK_FALSE(follower.kv.get(txn.get(), 0, "only-on-leader"));
  txn.end();

  // A damaged image is refused and the store is left as it was.
  FsmHarness other(4, 10);
  auto damaged = image;
  damaged.resize(damaged.size() - 1);
  write_file(other.fsm.install_path(), damaged);
  CHECK(other.restore(encode_kv_descriptor(18, 900)) == RAFT_MALFORMED);
  CHECK(other.fsm.applied_index() == 4u);
}

TEST_CASE("kv fsm: at start-up an image the store already holds is removed", "[kv_fsm]") {
  FsmHarness node(30, 5);
  storage::ReadTxn read(node.env);
  read.begin();
  const auto image = encode_kv_snapshot(node.kv, read.get());
  read.end();
  write_file(node.fsm.install_path(), image);
  KvFsm restarted(node.env, node.kv, 1 << 20);
  CHECK_FALSE(std::filesystem::exists(node.fsm.install_path()));
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

TEST_CASE("kv snapshot: a version 2 image (before databases) restores into database 0",
          "[kv_fsm][db]") {
  test::TempDir dir;
  storage::Env env(dir.path(), {.map_size_bytes = 16 << 20, .max_dbs = 4});
  storage::KvStore kv(env);
  // version 2, applied index 5, clock 6, one key: "k" -> "v", expiry 9.
  const std::vector<std::uint8_t> image = {2, 5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
                                           1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'k', 9, 0, 0,
                                           0, 0, 0, 0, 0, 1, 0, 0, 0, 'v'};
  storage::WriteTxn txn(env);
  REQUIRE(restore_kv_snapshot(kv, txn.get(), image));
  CHECK(kv.get(txn.get(), 0, "k")->payload == "v");
  CHECK(kv.get(txn.get(), 0, "k")->expires_at_ms == 9);
  CHECK(kv.applied_index(txn.get()) == 5);
}

}  // namespace
}  // namespace keepdb::consensus::testing
