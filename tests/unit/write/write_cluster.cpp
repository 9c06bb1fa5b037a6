// WriteCluster: wiring each server's write path, clients, and the event log.
#include "tests/unit/write/write_cluster.h"

#include <cstdio>
#include <string_view>
#include <utility>

namespace keepdb::consensus::testing {
namespace {

// The batch time group commit stamps: a fixed Unix time plus the virtual clock.
constexpr std::uint64_t kUnixStartMs = 1'700'000'000'000;

std::string node_name(raft_id id) { return "n" + std::to_string(id); }

}  // namespace

std::string describe_reply(const commands::Reply& reply) {
  switch (reply.kind) {
    case commands::Reply::Kind::kOk: return "+OK";
    case commands::Reply::Kind::kError: return "-" + reply.text;
    case commands::Reply::Kind::kInteger: return ":" + std::to_string(reply.integer);
    case commands::Reply::Kind::kBulk: return "$" + reply.text;
    case commands::Reply::Kind::kNull: return "(nil)";
    case commands::Reply::Kind::kEncoded: return "encoded " + reply.text;
  }
  return "?";
}

void WriteNode::TracedSink::commit(std::string batch, std::vector<commands::Caller> callers,
                                   Done done) {
  cluster_.note(node_name(id_) + " batch: " + describe_batch(batch));
  inner_.commit(std::move(batch), std::move(callers), std::move(done));
}

WriteNode::WriteNode(WriteCluster& cluster, raft_id id, const WriteClusterOptions& options)
    : id_(id),
      executor_(cluster.scheduler()),
      replica_(cluster.raft().add(id)),
      endpoint_(cluster.network().add_endpoint(id, node_name(id))),
      forwarder_(executor_, endpoint_, replica_, options.forward_timeout),
      sink_(executor_, replica_, forwarder_),
      traced_sink_(cluster, id, sink_),
      group_commit_(executor_, traced_sink_, stats_, keepdb::config::kDefaultDatabases,
                    keepdb::config::Limits{}.max_bulk_bytes,
                    options.max_gather_wait,
                    [&scheduler = cluster.scheduler()] { return kUnixStartMs + scheduler.now_ms(); }),
      reads_(executor_, replica_, forwarder_, options.read_timeout),
      service_(endpoint_, replica_, group_commit_, reads_) {
  // As kernel/node/node.cpp wires the TCP transport.
  endpoint_.set_forward_receiver([this](raft_id from, FrameType type, std::vector<std::uint8_t> body) {
    if (type == FrameType::kForward) {
      service_.on_request(from, body);
    } else {
      forwarder_.on_reply(from, body);
    }
  });
}

WriteCluster::WriteCluster(WriteClusterOptions options)
    : start_us_(scheduler_.now_us()),
      raft_(scheduler_, options.raft),
      network_(scheduler_, options.seed) {
  network_.set_faults({.drop_probability = 0,
                       .duplicate_probability = 0,
                       .min_delay_ms = options.network_delay_ms,
                       .max_delay_ms = options.network_delay_ms});
  raft_.set_trace([this](const std::string& line) { note(line); });
  for (raft_id id = 1; id <= options.nodes; ++id) {
    nodes_.emplace(id, std::make_unique<WriteNode>(*this, id, options));
  }
}

WriteCluster::~WriteCluster() {
  raft_.set_trace(nullptr);
  nodes_.clear();  // before the raft group and the network they refer to
}

void WriteCluster::elect_and_settle(raft_id id) {
  raft_.elect(id);
  settle();
}

void WriteCluster::write(raft_id node, const std::string& client,
                         const std::vector<std::string>& args, const commands::Caller& caller) {
  const std::vector<std::string_view> views(args.begin(), args.end());
  std::string who = node_name(node) + " " + client;
  nodes_.at(node)->group_commit().propose(
      caller, views, [this, who = std::move(who)](const commands::Reply& reply) {
        note(who + " <- " + describe_reply(reply));
      });
}

void WriteCluster::read(raft_id node, const std::string& client) {
  std::string who = node_name(node) + " " + client;
  nodes_.at(node)->reads().wait(
      [this, who = std::move(who)](std::optional<std::string> error, std::uint64_t index) {
        note(who + " <- " + (error ? "-" + *error : "read at #" + std::to_string(index)));
      });
}

void WriteCluster::settle(std::uint64_t max_ms) {
  scheduler_.run_until([this] { return scheduler_.pending() == 0; }, max_ms);
}

void WriteCluster::note(const std::string& line) {
  const std::uint64_t us = elapsed_us();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%llu.%03llu ", static_cast<unsigned long long>(us / 1000),
                static_cast<unsigned long long>(us % 1000));
  events_.push_back(stamp + line);
}

std::vector<std::string> WriteCluster::take_events() { return std::exchange(events_, {}); }

}  // namespace keepdb::consensus::testing
