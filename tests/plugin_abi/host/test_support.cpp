// Test helpers for tests/plugin_abi.
#include "tests/plugin_abi/host/test_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <future>
#include <stdexcept>

#include "kernel/plugin_host/file_digest.h"

namespace keepdb::plugin_host::testing {

std::filesystem::path stage(const std::filesystem::path& built, const std::filesystem::path& dir) {
  // Copied beside, then renamed over: rewriting a library in place would corrupt a copy
  // this process already has mapped.
  const std::filesystem::path copy = dir / built.filename();
  const std::filesystem::path fresh = dir / (built.filename().string() + ".new");
  std::filesystem::copy_file(built, fresh, std::filesystem::copy_options::overwrite_existing);
  using std::filesystem::perms;
  std::filesystem::permissions(fresh, perms::owner_all | perms::group_read | perms::group_exec |
                                          perms::others_read | perms::others_exec);
  std::filesystem::rename(fresh, copy);
  return copy;
}

std::filesystem::path stage(const std::filesystem::path& built, const TempDir& dir) {
  return stage(built, dir.path());
}

MarkerEnv::MarkerEnv(const std::filesystem::path& marker) {
  ::setenv("KDB_FIXTURE_MARKER", marker.c_str(), 1);
}

MarkerEnv::~MarkerEnv() {
  ::unsetenv("KDB_FIXTURE_MARKER");
}

std::string sha256_of(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  try {
    std::string hex = sha256_hex(fd, path);
    ::close(fd);
    return hex;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

void RecordingLogSink::write(LogLevel, std::string_view line) noexcept {
  const std::lock_guard lock(mutex_);
  lines_.emplace_back(line);
}

bool RecordingLogSink::contains(std::string_view text) const {
  return all().find(text) != std::string::npos;
}

std::string RecordingLogSink::all() const {
  const std::lock_guard lock(mutex_);
  std::string text;
  for (const std::string& line : lines_) text += line + "\n";
  return text;
}

config::Plugins plugins(std::initializer_list<Entry> entries) {
  config::Plugins result;
  int line = 1;
  for (const Entry& entry : entries) {
    config::PluginSpec spec;
    spec.name = entry.name;
    spec.path = entry.path;
    spec.sha256 = entry.sha256;
    spec.options = entry.options;
    spec.line = line++;
    result.load.push_back(std::move(spec));
  }
  return result;
}

AuthOutcome authenticate(AuthChain& chain, std::string username, std::string secret) {
  std::promise<AuthOutcome> answer;
  std::future<AuthOutcome> outcome = answer.get_future();
  AuthRequest request;
  request.username = std::move(username);
  request.secret = kdb::sdk::SecretBytes::taken_from(secret);
  request.conn_id = 7;
  request.peer_addr = "127.0.0.1";
  chain.authenticate(std::move(request),
                     [&answer](AuthOutcome result) { answer.set_value(std::move(result)); });
  return outcome.get();
}

}  // namespace keepdb::plugin_host::testing
