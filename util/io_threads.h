// IoThreads: a fixed set of I/O threads, each running its own io_context, that the client
// listener hands accepted sockets to ([client] io_threads). A socket's reads, writes and
// transport session (e.g. TLS) then run on its I/O thread, while everything the connection
// decides stays on the network thread (util/offloaded_channel.h). With no I/O threads
// (the default) there is nothing here and every socket stays on the network thread.
//
// Thread-safety: next() is called on the network thread only; the contexts are used from
// any thread as Asio allows (post, socket operations serialised by their owner).
// Lifetime: the destructor stops every context, joins its thread, then destroys the
// contexts with the handlers still queued on them. Destroy it before the network thread's
// io_context those handlers post to, and after every channel that uses its contexts has
// stopped starting operations.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace keepdb::util {

class IoThreads {
 public:
  // Starts `count` threads (0: none). Threads are named "keepd-io-N" for ps and perf.
  explicit IoThreads(std::size_t count);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  std::size_t size() const { return threads_.size(); }
  // The context the next socket goes to, in turn (connections are long-lived, so a
  // round-robin spreads them evenly enough). Requires size() > 0.
  boost::asio::io_context& next();

 private:
  struct Thread {
    boost::asio::io_context context{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
        context.get_executor()};
    std::thread runner;
  };

  std::vector<std::unique_ptr<Thread>> threads_;
  std::size_t next_ = 0;
};

}  // namespace keepdb::util
