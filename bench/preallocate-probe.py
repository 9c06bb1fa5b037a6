#!/usr/bin/env python3
# What the raft log's zero-filled preallocation saves per sync (storage/segment_log.h): times
# a loop of record write + fdatasync into a file that grows with every write, and into one
# that grows in zero-filled steps (the records then overwrite blocks the file already has),
# as SegmentLog does with SegmentLogOptions::preallocate_bytes. Prints wall time, CPU time
# (user+sys of this process) and p99 per sync for each, in alternating rounds.
#   bench/preallocate-probe.py [record_bytes=7000] [syncs=5000] [step_bytes=262144] [dir=/tmp]
#                              [rounds=3]
# 7000 bytes is about one group-commit batch at 50 clients with 256-byte values; 300 is one
# SET at a time.
import os
import resource
import sys
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(path, record_bytes, syncs, step_bytes):
    """Per-sync wall and CPU microseconds and p99 wall; step_bytes 0: plain appends."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    record = b"x" * record_bytes
    zeros = b"\0" * step_bytes
    end = 0
    allocated = 0
    latencies = []
    try:
        wall_start, cpu_start = time.perf_counter(), cpu_seconds()
        for _ in range(syncs):
            start = time.perf_counter()
            os.pwrite(fd, record, end)
            end += record_bytes
            if step_bytes and end > allocated:
                allocated = (end // step_bytes + 1) * step_bytes
                os.pwrite(fd, zeros[: allocated - end], end)
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - start)
        wall, cpu = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    finally:
        os.close(fd)
        os.unlink(path)
    latencies.sort()
    return wall / syncs * 1e6, cpu / syncs * 1e6, latencies[int(syncs * 0.99)] * 1e6


def main():
    record_bytes = int(sys.argv[1]) if len(sys.argv) > 1 else 7000
    syncs = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    step_bytes = int(sys.argv[3]) if len(sys.argv) > 3 else 256 << 10
    directory = sys.argv[4] if len(sys.argv) > 4 else "/tmp"
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    path = os.path.join(directory, f"keepdb-preallocate-probe-{os.getpid()}")
    print(f"{syncs} syncs of {record_bytes}-byte records, zero-filled steps of {step_bytes} bytes")
    for round_number in range(1, rounds + 1):
        for label, step in (("appends", 0), ("preallocated", step_bytes)):
            wall, cpu, p99 = run(path, record_bytes, syncs, step)
            print(f"round {round_number} {label:>12}: wall {wall:6.1f} us, cpu {cpu:5.1f} us, "
                  f"p99 {p99:6.0f} us per sync", flush=True)


if __name__ == "__main__":
    main()
