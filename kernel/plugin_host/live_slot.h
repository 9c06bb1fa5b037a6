// LiveSlot<T>: one provider in service that a reload may replace while calls are running.
// A caller takes a counted reference for the duration of its call (get()); a reload puts
// the new value in (replace()) and gets the old one back. The old value is destroyed when
// its last reference goes: after the last call that took it has returned. This is the
// drain of plugin.h convention 8, by reference counting.
//
// Thread-safety: get() and replace() may run concurrently from any threads (an atomic
// std::shared_ptr). Lifetime: the slot owns one reference to its current value.
#pragma once

#include <atomic>
#include <memory>

namespace keepdb::plugin_host {

template <typename T>
class LiveSlot {
 public:
  explicit LiveSlot(std::shared_ptr<T> value) : value_(std::move(value)) {}
  LiveSlot(const LiveSlot&) = delete;
  LiveSlot& operator=(const LiveSlot&) = delete;

  // The value in service now; hold it for the whole call.
  std::shared_ptr<T> get() const { return value_.load(); }
  // Puts `next` in service and returns the value it replaces.
  std::shared_ptr<T> replace(std::shared_ptr<T> next) { return value_.exchange(std::move(next)); }

 private:
  std::atomic<std::shared_ptr<T>> value_;
};

}  // namespace keepdb::plugin_host
