// libFuzzer target: the audit chain verifier (`keepdb-audit verify`), whose input is a file
// an attacker may have edited. Two modes, chosen by the first byte:
// - raw: the rest is split into two files (a rotated one and the current one) at a point
//   the second byte picks; verifying them must not crash, and a report says what is wrong
//   exactly when it is not ok;
// - tamper: a chain of 1 to 16 sealed records (plain SHA-256, or HMAC with a key) is split
//   into two files at a record boundary, after a tamper program edits it: flip a byte,
//   delete, swap, duplicate or truncate records. The verifier may call the result ok only
//   if it is a run of consecutive original records, the one change a chain without an
//   outside anchor cannot see (records cut from the oldest file's start or the newest
//   file's end).
#include <keepdb/plugin.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugins/audit/record.h"
#include "plugins/audit/verifier.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace {

using keepdb::audit::ChainHasher;
using keepdb::audit::VerifyReport;

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  std::string_view rest() {
    const auto* begin = reinterpret_cast<const char*>(data_) + pos_;
    const std::size_t left = size_ - pos_;
    pos_ = size_;
    return {begin, left};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

VerifyReport verify(const std::string& older, const std::string& newer, const ChainHasher& chain) {
  static const keepdb::test::TempDir dir("audit-verify-fuzz");
  keepdb::test::write_file(dir / "audit.log.1", older);
  keepdb::test::write_file(dir / "audit.log", newer);
  return keepdb::audit::verify_files({dir / "audit.log.1", dir / "audit.log"}, chain);
}

void check_consistent(const VerifyReport& report) {
  if ((report.status == VerifyReport::Status::kOk) != report.problem.empty()) __builtin_trap();
}

std::vector<std::string> sealed_chain(std::size_t count, const ChainHasher& chain) {
  const keepdb::audit::RecordEncoder encoder("node-1", {});
  const std::string peer = "10.0.0.7:50312", principal = "alice", action = "SET",
                    outcome = "ok", detail = "key=user:1", key = "user:1", node = "1";
  const auto str = [](const std::string& s) { return kdb_str{s.data(), s.size()}; };
  std::vector<std::string> lines;
  std::string prev(64, '0');
  for (std::size_t i = 0; i < count; ++i) {
    const kdb_audit_event event{sizeof(kdb_audit_event), 7, 1'796'437'768'123'456'789ull + i,
                                100 + i, str(peer), str(principal), str(action), str(outcome),
                                str(detail), str(key), str(node), 25};
    std::string hash;
    lines.push_back(encoder.sealed_line(event, i + 1, prev, chain, hash));
    prev = hash;
  }
  return lines;  // each ends in '\n'
}

std::string joined(const std::vector<std::string>& lines, std::size_t from, std::size_t to) {
  std::string text;
  for (std::size_t i = from; i < to; ++i) text += lines[i];
  return text;
}

// Whether `text` is original records from..to-1 for some from <= to.
bool is_consecutive_run(const std::string& text, const std::vector<std::string>& lines) {
  for (std::size_t from = 0; from <= lines.size(); ++from) {
    for (std::size_t to = from; to <= lines.size(); ++to) {
      if (joined(lines, from, to) == text) return true;
    }
  }
  return false;
}

// The tampered records, as lines ending in '\n' (the last may lack it after a byte edit).
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::size_t stop = end == std::string::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, stop - start));
    start = stop;
  }
  return lines;
}

void tamper_mode(Input& input) {
  const bool keyed = input.byte() & 1;
  const ChainHasher chain(keyed ? std::string_view("a chain key of 32 bytes, at last") : "");
  const std::vector<std::string> original = sealed_chain(1 + input.byte() % 16, chain);
  std::string text = joined(original, 0, original.size());
  const std::size_t rotated = input.byte();
  for (int step = 0; step < 8 && !input.empty(); ++step) {
    const std::uint8_t op = input.byte(), a = input.byte(), b = input.byte();
    std::vector<std::string> lines = split_lines(text);
    if (lines.empty()) break;
    const std::size_t n = lines.size();
    switch (op % 5) {
      case 0: {  // flip bits of one byte
        const std::size_t at = ((std::size_t{a} << 8) | b) % text.size();
        text[at] = static_cast<char>(text[at] ^ ((op >> 3) | 1));
        continue;
      }
      case 1:
        lines.erase(lines.begin() + a % n);
        break;
      case 2:
        std::swap(lines[a % n], lines[b % n]);
        break;
      case 3:
        lines.insert(lines.begin() + b % (n + 1), lines[a % n]);
        break;
      default:  // cut the text short
        text.resize(((std::size_t{a} << 8) | b) % (text.size() + 1));
        continue;
    }
    text = joined(lines, 0, lines.size());
  }
  const std::vector<std::string> lines = split_lines(text);
  const std::size_t boundary = rotated % (lines.size() + 1);
  const VerifyReport report =
      verify(joined(lines, 0, boundary), joined(lines, boundary, lines.size()), chain);
  check_consistent(report);
  if (report.status == VerifyReport::Status::kOk && !is_consecutive_run(text, original)) {
    __builtin_trap();  // a change the chain should have shown
  }
}

void raw_mode(Input& input) {
  const std::size_t split = input.byte();
  const std::string_view bytes = input.rest();
  const std::size_t at = bytes.empty() ? 0 : split % (bytes.size() + 1);
  check_consistent(
      verify(std::string(bytes.substr(0, at)), std::string(bytes.substr(at)), ChainHasher()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input input(data, size);
  if (input.byte() & 1) {
    raw_mode(input);
  } else {
    tamper_mode(input);
  }
  return 0;
}
