// Reload by replacement inside the plugin host, without plugin libraries: LiveSlot's drain
// (an old value lives until the last call holding it returns, under concurrent readers),
// AuthChain::replace with a call in flight, AuditQueue::pause/replace/resume (records
// queued before it go to the old sink and those queued meanwhile to the new one; the sinks
// are flushed before pause() returns; a
// fail_closed retry is interrupted and resumed on the replacement), AdmissionChain::replace,
// and option_fingerprint seeing a file change.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/auth_chain.h"
#include "kernel/plugin_host/live_slot.h"
#include "kernel/plugin_host/option_schema.h"
#include "kernel/plugin_host/plugin_instance.h"
#include "tests/support/deadline.h"

namespace keepdb::plugin_host {
namespace {

using namespace std::chrono_literals;
using ::keepdb::test::poll_until;

class NullLog final : public LogSink {
 public:
  void write(LogLevel, std::string_view) noexcept override {}
};
NullLog null_log;

struct Tracked {
  explicit Tracked(std::atomic<int>& counter) : destroyed(counter) {}
  ~Tracked() { ++destroyed; }
  std::atomic<int>& destroyed;
};

// ---- An in-process plugin of kinds audit and admission: each instance gets a number;
// record() appends "<number>:<action>" to `recorded` (or fails while the instance was
// created with `fail_next_created` set); check() denies when created with `deny_next`.
struct FakeState {
  std::mutex mutex;
  std::vector<std::string> recorded;
  std::atomic<int> created{0};
  std::atomic<int> destroyed{0};
  std::atomic<bool> fail_next_created{false};
  std::atomic<bool> deny_next{false};
  std::atomic<bool> block_next{false};  // record() waits for `unblock` (one instance at most)
  std::promise<void> unblock;
  std::atomic<bool> blocked{false};  // a record() is waiting for `unblock`
};
FakeState fake;

struct FakeInstance {
  int number;
  bool fails;
  bool denies;
  bool blocks;
};

kdb_status fake_create(const kdb_host_api*, const kdb_option*, size_t, void** instance,
                       kdb_outbuf*) {
  *instance = new FakeInstance{++fake.created, fake.fail_next_created.load(),
                               fake.deny_next.load(), fake.block_next.load()};
  return KDB_OK;
}
void fake_destroy(void* instance) {
  delete static_cast<FakeInstance*>(instance);
  ++fake.destroyed;
}
kdb_status fake_record(void* instance, const kdb_audit_event* event) {
  const auto* self = static_cast<FakeInstance*>(instance);
  if (self->fails) return KDB_E_INTERNAL;
  if (self->blocks) {
    static const std::shared_future<void> opened = fake.unblock.get_future().share();
    fake.blocked = true;
    opened.wait();
  }
  const std::lock_guard lock(fake.mutex);
  fake.recorded.push_back(std::to_string(self->number) + ":" +
                          std::string(event->action.ptr, event->action.len));
  return KDB_OK;
}
kdb_status fake_check(void* instance, const kdb_admission_query*, uint32_t*) {
  return static_cast<FakeInstance*>(instance)->denies ? KDB_E_DENIED : KDB_OK;
}
kdb_status fake_flush(void* instance) {
  const std::lock_guard lock(fake.mutex);
  fake.recorded.push_back(std::to_string(static_cast<FakeInstance*>(instance)->number) + ":flush");
  return KDB_OK;
}

const kdb_audit_v1 kAudit{sizeof(kdb_audit_v1), &fake_record, &fake_flush};
const kdb_admission_v1 kAdmission{sizeof(kdb_admission_v1), &fake_check, nullptr};
const kdb_option_spec kPathOption{sizeof(kdb_option_spec), KDB_OPT_PATH, "file", "a file"};
const kdb_plugin_descriptor kFake{sizeof(kdb_plugin_descriptor),
                                  1,
                                  1,
                                  "fake",
                                  "1.0",
                                  "test",
                                  KDB_KIND_AUDIT | KDB_KIND_ADMISSION,
                                  &kPathOption,
                                  1,
                                  &fake_create,
                                  &fake_destroy,
                                  nullptr,
                                  nullptr,
                                  &kAdmission,
                                  &kAudit};

std::shared_ptr<const PluginInstance> fake_instance() {
  return std::make_shared<PluginInstance>("sink", kFake, OptionList{}, "", null_log);
}

std::vector<std::string> recorded() {
  const std::lock_guard lock(fake.mutex);
  return fake.recorded;
}

bool was_recorded(const std::string& line) {
  const auto lines = recorded();
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

AuditRecord record(std::string action) {
  AuditRecord event;
  event.action = std::move(action);
  return event;
}

// An authenticator whose calls block on a pool thread until release() and then answer.
class GatedAuthenticator final : public Authenticator {
 public:
  GatedAuthenticator(std::atomic<int>& destroyed) : destroyed_(destroyed) {}
  ~GatedAuthenticator() override { ++destroyed_; }
  const std::string& name() const override { return name_; }
  void authenticate(const AuthRequest&, std::uint64_t, AuthStepDone done) override {
    ++calls;
    gate_.wait();
    done({AuthStep::Decision::kReject, {}, "old instance rejected"});
  }
  void release() { open_.set_value(); }

  std::atomic<int> calls{0};

 private:
  std::string name_ = "tokens";
  std::promise<void> open_;
  std::shared_future<void> gate_ = open_.get_future().share();
  std::atomic<int>& destroyed_;
};

class AcceptingAuthenticator final : public Authenticator {
 public:
  const std::string& name() const override { return name_; }
  void authenticate(const AuthRequest&, std::uint64_t, AuthStepDone done) override {
    done({AuthStep::Decision::kAccept, Principal{"alice", KDB_ROLE_READ, 0, name_},
          "new instance accepted"});
  }

 private:
  std::string name_ = "tokens";
};

std::future<AuthOutcome> start(AuthChain& chain) {
  auto answer = std::make_shared<std::promise<AuthOutcome>>();
  auto outcome = answer->get_future();
  AuthRequest request;
  request.secret = kdb::sdk::SecretBytes("secret");
  chain.authenticate(std::move(request),
                     [answer](AuthOutcome result) { answer->set_value(std::move(result)); });
  return outcome;
}

}  // namespace

TEST_CASE("LiveSlot: a replaced value lives until the last call holding it returns",
          "[reload]") {
  std::atomic<int> first_destroyed{0};
  std::atomic<int> second_destroyed{0};
  LiveSlot<Tracked> slot(std::make_shared<Tracked>(first_destroyed));
  std::shared_ptr<Tracked> in_flight = slot.get();
  std::shared_ptr<Tracked> old = slot.replace(std::make_shared<Tracked>(second_destroyed));
  CHECK(old == in_flight);
  old.reset();
  CHECK(first_destroyed == 0);
  CHECK(slot.get() != in_flight);
  in_flight.reset();
  CHECK(first_destroyed == 1);
  CHECK(second_destroyed == 0);
}

TEST_CASE("LiveSlot: readers on four threads while the value is replaced a thousand times",
          "[reload]") {
  std::atomic<int> destroyed{0};
  LiveSlot<Tracked> slot(std::make_shared<Tracked>(destroyed));
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        const std::shared_ptr<Tracked> held = slot.get();
        CHECK(&held->destroyed == &destroyed);
      }
    });
  }
  for (int i = 0; i < 1000; ++i) slot.replace(std::make_shared<Tracked>(destroyed));
  stop = true;
  for (auto& reader : readers) reader.join();
  CHECK(destroyed == 1000);  // every replaced value, none still in service
}

