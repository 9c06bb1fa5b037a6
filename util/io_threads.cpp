// The I/O threads: start, hand out in turn, stop and join.
#include "util/io_threads.h"

#include <pthread.h>

#include <string>

namespace keepdb::util {

IoThreads::IoThreads(std::size_t count) {
  threads_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto thread = std::make_unique<Thread>();
    thread->runner = std::thread([context = &thread->context] { context->run(); });
    const std::string name = "keepd-io-" + std::to_string(i + 1);
    pthread_setname_np(thread->runner.native_handle(), name.c_str());
    threads_.push_back(std::move(thread));
  }
}

IoThreads::~IoThreads() {
  for (auto& thread : threads_) {
    thread->work.reset();
    thread->context.stop();
  }
  for (auto& thread : threads_) thread->runner.join();
}

boost::asio::io_context& IoThreads::next() {
  boost::asio::io_context& context = threads_[next_]->context;
  next_ = (next_ + 1) % threads_.size();
  return context;
}

}  // namespace keepdb::util
