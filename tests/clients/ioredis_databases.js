// ioredis with `db: 1` against a keepd at 127.0.0.1:PORT (argv[2]): the client SELECTs 1 when
// it connects (an error event there once left it writing to database 0); its commands,
// multi() and pipeline() then work in database 1, and no error event is raised.
// Prints "ok" and exits 0, or exits 1 with the failure.
"use strict";
const assert = require("node:assert/strict");
const Redis = require("ioredis");

async function main(port) {
  const options = { host: "127.0.0.1", port, maxRetriesPerRequest: 0 };
  const errors = [];
  const one = new Redis({ ...options, db: 1 }).on("error", (error) => errors.push(error));
  const zero = new Redis(options);
  try {
    await zero.flushall();
    assert.equal(await one.set("io:db", "one"), "OK");
    assert.equal(await zero.get("io:db"), null);
    assert.deepEqual(await one.multi().incr("io:n").get("io:db").exec(), [[null, 1], [null, "one"]]);
    assert.deepEqual(await one.pipeline().dbsize().exists("io:n").exec(), [[null, 2], [null, 1]]);
    assert.match(await one.client("INFO"), / db=1 /);
    assert.equal(await zero.dbsize(), 0);
    assert.deepEqual(errors, []);
  } finally {
    one.disconnect();
    zero.disconnect();
  }
}

main(Number(process.argv[2])).then(() => console.log("ok"), (error) => {
  console.error(error);
  process.exit(1);
});
