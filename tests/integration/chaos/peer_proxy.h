// PeerProxy: a TCP proxy in front of one node's peer port that can cut the links of chosen
// dialers, for partition tests with real isolation. The cluster's roster names the proxy's
// port as the node's peer address, so every peer connection to the node passes through it.
// The proxy reads the dialer's HELLO frame (which names the dialing node's id, in clear text
// before the authenticated handshake), then splices bytes both ways untouched. block(id)
// closes that dialer's live connections to this node and refuses its new ones; a partition of
// node L from the others is block(others) on L's proxy plus block(L) on theirs.
//
// Thread-safety: block/unblock_all from any thread. Lifetime: the destructor closes the
// listener and every connection, and joins the threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <set>
#include <thread>

namespace keepdb::integration {

class PeerProxy {
 public:
  // Listens on a free loopback port; forwards to 127.0.0.1:target_port.
  explicit PeerProxy(std::uint16_t target_port);
  ~PeerProxy();
  PeerProxy(const PeerProxy&) = delete;
  PeerProxy& operator=(const PeerProxy&) = delete;

  std::uint16_t port() const { return port_; }
  void block(std::uint64_t dialer);
  void unblock_all();

 private:
  struct Link {
    std::uint64_t dialer = 0;
    int from_dialer = -1;
    int to_node = -1;
    std::thread upstream, downstream;
  };
  void accept_loop();
  void serve(int client);
  bool blocked(std::uint64_t dialer);

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> closing_{false};
  std::mutex mutex_;  // guards blocked_ and links_
  std::set<std::uint64_t> blocked_;
  std::list<Link> links_;
  std::list<std::thread> handshakes_;
  std::thread acceptor_;
};

}  // namespace keepdb::integration
