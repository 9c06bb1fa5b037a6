// Concurrent pipelined SET load with acknowledgement tracking.
#include "tests/integration/durability/write_load.h"

#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {

namespace {

constexpr int kBatch = 16;  // SETs per pipeline, plus one sequence-key SET

}  // namespace

WriteLoad::WriteLoad(std::uint16_t port, int clients) : port_(port), writers_(clients) {
  running_ = clients;
  for (int client = 0; client < clients; ++client) {
    threads_.emplace_back([this, client] { run_writer(client, writers_[client]); });
  }
}

WriteLoad::~WriteLoad() {
  stop();
}

void WriteLoad::run_writer(int client, Writer& writer) {
  try {
    RawClient connection(port_);
    const std::string prefix = "w" + std::to_string(client) + ":";
    for (std::int64_t batch = 0; !stop_; ++batch) {
      std::vector<std::vector<std::string>> sets;
      for (int i = 0; i < kBatch; ++i) {
        const std::string n = std::to_string(batch * kBatch + i);
        sets.push_back({"SET", prefix + n, "value-" + prefix + n});
      }
      sets.push_back({"SET", sequence_key(client), std::to_string(batch)});
      std::string requests;
      for (const auto& set : sets) requests += encode_command(set);
      if (!connection.send(requests)) break;
      for (const auto& set : sets) {
        if (connection.read_reply().text != "OK") throw std::runtime_error("SET not acknowledged");
        if (set[1] == sequence_key(client)) {
          writer.last_sequence = batch;
        } else {
          writer.acknowledged.emplace_back(set[1], set[2]);
          ++acknowledged_count_;
        }
      }
    }
  } catch (const std::exception&) {
    // The server went away (killed or shut down): the load ends here.
  }
  --running_;
}

bool WriteLoad::wait_for_acknowledged(std::size_t count, milliseconds timeout) {
  return poll_until([&] { return acknowledged_count_ >= count; }, timeout);
}

void WriteLoad::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  last_sequence_.clear();
  for (const Writer& writer : writers_) last_sequence_.push_back(writer.last_sequence);
}

void WriteLoad::stop() {
  stop_ = true;
  join();
}

bool WriteLoad::wait_finished(milliseconds timeout) {
  if (!poll_until([&] { return running_ == 0; }, timeout)) return false;
  join();
  return true;
}

std::map<std::string, std::string> WriteLoad::acknowledged() const {
  std::map<std::string, std::string> all;
  for (const Writer& writer : writers_)
    all.insert(writer.acknowledged.begin(), writer.acknowledged.end());
  return all;
}

}  // namespace keepdb::integration
