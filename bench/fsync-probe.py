#!/usr/bin/env python3
# The disk floor under concurrency: times a loop of 300-byte append + fdatasync on one file,
# or on N files at once (one process each), and prints each loop's p50. Used to tell how much
# of a 3-node cluster's commit latency comes from its members fsyncing on one shared disk.
#   bench/fsync-probe.py [streams=1] [iterations=2000] [dir=/tmp]
import os
import statistics
import sys
import time


def probe(path, iterations):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    latencies = []
    try:
        for _ in range(iterations):
            start = time.perf_counter()
            os.write(fd, b"x" * 300)
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    return statistics.median(latencies) * 1000


def main():
    streams = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    directory = sys.argv[3] if len(sys.argv) > 3 else "/tmp"
    children = []
    for stream in range(streams):
        pid = os.fork()
        if pid == 0:
            path = os.path.join(directory, f"keepdb-fsync-probe-{os.getpid()}")
            print(f"stream {stream}: p50 {probe(path, iterations):.3f} ms", flush=True)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