TEST_CASE("AuthChain: replace() lets the call in flight finish on the old authenticator",
          "[reload]") {
  std::atomic<int> destroyed{0};
  auto old = std::make_shared<GatedAuthenticator>(destroyed);
  GatedAuthenticator* gated = old.get();
  AuthChain chain({old}, {}, null_log);
  auto first = start(chain);
  REQUIRE(poll_until([&] { return gated->calls == 1; }, 5s));

  CHECK(chain.replace(std::make_shared<AcceptingAuthenticator>()) == old);
  old.reset();
  CHECK(destroyed == 0);  // the blocked call still holds it
  const AuthOutcome second = start(chain).get();
  CHECK(second.verdict == AuthOutcome::Verdict::kAccepted);
  CHECK(second.reason == "new instance accepted");

  gated->release();
  const AuthOutcome drained = first.get();
  CHECK(drained.verdict == AuthOutcome::Verdict::kRejected);
  CHECK(drained.reason == "old instance rejected");
  CHECK(poll_until([&] { return destroyed == 1; }, 5s));
  CHECK(chain.replace(std::make_shared<AcceptingAuthenticator>()) != nullptr);
}

TEST_CASE("AuditQueue: records queued while paused go to the replacement sink", "[reload]") {
  fake.fail_next_created = false;
  auto first = fake_instance();
  const int first_number = fake.created;
  const int destroyed_before = fake.destroyed;
  AuditQueue queue({{first, false}}, 64, null_log);
  queue.push(record("one"));
  REQUIRE(poll_until([&] { return was_recorded(std::to_string(first_number) + ":one"); }, 5s));

  REQUIRE(queue.pause(1s));
  auto second = fake_instance();
  const int second_number = fake.created;
  CHECK(queue.replace(second) == first);
  queue.push(record("two"));
  CHECK(queue.counters().queued == 1);  // held while paused
  first.reset();
  CHECK(fake.destroyed == destroyed_before + 1);  // no call holds the old sink
  queue.resume();
  CHECK(poll_until([&] { return was_recorded(std::to_string(second_number) + ":two"); }, 5s));
  CHECK_FALSE(was_recorded(std::to_string(first_number) + ":two"));
}

