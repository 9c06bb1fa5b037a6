// keepdb-audit: the audit plugin's command-line tool, standalone so the kernel never
// includes plugin code (`keepd audit ...` runs it with the same arguments).
//   keepdb-audit verify [--key-file F] FILE...      check the chain (oldest file first)
//   keepdb-audit tail [--follow] [--principal P] [--kind K] [-n N] FILE
//                                                    records as a readable table
//   keepdb-audit hash-key --key-file F KEY          a key as hash_keys = true records it
// Exit codes: 0 ok; 1 the chain is broken; 3 only the last record is partial; 2 usage or I/O.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "plugins/audit/record.h"
#include "plugins/audit/settings.h"
#include "plugins/audit/verifier.h"

namespace {

using keepdb::audit::VerifyReport;

constexpr int kExitOk = 0;
constexpr int kExitBroken = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTruncated = 3;

constexpr const char* kUsage =
    "usage: keepdb-audit verify [--key-file FILE] AUDIT_FILE...   (oldest first: path.N ... "
    "path.1 path)\n"
    "       keepdb-audit tail [--follow] [--principal P] [--kind K] [-n N] AUDIT_FILE\n"
    "       keepdb-audit hash-key --key-file KEY_HASH_KEY_FILE KEY\n";

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "keepdb-audit: " << why << "\n" << kUsage;
  std::exit(kExitUsage);
}

int verify(const std::vector<std::string>& args) {
  std::string key_file;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--key-file") {
      if (++i == args.size()) usage("--key-file needs a file");
      key_file = args[i];
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.empty()) usage("verify needs at least one audit file");
  const kdb::sdk::SecretBytes key = key_file.empty()
                                        ? kdb::sdk::SecretBytes()
                                        : keepdb::audit::read_key_file(key_file, "--key-file");
  const VerifyReport report = verify_files(files, keepdb::audit::ChainHasher(key.view()));
  const std::string range = std::to_string(report.records) + " records" +
                            (report.records == 0 ? std::string()
                                                 : ", seq " + std::to_string(report.first_seq) +
                                                       " to " + std::to_string(report.last_seq) +
                                                       ", last hash " + report.last_hash);
  switch (report.status) {
    case VerifyReport::Status::kOk:
      std::cout << "ok: " << range << "\n";
      return kExitOk;
    case VerifyReport::Status::kTruncated:
      std::cout << "truncated: " << report.problem
                << "\n  the whole records before it verify: " << range << "\n";
      return kExitTruncated;
    case VerifyReport::Status::kBroken:
      break;
  }
  std::cout << "FAILED: " << report.problem << "\n  verified before it: " << range << "\n";
  return kExitBroken;
}

// Prints KEY as records hold it with hash_keys = true, so an investigator can search the
// trail for one key. KEY is the kernel's text of the key (bytes outside printable ASCII and
// the backslash written \xNN).
int hash_key(const std::vector<std::string>& args) {
  if (args.size() != 3 || args[0] != "--key-file") usage("hash-key needs --key-file FILE KEY");
  const kdb::sdk::SecretBytes key = keepdb::audit::read_key_file(args[1], "--key-file");
  std::cout << keepdb::audit::hashed_key(args[2], keepdb::audit::Sha256(key.view())) << "\n";
  return kExitOk;
}

struct TailFilter {
  std::optional<std::string> principal;
  std::optional<std::string> kind;
};

std::string text_of(const boost::json::object& record, const char* field) {
  const boost::json::value* value = record.if_contains(field);
  if (value == nullptr || value->is_null()) return "-";
  if (value->is_string()) return std::string(value->get_string());
  return boost::json::serialize(*value);
}

std::string cell(std::string text, std::size_t width) {
  if (text.size() > width) text = text.substr(0, width - 1) + "~";
  text.resize(width, ' ');
  return text + " ";
}

void print_header() {
  std::cout << cell("TIME (UTC)", 27) << cell("SEQ", 8) << cell("KIND", 16) << cell("PRINCIPAL", 16)
            << cell("CLIENT", 21) << cell("COMMAND", 12) << cell("KEY", 24) << cell("OUTCOME", 8)
            << cell("US", 8) << "REASON\n";
}

