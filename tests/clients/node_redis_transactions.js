// node-redis's own transaction paths against a keepd at 127.0.0.1:PORT (argv[2]): multi()
// chains, a run-time error inside EXEC, an error while queueing, the WATCH retry loop on an
// isolated connection with a conflicting writer (WatchError), and a plain pipeline.
// Prints "ok" and exits 0, or exits 1 with the failure.
"use strict";
const assert = require("node:assert/strict");
const { createClient, WatchError } = require("redis");

async function main(port) {
  const options = { socket: { host: "127.0.0.1", port, reconnectStrategy: false } };
  const r = await createClient(options).on("error", () => {}).connect();
  const other = await createClient(options).on("error", () => {}).connect();
  try {
    // multi(): queued, one EXEC, replies in order.
    assert.deepEqual(await r.multi().set("nr:k", "1").incr("nr:k").get("nr:k").mGet(["nr:k", "nr:none"]).exec(),
                     ["OK", 2, "2", ["2", null]]);

    // A run-time error inside EXEC rejects exec() with the error in its replies; the other
    // commands still apply.
    await r.set("nr:s", "abc");
    await assert.rejects(r.multi().incr("nr:s").set("nr:after", "yes").exec(), (error) => {
      assert.match(String(error.replies?.[0] ?? error), /not an integer/);
      return true;
    });
    assert.equal(await r.get("nr:after"), "yes");

    // An error while queueing aborts the whole transaction.
    await assert.rejects(r.multi().set("nr:never", "1").addCommand(["INCR"]).exec(), /EXECABORT|wrong number/);
    assert.equal(await r.get("nr:never"), null);

    // WATCH on a dedicated connection: another connection's write makes exec() throw
    // WatchError, and a retry commits.
    await r.set("nr:balance", "10");
    let attempts = 0;
    for (;;) {
      attempts += 1;
      await r.watch("nr:balance");
      const balance = Number(await r.get("nr:balance"));
      if (attempts === 1) await other.incrBy("nr:balance", 5);  // a conflicting write
      try {
        await r.multi().set("nr:balance", String(balance + 1)).exec();
        break;
      } catch (error) {
        if (!(error instanceof WatchError)) throw error;
      }
    }
    assert.equal(attempts, 2);
    assert.equal(await r.get("nr:balance"), "16");

    // execAsPipeline(): the same chain without MULTI/EXEC.
    assert.deepEqual(await r.multi().set("nr:p", "x").append("nr:p", "y").get("nr:p").execAsPipeline(),
                     ["OK", 2, "xy"]);
  } finally {
    r.destroy();
    other.destroy();
  }
}

main(Number(process.argv[2])).then(() => console.log("ok"), (error) => {
  console.error(error);
  process.exit(1);
});
