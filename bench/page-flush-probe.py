#!/usr/bin/env python3
# The raft log's syncs while the key-value store flushes a window on the same disk: times a
# loop of 5 KiB append + fdatasync (a log batch) for `seconds`, alone, then while a second
# thread writes `pages` random 4 KiB pages into a 256 MiB file and fdatasyncs it every 100 ms
# (an LMDB window commit after random-key writes: one dirty leaf page per key). Prints p50,
# p99, p99.9 and max of the log syncs, and the flush's own sync time. First it measures the
# disk's capacity for such flushes: `pages` random pages written and synced, five times back
# to back, in pages a second. Used to tell whether a cluster's tail latency comes from its
# stores' page writes (bench/README.md).
#   bench/page-flush-probe.py [pages=2000] [seconds=8] [dir=/tmp]
import os
import random
import sys
import threading
import time

PAGE = 4096
STORE_BYTES = 256 << 20


def quantiles(samples):
    samples = sorted(samples)
    at = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
    return f"p50 {at(0.5):.2f} p99 {at(0.99):.2f} p99.9 {at(0.999):.2f} max {samples[-1] * 1000:.2f} ms"


def log_syncs(path, seconds):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    record = os.urandom(5 << 10)
    latencies = []
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            os.write(fd, record)
            os.fdatasync(fd)
            latencies.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    return latencies


def flush_windows(fd, pages, stop, syncs):
    page = os.urandom(PAGE)
    while not stop.is_set():
        for _ in range(pages):
            os.pwrite(fd, page, random.randrange(STORE_BYTES // PAGE) * PAGE)
        start = time.perf_counter()
        os.fdatasync(fd)
        syncs.append(time.perf_counter() - start)
        stop.wait(0.1)


def flush_capacity(fd, pages, rounds=5):
    page = os.urandom(PAGE)
    start = time.perf_counter()
    for _ in range(rounds):
        for _ in range(pages):
            os.pwrite(fd, page, random.randrange(STORE_BYTES // PAGE) * PAGE)
        os.fdatasync(fd)
    return rounds * pages / (time.perf_counter() - start)


def main():
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 8
    directory = sys.argv[3] if len(sys.argv) > 3 else "/tmp"
    log_path = os.path.join(directory, f"keepdb-flush-probe-log-{os.getpid()}")
    store_path = os.path.join(directory, f"keepdb-flush-probe-store-{os.getpid()}")
    fd = os.open(store_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        zeros = bytes(1 << 20)
        for offset in range(0, STORE_BYTES, len(zeros)):  # allocated, as LMDB's pages are
            os.pwrite(fd, zeros, offset)
        os.fsync(fd)
        print(f"random pages written and synced, {pages} a sync, back to back: "
              f"{flush_capacity(fd, pages):,.0f} a second", flush=True)
        print(f"log syncs alone: {quantiles(log_syncs(log_path, seconds))}", flush=True)
        stop = threading.Event()
        syncs = []
        flusher = threading.Thread(target=flush_windows, args=(fd, pages, stop, syncs))
        flusher.start()
        try:
            during = log_syncs(log_path, seconds)
        finally:
            stop.set()
            flusher.join()
        print(f"log syncs while {pages} pages are flushed every 100 ms: {quantiles(during)}")
        print(f"the flush's fdatasync: {quantiles(syncs)}")
    finally:
        os.close(fd)
        for path in (log_path, store_path):
            if os.path.exists(path):
                os.unlink(path)


if __name__ == "__main__":
    main()
