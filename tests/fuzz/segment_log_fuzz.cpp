// libFuzzer target: loading Raft log segments from a damaged disk. Each input writes 0 to 15
// entries through SegmentLog (synced, so acknowledged), then writes its remaining bytes
// into the segment file at an offset it picks (overwriting and perhaps extending the file:
// a torn write, a lost sector, bit rot, garbage), and opens the log again. Whatever the
// bytes, open() must either refuse the log as corrupt or load it; when it loads it:
// - the entries it visits are consecutive from index 1, and every entry that lay wholly
//   before the damage is there with its payload (damage never costs what precedes it);
// - the repaired log takes a new entry, and a second open loads the same entries plus that
//   one (repair leaves a log that loads again as it was).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/segment_log.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace {

using keepdb::storage::LogRecord;
using keepdb::storage::SegmentLog;
using keepdb::util::IoStatus;

constexpr std::uint64_t kGeneration = 7;

struct Entry {
  raft_index index;
  std::string payload;
  bool operator==(const Entry&) const = default;
};

struct Opened {
  IoStatus status;
  std::unique_ptr<SegmentLog> log;
  std::vector<Entry> entries;
};

Opened open_log(const std::filesystem::path& directory) {
  Opened opened;
  keepdb::storage::SegmentLogOptions options;
  options.directory = directory;
  options.segment_bytes = 1u << 20;
  options.preallocate_bytes = 4096;
  opened.status = SegmentLog::open(
      options, kGeneration, 0,
      [&opened](const LogRecord& record) {
        opened.entries.push_back(
            {record.index, std::string(record.payload.begin(), record.payload.end())});
        return IoStatus::success();
      },
      opened.log);
  return opened;
}

IoStatus append(SegmentLog& log, raft_index index, const std::string& payload) {
  return log.append({index, 1, RAFT_COMMAND,
                     {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}});
}

// Offsets where each entry's record ends in a segment holding `entries`: a 32-byte header,
// then per record a 25-byte frame (length, CRC, index, term, type) and the payload.
std::vector<std::uint64_t> record_ends(const std::vector<Entry>& entries) {
  std::vector<std::uint64_t> ends;
  std::uint64_t offset = 32;
  for (const Entry& entry : entries) ends.push_back(offset += 25 + entry.payload.size());
  return ends;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  static const keepdb::test::TempDir dir("segment-log-fuzz");
  const std::filesystem::path directory = dir / "log";
  std::filesystem::remove_all(directory);

  std::vector<Entry> written;
  {
    Opened fresh = open_log(directory);
    if (!fresh.status.ok()) __builtin_trap();
    for (raft_index index = 1; index <= data[0] % 16; ++index) {
      written.push_back({index, std::string(index * 7 % 50, static_cast<char>('a' + index))});
      if (!append(*fresh.log, index, written.back().payload).ok()) __builtin_trap();
    }
    if (!fresh.log->sync().ok()) __builtin_trap();
  }
  const std::vector<std::uint64_t> ends = record_ends(written);

  // The damage: the input's bytes from an offset up to 16 bytes past the records' end.
  const std::filesystem::path segment = directory / "g0000000000000007-0000000000000001.seg";
  const std::string_view damage(reinterpret_cast<const char*>(data) + 3, size - 3);
  std::uint64_t at = 0;
  if (std::filesystem::exists(segment)) {
    const std::uint64_t records_end = ends.empty() ? 32 : ends.back();
    at = ((std::uint64_t{data[1]} << 8) | data[2]) % (records_end + 17);
    std::string bytes = keepdb::test::read_file(segment);
    if (bytes.size() < at + damage.size()) bytes.resize(at + damage.size(), '\0');
    bytes.replace(at, damage.size(), damage);
    keepdb::test::write_file(segment, bytes, keepdb::test::kOwnerOnly);
  }

  Opened loaded = open_log(directory);
  if (!loaded.status.ok()) {
    if (loaded.status.code != RAFT_CORRUPT) __builtin_trap();
    return 0;
  }
  for (std::size_t i = 0; i < loaded.entries.size(); ++i) {
    if (loaded.entries[i].index != i + 1) __builtin_trap();
  }
  for (std::size_t i = 0; i < written.size() && ends[i] <= at; ++i) {
    if (i >= loaded.entries.size() || !(loaded.entries[i] == written[i])) __builtin_trap();
  }

  const raft_index next = loaded.entries.size() + 1;
  if (!append(*loaded.log, next, "after repair").ok() || !loaded.log->sync().ok()) {
    __builtin_trap();
  }
  loaded.log.reset();
  std::vector<Entry> expected = std::move(loaded.entries);
  expected.push_back({next, "after repair"});
  const Opened again = open_log(directory);
  if (!again.status.ok() || again.entries != expected) __builtin_trap();
  return 0;
}
