// The bounded audit queue and its one thread, calling record/flush through the C ABI.
#include "kernel/plugin_host/audit_queue.h"

#include <pthread.h>

#include <utility>

#include "kernel/plugin_host/abi_guard.h"
#include "kernel/plugin_host/live_slot.h"

namespace keepdb::plugin_host {
namespace {

using Clock = std::chrono::steady_clock;

// How long the audit thread waits for more records, unannounced, once it has drained the
// queue, before it sleeps until a producer wakes it: under load it wakes about once per
// kLinger for a batch instead of once per record (a producer's futex call and two context
// switches each); an idle queue costs one wait_for, then nothing. 4 ms rather than 1 took
// the audit thread from about 1.6 to 1.3 µs of CPU per record at 45,000 SETs a second (its
// futex waits were a tenth of its time); a sink's records wait for it at most that long.
constexpr auto kLinger = std::chrono::milliseconds(4);

// A delivered batch's vector keeps its storage for the next swap up to this many records
// (about 300 KiB); a larger one, left by a burst, is freed, so a full queue's memory is
// returned once the sinks catch up.
constexpr std::size_t kKeptBatchCapacity = 1024;

kdb_str to_str(const std::string& text) {
  return kdb_str{text.data(), text.size()};
}

}  // namespace

std::string record_to(const PluginInstance& instance, const AuditRecord& record) {
  if (instance.disabled()) return "is disabled (it wrote past a host buffer)";
  // A record without a reason names its key in `detail` too, as plugins older than ABI 1.4
  // read it; composed here on the audit thread, not by the producer.
  thread_local std::string key_detail;
  const bool detail_names_key = record.detail.empty() && record.key.has_value();
  if (detail_names_key) key_detail.assign("key=").append(*record.key);
  const kdb_audit_event event{sizeof(kdb_audit_event),
                              record.type,
                              record.wall_ns,
                              record.conn_id,
                              to_str(record.peer_addr),
                              to_str(record.principal),
                              to_str(record.action),
                              to_str(record.outcome),
                              to_str(detail_names_key ? key_detail : record.detail),
                              record.key ? to_str(*record.key) : kdb_str{nullptr, 0},
                              to_str(record.node_id),
                              record.duration_us};
  std::string failure;
  const kdb_status status = call_guarded(
      [&] { return instance.descriptor().audit->record(instance.handle(), &event); }, failure);
  if (!failure.empty() || status == KDB_OK) return failure;
  return "returned " + status_name(status);
}

std::string flush_to(const PluginInstance& instance) {
  if (instance.disabled() || instance.descriptor().audit->flush == nullptr) return {};
  std::string failure;
  const kdb_status status = call_guarded(
      [&] { return instance.descriptor().audit->flush(instance.handle()); }, failure);
  if (!failure.empty() || status == KDB_OK) return failure;
  return "returned " + status_name(status);
}

struct AuditQueue::Sink {
  Sink(std::shared_ptr<const PluginInstance> first, bool closed)
      : name(first->name()), instance(std::move(first)), fail_closed(closed) {}
  const std::string name;
  LiveSlot<const PluginInstance> instance;  // replaced only while the thread is paused
  const bool fail_closed;
  Clock::time_point last_log{};  // audit thread only
  std::uint64_t unlogged = 0;    // audit thread only
};

AuditQueue::AuditQueue(std::vector<AuditSinkSpec> sinks, std::size_t capacity, LogSink& log,
                       std::chrono::milliseconds retry)
    : capacity_(capacity), log_(log), retry_(retry) {
  for (auto& spec : sinks) {
    any_fail_closed_ = any_fail_closed_ || spec.fail_closed;
    sinks_.push_back(std::make_unique<Sink>(std::move(spec.instance), spec.fail_closed));
  }
  if (!sinks_.empty()) {
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "keepd-audit");
  }
}

