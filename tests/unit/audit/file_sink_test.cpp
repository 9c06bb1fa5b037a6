// The file sink: rotation continues the chain and keeps `keep` files, a restart resumes
// the chain (cutting off a partial last line), every fsync policy writes whole records, and
// a write failure returns failure, leaves no partial record and recovers by itself; under
// interval_ms and none records are buffered until flush(), a full buffer or destruction, and
// a buffer that cannot be written fails flush() and every record() until it is written.
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>

#include "plugins/audit/verifier.h"
#include "tests/unit/audit/audit_test_support.h"

namespace {

using keepdb::audit::ChainHasher;
using keepdb::audit::test::Event;
using keepdb::audit::test::file_options;
using keepdb::audit::test::LoadedSink;
using keepdb::audit::test::read_lines;
using keepdb::audit::test::TempDir;
using keepdb::audit::verify_files;
using keepdb::audit::VerifyReport;
using keepdb::test::kOwnerOnly;
using keepdb::test::read_file;
using keepdb::test::write_file;

bool logged(const LoadedSink& sink, const std::string& text) {
  for (const std::string& line : sink.log()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// Limits the size of files this process writes to `bytes` until destroyed.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);  // as a server must: EFBIG instead of a signal
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    rlimit small = saved_;
    small.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &saved_); }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
};

}  // namespace

TEST_CASE("audit rotation continues the chain and keeps the configured number of files") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  {
    LoadedSink sink(file_options(dir, {{"max_bytes", "4096"}, {"keep", "3"}}));
    REQUIRE(sink.status() == KDB_OK);
    for (int i = 0; i < 200; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
  }
  for (const std::string suffix : {"", ".1", ".2", ".3"}) {
    INFO(suffix);
    CHECK(std::filesystem::file_size(path + suffix) <= 4096);
  }
  CHECK_FALSE(std::filesystem::exists(path + ".4"));
  const VerifyReport report =
      verify_files({path + ".3", path + ".2", path + ".1", path}, ChainHasher());
  INFO(report.problem);
  CHECK(report.status == VerifyReport::Status::kOk);
  CHECK(report.last_seq == 200);
  std::size_t lines = 0;
  for (const std::string suffix : {"", ".1", ".2", ".3"}) lines += read_lines(path + suffix).size();
  CHECK(report.records == lines);
  // The newest file alone verifies too, starting from the hash the file before it ended on.
  const auto last_of_previous = read_lines(path + ".1").back();
  const auto first_of_current = read_lines(path).front();
  CHECK(first_of_current.find(last_of_previous.substr(last_of_previous.size() - 66, 64)) !=
        std::string::npos);
  CHECK(verify_files({path}, ChainHasher()).status == VerifyReport::Status::kOk);
}

TEST_CASE("audit a restart resumes the chain and cuts off a partial last record") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  {
    LoadedSink sink(file_options(dir));
    REQUIRE(sink.status() == KDB_OK);
    for (int i = 0; i < 5; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
  }
  {
    std::FILE* file = std::fopen(path.c_str(), "a");
    std::fputs("{\"seq\":6,\"time\":\"2026-12", file);  // a crash in the middle of a write
    std::fclose(file);
  }
  CHECK(verify_files({path}, ChainHasher()).status == VerifyReport::Status::kTruncated);
  {
    LoadedSink sink(file_options(dir));
    REQUIRE(sink.status() == KDB_OK);
    CHECK(logged(sink, "cut off a partial last record of 24 bytes"));
    for (int i = 0; i < 5; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
  }
  const VerifyReport report = verify_files({path}, ChainHasher());
  INFO(report.problem);
  CHECK(report.status == VerifyReport::Status::kOk);
  CHECK(report.first_seq == 1);
  CHECK(report.last_seq == 10);
}

TEST_CASE("audit a restart refuses a file whose last record was edited") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  {
    LoadedSink sink(file_options(dir));
    REQUIRE(sink.record(Event{}) == KDB_OK);
  }
  std::string text = read_file(path);
  text.replace(text.find("alice"), 5, "mallo");
  write_file(path, text, kOwnerOnly);
  LoadedSink sink(file_options(dir));
  CHECK(sink.status() == KDB_E_INVALID);
  CHECK(sink.error().find("its last record does not match its hash") != std::string::npos);
}

