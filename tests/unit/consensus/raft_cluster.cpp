// RaftCluster: server lifecycle (bootstrap, start, stop, restart), proposals and the
// election-safety check of the deterministic consensus harness.
#include "tests/unit/consensus/raft_cluster.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace keepdb::consensus::testing {
namespace {

std::string address_of(raft_id id) {
  return "server-" + std::to_string(id);
}

void require(int rv, const char* what) {
  if (rv != 0) throw std::runtime_error(std::string(what) + ": " + raft_strerror(rv));
}

}  // namespace

RaftCluster::Server::Server(VirtualScheduler& scheduler, MemoryNetwork& network, raft_id id,
                            std::uint64_t disk_latency_ms)
    : executor(scheduler),
      storage(scheduler, disk_latency_ms),
      transport(network.add_endpoint(id, address_of(id))) {}

RaftCluster::RaftCluster(const ClusterOptions& options)
    : options_(options), network_(scheduler_, options.seed) {
  network_.set_faults(options.network);
  for (unsigned i = 0; i < options.servers; ++i) {
    servers_.push_back(
        std::make_unique<Server>(scheduler_, network_, id_of(i), options.disk_latency_ms));
  }
}

RaftCluster::~RaftCluster() {
  for (unsigned i = 0; i < size(); ++i) {
    if (servers_[i]->running) stop(i);
  }
}

void RaftCluster::init_server(unsigned i) {
  Server& server = *servers_[i];
  RaftIoOptions io_options;
  io_options.random_seed = options_.seed * 1000 + i + 1;
  server.io =
      std::make_unique<RaftIo>(server.executor, server.storage, server.transport, io_options);
  require(raft_init(&server.raft, server.io->get(), server.fsm.get(), id_of(i),
                    address_of(id_of(i)).c_str()),
          "raft_init");
  server.raft.data = &server;
  raft_set_heartbeat_timeout(&server.raft, options_.heartbeat_timeout_ms);
  raft_set_election_timeout(&server.raft, options_.election_timeout_ms);
  raft_set_install_snapshot_timeout(&server.raft, options_.install_snapshot_timeout_ms);
  raft_set_snapshot_threshold(&server.raft, options_.snapshot_threshold);
  raft_set_snapshot_trailing(&server.raft, options_.snapshot_trailing);
  raft_set_pre_vote(&server.raft, options_.pre_vote);
}

void RaftCluster::start() {
  raft_configuration configuration;
  raft_configuration_init(&configuration);
  for (unsigned i = 0; i < size(); ++i) {
    require(
        raft_configuration_add(&configuration, id_of(i), address_of(id_of(i)).c_str(), RAFT_VOTER),
        "raft_configuration_add");
  }
  for (unsigned i = 0; i < size(); ++i) {
    init_server(i);
    require(raft_bootstrap(&servers_[i]->raft, &configuration), "raft_bootstrap");
    require(raft_start(&servers_[i]->raft), "raft_start");
    servers_[i]->running = true;
  }
  raft_configuration_close(&configuration);
}

void RaftCluster::stop(unsigned i) {
  Server& server = *servers_[i];
  server.closed = false;
  raft_close(&server.raft, [](raft* r) { static_cast<Server*>(r->data)->closed = true; });
  if (!scheduler_.run_until([&server] { return server.closed; }, 60000)) {
    throw std::runtime_error("raft_close never called back");
  }
  server.io.reset();
  server.running = false;
}

void RaftCluster::start_server(unsigned i) {
  Server& server = *servers_[i];
  server.storage.restart();
  server.fsm.reset();
  init_server(i);
  require(raft_start(&server.raft), "raft_start");
  server.running = true;
}

void RaftCluster::restart(unsigned i) {
  stop(i);
  start_server(i);
}

bool RaftCluster::run_until(const std::function<bool()>& done, std::uint64_t max_ms) {
  return scheduler_.run_until(
      [&] {
        check_safety();
        return done();
      },
      max_ms);
}

