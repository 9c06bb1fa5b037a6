// The write and read paths told as transcripts (tests/testdata/write_path/*.txt): each file
// drives a WriteCluster (write_cluster.h) with the commands below and checks the event log.
//
//   cluster nodes=N [commit=2ms] [follower-apply=1ms] [gather=1ms] [delay=1ms]
//           [forward-timeout=10s] [read-timeout=5s]      a new cluster, no leader yet
//   elect N | elect none                                  a new term (fake_raft.h)
//   write N CLIENT [roles=read,write,admin] ARGS...       a client's write at server N
//   read N CLIENT                                         a client's linearizable read
//   run DURATION                                          e.g. 500us, 3ms, 10s
//   settle                                                run until no event is left
//   cut A B | heal                                        the link A->B down / all links up
//   hold-commits | release-commits                        no entry commits while held
//   refuse-writes N TEXT... | accept-writes N             a storage refusal at server N
//   unavailable N                                         server N turns UNAVAILABLE
//   stats N                                               batches and writes of server N
//   state                                                 each server's role and applied index
//
// Output: the event log lines of the case (time since the cluster started, in ms), then
// what stats and state print.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/write/transcript.h"
#include "tests/unit/write/write_cluster.h"

using keepdb::consensus::testing::WriteCluster;
using keepdb::consensus::testing::WriteClusterOptions;
using keepdb::testing::TranscriptCommand;

namespace {

const std::string kTestdata = KEEPDB_SOURCE_DIR "/tests/testdata/write_path/";

std::uint64_t parse_us(const std::string& text) {
  std::size_t digits = 0;
  const std::uint64_t value = std::stoull(text, &digits);
  const std::string unit = text.substr(digits);
  if (unit == "us") return value;
  if (unit == "ms") return value * 1000;
  if (unit == "s") return value * 1'000'000;
  throw std::invalid_argument("'" + text + "' is not a duration (us, ms, s)");
}

raft_id parse_node(const std::string& text) {
  if (text.size() < 2 || text[0] != 'n') throw std::invalid_argument("'" + text + "' is not a node (n1)");
  return std::stoull(text.substr(1));
}

std::uint32_t parse_roles(const std::string& text) {
  std::uint32_t roles = 0;
  std::istringstream names(text);
  for (std::string name; std::getline(names, name, ',');) {
    if (name == "read") roles |= keepdb::commands::kRoleRead;
    else if (name == "write") roles |= keepdb::commands::kRoleWrite;
    else if (name == "admin") roles |= keepdb::commands::kRoleAdmin;
    else if (name != "none") throw std::invalid_argument("unknown role '" + name + "'");
  }
  return roles;
}

class TranscriptRunner {
 public:
  std::string run(const std::vector<TranscriptCommand>& commands) {
    std::vector<std::string> printed;
    for (const TranscriptCommand& command : commands) {
      execute(command, printed);
      if (cluster_) {
        for (std::string& event : cluster_->take_events()) output_.push_back(std::move(event));
      }
      for (std::string& line : printed) output_.push_back(std::move(line));
      printed.clear();
    }
    std::string text;
    for (const std::string& line : output_) text += (text.empty() ? "" : "\n") + line;
    output_.clear();
    return text;
  }

 private:
  WriteCluster& cluster() {
    if (!cluster_) throw std::invalid_argument("no cluster yet: start with 'cluster'");
    return *cluster_;
  }