TEST_CASE("audit every fsync policy writes whole chained records") {
  for (const std::string policy : {"every_record", "interval_ms", "none"}) {
    INFO(policy);
    TempDir dir;
    {
      keepdb::audit::test::Options extra{{"fsync", policy}};
      if (policy == "interval_ms") extra.emplace_back("fsync_interval_ms", "5");
      LoadedSink sink(file_options(dir, extra));
      REQUIRE(sink.status() == KDB_OK);
      for (int i = 0; i < 50; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
      CHECK(sink.flush() == KDB_OK);
    }
    const VerifyReport report = verify_files({dir / "audit.log"}, ChainHasher());
    CHECK(report.status == VerifyReport::Status::kOk);
    CHECK(report.last_seq == 50);
  }
}

TEST_CASE("audit a write failure returns failure and the sink recovers by itself") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  LoadedSink sink(file_options(dir, {{"fsync", "every_record"}}));
  REQUIRE(sink.status() == KDB_OK);
  for (int i = 0; i < 3; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
  const auto size = std::filesystem::file_size(path);
  {
    const FileSizeLimit limit(size + 100);  // room for part of one record: a partial write
    CHECK(sink.record(Event{}) == KDB_E_INTERNAL);
    CHECK(sink.record(Event{}) == KDB_E_INTERNAL);
    CHECK(sink.flush() == KDB_E_INTERNAL);
  }

  CHECK(std::filesystem::file_size(path) == size);  // no partial record left behind
  CHECK(logged(sink, "cannot write " + path + ": File too large"));
  REQUIRE(sink.record(Event{}) == KDB_OK);
  CHECK(sink.flush() == KDB_OK);
  CHECK(logged(sink, "writing " + path + " again after 2 failed writes"));
  const VerifyReport report = verify_files({path}, ChainHasher());
  INFO(report.problem);
  CHECK(report.status == VerifyReport::Status::kOk);
  CHECK(report.last_seq == 4);  // the failed records used up no sequence number
}

TEST_CASE("audit interval_ms and none write buffered records at flush and at destruction") {
  for (const std::string policy : {"interval_ms", "none"}) {
    INFO(policy);
    TempDir dir;
    const std::string path = dir / "audit.log";
    {
      LoadedSink sink(file_options(dir, {{"fsync", policy}}));
      REQUIRE(sink.status() == KDB_OK);
      for (int i = 0; i < 3; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
      CHECK(read_lines(path).empty());  // buffered: not written yet
      CHECK(sink.flush() == KDB_OK);
      CHECK(read_lines(path).size() == 3);
      for (int i = 0; i < 2; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
      CHECK(read_lines(path).size() == 3);
    }
    CHECK(read_lines(path).size() == 5);  // the destructor wrote the rest
    const VerifyReport report = verify_files({path}, ChainHasher());
    INFO(report.problem);
    CHECK(report.status == VerifyReport::Status::kOk);
    CHECK(report.last_seq == 5);
  }
}

TEST_CASE("audit a buffer that fills up is written before the next record") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  LoadedSink sink(file_options(dir, {{"fsync", "none"}}));
  REQUIRE(sink.status() == KDB_OK);
  for (int i = 0; i < 1000 && read_lines(path).empty(); ++i) {
    REQUIRE(sink.record(Event{}) == KDB_OK);
  }
  const auto written = read_lines(path).size();
  CHECK(written > 10);  // a whole batch (64 KiB) in one write
  CHECK(std::filesystem::file_size(path) <= 64 * 1024);
  CHECK(verify_files({path}, ChainHasher()).status == VerifyReport::Status::kOk);
}


TEST_CASE("audit a buffered write that fails fails flush and every record until it is written") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  LoadedSink sink(file_options(dir, {{"fsync", "interval_ms"}}));
  REQUIRE(sink.status() == KDB_OK);
  for (int i = 0; i < 3; ++i) REQUIRE(sink.record(Event{}) == KDB_OK);
  REQUIRE(sink.flush() == KDB_OK);
  const auto size = std::filesystem::file_size(path);
  {
    const FileSizeLimit limit(size + 100);  // room for part of one record: a partial write
    REQUIRE(sink.record(Event{}) == KDB_OK);  // buffered
    REQUIRE(sink.record(Event{}) == KDB_OK);
    CHECK(sink.flush() == KDB_E_INTERNAL);
    CHECK(sink.record(Event{}) == KDB_E_INTERNAL);  // refused: the buffer is still unwritten
    CHECK(sink.flush() == KDB_E_INTERNAL);
    CHECK(std::filesystem::file_size(path) == size);  // no partial record left behind
  }
  CHECK(logged(sink, "cannot write " + path + ": File too large"));
  CHECK(sink.flush() == KDB_OK);
  CHECK(logged(sink, "writing " + path + " again after 3 failed writes"));
  REQUIRE(sink.record(Event{}) == KDB_OK);
  REQUIRE(sink.flush() == KDB_OK);
  const VerifyReport report = verify_files({path}, ChainHasher());
  INFO(report.problem);
  CHECK(report.status == VerifyReport::Status::kOk);
  CHECK(report.last_seq == 6);  // the refused record used up no sequence number
  CHECK(read_lines(path).size() == 6);
}

TEST_CASE("audit a destroyed sink drops a buffer whose write failed") {
  TempDir dir;
  const std::string path = dir / "audit.log";
  {
    LoadedSink sink(file_options(dir, {{"fsync", "none"}}));
    REQUIRE(sink.status() == KDB_OK);
    REQUIRE(sink.record(Event{}) == KDB_OK);
    REQUIRE(sink.flush() == KDB_OK);
    {
      const FileSizeLimit limit(std::filesystem::file_size(path) + 100);
      REQUIRE(sink.record(Event{}) == KDB_OK);
      CHECK(sink.flush() == KDB_E_INTERNAL);
    }
    // A reload may have started a new instance on the file: this one writes no more.
  }
  CHECK(read_lines(path).size() == 1);
  CHECK(verify_files({path}, ChainHasher()).status == VerifyReport::Status::kOk);
}
