// Helpers for the audit plugin's unit tests (audit_test_support.h).
#include "tests/unit/audit/audit_test_support.h"

#include <dlfcn.h>
#include <time.h>

#include <stdexcept>

namespace keepdb::audit::test {

namespace {

std::uint64_t fake_monotonic(void*) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u + now.tv_nsec;
}

std::uint64_t fake_wall(void*) {
  return 1'796'437'768'000'000'000ull;
}

kdb_status fake_random(void*, std::uint8_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(std::rand());
  return KDB_OK;
}

void no_auth_complete(void*, const kdb_auth_completion*) {}

const kdb_plugin_descriptor* load_descriptor(const kdb_host_api& host) {
  void* library = ::dlopen(KEEPDB_AUDIT_SO, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
  using Entry = const kdb_plugin_descriptor* (*)(const kdb_host_api*);
  const auto entry = reinterpret_cast<Entry>(::dlsym(library, "kdb_plugin_entry_v1"));
  if (entry == nullptr) throw std::runtime_error("no kdb_plugin_entry_v1");
  const kdb_plugin_descriptor* descriptor = entry(&host);
  if (descriptor == nullptr) throw std::runtime_error("the plugin refused the host");
  return descriptor;
}

}  // namespace

kdb_audit_event Event::event() const {
  const auto str = [](const std::string& s) { return kdb_str{s.data(), s.size()}; };
  return kdb_audit_event{struct_size,
                         type,
                         wall_ns,
                         conn_id,
                         str(peer_addr),
                         str(principal),
                         str(action),
                         str(outcome),
                         str(detail),
                         key ? str(*key) : kdb_str{nullptr, 0},
                         str(node_id),
                         duration_us};
}

LoadedSink::LoadedSink(const Options& options) {
  host_ = kdb_host_api{sizeof(kdb_host_api),
                       1,
                       1,
                       this,
                       &LoadedSink::log_line,
                       &fake_monotonic,
                       &fake_wall,
                       &fake_random,
                       &no_auth_complete,
                       kdb_str{"/", 1}};
  descriptor_ = load_descriptor(host_);
  std::vector<kdb_option> list;
  for (const auto& [key, value] : options) {
    list.push_back(kdb_option{{key.data(), key.size()}, {value.data(), value.size()}});
  }
  char buffer[1024];
  kdb_outbuf error{buffer, sizeof buffer, 0};
  status_ = descriptor_->create(&host_, list.data(), list.size(), &instance_, &error);
  error_.assign(buffer, error.len);
}

LoadedSink::~LoadedSink() {
  if (status_ == KDB_OK) descriptor_->destroy(instance_);
}

kdb_status LoadedSink::record(const Event& event) {
  const kdb_audit_event e = event.event();
  return descriptor_->audit->record(instance_, &e);
}

kdb_status LoadedSink::flush() {
  return descriptor_->audit->flush(instance_);
}

std::vector<std::string> LoadedSink::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

void LoadedSink::log_line(void* ctx, int, kdb_str message) {
  auto* self = static_cast<LoadedSink*>(ctx);
  std::lock_guard lock(self->mutex_);
  self->log_.emplace_back(message.ptr, message.len);
}

std::vector<std::string> read_lines(const std::string& path) {
  const std::string text = ::keepdb::test::read_file(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  ::keepdb::test::write_file(path, text, ::keepdb::test::kOwnerOnly);
}

Options file_options(const TempDir& dir, Options extra) {
  Options options{{"path", dir / "audit.log"}, {"node_id", "node-1"}};
  options.insert(options.end(), extra.begin(), extra.end());
  return options;
}

}  // namespace keepdb::audit::test