  void execute(const TranscriptCommand& command, std::vector<std::string>& printed) {
    const auto& args = command.args;
    const auto need = [&](std::size_t count) {
      if (args.size() < count) throw std::invalid_argument("'" + command.line + "': too few arguments");
    };
    if (command.name == "cluster") {
      WriteClusterOptions options;
      options.nodes = std::stoull(command.option("nodes"));
      options.raft.commit_us = parse_us(command.option_or("commit", "2ms"));
      options.raft.follower_apply_us = parse_us(command.option_or("follower-apply", "1ms"));
      options.max_gather_wait = std::chrono::microseconds(parse_us(command.option_or("gather", "1ms")));
      options.network_delay_ms = parse_us(command.option_or("delay", "1ms")) / 1000;
      options.forward_timeout =
          std::chrono::milliseconds(parse_us(command.option_or("forward-timeout", "10s")) / 1000);
      options.read_timeout =
          std::chrono::milliseconds(parse_us(command.option_or("read-timeout", "5s")) / 1000);
      cluster_.reset();
      cluster_ = std::make_unique<WriteCluster>(options);
    } else if (command.name == "elect") {
      need(1);
      cluster().raft().elect(args[0] == "none" ? 0 : parse_node(args[0]));
    } else if (command.name == "write") {
      need(3);
      keepdb::commands::Caller caller{"default", keepdb::commands::kAllRoles};
      std::size_t first = 2;
      for (; first < args.size() && args[first].find('=') != std::string::npos; ++first) {
        const std::string& option = args[first];
        if (option.rfind("roles=", 0) != 0) throw std::invalid_argument("unknown option " + option);
        caller.roles = parse_roles(option.substr(6));
      }
      cluster().write(parse_node(args[0]), args[1],
                      std::vector<std::string>(args.begin() + static_cast<long>(first), args.end()),
                      caller);
    } else if (command.name == "read") {
      need(2);
      cluster().read(parse_node(args[0]), args[1]);
    } else if (command.name == "run") {
      need(1);
      cluster().run_for_us(parse_us(args[0]));
    } else if (command.name == "settle") {
      cluster().settle();
    } else if (command.name == "cut") {
      need(2);
      cluster().network().set_link(parse_node(args[0]), parse_node(args[1]), false);
    } else if (command.name == "heal") {
      cluster().network().heal();
    } else if (command.name == "hold-commits") {
      cluster().raft().hold_commits(true);
    } else if (command.name == "release-commits") {
      cluster().raft().hold_commits(false);
    } else if (command.name == "refuse-writes") {
      need(2);
      std::string text;
      for (std::size_t i = 1; i < args.size(); ++i) text += (i == 1 ? "" : " ") + args[i];
      cluster().raft().replica(parse_node(args[0])).set_write_refusal(text);
    } else if (command.name == "accept-writes") {
      need(1);
      cluster().raft().replica(parse_node(args[0])).set_write_refusal(std::nullopt);
    } else if (command.name == "unavailable") {
      need(1);
      cluster().raft().replica(parse_node(args[0])).set_unavailable(true);
    } else if (command.name == "stats") {
      need(1);
      const auto& stats = cluster().node(parse_node(args[0])).stats();
      printed.push_back(args[0] + " write_batches=" + std::to_string(stats.write_batches) +
                        " writes_applied=" + std::to_string(stats.writes_applied));
    } else if (command.name == "state") {
      for (std::size_t id = 1; id <= cluster().size(); ++id) {
        const auto& replica = cluster().node(id).replica();
        printed.push_back("n" + std::to_string(id) + " " +
                          (replica.unavailable() ? "unavailable"
                           : replica.ready()     ? "leader (ready)"
                           : replica.leader()    ? "leader (not ready)"
                                                 : "follower") +
                          " applied=#" + std::to_string(replica.applied_index()) +
                          " x=" + std::to_string(replica.counter("x")));
      }
    } else {
      throw std::invalid_argument("unknown command '" + command.name + "'");
    }
  }

  std::unique_ptr<WriteCluster> cluster_;
  std::vector<std::string> output_;
};

void run_file(const std::string& name) {
  TranscriptRunner runner;
  keepdb::testing::run_transcript(kTestdata + name, [&](const std::vector<TranscriptCommand>& commands) {
    return runner.run(commands);
  });
}

// Every file in the folder has a test case below, so a new transcript is not silently skipped.
const std::set<std::string> kTranscripts = {
    "group_commit.txt", "forwarding.txt", "leader_change.txt", "read_rounds.txt", "refusals.txt"};

}  // namespace

TEST_CASE("every write-path transcript is run", "[transcript]") {
  std::set<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    if (entry.path().extension() == ".txt") found.insert(entry.path().filename().string());
  }
  CHECK(found == kTranscripts);
}

TEST_CASE("transcript: group commit on one server", "[transcript][group_commit]") {
  run_file("group_commit.txt");
}

TEST_CASE("transcript: forwarding from followers", "[transcript][forwarder]") {
  run_file("forwarding.txt");
}

TEST_CASE("transcript: leader changes in the middle of writes", "[transcript][raft_sink]") {
  run_file("leader_change.txt");
}

TEST_CASE("transcript: read rounds", "[transcript][read_barrier]") {
  run_file("read_rounds.txt");
}

TEST_CASE("transcript: refusals (no leader, storage, unavailable)", "[transcript][raft_sink]") {
  run_file("refusals.txt");
}
