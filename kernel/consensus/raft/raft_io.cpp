// RaftIo: the raft_io method table, pending-request bookkeeping, and the close sequence.
#include "kernel/consensus/raft/raft_io.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <unordered_map>

#include "kernel/consensus/raft/snapshot_transfer.h"
#include "kernel/log/log.h"
#include "util/serial_worker.h"

namespace keepdb::consensus {
namespace {

struct RaftFreeDeleter {
  void operator()(void* memory) const noexcept { raft_free(memory); }
};

std::uint64_t pick_seed(std::uint64_t configured) {
  if (configured != 0) return configured;
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

}  // namespace

class RaftIo::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(util::Executor& executor, storage::LogStorage& storage, PeerTransport& transport,
       const RaftIoOptions& options)
      : executor_(executor),
        storage_(storage),
        transport_(transport),
        max_pending_sends_per_peer_(std::max<std::size_t>(options.max_pending_sends_per_peer, 1)),
        snapshot_transfer_(options.snapshot_transfer),
        random_(pick_seed(options.random_seed)) {
    io_.version = 2;
    io_.impl = this;
    // The transport stamps frames with this server's identity, so init has nothing to keep.
    io_.init = [](raft_io*, raft_id, const char*) { return 0; };
    io_.close = [](raft_io* io, raft_io_close_cb cb) { self(io).close(cb); };
    io_.load = [](raft_io* io, raft_term* term, raft_id* voted_for, raft_snapshot** snapshot,
                  raft_index* start_index, raft_entry** entries, size_t* n_entries) {
      return self(io).load(term, voted_for, snapshot, start_index, entries, n_entries);
    };
    io_.start = [](raft_io* io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv) {
      return self(io).start(msecs, tick, recv);
    };
    io_.bootstrap = [](raft_io* io, const raft_configuration* conf) {
      return self(io).bootstrap(*conf);
    };
    io_.recover = [](raft_io* io, const raft_configuration* conf) {
      return self(io).recover(*conf);
    };
    io_.set_term = [](raft_io* io, raft_term term) {
      return self(io).check(self(io).storage_.set_term(term));
    };
    io_.set_vote = [](raft_io* io, raft_id server_id) {
      return self(io).check(self(io).storage_.set_vote(server_id));
    };
    io_.send = [](raft_io* io, raft_io_send* req, const raft_message* message, raft_io_send_cb cb) {
      return self(io).send(req, *message, cb);
    };
    io_.append = [](raft_io* io, raft_io_append* req, const raft_entry entries[], unsigned n,
                    raft_io_append_cb cb) { return self(io).append(req, entries, n, cb); };
    io_.truncate = [](raft_io* io, raft_index index) { return self(io).truncate(index); };
    io_.snapshot_put = [](raft_io* io, unsigned trailing, raft_io_snapshot_put* req,
                          const raft_snapshot* snapshot, raft_io_snapshot_put_cb cb) {
      return self(io).snapshot_put(trailing, req, *snapshot, cb);
    };
    io_.snapshot_get = [](raft_io* io, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb) {
      return self(io).snapshot_get(req, cb);
    };
    io_.time = [](raft_io* io) -> raft_time { return self(io).executor_.now_ms(); };
    io_.random = [](raft_io* io, int min, int max) { return self(io).random(min, max); };
    io_.async_work = [](raft_io* io, raft_io_async_work* req, raft_io_async_work_cb cb) {
      return self(io).async_work(req, cb);
    };
  }

  raft_io* get() { return &io_; }
  const LogBytes& log_bytes() const { return log_bytes_; }

 private:
  using RequestId = std::uint64_t;

  // A request raft submitted and still waits on. `complete` calls raft's callback.
  struct PendingRequest {
    std::function<void(int status)> complete;
    raft_id peer = 0;  // destination of a send; 0 for other requests
  };

  static Impl& self(raft_io* io) { return *static_cast<Impl*>(io->impl); }

