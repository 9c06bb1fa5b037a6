#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan) in build-fuzz/ and
# runs each for FUZZ_SECONDS (default 30; 0 skips fuzzing) starting from a scratch copy of
# its seed corpus, tests/testdata/fuzz/<target>/, with the libFuzzer flags on the one line
# of tests/testdata/fuzz/<target>.flags where there is one (a dictionary, say). libFuzzer
# runs every seed first, so the crash inputs kept there as regression seeds are replayed on
# every run. A crash fails the run and leaves its input in build-fuzz/crashes/<target>/:
# fix the bug, then add the input to the seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
if [ "$FUZZ_SECONDS" -eq 0 ]; then
  echo "fuzz: skipped (FUZZ_SECONDS=0)"
  exit 0
fi
targets=(resp_parser_fuzz config_fuzz op_batch_fuzz glob_fuzz peer_frame_fuzz tokens_file_fuzz
         tls_session_fuzz jwt_fuzz command_fuzz audit_verify_fuzz segment_log_fuzz connection_fuzz
         connection_auth_fuzz connection_cluster_fuzz connection_tls_fuzz
         connection_cluster_tls_fuzz)

cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DKEEPDB_FUZZ=ON -DKEEPDB_BUILD_BENCH=OFF \
  -DKEEPDB_WERROR=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for target in "${targets[@]}"; do
  corpus=$(mktemp -d)
  cp -r "tests/testdata/fuzz/$target/." "$corpus/"
  mkdir -p "build-fuzz/crashes/$target"
  log="build-fuzz/$target.log"
  flags=()
  if [ -f "tests/testdata/fuzz/$target.flags" ]; then
    read -ra flags <"tests/testdata/fuzz/$target.flags"
  fi
  if ! "build-fuzz/tests/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
      -rss_limit_mb=2048 "${flags[@]}" -artifact_prefix="build-fuzz/crashes/$target/" \
      "$corpus" 2>"$log"; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED; the input is in build-fuzz/crashes/$target/" >&2
    exit 1
  fi
  echo "fuzz: $target: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" | tail -n 1)"
  rm -rf "$corpus"
done
