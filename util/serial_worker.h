// SerialWorker: one background thread running submitted tasks one at a time, in submission
// order. RaftIo runs async_work on it; the Raft log store runs its writes on it. The thread
// carries the name it is given (what `top -H`, `ps -L` and `perf` show).
//
// Thread-safety: submit() may be called from any thread, including from a task.
// Lifetime: the destructor runs every task already submitted, then joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace keepdb::util {

class SerialWorker {
 public:
  using Task = std::function<void()>;

  // `name`: at most 15 characters (the kernel's limit), e.g. "keepd-log".
  explicit SerialWorker(const char* name);
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  void submit(Task task);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace keepdb::util