  // Fills errmsg (raft copies it into raft_errmsg()) and returns the code.
  int fail(const util::IoStatus& status) {
    std::snprintf(io_.errmsg, sizeof io_.errmsg, "%s", status.message.c_str());
    return status.code;
  }
  int check(const util::IoStatus& status) { return status.ok() ? 0 : fail(status); }

  // Runs `step(impl)` later on the executor thread, unless this io has been destroyed.
  // Safe to call from any thread.
  template <typename Step>
  static void post_step(util::Executor& executor, std::weak_ptr<Impl> weak, Step step) {
    executor.post([weak = std::move(weak), step = std::move(step)]() mutable {
      if (auto impl = weak.lock()) step(*impl);
    });
  }
  template <typename Step>
  void post_step(Step step) {
    post_step(executor_, weak_from_this(), std::move(step));
  }

  // A completion handler for storage or transport: posts the outcome back to `id`.
  std::function<void(util::IoStatus)> completion_for(RequestId id) {
    return [&executor = executor_, weak = weak_from_this(), id](util::IoStatus status) {
      post_step(executor, weak,
                [id, status = std::move(status)](Impl& impl) { impl.complete(id, status); });
    };
  }

  RequestId track(PendingRequest request) {
    const RequestId id = next_request_id_++;
    pending_.emplace(id, std::move(request));
    return id;
  }

  // Executor thread: delivers `status` to request `id` unless it already completed. While
  // closing, every request completes with RAFT_CANCELED.
  void complete(RequestId id, const util::IoStatus& status) {
    auto node = pending_.extract(id);
    if (node.empty()) return;
    forget_send(node.mapped().peer, id);
    if (closing_) {
      node.mapped().complete(fail(util::IoStatus::failure(RAFT_CANCELED, "raft io is closing")));
    } else {
      node.mapped().complete(check(status));
    }
  }

  void forget_send(raft_id peer, RequestId id) {
    if (peer == 0) return;
    auto sends = sends_by_peer_.find(peer);
    if (sends == sends_by_peer_.end()) return;
    auto position = std::find(sends->second.begin(), sends->second.end(), id);
    if (position != sends->second.end()) sends->second.erase(position);
    if (sends->second.empty()) sends_by_peer_.erase(sends);
  }

  int load(raft_term* term, raft_id* voted_for, raft_snapshot** snapshot, raft_index* start_index,
           raft_entry** entries, size_t* n_entries) {
    storage::LoadedLog loaded;
    if (util::IoStatus status = storage_.load(loaded); !status.ok()) return fail(status);
    if (!loaded.repair.empty()) log::warn("raft log repaired at start: ", loaded.repair);
    std::size_t count = 0;
    raft_entry* array = loaded.entries.release(count);
    log_bytes_.reset(loaded.start_index);
    for (std::size_t i = 0; i < count; ++i) log_bytes_.append(array[i].buf.len);
    if (array == nullptr && loaded.entries.size() > 0) {
      return fail(util::IoStatus::failure(RAFT_NOMEM, "out of memory loading the raft log"));
    }
    *term = loaded.term;
    *voted_for = loaded.voted_for;
    *snapshot = loaded.snapshot.release();
    *start_index = loaded.start_index;
    *entries = array;
    *n_entries = count;
    return 0;
  }

  int start(unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv) {
    tick_ = tick;
    recv_ = recv;
    started_ = true;
    executor_.start_tick(std::chrono::milliseconds(msecs), [weak = weak_from_this()] {
      if (auto impl = weak.lock(); impl && !impl->closing_) impl->tick_(&impl->io_);
    });
    transport_.set_receiver([&executor = executor_, weak = weak_from_this()](OwnedMessage message) {
      auto held = std::make_shared<OwnedMessage>(std::move(message));
      post_step(executor, weak, [held](Impl& impl) { impl.deliver(*held); });
    });
    return 0;
  }

