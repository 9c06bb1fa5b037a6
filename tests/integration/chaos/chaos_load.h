// ChaosLoad: a write load that outlives the nodes it writes to. Each client thread writes
// unique keys ("c<client>:<n>" = "v<client>:<n>") in small pipelines to one node of a
// cluster, and when that node dies, refuses (TRYAGAIN, a closed connection, a timeout) or
// answers anything but +OK, it moves on to the next node and goes on with fresh keys. It
// records every write the cluster acknowledged, and every key it ever sent with its value,
// so a check afterwards can tell a lost write (acknowledged, then missing) from a phantom
// (a value nobody wrote).
//
// Thread-safety: construct, wait and stop from one (the test) thread; writer threads only
// touch their own state and atomics. Lifetime: the destructor stops and joins the threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness/deadline.h"

namespace keepdb::integration {

class ChaosLoad {
 public:
  ChaosLoad(std::vector<std::uint16_t> ports, int clients);
  ~ChaosLoad();
  ChaosLoad(const ChaosLoad&) = delete;
  ChaosLoad& operator=(const ChaosLoad&) = delete;

  // Writes acknowledged so far, by all clients together.
  std::size_t acknowledged_count() const { return acknowledged_count_; }
  // Polls until `more` writes beyond `since` are acknowledged.
  bool wait_for_progress(std::size_t since, std::size_t more, milliseconds timeout) const;
  // Asks the writers to stop after their current pipeline, and joins them.
  void stop();

  // After stop(): the acknowledged writes, and every write sent (acknowledged or not).
  std::map<std::string, std::string> acknowledged() const;
  std::map<std::string, std::string> attempted() const;

 private:
  struct Writer {
    std::vector<std::pair<std::string, std::string>> acknowledged;
    std::vector<std::pair<std::string, std::string>> attempted;
  };
  void run_writer(int client, Writer& writer);

  std::vector<std::uint16_t> ports_;
  std::vector<Writer> writers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> acknowledged_count_{0};
};

}  // namespace keepdb::integration
