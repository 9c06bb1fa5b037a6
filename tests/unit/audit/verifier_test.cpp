// The verifier catches an edited, a deleted, a reordered and an inserted record, a record
// edited with a recomputed plain hash under an HMAC chain, and a truncated file.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "plugins/audit/record.h"
#include "plugins/audit/verifier.h"
#include "tests/unit/audit/audit_test_support.h"

namespace {

using keepdb::audit::ChainHasher;
using keepdb::audit::test::Event;
using keepdb::audit::test::file_options;
using keepdb::audit::test::LoadedSink;
using keepdb::audit::test::read_lines;
using keepdb::audit::test::TempDir;
using keepdb::audit::test::write_lines;
using keepdb::audit::verify_files;
using keepdb::audit::VerifyReport;
using keepdb::test::kOwnerOnly;
using keepdb::test::write_file;

// Ten records in dir/audit.log; returns its lines.
std::vector<std::string> ten_records(const TempDir& dir, keepdb::audit::test::Options extra = {}) {
  LoadedSink sink(file_options(dir, extra));
  REQUIRE(sink.status() == KDB_OK);
  for (int i = 0; i < 10; ++i) {
    Event event;
    event.conn_id = static_cast<std::uint64_t>(100 + i);
    REQUIRE(sink.record(event) == KDB_OK);
  }
  REQUIRE(sink.flush() == KDB_OK);  // as the host does once its queue is drained
  return read_lines(dir / "audit.log");
}

VerifyReport verify_lines(const TempDir& dir, const std::vector<std::string>& lines,
                          const ChainHasher& chain = ChainHasher()) {
  write_lines(dir / "tampered.log", lines);
  return verify_files({dir / "tampered.log"}, chain);
}

void expect_broken(const VerifyReport& report, const std::string& line, const std::string& what,
                   std::uint64_t verified) {
  INFO(report.problem);
  CHECK(report.status == VerifyReport::Status::kBroken);
  CHECK(report.problem.find("tampered.log:" + line + ": ") != std::string::npos);
  CHECK(report.problem.find(what) != std::string::npos);
  CHECK(report.records == verified);
}

}  // namespace

TEST_CASE("audit verifier accepts an untouched file") {
  TempDir dir;
  const auto lines = ten_records(dir);
  const VerifyReport report = verify_lines(dir, lines);
  CHECK(report.status == VerifyReport::Status::kOk);
  CHECK(report.records == 10);
  CHECK(report.first_seq == 1);
  CHECK(report.last_seq == 10);
  CHECK(report.problem.empty());
}

TEST_CASE("audit verifier catches an edited record") {
  TempDir dir;
  auto lines = ten_records(dir);
  lines[3].replace(lines[3].find("alice"), 5, "mallo");
  expect_broken(verify_lines(dir, lines), "4",
                "seq 4 does not match its hash: the record was changed", 3);
}

TEST_CASE("audit verifier catches a deleted record") {
  TempDir dir;
  auto lines = ten_records(dir);
  lines.erase(lines.begin() + 4);
  expect_broken(verify_lines(dir, lines), "5", "seq 5 missing before seq 6: records were removed",
                4);
  lines.erase(lines.begin() + 4, lines.begin() + 6);
  expect_broken(verify_lines(dir, lines), "5", "seq 5 to 7 missing before seq 8", 4);
}

TEST_CASE("audit verifier catches reordered records") {
  TempDir dir;
  auto lines = ten_records(dir);
  std::swap(lines[5], lines[6]);
  expect_broken(verify_lines(dir, lines), "6",
                "seq 7 comes where seq 6 belongs (it is at " + (dir / "tampered.log").string() +
                    ":7): the records were reordered",
                5);
  auto moved = read_lines(dir / "audit.log");
  moved.push_back(moved[2]);  // seq 3 moved to the end
  moved.erase(moved.begin() + 2);
  expect_broken(verify_lines(dir, moved), "3", "seq 4 comes where seq 3 belongs", 2);
}

TEST_CASE("audit verifier catches an inserted record") {
  TempDir dir;
  auto lines = ten_records(dir);
  // A well-formed record with a valid plain hash, chained to seq 4: the best a forger
  // without a chain key can do. The original seq 5 then appears twice.
  Event forged;
  forged.principal = "mallory";
  std::string hash;
  const std::string prev = lines[3].substr(lines[3].size() - 66, 64);
  std::string line = keepdb::audit::RecordEncoder("node-1", {})
                         .sealed_line(forged.event(), 5, prev, ChainHasher(), hash);
  line.pop_back();
  lines.insert(lines.begin() + 4, line);
  expect_broken(verify_lines(dir, lines), "5", "seq 5 appears 2 times", 4);
  // A copy of an earlier record inserted later.
  auto copied = read_lines(dir / "audit.log");
  copied.insert(copied.begin() + 7, copied[1]);
  expect_broken(verify_lines(dir, copied), "2", "seq 2 appears 2 times", 1);
}

TEST_CASE("audit verifier with a chain key catches a record re-hashed without the key") {
  TempDir dir;
  write_file(dir / "chain.key", "chain-key-for-the-test-0123456789", kOwnerOnly);
  auto lines = ten_records(dir, {{"chain_key_file", dir / "chain.key"}});
  const ChainHasher keyed("chain-key-for-the-test-0123456789");
  CHECK(verify_lines(dir, lines, keyed).status == VerifyReport::Status::kOk);
  CHECK(verify_lines(dir, lines).status == VerifyReport::Status::kBroken);  // the key is needed
  // Edit seq 10 and recompute its hash as plain SHA-256: detected under the key.
  const auto parsed = keepdb::audit::parse_sealed(lines[9], keyed);
  REQUIRE(parsed);
  Event edited;
  edited.conn_id = 109;
  edited.principal = "mallory";
  std::string hash;
  std::string line = keepdb::audit::RecordEncoder("node-1", {})
                         .sealed_line(edited.event(), 10, parsed->prev, ChainHasher(), hash);
  line.pop_back();
  lines[9] = line;
  expect_broken(verify_lines(dir, lines, keyed), "10", "or the chain key is not the one", 9);
}

TEST_CASE("audit verifier reports a truncated file") {
  TempDir dir;
  const auto lines = ten_records(dir);
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  text.resize(text.size() - 40);  // the last record cut in the middle
  write_file(dir / "cut.log", text, kOwnerOnly);
  const VerifyReport cut = verify_files({dir / "cut.log"}, ChainHasher());
  CHECK(cut.status == VerifyReport::Status::kTruncated);
  CHECK(cut.records == 9);
  CHECK(cut.last_seq == 9);
  CHECK(cut.problem.find("cut.log:10: ends in a partial record") != std::string::npos);
  // A cut file that is not the last one breaks the chain.
  const VerifyReport middle = verify_files({dir / "cut.log", dir / "audit.log"}, ChainHasher());
  CHECK(middle.status == VerifyReport::Status::kBroken);
  CHECK(middle.problem.find("is not the last file: it was cut") != std::string::npos);
}