  void deliver(OwnedMessage& message) {
    if (closing_) return;  // the payload is freed with the message
    const raft_message& received = message.message();
    if (received.type == RAFT_IO_INSTALL_SNAPSHOT && snapshot_transfer_ != nullptr &&
        !snapshot_transfer_->ready_to_install(received.install_snapshot)) {
      return;  // the leader sends it again once the streamed state is here
    }
    recv_(&io_, &message.hand_to_raft());
  }

  int bootstrap(const raft_configuration& configuration) {
    return with_encoded_configuration(configuration, [this](const raft_buffer& encoded) {
      raft_entry first{};
      first.term = 1;
      first.type = RAFT_CHANGE;
      first.buf = encoded;
      return storage_.bootstrap(first);
    });
  }

  int recover(const raft_configuration& configuration) {
    return with_encoded_configuration(
        configuration, [this](const raft_buffer& encoded) { return storage_.recover(encoded); });
  }

  // Encodes `configuration` the way raft stores it in RAFT_CHANGE entries, and runs `write`.
  template <typename Write>
  int with_encoded_configuration(const raft_configuration& configuration, Write write) {
    raft_buffer encoded{};
    if (int rv = raft_configuration_encode(&configuration, &encoded)) {
      return fail(util::IoStatus::failure(rv, "cannot encode the raft configuration"));
    }
    std::unique_ptr<void, RaftFreeDeleter> owner(encoded.base);
    return check(write(encoded));
  }

  int send(raft_io_send* req, const raft_message& message, raft_io_send_cb cb) {
    PendingRequest request;
    request.peer = message.server_id;
    request.complete = [req, cb](int status) {
      if (cb != nullptr) cb(req, status);  // a NULL cb means req must not be touched again
    };
    const RequestId id = track(std::move(request));
    const std::string address = message.server_address ? message.server_address : "";
    if (message.type == RAFT_IO_INSTALL_SNAPSHOT && snapshot_transfer_ != nullptr) {
      // Handed over (copied): the transfer sends it once the follower has the state.
      snapshot_transfer_->send_install(message.server_id, address, message);
      post_step([id](Impl& impl) { impl.complete(id, util::IoStatus::success()); });
      return 0;
    }
    std::deque<RequestId>& sends = sends_by_peer_[message.server_id];
    if (sends.size() >= max_pending_sends_per_peer_) {
      const RequestId oldest = sends.front();
      sends.pop_front();
      post_step([oldest](Impl& impl) {
        impl.complete(oldest, util::IoStatus::failure(RAFT_NOCONNECTION, "peer send queue is full"));
      });
    }
    sends.push_back(id);
    transport_.send(message.server_id, address, message, completion_for(id));
    return 0;
  }

  int append(raft_io_append* req, const raft_entry entries[], unsigned n, raft_io_append_cb cb) {
    const RequestId id = track({[req, cb](int status) { cb(req, status); }});
    for (unsigned i = 0; i < n; ++i) log_bytes_.append(entries[i].buf.len);
    storage_.append({entries, n}, completion_for(id));
    return 0;
  }

  int truncate(raft_index index) {
    log_bytes_.truncate(index);
    storage_.truncate(index);
    return 0;
  }

  int snapshot_put(unsigned trailing, raft_io_snapshot_put* req, const raft_snapshot& snapshot,
                   raft_io_snapshot_put_cb cb) {
    const RequestId id = track({[req, cb](int status) { cb(req, status); }});
    if (trailing == 0) {
      log_bytes_.reset(snapshot.index + 1);  // a leader's snapshot replaces the whole log
    } else if (snapshot.index > trailing) {
      log_bytes_.forget_through(snapshot.index - trailing);
    }
    storage_.snapshot_put(trailing, snapshot, completion_for(id));
    return 0;
  }

