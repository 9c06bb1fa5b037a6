#!/usr/bin/env python3
"""redis-py's database paths against a keepd at 127.0.0.1:PORT (argv[1]): Redis(db=3)
(the client sends SELECT 3 on each new connection), its pipeline() transaction and a
non-transaction pipeline in database 3, WATCH in database 3, MOVE, SWAPDB, FLUSHDB and
FLUSHALL, CLIENT INFO's db field, and the empty key. Prints "ok" and exits 0, or raises."""
import sys

import redis

port = int(sys.argv[1])
zero = redis.Redis(host="127.0.0.1", port=port)
three = redis.Redis(host="127.0.0.1", port=port, db=3)

zero.flushall()
three.set("py:k", "three")
assert zero.get("py:k") is None
assert three.get("py:k") == b"three"
assert three.client_info()["db"] == 3
assert three.dbsize() == 1 and zero.dbsize() == 0

# pipeline() is a MULTI/EXEC transaction, run in database 3.
with three.pipeline() as pipe:
    pipe.set("py:t", "1").incr("py:t").get("py:t").exists("py:k")
    assert pipe.execute() == [True, 2, b"2", 1]
assert zero.exists("py:t") == 0

with three.pipeline(transaction=False) as pipe:
    pipe.set("py:p", "x").get("py:p").dbsize()
    assert pipe.execute() == [True, b"x", 3]

# WATCH in database 3: a write to the same name in database 0 does not abort it, one in
# database 3 does.
with three.pipeline() as pipe:
    pipe.watch("py:w")
    zero.set("py:w", "elsewhere")
    pipe.multi()
    pipe.set("py:w", "mine")
    assert pipe.execute() == [True]
with three.pipeline() as pipe:
    pipe.watch("py:w")
    redis.Redis(host="127.0.0.1", port=port, db=3).set("py:w", "theirs")
    pipe.multi()
    pipe.set("py:w", "mine again")
    try:
        pipe.execute()
        raise AssertionError("EXEC should have been aborted by the write in database 3")
    except redis.WatchError:
        pass
assert three.get("py:w") == b"theirs"

def transfer(pipe):
    value = int(pipe.get("py:t"))
    pipe.multi()
    pipe.set("py:t", value + 10)
three.transaction(transfer, "py:t")
assert three.get("py:t") == b"12"

assert three.move("py:k", 0) is True
assert zero.get("py:k") == b"three" and three.get("py:k") is None
assert zero.swapdb(0, 3) is True
assert three.get("py:k") == b"three" and zero.get("py:t") == b"12"

three.set("", "empty key")
assert three.get("") == b"empty key"
assert b"" in three.keys("*")

assert three.flushdb() is True
assert three.dbsize() == 0 and zero.dbsize() > 0
assert zero.flushall() is True
assert zero.dbsize() == 0
print("ok")
