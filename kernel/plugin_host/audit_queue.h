// The audit queue: one bounded queue of records, drained by one audit thread into every
// configured kdb_audit_v1 sink, in config order. Producers never block: push() either
// queues the record or drops and counts it when the queue is full.
//
// The audit thread takes the queue a batch at a time: it swaps the producers' vector for its
// own empty one under the lock, then delivers the whole batch without it, so under load the
// lock is taken once per push and once per batch, and the vectors' storage is reused rather
// than allocated per record. A batch counts as queued until its last record is delivered.
//
// A sink whose record() fails (throws, returns an error or a status the host does not
// know) is counted and logged (one line a second at most), never crashes the kernel. A sink
// configured `fail_closed` is also retried: the audit thread keeps the record that failed
// and tries it again every `retry` until the sink takes it (the queue behind it waits and
// may fill). While a fail_closed sink fails or the queue is full, refusal() says why, and
// the kernel refuses the commands it would have recorded instead of running them unrecorded.
// Sinks are flushed whenever the queue runs empty (once per batch), before a pause holds the
// thread, and at shutdown. Once drained, the audit thread waits 4 ms for more records before
// it asks producers to wake it, so under load it takes records in batches (a record reaches
// the sinks at most about 4 ms after its push).
//
// A reload replaces a sink's instance between two records: pause() holds the audit thread
// once the records queued before it were delivered, no sink call is running and the sinks
// were flushed since their last record (a fail_closed retry is interrupted, and resumes
// with the sink that failed: the records behind it wait for the new instance), the reload
// creates the new instance (which may read the file the old one wrote) and replace()s it,
// then resume() lets the thread go on with the new instance. So the records of the commands
// before a reload are the old instance's, and those after it the new one's.
//
// Thread-safety: push(), refusal(), counters(), pause(), resume() and replace() from any
// thread; record/flush run on the audit thread only (the ABI's promise to audit plugins).
// Lifetime: the destructor stops accepting, drains what is queued (fail_closed retries give
// up), flushes and joins; the instances are kept alive until then. The LogSink must outlive
// the queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kernel/plugin_host/plugin_instance.h"
#include "util/latency_histogram.h"

namespace keepdb::plugin_host {

// One event, owned; the queue hands it to the sinks as a kdb_audit_event. Never holds a
// value or a secret (the producers guarantee it; kernel/commands/audit.h says what goes in).
struct AuditRecord {
  std::uint32_t type = 0;  // the stable number of the event kind
  std::uint64_t wall_ns = 0;
  std::uint64_t conn_id = 0;
  std::string peer_addr;
  std::string principal;
  std::string action;
  std::string outcome;
  std::string detail;  // a reason; empty: record_to() passes "key=<key>" when there is a key
  std::optional<std::string> key = std::nullopt;  // the first key, escaped; nullopt: none
  std::string node_id = {};                        // the recording node's id, decimal
  std::uint64_t duration_us = KDB_AUDIT_UNTIMED;
};

// One record handed to `instance`'s kdb_audit_v1 record() behind the ABI guard, on the
// caller's thread (a disabled instance is not entered). Empty on success, else why it failed,
// without the instance's label: "returned KDB_E_INTERNAL". The audit thread's call; a test
// harness may make it too, from one thread, as the ABI promises audit plugins.
std::string record_to(const PluginInstance& instance, const AuditRecord& record);
// The same for flush(); empty on success and when the plugin has no flush.
std::string flush_to(const PluginInstance& instance);

struct AuditSinkSpec {
  std::shared_ptr<const PluginInstance> instance;  // declares KDB_KIND_AUDIT
  bool fail_closed = false;
};

struct AuditCounters {
  std::uint64_t queued = 0;         // records waiting now
  std::uint64_t dropped = 0;        // records dropped because the queue was full
  std::uint64_t sink_failures = 0;  // failed record() and flush() calls, every sink
  bool refusing = false;            // refusal() is set now
};

class AuditQueue {
 public:
  AuditQueue(std::vector<AuditSinkSpec> sinks, std::size_t capacity, LogSink& log,
             std::chrono::milliseconds retry = std::chrono::milliseconds(100));
  ~AuditQueue();
  AuditQueue(const AuditQueue&) = delete;
  AuditQueue& operator=(const AuditQueue&) = delete;

