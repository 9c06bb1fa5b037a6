// What CLIENT LIST and CLIENT KILL see of the other client connections: each one's session
// and buffer sizes, and a way to close one. The network layer's server implements it; without
// one (unit tests) the NodeContext holds none and those subcommands see only the caller.
//
// Thread-safety: network thread only. The views passed to a visitor live for that call only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "kernel/commands/session.h"

namespace keepdb::commands {

struct ClientView {
  const Session& session;
  int fd = -1;                     // the socket's descriptor
  std::size_t input_bytes = 0;     // received, not yet parsed (Redis's qbuf)
  std::size_t input_capacity = 0;  // the input buffer as allocated
  std::size_t reply_bytes = 0;     // replies produced, not yet written to the socket
  std::uint64_t buffer_bytes = 0;  // every buffer of the connection, as allocated
};

class ClientRegistry {
 public:
  virtual ~ClientRegistry() = default;
  // Calls `visit` once for every open client connection, in id order.
  virtual void for_each_client(const std::function<void(const ClientView&)>& visit) const = 0;
  // Calls `visit` for client `id` if it is open; false when it is not.
  virtual bool visit_client(std::uint64_t id,
                            const std::function<void(const ClientView&)>& visit) const = 0;
  // Closes client `id` now (replies not yet written are dropped) and logs `reason`.
  // False when no such client is open.
  virtual bool kill_client(std::uint64_t id, std::string_view reason) = 0;
};

}  // namespace keepdb::commands
