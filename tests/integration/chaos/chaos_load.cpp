// ChaosLoad: writer threads that fail over between the nodes of a cluster.
#include "tests/integration/chaos/chaos_load.h"

#include <memory>
#include <stdexcept>

#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {

namespace {

constexpr int kPipeline = 8;
// A reply slower than this counts as a failed node: the writer moves on (the write stays
// in `attempted`, since it may still commit).
constexpr milliseconds kWriteTimeout = 3s;

}  // namespace

ChaosLoad::ChaosLoad(std::vector<std::uint16_t> ports, int clients)
    : ports_(std::move(ports)), writers_(static_cast<std::size_t>(clients)) {
  for (int client = 0; client < clients; ++client) {
    threads_.emplace_back([this, client] { run_writer(client, writers_[client]); });
  }
}

ChaosLoad::~ChaosLoad() {
  stop();
}

void ChaosLoad::run_writer(int client, Writer& writer) {
  const std::string id = std::to_string(client);
  std::size_t node = static_cast<std::size_t>(client) % ports_.size();
  std::int64_t next = 0;
  while (!stop_) {
    try {
      RawClient connection(ports_[node]);
      while (!stop_) {
        std::vector<std::pair<std::string, std::string>> batch;
        std::string requests;
        for (int i = 0; i < kPipeline; ++i, ++next) {
          batch.emplace_back("c" + id + ":" + std::to_string(next),
                             "v" + id + ":" + std::to_string(next));
          requests += encode_command({"SET", batch.back().first, batch.back().second});
        }
        writer.attempted.insert(writer.attempted.end(), batch.begin(), batch.end());
        if (!connection.send(requests)) throw std::runtime_error("node closed");
        bool all_ok = true;
        for (const auto& write : batch) {
          if (connection.read_reply(kWriteTimeout).text == "OK") {
            writer.acknowledged.push_back(write);
            ++acknowledged_count_;
          } else {
            all_ok = false;  // TRYAGAIN, MISCONF, ...: read the rest, then move on
          }
        }
        if (!all_ok) throw std::runtime_error("node refused");
      }
    } catch (const std::exception&) {
      // The node is down, refusing or slow: try the next one, after a breath so a cluster
      // without a leader is not hammered.
      node = (node + 1) % ports_.size();
      poll_until([&] { return stop_.load(); }, 50ms);
    }
  }
}

bool ChaosLoad::wait_for_progress(std::size_t since, std::size_t more,
                                  milliseconds timeout) const {
  return poll_until([&] { return acknowledged_count_ >= since + more; }, timeout);
}

void ChaosLoad::stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::map<std::string, std::string> ChaosLoad::acknowledged() const {
  std::map<std::string, std::string> all;
  for (const Writer& writer : writers_)
    all.insert(writer.acknowledged.begin(), writer.acknowledged.end());
  return all;
}

std::map<std::string, std::string> ChaosLoad::attempted() const {
  std::map<std::string, std::string> all;
  for (const Writer& writer : writers_)
    all.insert(writer.attempted.begin(), writer.attempted.end());
  return all;
}

}  // namespace keepdb::integration