AuditQueue::~AuditQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    flushed_ = false;  // a last flush: a sink whose batch failed to write tries it again
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool AuditQueue::push(AuditRecord record) {
  if (sinks_.empty()) return true;
  bool queued = false;
  bool wake = false;
  std::uint64_t dropped = 0;  // set when this drop is to be logged
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queue_.size() + in_batch_ < capacity_) {
      queue_.push_back(std::move(record));
      update_refusing();
      queued = true;
      wake = std::exchange(sleeping_, false);
    } else {
      ++dropped_;
      const auto now = Clock::now();
      if (last_drop_log_ == Clock::time_point{} ||
          now - last_drop_log_ >= std::chrono::seconds(1)) {
        last_drop_log_ = now;
        dropped = dropped_;
      }
    }
  }
  if (dropped != 0) {
    log_.write(LogLevel::kWarn, "audit queue full (" + std::to_string(capacity_) +
                                    " records, [plugins] audit_queue): dropping audit events; " +
                                    std::to_string(dropped) + " dropped since start");
  }
  if (wake) wake_.notify_one();
  return queued;
}

void AuditQueue::update_refusing() {
  refusing_.store(any_fail_closed_ && (!failing_sink_.empty() ||
                                       queue_.size() + in_batch_ >= capacity_),
                  std::memory_order_relaxed);
}

std::optional<std::string> AuditQueue::refusal() const {
  // Asked before every recorded command: the lock only once refusing_ says there is a why.
  if (!refusing_.load(std::memory_order_relaxed)) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (!failing_sink_.empty()) {
    return failing_sink_ +
           " cannot record (fail_closed): recorded commands are refused until "
           "it records again";
  }
  if (queue_.size() + in_batch_ >= capacity_) {
    return "the audit queue is full (" + std::to_string(capacity_) +
           " records, fail_closed): recorded commands are refused until the sinks catch up";
  }
  return std::nullopt;
}

AuditCounters AuditQueue::counters() const {
  std::lock_guard lock(mutex_);
  return {queue_.size() + in_batch_, dropped_, sink_failures_,
          refusing_.load(std::memory_order_relaxed)};
}

void AuditQueue::log_throttled(Sink& sink, LogLevel level, const std::string& line) {
  const auto now = Clock::now();
  if (sink.last_log != Clock::time_point{} && now - sink.last_log < std::chrono::seconds(1)) {
    ++sink.unlogged;
    return;
  }
  sink.last_log = now;
  const std::uint64_t left_out = std::exchange(sink.unlogged, 0);
  log_.write(level, left_out == 0
                        ? line
                        : line + " (" + std::to_string(left_out) + " similar lines not logged)");
}

bool AuditQueue::pause(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  paused_ = true;
  wake_.notify_all();
  // Without sinks there is no audit thread to hold.
  if (sinks_.empty() || idle_.wait_for(lock, timeout, [this] { return held_; })) return true;
  paused_ = false;
  return false;
}

void AuditQueue::resume() {
  {
    std::lock_guard lock(mutex_);
    paused_ = false;
  }
  wake_.notify_all();
}

std::shared_ptr<const PluginInstance> AuditQueue::replace(
    std::shared_ptr<const PluginInstance> instance) {
  for (auto& sink : sinks_) {
    if (sink->name == instance->name()) return sink->instance.replace(std::move(instance));
  }
  return nullptr;
}

bool AuditQueue::deliver(Sink& sink, const AuditRecord& record) {
  const std::shared_ptr<const PluginInstance> held = sink.instance.get();
  const auto started = Clock::now();
  const std::string failure = record_to(*held, record);
  latency_.observe(Clock::now() - started);
  if (failure.empty()) return true;
  {
    std::lock_guard lock(mutex_);
    ++sink_failures_;
  }
  log_throttled(sink, LogLevel::kError,
                held->label() + " failed to record an audit event (" + record.action + "): " +
                    failure +
                    (sink.fail_closed ? "; fail_closed: retrying, recorded commands are refused"
                                      : "; the event is lost for this sink"));
  return false;
}

