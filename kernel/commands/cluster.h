// What commands see of the cluster: status for INFO, the member list and membership
// changes for the KEEPDB.* admin commands, and the read barrier that makes reads
// linearizable. The node implements it over consensus; without one (unit tests) the
// NodeContext holds none and reads run at once.
//
// Thread-safety: network thread only; callbacks run there, never inside the call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace keepdb::commands {

class Cluster {
 public:
  struct Status {
    std::uint64_t self_id = 0;
    std::string role;             // "leader", "follower", "candidate" or "unavailable"
    bool ready = true;            // a leader whose election barrier has applied
    std::uint64_t leader_id = 0;  // 0: unknown
    std::string leader_client_address;
    std::uint64_t term = 0;
    std::uint64_t commit_index = 0;
    std::uint64_t applied_index = 0;
    std::uint64_t last_log_index = 0;
  };
  struct Member {
    std::uint64_t id = 0;
    std::string peer_address;
    std::string client_address;
    std::string role;  // "voter", "standby" or "spare"
  };
  // An error line without the leading '-' ("TRYAGAIN no leader"), or nullopt on success.
  using Done = std::function<void(std::optional<std::string> error)>;

  virtual ~Cluster() = default;

  virtual Status status() const = 0;
  virtual std::vector<Member> members() const = 0;
  // Other voters known to hold every write this node has committed (WAIT's answer).
  virtual std::size_t replicas_in_sync() const = 0;

  // Runs `done` once a read issued now may be served from local state linearizably.
  virtual void wait_linearizable(Done done) = 0;
  // Whether a read issued now may be served from local state linearizably at once, without
  // waiting (a sole voter that leads): wait_linearizable() would only post its success.
  virtual bool linearizable_now() const = 0;

  // Leader only. Adds a spare, waits for it to catch up, then promotes it to voter.
  virtual void add_member(std::uint64_t id, const std::string& peer_address,
                          const std::string& client_address, Done done) = 0;
  virtual void remove_member(std::uint64_t id, Done done) = 0;
  // id 0: let raft pick the most up-to-date voter.
  virtual void transfer_leadership(std::uint64_t id, Done done) = 0;
  // Leader only. A Raft snapshot covering every write applied now (SAVE, BGSAVE); `done`
  // runs once it is stored.
  virtual void snapshot(Done done) = 0;
};

}  // namespace keepdb::commands
