// ioredis's own transaction paths against a keepd at 127.0.0.1:PORT (argv[2]): multi()
// chains, a run-time error inside EXEC, an error while queueing (EXECABORT), the WATCH
// retry loop with a conflicting writer on another connection, and a non-transaction
// pipeline. Prints "ok" and exits 0, or exits 1 with the failure.
"use strict";
const assert = require("node:assert/strict");
const Redis = require("ioredis");

async function main(port) {
  const options = { host: "127.0.0.1", port, maxRetriesPerRequest: 0, enableOfflineQueue: true };
  const r = new Redis(options);
  const other = new Redis(options);
  try {
    // multi(): queued, one EXEC, [error, reply] pairs in order.
    assert.deepEqual(await r.multi().set("io:k", "1").incr("io:k").get("io:k").mget("io:k", "io:none").exec(),
                     [[null, "OK"], [null, 2], [null, "2"], [null, ["2", null]]]);

    // A run-time error is a reply inside EXEC: the other commands still apply.
    await r.set("io:s", "abc");
    const results = await r.multi().incr("io:s").set("io:after", "yes").exec();
    assert.ok(results[0][0] instanceof Error, String(results[0][0]));
    assert.match(results[0][0].message, /not an integer/);
    assert.deepEqual(results[1], [null, "OK"]);
    assert.equal(await r.get("io:after"), "yes");

    // An error while queueing (wrong arity) aborts the whole transaction.
    await assert.rejects(r.multi().set("io:never", "1").call("incr").exec(), /EXECABORT/);
    assert.equal(await r.get("io:never"), null);

    // WATCH: another connection's write aborts EXEC (null), and a retry commits.
    await r.set("io:balance", "10");
    let attempts = 0;
    for (;;) {
      attempts += 1;
      await r.watch("io:balance");
      const balance = Number(await r.get("io:balance"));
      if (attempts === 1) await other.incrby("io:balance", 5);  // a conflicting write
      const committed = await r.multi().set("io:balance", String(balance + 1)).exec();
      if (committed !== null) break;
    }
    assert.equal(attempts, 2);
    assert.equal(await r.get("io:balance"), "16");

    // UNWATCH and DISCARD.
    await r.watch("io:balance");
    assert.equal(await r.unwatch(), "OK");
    await other.set("io:balance", "1");
    assert.deepEqual(await r.multi().get("io:balance").exec(), [[null, "1"]]);
    assert.equal(await r.multi({ pipeline: false }), "OK");
    assert.equal(await r.set("io:discarded", "1"), "QUEUED");
    assert.equal(await r.discard(), "OK");
    assert.equal(await r.exists("io:discarded"), 0);

    // pipeline() is not a transaction: plain commands, replies in order.
    assert.deepEqual(await r.pipeline().set("io:p", "x").append("io:p", "y").get("io:p").exec(),
                     [[null, "OK"], [null, 2], [null, "xy"]]);
  } finally {
    r.disconnect();
    other.disconnect();
  }
}

main(Number(process.argv[2])).then(() => console.log("ok"), (error) => {
  console.error(error);
  process.exit(1);
});
