#!/usr/bin/env python3
"""redis-py's own transaction paths against a keepd at 127.0.0.1:PORT (argv[1]):
pipeline() (a MULTI/EXEC transaction by default), errors inside EXEC, the WATCH / MULTI
optimistic-locking loop with a conflicting writer on another connection, and
Redis.transaction(). Prints "ok" and exits 0, or raises."""
import sys

import redis

port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port)
other = redis.Redis(host="127.0.0.1", port=port)

# pipeline() is transaction=True: queued, one EXEC, replies in order.
with r.pipeline() as pipe:
    pipe.set("py:k", "1").incr("py:k").get("py:k").mget("py:k", "py:none")
    assert pipe.execute() == [True, 2, b"2", [b"2", None]]

# A run-time error is a reply inside EXEC: the other commands still apply.
r.set("py:s", "abc")
with r.pipeline() as pipe:
    pipe.incr("py:s").set("py:after", "yes")
    results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError), results
    assert results[1] is True
assert r.get("py:after") == b"yes"

# An error while queueing (unknown command) aborts the whole transaction.
with r.pipeline() as pipe:
    pipe.set("py:never", "1").execute_command("NOSUCHCOMMAND")
    try:
        pipe.execute()
        raise AssertionError("EXEC should have aborted")
    except redis.ResponseError:
        pass
assert r.get("py:never") is None

# WATCH: another connection's write aborts the transaction (WatchError), and a retry runs.
r.set("py:balance", "10")
attempts = 0
with r.pipeline() as pipe:
    while True:
        attempts += 1
        try:
            pipe.watch("py:balance")
            balance = int(pipe.get("py:balance"))
            if attempts == 1:
                other.incrby("py:balance", 5)  # a conflicting write after WATCH
            pipe.multi()
            pipe.set("py:balance", balance + 1)
            pipe.execute()
            break
        except redis.WatchError:
            continue
assert attempts == 2, attempts
assert r.get("py:balance") == b"16"

# Redis.transaction(): WATCH, the function, MULTI/EXEC, retried on WatchError.
def double(pipe):
    value = int(pipe.get("py:balance"))
    pipe.multi()
    pipe.set("py:balance", value * 2)

r.transaction(double, "py:balance")
assert r.get("py:balance") == b"32"

print("ok")