void AuditQueue::flush_all() {
  for (auto& sink : sinks_) {
    const std::shared_ptr<const PluginInstance> held = sink->instance.get();
    const std::string failure = flush_to(*held);
    if (failure.empty()) continue;
    {
      std::lock_guard lock(mutex_);
      ++sink_failures_;
    }
    log_throttled(*sink, LogLevel::kError, held->label() + " failed to flush: " + failure);
  }
}

void AuditQueue::run() {
  std::unique_lock lock(mutex_);
  bool lingered = true;       // waited kLinger since the queue last ran empty
  std::size_t next_sink = 0;  // the sink batch_[next_] goes to next
  while (true) {
    const bool drained = next_ == batch_.size() && queue_.empty();
    // Paused, the thread delivers what was queued before, unless its next record waits for
    // a failing fail_closed sink; then it flushes and holds.
    const bool hold = paused_ && !stopping_ && (drained || !failing_sink_.empty());
    if (!flushed_ && (drained || hold)) {
      // Once per batch, and before a pause holds the thread: a sink that buffers writes
      // what it holds, so a replacement instance continues from the end of its file.
      busy_ = true;
      lock.unlock();
      flush_all();
      lock.lock();
      busy_ = false;
      flushed_ = true;
      idle_.notify_all();
      continue;
    }
    if (hold) {
      held_ = true;
      idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !paused_; });
      held_ = false;
      continue;
    }
    if (drained) {
      if (stopping_) return;
      if (!lingered) {
        // Just drained: more records are likely, and they come unannounced for a moment.
        lingered = true;
        wake_.wait_for(lock, kLinger, [this] { return stopping_ || paused_; });
        continue;
      }
      sleeping_ = true;
      wake_.wait(lock, [this] { return stopping_ || paused_ || !queue_.empty(); });
      sleeping_ = false;
      continue;
    }
    lingered = false;
    if (next_ == batch_.size()) {
      batch_.swap(queue_);  // batch_ was emptied when delivered
      next_ = 0;
      in_batch_ = batch_.size();
    }
    deliver_batch(lock, next_sink);
  }
}

void AuditQueue::deliver_batch(std::unique_lock<std::mutex>& lock, std::size_t& next_sink) {
  busy_ = true;
  lock.unlock();
  while (next_ < batch_.size()) {
    if (!deliver_record(lock, next_sink)) return;  // paused mid-retry: the loop holds
    ++next_;
    next_sink = 0;
  }
  // The records are freed here, outside the lock; an oversized vector with them.
  if (batch_.capacity() > kKeptBatchCapacity) {
    std::vector<AuditRecord>().swap(batch_);
  } else {
    batch_.clear();
  }
  next_ = 0;
  lock.lock();
  in_batch_ = 0;
  update_refusing();
  busy_ = false;
  flushed_ = false;
  idle_.notify_all();
}

bool AuditQueue::deliver_record(std::unique_lock<std::mutex>& lock, std::size_t& next_sink) {
  const AuditRecord& record = batch_[next_];
  while (next_sink < sinks_.size()) {
    Sink& sink = *sinks_[next_sink];
    if (deliver(sink, record) || !sink.fail_closed) {
      ++next_sink;
      continue;
    }
    lock.lock();
    failing_sink_ = sink.instance.get()->label();
    update_refusing();
    flushed_ = false;  // a pause now flushes what the sinks before it took
    busy_ = false;
    idle_.notify_all();
    wake_.wait_for(lock, retry_, [this] { return stopping_ || paused_; });
    if (stopping_) {
      ++next_sink;  // shutting down: give up on this record for this sink
    } else if (paused_) {
      return false;  // with the lock held, as deliver_batch returns
    }
    busy_ = true;
    lock.unlock();
  }
  // Read without the lock: only this thread writes failing_sink_.
  if (!failing_sink_.empty()) {
    // The sink took it (or was given up at shutdown): recorded commands may run again.
    lock.lock();
    failing_sink_.clear();
    update_refusing();
    lock.unlock();
  }
  return true;
}

}  // namespace keepdb::plugin_host