// The record on `line` when it is one the filter keeps.
std::optional<boost::json::object> kept_record(std::string_view line, const TailFilter& filter) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(line, error);
  if (error || !value.is_object()) return std::nullopt;
  boost::json::object& record = value.as_object();
  if (filter.principal && text_of(record, "principal") != *filter.principal) return std::nullopt;
  if (filter.kind && text_of(record, "kind") != *filter.kind) return std::nullopt;
  return std::move(record);
}

void print_row(const boost::json::object& record) {
  std::string client = text_of(record, "client_addr");
  if (const std::string port = text_of(record, "client_port"); port != "-") client += ":" + port;
  std::cout << cell(text_of(record, "time"), 27) << cell(text_of(record, "seq"), 8)
            << cell(text_of(record, "kind"), 16) << cell(text_of(record, "principal"), 16)
            << cell(client, 21) << cell(text_of(record, "command"), 12)
            << cell(text_of(record, "key"), 24) << cell(text_of(record, "outcome"), 8)
            << cell(text_of(record, "duration_us"), 8) << text_of(record, "reason") << "\n";
}

// Reads what `fd` holds from `offset` on and calls `on_line` with each whole line; a
// partial last line stays in `pending` for the next call.
template <typename OnLine>
void read_lines(int fd, std::uint64_t& offset, std::string& pending, OnLine&& on_line) {
  char buffer[65536];
  for (ssize_t n; (n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(offset))) > 0;) {
    offset += static_cast<std::uint64_t>(n);
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      on_line(std::string_view(pending).substr(start, end - start));
    }
    pending.erase(0, start);
  }
}

int tail(const std::vector<std::string>& args) {
  TailFilter filter;
  bool follow = false;
  std::size_t last = 20;
  std::string file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto value = [&]() -> std::string {
      if (++i == args.size()) usage(args[i - 1] + " needs a value");
      return args[i];
    };
    if (args[i] == "--follow" || args[i] == "-f") {
      follow = true;
    } else if (args[i] == "--principal") {
      filter.principal = value();
    } else if (args[i] == "--kind") {
      filter.kind = value();
      if (!keepdb::audit::kind_number(*filter.kind)) usage("unknown kind '" + *filter.kind + "'");
    } else if (args[i] == "-n") {
      last = std::stoul(value());
    } else if (!file.empty()) {
      usage("tail reads one file");
    } else {
      file = args[i];
    }
  }
  if (file.empty()) usage("tail needs an audit file");
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot read " + file + ": " + std::strerror(errno));

  // The last `last` records the filter keeps, from one read of the whole file.
  std::deque<boost::json::object> kept;
  std::uint64_t offset = 0;
  std::string pending;
  read_lines(fd, offset, pending, [&](std::string_view line) {
    if (auto record = kept_record(line, filter)) {
      kept.push_back(std::move(*record));
      if (kept.size() > last) kept.pop_front();
    }
  });
  print_header();
  for (const boost::json::object& record : kept) print_row(record);
  std::cout.flush();
  if (!follow) {
    ::close(fd);
    return kExitOk;
  }
  const auto print_kept = [&](std::string_view line) {
    if (const auto record = kept_record(line, filter)) print_row(*record);
  };
  // Follow: poll for growth; after a rotation (the path names another file) finish the old
  // file, then read the new one from its start.
  struct stat open_info {};
  ::fstat(fd, &open_info);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    read_lines(fd, offset, pending, print_kept);
    std::cout.flush();
    struct stat path_info {};
    if (::stat(file.c_str(), &path_info) != 0 || path_info.st_ino == open_info.st_ino) continue;
    const int next = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (next < 0) continue;
    read_lines(fd, offset, pending, print_kept);  // what reached the old file last
    ::close(fd);
    fd = next;
    ::fstat(fd, &open_info);
    offset = 0;
    pending.clear();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("no command");
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "verify") return verify(args);
    if (command == "tail") return tail(args);
    if (command == "hash-key") return hash_key(args);
    if (command == "--help" || command == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
  } catch (const std::exception& e) {
    std::cerr << "keepdb-audit: " << e.what() << "\n";
    return kExitUsage;
  }
  usage("unknown command '" + command + "'");
}