  int snapshot_get(raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb) {
    // Failures and cancellation go through complete(); success hands the snapshot over here.
    const RequestId id = track({[req, cb](int status) { cb(req, nullptr, status); }});
    storage_.snapshot_get([&executor = executor_, weak = weak_from_this(), id, req, cb](
                              util::IoStatus status, util::RaftSnapshotPtr snapshot) {
      auto held = std::make_shared<util::RaftSnapshotPtr>(std::move(snapshot));
      post_step(executor, weak, [id, req, cb, status = std::move(status), held](Impl& impl) {
        impl.hand_over_snapshot(id, req, cb, status, *held);
      });
    });
    return 0;
  }

  void hand_over_snapshot(RequestId id, raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb,
                          const util::IoStatus& status, util::RaftSnapshotPtr& snapshot) {
    if (!status.ok() || closing_ || !snapshot) {
      complete(id, status.ok() ? util::IoStatus::failure(RAFT_NOTFOUND, "no snapshot") : status);
    } else if (pending_.erase(id) == 1) {
      cb(req, snapshot.release(), 0);
    }
  }

  util::SerialWorker& worker() {
    if (!worker_) worker_ = std::make_unique<util::SerialWorker>("keepd-raft-work");
    return *worker_;
  }

  int async_work(raft_io_async_work* req, raft_io_async_work_cb cb) {
    const RequestId id = track({[req, cb](int status) { cb(req, status); }});
    worker().submit([req, done = completion_for(id)] {
      const int status = req->work(req);
      done(status == 0 ? util::IoStatus::success()
                       : util::IoStatus::failure(
                             status, "async work failed: " + std::string(raft_strerror(status))));
    });
    return 0;
  }

  int random(int min, int max) {
    if (min >= max) return min;
    return std::uniform_int_distribution<int>(min, max)(random_);
  }

  // Stops ticks and receives now; the rest waits until no other thread touches raft memory.
  void close(raft_io_close_cb cb) {
    closing_ = true;
    close_cb_ = cb;
    if (started_) {
      executor_.stop_tick();
      transport_.set_receiver({});
    }
    drains_outstanding_ = worker_ ? 2 : 1;
    auto drained = [&executor = executor_, weak = weak_from_this()] {
      post_step(executor, weak, [](Impl& impl) { impl.on_drained(); });
    };
    storage_.drain(drained);
    if (worker_) worker_->submit(drained);
  }

  void on_drained() {
    if (--drains_outstanding_ > 0) return;
    while (!pending_.empty()) complete(pending_.begin()->first, util::IoStatus::success());
    if (close_cb_ != nullptr) close_cb_(&io_);
  }

  util::Executor& executor_;
  storage::LogStorage& storage_;
  PeerTransport& transport_;
  const std::size_t max_pending_sends_per_peer_;
  SnapshotTransfer* const snapshot_transfer_;
  std::mt19937_64 random_;
  raft_io io_{};
  raft_io_tick_cb tick_ = nullptr;
  raft_io_recv_cb recv_ = nullptr;
  bool started_ = false;
  bool closing_ = false;
  raft_io_close_cb close_cb_ = nullptr;
  int drains_outstanding_ = 0;
  RequestId next_request_id_ = 1;
  std::map<RequestId, PendingRequest> pending_;  // ordered: cancellation in submission order
  std::unordered_map<raft_id, std::deque<RequestId>> sends_by_peer_;
  std::unique_ptr<util::SerialWorker> worker_;
  LogBytes log_bytes_;
};

RaftIo::RaftIo(util::Executor& executor, storage::LogStorage& storage, PeerTransport& transport,
               const RaftIoOptions& options)
    : impl_(std::make_shared<Impl>(executor, storage, transport, options)) {}

RaftIo::~RaftIo() = default;

raft_io* RaftIo::get() {
  return impl_->get();
}

const LogBytes& RaftIo::log_bytes() const { return impl_->log_bytes(); }

}  // namespace keepdb::consensus
