// A concurrent write load for crash and shutdown tests: several client threads, each on
// its own raw connection, pipelining SETs of unique keys and recording every SET the
// server acknowledged with +OK. The load ends when the server goes away or stop() is
// called; the acknowledged writes are then what must survive a restart.
//
// Thread-safety: start, wait and stop from one (the test) thread; the writer threads only
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

class WriteLoad {
 public:
  WriteLoad(std::uint16_t port, int clients);
  ~WriteLoad();
  WriteLoad(const WriteLoad&) = delete;
  WriteLoad& operator=(const WriteLoad&) = delete;

  // Polls until at least `count` SETs in total were acknowledged.
  bool wait_for_acknowledged(std::size_t count, milliseconds timeout);
  // Asks the writers to stop after their current batch, and joins them.
  void stop();
  // Joins writers that end on their own (their connection closed), within the timeout.
  bool wait_finished(milliseconds timeout);

  // After the writers are joined: every acknowledged key with its value.
  std::map<std::string, std::string> acknowledged() const;
  // After the writers are joined: per client, the highest sequence number acknowledged
  // for its "seq:<client>" key, which every batch overwrites (-1: none).
  const std::vector<std::int64_t>& last_sequence() const { return last_sequence_; }
  static std::string sequence_key(int client) { return "seq:" + std::to_string(client); }

 private:
  struct Writer {
    std::vector<std::pair<std::string, std::string>> acknowledged;
    std::int64_t last_sequence = -1;
  };
  void run_writer(int client, Writer& writer);
  void join();

  std::uint16_t port_;
  std::vector<Writer> writers_;
  std::vector<std::thread> threads_;
  std::vector<std::int64_t> last_sequence_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> acknowledged_count_{0};
  std::atomic<int> running_{0};
};

}  // namespace keepdb::integration
