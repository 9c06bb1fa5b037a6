// A running KeepDB node: wires storage, the write path, the command layer and the client
// listener together from a Config, runs the network thread until SIGTERM/SIGINT, and
// shuts down gracefully (stop accepting, finish in-flight writes, close LMDB).
#pragma once

#include "kernel/config/config.h"

namespace keepdb::node {

// Runs a node in the calling thread until it is told to stop. Returns the process exit
// code; start-up failures are logged with their reason and return 1.
int run(const config::Config& config);

}  // namespace keepdb::node