TEST_CASE("AuditQueue: records queued before a pause go to the sink they were queued for",
          "[reload]") {
  fake.fail_next_created = false;
  auto first = fake_instance();
  const std::string first_prefix = std::to_string(fake.created) + ":";
  AuditQueue queue({{first, false}}, 1024, null_log);
  for (int i = 0; i < 500; ++i) queue.push(record("before-" + std::to_string(i)));
  REQUIRE(queue.pause(5s));
  CHECK(queue.counters().queued == 0);
  for (int i = 0; i < 500; ++i) {
    INFO(i);
    CHECK(was_recorded(first_prefix + "before-" + std::to_string(i)));
  }
  auto second = fake_instance();
  const std::string second_prefix = std::to_string(fake.created) + ":";
  queue.replace(second);
  queue.push(record("after"));
  queue.resume();
  CHECK(poll_until([&] { return was_recorded(second_prefix + "after"); }, 5s));
  CHECK_FALSE(was_recorded(first_prefix + "after"));
}

TEST_CASE("AuditQueue: pause returns only once the sink was flushed after its last record",
          "[reload]") {
  fake.fail_next_created = false;
  auto sink = fake_instance();
  const std::string prefix = std::to_string(fake.created) + ":";
  AuditQueue queue({{sink, false}}, 1024, null_log);
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50; ++i) queue.push(record("r" + std::to_string(i)));
    REQUIRE(queue.pause(1s));
    std::string last;  // this sink's last call
    for (const std::string& line : recorded()) {
      if (line.starts_with(prefix)) last = line;
    }
    INFO(round);
    CHECK((last.empty() || last == prefix + "flush"));
    queue.resume();
  }
}

TEST_CASE("AuditQueue: pause interrupts a failing fail_closed sink and its successor records",
          "[reload]") {
  fake.fail_next_created = true;
  auto failing = fake_instance();
  fake.fail_next_created = false;
  AuditQueue queue({{failing, true}}, 64, null_log, 5ms);
  queue.push(record("held"));
  REQUIRE(poll_until([&] { return queue.refusal().has_value(); }, 5s));

  REQUIRE(queue.pause(1s));  // returns although the sink keeps failing
  auto fixed = fake_instance();
  const int fixed_number = fake.created;
  queue.replace(fixed);
  queue.resume();
  CHECK(poll_until([&] { return was_recorded(std::to_string(fixed_number) + ":held"); }, 5s));
  CHECK(poll_until([&] { return !queue.refusal().has_value(); }, 5s));
}

TEST_CASE("AuditQueue: pause gives up on a sink stuck in a call, and the queue goes on",
          "[reload]") {
  fake.block_next = true;
  auto stuck = fake_instance();
  fake.block_next = false;
  const int stuck_number = fake.created;
  AuditQueue queue({{stuck, false}}, 64, null_log);
  queue.push(record("stuck"));
  REQUIRE(poll_until([&] { return fake.blocked.load(); }, 5s));
  CHECK_FALSE(queue.pause(20ms));
  fake.unblock.set_value();
  CHECK(poll_until([&] { return was_recorded(std::to_string(stuck_number) + ":stuck"); }, 5s));
  queue.push(record("after"));
  CHECK(poll_until([&] { return was_recorded(std::to_string(stuck_number) + ":after"); }, 5s));
  CHECK(queue.pause(1s));
  queue.resume();
}

TEST_CASE("AdmissionChain: replace() changes the verdict of the next check", "[reload]") {
  fake.deny_next = false;
  AdmissionChain chain({fake_instance()}, null_log);
  CHECK(chain.check({}).admitted);
  fake.deny_next = true;
  CHECK(chain.replace(fake_instance()) != nullptr);
  fake.deny_next = false;
  CHECK_FALSE(chain.check({}).admitted);
  auto stranger = std::make_shared<PluginInstance>("other", kFake, OptionList{}, "", null_log);
  CHECK(chain.replace(stranger) == nullptr);  // no plugin has that name
}

TEST_CASE("option_fingerprint: options, and the state of the files path options name",
          "[reload]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("keepdb-fingerprint-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& text) {
    std::ofstream(dir / "secrets", std::ios::trunc) << text;
  };
  write("one");
  const OptionList options{{"file", "secrets"}};
  const std::string before = option_fingerprint(kFake, options, dir);
  CHECK(option_fingerprint(kFake, options, dir) == before);
  CHECK(option_fingerprint(kFake, {{"file", "other"}}, dir) != before);
  write("two and longer");
  const std::string edited = option_fingerprint(kFake, options, dir);
  CHECK(edited != before);
  std::filesystem::permissions(dir / "secrets", std::filesystem::perms::owner_read);
  CHECK(option_fingerprint(kFake, options, dir) != edited);
  std::filesystem::remove(dir / "secrets");
  CHECK(option_fingerprint(kFake, options, dir).find("missing") != std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace keepdb::plugin_host
