#!/usr/bin/env bash
# Quick start, command 2: install dependencies, build everything with ASan + UBSan and
# warnings as errors, fuzz every libFuzzer target for a bounded time (scripts/fuzz.sh;
# FUZZ_SECONDS=0 skips it), run the whole suite (unit, plugin ABI, integration) via ctest,
# run it once more under ThreadSanitizer, the keepd nodes the integration tests start
# included (TSAN=0 skips it), then build the server, the plugins and the benchmarks once
# more in Release, without the tests, warnings as errors: the optimizer warns where -O0
# does not, and the benchmarks must build without the tests (bench/README.md's profiling
# build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-layers.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DKEEPDB_SANITIZE=ON -DKEEPDB_WERROR=ON \
  -DKEEPDB_BUILD_BENCH=ON >/dev/null
cmake --build build-test -j"$(nproc)"
scripts/fuzz.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
(cd build-test && ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@")
if [ "${TSAN:-1}" != 0 ]; then
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DKEEPDB_TSAN=ON -DKEEPDB_WERROR=ON \
    -DKEEPDB_BUILD_BENCH=OFF >/dev/null
  cmake --build build-tsan -j"$(nproc)" >/dev/null
  # Every process of the suite (the test binaries and the nodes they start, which inherit
  # TSAN_OPTIONS) writes its reports under build-tsan/tsan-reports: a report from a node
  # that a test stopped or killed fails the stage too, not only one that failed its test.
  reports=$PWD/build-tsan/tsan-reports
  suppressions=$PWD/tests/tsan.supp
  rm -rf "$reports" && mkdir -p "$reports"
  status=0
  (cd build-tsan &&
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$suppressions log_path=$reports/report" \
      ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@") || status=$?
  if [ -n "$(ls -A "$reports")" ]; then
    for report in "$reports"/*; do echo "== $report" && cat "$report"; done
    echo "test.sh: ThreadSanitizer reported (above)" >&2
    exit 1
  fi
  [ "$status" = 0 ] || exit "$status"
  echo "test.sh: the whole suite passed under ThreadSanitizer"
fi
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DKEEPDB_WERROR=ON \
  -DKEEPDB_BUILD_TESTS=OFF -DKEEPDB_BUILD_BENCH=ON >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
echo "test.sh: the Release build (no tests, warnings as errors) built"
