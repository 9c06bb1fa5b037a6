#!/usr/bin/env bash
# chaos.sh: the long version of the chaos test (tests/integration/chaos/): a 3-node cluster
# on loopback under a write load that fails over between nodes, with the leader and
# followers kill -9'd and restarted in turn for CYCLES cycles (100 by default). At the end
# every node must hold every acknowledged write, no value nobody wrote, and the same data
# as the others. Prints the test's summary line and exits non-zero on any failure.
#
# Usage: bench/chaos.sh                 (builds keepd and the test, Release, in build-chaos/)
# Knobs (env): CYCLES=100  BUILD=build-chaos
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLES=${CYCLES:-100}
BUILD=${BUILD:-build-chaos}

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target keepd integration_chaos >/dev/null
started=$SECONDS
KEEPDB_CHAOS_CYCLES=$CYCLES "$BUILD/tests/integration/chaos/integration_chaos" --success \
  --reporter compact '[chaos]' | grep -E 'chaos:|passed|failed' | tail -3
echo "chaos.sh: $CYCLES cycles in $((SECONDS - started)) s"