void RaftCluster::run_for(std::uint64_t ms) {
  run_until([] { return false; }, ms);
}

void RaftCluster::check_safety() {
  if (!safety_violation_.empty()) return;
  const std::vector<std::uint64_t>* longest = &servers_[0]->fsm.applied();
  for (const auto& server : servers_) {
    if (server->fsm.applied().size() > longest->size()) longest = &server->fsm.applied();
    if (!server->running || raft_state(&server->raft) != RAFT_LEADER) continue;
    const raft_term term = server->raft.current_term;
    auto [known, inserted] = leader_of_term_.emplace(term, server->raft.id);
    if (!inserted && known->second != server->raft.id) {
      safety_violation_ = "two leaders in term " + std::to_string(term);
    }
  }
  for (const auto& server : servers_) {
    const std::vector<std::uint64_t>& applied = server->fsm.applied();
    if (!std::equal(applied.begin(), applied.end(), longest->begin())) {
      safety_violation_ = "server " + std::to_string(server->raft.id) + " applied other commands";
    }
  }
}

int RaftCluster::leader() {
  int found = -1;
  for (unsigned i = 0; i < size(); ++i) {
    Server& server = *servers_[i];
    if (!server.running || raft_state(&server.raft) != RAFT_LEADER) continue;
    if (found < 0 || server.raft.current_term > servers_[found]->raft.current_term) {
      found = static_cast<int>(i);
    }
  }
  return found;
}

bool RaftCluster::wait_for_leader(std::uint64_t max_ms) {
  return run_until([this] { return leader() >= 0; }, max_ms);
}

raft_index RaftCluster::propose(unsigned i, std::uint64_t value) {
  Proposal& proposal = proposals_.emplace_back();
  proposal.request.data = &proposal;
  raft_buffer command = TestFsm::command(value);
  const int rv = raft_apply(&servers_[i]->raft, &proposal.request, &command, 1,
                            [](struct raft_apply* request, int status, void*) {
                              static_cast<Proposal*>(request->data)->status = status;
                            });
  if (rv != 0) {
    raft_free(command.base);  // still ours when raft_apply fails
    return 0;
  }
  return proposal.request.index;
}

raft_index RaftCluster::propose_on_leader(std::uint64_t value) {
  if (!wait_for_leader()) return 0;
  return propose(static_cast<unsigned>(leader()), value);
}

bool RaftCluster::wait_applied(raft_index index, std::vector<unsigned> servers,
                               std::uint64_t max_ms) {
  if (servers.empty()) {
    for (unsigned i = 0; i < size(); ++i) servers.push_back(i);
  }
  return run_until(
      [&] {
        return std::all_of(servers.begin(), servers.end(), [&](unsigned i) {
          return servers_[i]->running && raft_last_applied(&servers_[i]->raft) >= index;
        });
      },
      max_ms);
}

std::string RaftCluster::describe() {
  std::ostringstream out;
  out << "t=" << scheduler_.now_ms() << "ms\n";
  for (unsigned i = 0; i < size(); ++i) {
    struct raft& r = servers_[i]->raft;
    out << "server " << id_of(i);
    if (!servers_[i]->running) {
      out << " stopped\n";
      continue;
    }
    out << " state " << raft_state(&r) << " term " << r.current_term << " last "
        << raft_last_index(&r) << " stored " << r.last_stored << " commit " << r.commit_index
        << " applied " << r.last_applied << " snapshot " << r.log.snapshot.last_index << "\n";
    if (raft_state(&r) != RAFT_LEADER) continue;
    for (unsigned j = 0; j < r.configuration.n; ++j) {
      const raft_progress& progress = r.leader_state.progress[j];
      out << "  -> " << r.configuration.servers[j].id << " mode " << progress.state << " next "
          << progress.next_index << " match " << progress.match_index << " snapshot sent at "
          << progress.snapshot_last_send << "\n";
    }
  }
  return out.str();
}

}  // namespace keepdb::consensus::testing
