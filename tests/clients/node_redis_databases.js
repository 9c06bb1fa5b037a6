// node-redis with `database: 1` against a keepd at 127.0.0.1:PORT (argv[2]): connect() sends
// SELECT 1 (once refused, which made it retry forever) and resolves; commands, multi() and
// a pipeline then work in database 1. Prints "ok" and exits 0, or exits 1 with the failure.
"use strict";
const assert = require("node:assert/strict");
const { createClient } = require("redis");

async function main(port) {
  const socket = { host: "127.0.0.1", port, reconnectStrategy: false };
  const one = await createClient({ socket, database: 1 }).on("error", () => {}).connect();
  const zero = await createClient({ socket }).on("error", () => {}).connect();
  try {
    await zero.flushAll();
    assert.equal(await one.set("nr:db", "one"), "OK");
    assert.equal(await zero.get("nr:db"), null);
    assert.deepEqual(await one.multi().incr("nr:n").get("nr:db").exec(), [1, "one"]);
    assert.deepEqual(await one.multi().dbSize().exists("nr:n").execAsPipeline(), [2, 1]);
    assert.equal(await zero.dbSize(), 0);
  } finally {
    one.destroy();
    zero.destroy();
  }
}

main(Number(process.argv[2])).then(() => console.log("ok"), (error) => {
  console.error(error);
  process.exit(1);
});
