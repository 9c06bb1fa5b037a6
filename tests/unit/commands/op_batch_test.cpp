// Tests for the write-batch encoding: builder/reader round trip, the frozen byte layout,
// and total decoding: every truncation and many random corruptions of a valid batch are
// reported malformed without reading out of bounds (each input is copied into a heap
// buffer of exactly its size, so AddressSanitizer sees any overread).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/commands/op_batch.h"

using namespace std::string_literals;
using keepdb::commands::OpBatchBuilder;
using keepdb::commands::OpBatchReader;

namespace {

using Op = std::vector<std::string>;

std::string encode(const std::vector<Op>& ops, std::uint64_t time_ms = 1'700'000'000'123) {
  OpBatchBuilder builder;
  for (const Op& op : ops) {
    const std::vector<std::string_view> args(op.begin(), op.end());
    builder.add(args);
  }
  return builder.take(time_ms);
}

// The bytes of a batch in a heap block of exactly their size.
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view bytes)
      : data_(new char[bytes.size() == 0 ? 1 : bytes.size()]), size_(bytes.size()) {
    if (size_ != 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

struct Decoded {
  std::vector<Op> ops;
  bool malformed = false;
};

// Decodes `bytes` completely, checking every argument view lies inside the batch.
Decoded decode(std::string_view bytes) {
  const ExactBuffer buffer(bytes);
  const std::string_view batch = buffer.view();
  OpBatchReader reader(batch);
  Decoded decoded;
  std::vector<std::string_view> args;
  while (reader.next(args)) {
    Op op;
    for (std::string_view arg : args) {
      REQUIRE(arg.data() >= batch.data());
      REQUIRE(arg.data() + arg.size() <= batch.data() + batch.size());
      op.emplace_back(arg);
    }
    decoded.ops.push_back(std::move(op));
  }
  decoded.malformed = reader.malformed();
  return decoded;
}

const std::vector<Op> kSampleOps = {
    {"SET", "key", "value"},
    {"MSET", "a", "", "b\0\r\n"s, std::string(300, 'x')},
    {"DEL", "k"},
    {"FLUSHDB"},
};

}  // namespace

TEST_CASE("op_batch: ops round-trip in order, binary-safe", "[op_batch]") {
  const std::string batch = encode(kSampleOps);
  OpBatchReader reader(batch);
  CHECK(reader.count() == 4u);
  const Decoded decoded = decode(batch);
  CHECK(decoded.ops == kSampleOps);
  CHECK_FALSE(decoded.malformed);
}

TEST_CASE("op_batch: the encoding is the documented little-endian layout", "[op_batch]") {
  CHECK(encode({{"GET", "k"}}, 0x0102030405060708) ==
        "\x04\x08\x07\x06\x05\x04\x03\x02\x01"
        "\x10\x00"
        "\x00\x00\x00\x01\x00\x00\x00\x00"
        "\x01\x00\x00\x00"
        "\x00"
        "\x02\x00\x00\x00"
        "\x03\x00\x00\x00GET"
        "\x01\x00\x00\x00k"s);
  CHECK(encode({}, 0) ==
        "\x04\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x01\x00\x00\x00\x00"
        "\x00\x00\x00\x00"s);
}

TEST_CASE("op_batch: each op carries its database", "[op_batch][db]") {
  OpBatchBuilder builder;
  const std::vector<std::string_view> set = {"SET", "", "v"};
  builder.add(set, 7);
  builder.add(set);
  builder.add(set, 255);
  const std::string batch = builder.take(1);
  CHECK(batch.substr(23, 1) == "\x07"s);
  OpBatchReader reader(batch);
  std::vector<std::string_view> args;
  std::vector<int> dbs;
  while (reader.next(args)) {
    CHECK(args == set);
    dbs.push_back(reader.db());
  }
  CHECK_FALSE(reader.malformed());
  CHECK(dbs == std::vector<int>{7, 0, 255});
}

TEST_CASE("op_batch: version 2 batches (no database byte) decode into database 0",
          "[op_batch][db]") {
  const std::string v2 =
      "\x02\x05\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
      "\x02\x00\x00\x00"
      "\x03\x00\x00\x00"
      "DEL"
      "\x01\x00\x00\x00k"s;
  OpBatchReader reader(v2);
  CHECK(reader.time_ms() == 5);
  CHECK(reader.databases() == 1);  // database 0 was the only one
  std::vector<std::string_view> args;
  REQUIRE(reader.next(args));
  CHECK(args == std::vector<std::string_view>{"DEL", "k"});
  CHECK(reader.db() == 0);
  CHECK_FALSE(reader.next(args));
  CHECK_FALSE(reader.malformed());
}

TEST_CASE("op_batch: each batch carries its builder's databases, 1 to 256", "[op_batch][db]") {
  const std::vector<std::string_view> op = {"MOVE", "k", "3"};
  for (const unsigned databases : {1u, 16u, 255u, 256u}) {
    CAPTURE(databases);
    OpBatchBuilder builder(databases);
    builder.add(op);
    const std::string batch = builder.take(1);
    OpBatchReader reader(batch);
    CHECK(reader.count() == 1u);
    CHECK(reader.databases() == databases);
    CHECK(decode(batch).ops == std::vector<Op>{{"MOVE", "k", "3"}});
  }
}

TEST_CASE("op_batch: each batch carries its builder's value limit", "[op_batch]") {
  for (const std::uint64_t limit : {std::uint64_t{1}, std::uint64_t{4096}, std::uint64_t{512} << 20}) {
    CAPTURE(limit);
    OpBatchBuilder builder(16, limit);
    builder.add(std::vector<std::string_view>{"APPEND", "k", "v"});
    const std::string batch = builder.take(1);
    OpBatchReader reader(batch);
    CHECK(reader.count() == 1u);
    CHECK(reader.max_value_bytes() == limit);
    CHECK(decode(batch).ops == std::vector<Op>{{"APPEND", "k", "v"}});
  }
  // A limit of 0 would refuse every APPEND: no builder writes it, so it is damage.
  std::string batch = encode(kSampleOps);
  batch.replace(11, 8, std::string(8, '\0'));
  CHECK_FALSE(OpBatchReader(batch).count());
  CHECK(decode(batch).malformed);
}

TEST_CASE("op_batch: version 3 batches (no value limit) decode with their databases",
          "[op_batch][db]") {
  const std::string v3 =
      "\x03\x05\x00\x00\x00\x00\x00\x00\x00"
      "\x08\x00"
      "\x01\x00\x00\x00"
      "\x02"
      "\x02\x00\x00\x00"
      "\x03\x00\x00\x00"
      "DEL"
      "\x01\x00\x00\x00k"s;
  OpBatchReader reader(v3);
  CHECK(reader.time_ms() == 5);
  CHECK(reader.databases() == 8);
  CHECK_FALSE(reader.max_value_bytes());  // the applying node's own limit applies
  std::vector<std::string_view> args;
  REQUIRE(reader.next(args));
  CHECK(args == std::vector<std::string_view>{"DEL", "k"});
  CHECK(reader.db() == 2);
  CHECK_FALSE(reader.next(args));
  CHECK_FALSE(reader.malformed());
}

TEST_CASE("op_batch: a databases field of 0 or above 256 is malformed", "[op_batch][db]") {
  for (const std::string& field : {"\x00\x00"s, "\x01\x01"s, "\xff\xff"s}) {
    CAPTURE(field);
    std::string batch = encode(kSampleOps);
    batch.replace(9, 2, field);
    CHECK_FALSE(OpBatchReader(batch).count());
    const Decoded decoded = decode(batch);
    CHECK(decoded.malformed);
    CHECK(decoded.ops.empty());
  }
}

TEST_CASE("op_batch: the batch time round-trips", "[op_batch]") {
  for (const std::uint64_t time_ms : {std::uint64_t{0}, std::uint64_t{1'700'000'000'123},
                                      std::numeric_limits<std::uint64_t>::max()}) {
    const std::string batch = encode(kSampleOps, time_ms);
    OpBatchReader reader(batch);
    CHECK(reader.time_ms() == time_ms);
    CHECK(decode(batch).ops == kSampleOps);
  }
}

TEST_CASE("op_batch: version 1 batches (no batch time) still decode, at time 0", "[op_batch]") {
  const std::string v1 =
      "\x01\x01\x00\x00\x00"
      "\x02\x00\x00\x00"
      "\x03\x00\x00\x00"
      "DEL"
      "\x01\x00\x00\x00k"s;
  OpBatchReader reader(v1);
  CHECK(reader.count() == 1u);
  CHECK(reader.time_ms() == 0);
  const Decoded decoded = decode(v1);
  CHECK(decoded.ops == std::vector<Op>{{"DEL", "k"}});
  CHECK_FALSE(decoded.malformed);
}

TEST_CASE("op_batch: take() returns the batch and starts an empty one", "[op_batch]") {
  OpBatchBuilder builder;
  const std::vector<std::string_view> op = {"DEL", "k"};
  builder.add(op);
  builder.add(op);
  CHECK(builder.size() == 2);
  CHECK(builder.bytes() == 23 + 2 * (1 + 4 + 4 + 3 + 4 + 1));
  CHECK(decode(builder.take(1)).ops.size() == 2);
  CHECK(builder.empty());
  CHECK(builder.bytes() == 23);
  builder.add(op);
  CHECK(decode(builder.take(2)).ops == std::vector<Op>{{"DEL", "k"}});
}

TEST_CASE("op_batch: an empty batch decodes to no ops", "[op_batch]") {
  const Decoded decoded = decode(encode({}));
  CHECK(decoded.ops.empty());
  CHECK_FALSE(decoded.malformed);
}

TEST_CASE("op_batch: every truncation of a valid batch is malformed, its prefix intact",
          "[op_batch]") {
  const std::string batch = encode(kSampleOps);
  for (std::size_t length = 0; length < batch.size(); ++length) {
    CAPTURE(length);
    const Decoded decoded = decode(std::string_view(batch).substr(0, length));
    CHECK(decoded.malformed);
    REQUIRE(decoded.ops.size() < kSampleOps.size());
    CHECK(decoded.ops == std::vector(kSampleOps.begin(),
                                     kSampleOps.begin() + static_cast<long>(decoded.ops.size())));
  }
}

TEST_CASE("op_batch: trailing bytes after the declared ops are malformed", "[op_batch]") {
  CHECK(decode(encode(kSampleOps) + "x").malformed);
  CHECK(decode(encode({}) + "\x01\x00\x00\x00"s).malformed);
}

TEST_CASE("op_batch: a bad header is malformed and has no count", "[op_batch]") {
  for (const std::string& batch :
       {""s, "\x01"s, "\x01\x00\x00\x00"s, "\x02\x00\x00\x00\x00"s, "\x00\x01\x00\x00\x00"s}) {
    CAPTURE(batch);
    CHECK_FALSE(OpBatchReader(batch).count());
    CHECK(decode(batch).malformed);
  }
}

TEST_CASE("op_batch: a count the batch cannot hold is refused up front", "[op_batch]") {
  // Every op takes at least 8 bytes (argc and one length), so a bare header cannot
  // declare 4 billion ops; callers size reply vectors from count().
  CHECK_FALSE(OpBatchReader("\x01\xff\xff\xff\xff"s).count());
  CHECK_FALSE(OpBatchReader("\x02"s + std::string(8, '\0') + "\xff\xff\xff\xff"s).count());
  CHECK_FALSE(OpBatchReader(encode({{"a"}}).replace(22, 1, "\x02")).count());
  CHECK(decode("\x01\xff\xff\xff\xff"s).malformed);
}

TEST_CASE("op_batch: zero, huge and overlong argument counts and lengths are malformed",
          "[op_batch]") {
  const std::string header = "\x01\x01\x00\x00\x00"s;
  CHECK(decode(header + "\x00\x00\x00\x00"s + std::string(8, '\0')).malformed);  // argc 0
  CHECK(decode(header + "\xff\xff\xff\xff"s + std::string(8, '\0')).malformed);  // argc 2^32-1
  CHECK(decode(header + "\x01\x00\x00\x00\xff\xff\xff\xff"s + "abc").malformed);
  CHECK(decode(header + "\x01\x00\x00\x00\x04\x00\x00\x00"s + "abc").malformed);
}

TEST_CASE("op_batch: random corruptions never read out of bounds", "[op_batch]") {
  const std::string valid = encode(kSampleOps);
  std::mt19937 random(7);
  for (int i = 0; i < 20000; ++i) {
    std::string corrupt = valid;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int f = 0; f < flips; ++f) {
      corrupt[random() % corrupt.size()] = static_cast<char>(random());
    }
    corrupt.resize(random() % (corrupt.size() + 8), '\xff');
    const Decoded decoded = decode(corrupt);  // must neither crash nor overread
    CHECK(decoded.ops.size() <= OpBatchReader(corrupt).count().value_or(0));
  }
}