  bool empty() const { return sinks_.empty(); }
  // Queues `record`; false when the queue is full (the record is dropped and counted).
  bool push(AuditRecord record);
  // Why recorded commands must be refused now (a fail_closed sink is failing, or the queue
  // is full while a fail_closed sink is configured); nullopt when they may run.
  std::optional<std::string> refusal() const;
  AuditCounters counters() const;
  // How long each audit plugin's record call took (any thread may read it).
  const util::LatencyHistogram& latency() const { return latency_; }

  // Returns true once the audit thread is between two sink calls with every sink flushed
  // since its last record, and holds it there until resume(); records queue meanwhile. False, holding nothing, when a sink call is still
  // running after `timeout` (a sink stuck in record or flush). One pause at a time.
  bool pause(std::chrono::milliseconds timeout);
  void resume();
  // A reload: puts `instance` in service in place of the sink with its name and returns
  // the one it replaces (null when none has that name, and nothing changes).
  std::shared_ptr<const PluginInstance> replace(std::shared_ptr<const PluginInstance> instance);

 private:
  struct Sink;
  void run();
  // Hands the rest of batch_ to the sinks, each record from `next_sink` on, retrying a
  // fail_closed sink that fails, and empties the batch once every sink has every record (or
  // gave up at shutdown). A pause that interrupts a retry leaves next_ at the record and
  // `next_sink` at the failing sink. Called and returns with `lock` held.
  void deliver_batch(std::unique_lock<std::mutex>& lock, std::size_t& next_sink);
  // Hands batch_[next_] to the sinks from `next_sink` on: true once every sink has it,
  // false (with `lock` held) when a pause interrupted a retry.
  bool deliver_record(std::unique_lock<std::mutex>& lock, std::size_t& next_sink);
  // Hands `record` to one sink; false when it failed.
  bool deliver(Sink& sink, const AuditRecord& record);
  void flush_all();
  // Sets refusing_ from the state below; with mutex_ held.
  void update_refusing();
  void log_throttled(Sink& sink, LogLevel level, const std::string& line);

  std::vector<std::unique_ptr<Sink>> sinks_;
  bool any_fail_closed_ = false;
  std::size_t capacity_;
  LogSink& log_;
  std::chrono::milliseconds retry_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;                           // busy_ went false
  bool paused_ = false;                                    // guarded by mutex_
  bool busy_ = false;  // guarded by mutex_: the audit thread is inside a sink call
  bool flushed_ = true;  // guarded by mutex_: no record delivered since the last flush
  std::vector<AuditRecord> queue_;  // guarded by mutex_: pushed, not yet taken
  // The batch being delivered, from next_ on: the audit thread's alone.
  std::vector<AuditRecord> batch_;
  std::size_t next_ = 0;
  std::size_t in_batch_ = 0;  // guarded by mutex_: batch_.size() until it is delivered
  bool stopping_ = false;                                  // guarded by mutex_
  bool sleeping_ = false;  // guarded by mutex_: the audit thread waits for a push's notify
  std::uint64_t dropped_ = 0;                              // guarded by mutex_
  std::chrono::steady_clock::time_point last_drop_log_{};  // guarded by mutex_
  std::uint64_t sink_failures_ = 0;                        // guarded by mutex_
  util::LatencyHistogram latency_;                          // written by the audit thread
  // Guarded by mutex_, written by the audit thread only: a fail_closed sink being retried.
  std::string failing_sink_;
  // Written with mutex_ held, read without it: refusal() would return a reason now.
  std::atomic<bool> refusing_{false};
  bool held_ = false;  // guarded by mutex_: the audit thread is held by a pause
  std::thread thread_;        // last: started once everything above exists
};

}  // namespace keepdb::plugin_host
