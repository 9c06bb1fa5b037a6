// The chain verifier (verifier.h).
#include "plugins/audit/verifier.h"

#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace keepdb::audit {

namespace {

struct Entry {
  const std::string* file;
  std::size_t line;
  std::optional<ParsedRecord> record;
};

std::string where(const Entry& entry) {
  return *entry.file + ":" + std::to_string(entry.line);
}

std::string read_whole(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The problem with `entry` given the records before it, or "" when it verifies.
std::string check(const Entry& entry, const VerifyReport& before, const std::vector<Entry>& all,
                  const std::unordered_map<std::uint64_t, std::vector<std::size_t>>& by_seq,
                  bool keyed) {
  if (!entry.record) {
    return where(entry) + ": not a sealed audit record (changed, or corrupted)";
  }
  const ParsedRecord& record = *entry.record;
  const std::string seq = "seq " + std::to_string(record.seq);
  if (!record.hash_ok) {
    return where(entry) + ": " + seq + " does not match its hash: the record was changed" +
           (keyed ? " (or the chain key is not the one it was written with)" : "");
  }
  const auto& same = by_seq.at(record.seq);
  if (same.size() > 1) {
    std::string places;
    for (const std::size_t index : same) places += " " + where(all[index]);
    return where(entry) + ": " + seq + " appears " + std::to_string(same.size()) + " times (at" +
           places + "): a record was inserted";
  }
  if (before.records == 0) {
    if (record.seq == 1 && record.prev != genesis_hash()) {
      return where(entry) + ": seq 1 does not start from the genesis hash: it was inserted";
    }
    return {};
  }
  const std::uint64_t expected = before.last_seq + 1;
  if (record.seq < expected) {
    return where(entry) + ": " + seq + " comes after seq " + std::to_string(before.last_seq) +
           ": the records were reordered";
  }
  if (record.seq > expected) {
    const auto later = by_seq.find(expected);
    if (later != by_seq.end()) {
      return where(entry) + ": " + seq + " comes where seq " + std::to_string(expected) +
             " belongs (it is at " + where(all[later->second.front()]) +
             "): the records were reordered";
    }
    return where(entry) + ": seq " + std::to_string(expected) +
           (record.seq - 1 > expected ? " to " + std::to_string(record.seq - 1) : "") +
           " missing before " + seq + ": records were removed (a gap)";
  }
  if (record.prev != before.last_hash) {
    return where(entry) + ": " + seq + " does not chain to seq " + std::to_string(before.last_seq) +
           ": a record was replaced or inserted";
  }
  return {};
}

}  // namespace

VerifyReport verify_files(const std::vector<std::string>& files, const ChainHasher& chain) {
  std::vector<Entry> entries;
  std::string partial;  // "FILE: ..." when a file ends in a partial record
  bool partial_in_last = false;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const std::string text = read_whole(files[f]);
    std::size_t start = 0;
    std::size_t line = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      ++line;
      if (end == std::string::npos) {
        if (partial.empty()) {
          partial = files[f] + ":" + std::to_string(line) + ": ends in a partial record of " +
                    std::to_string(text.size() - start) + " bytes";
          partial_in_last = f + 1 == files.size();
        }
        break;
      }
      entries.push_back(Entry{
          &files[f], line, parse_sealed(std::string_view(text).substr(start, end - start), chain)});
      start = end + 1;
    }
    if (!partial.empty() && !partial_in_last) break;
  }

  std::unordered_map<std::uint64_t, std::vector<std::size_t>> by_seq;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].record) by_seq[entries[i].record->seq].push_back(i);
  }
  VerifyReport report;
  for (const Entry& entry : entries) {
    std::string problem = check(entry, report, entries, by_seq, chain.keyed());
    if (!problem.empty()) {
      report.status = VerifyReport::Status::kBroken;
      report.problem = std::move(problem);
      return report;
    }
    if (report.records++ == 0) report.first_seq = entry.record->seq;
    report.last_seq = entry.record->seq;
    report.last_hash = entry.record->hash;
  }
  if (!partial.empty()) {
    report.status =
        partial_in_last ? VerifyReport::Status::kTruncated : VerifyReport::Status::kBroken;
    report.problem = partial_in_last ? partial + " (a crash while writing, or a cut file)"
                                     : partial + " but is not the last file: it was cut";
  }
  return report;
}

}  // namespace keepdb::audit
