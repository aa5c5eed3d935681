/**
 * node-redis (npm:redis@5) against a real bitraft process: the v5
 * handshake (CLIENT SETINFO, HELLO, AUTH), strings and binary values,
 * MULTI/EXEC, pipelines, SCAN iteration, expiry, sendCommand with
 * mixed-case names, RESP3 mode and AUTH.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createClient, RESP_TYPES } from "redis";
import { startServer } from "./_server.ts";

/** What {@linkcode closeClient} needs from a node-redis client. */
interface Closable {
  isOpen: boolean;
  close(): Promise<void>;
  destroy(): void;
}

/** Closes a client gracefully, or destroys it when that fails. */
async function closeClient(client: Closable): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    if (client.isOpen) client.destroy();
  }
}

/** Socket options: the test server, and no reconnects (a failure fails the test). */
function socket(port: number) {
  return { host: "127.0.0.1", port, reconnectStrategy: false as const };
}

/** Collects the errors a client emits (node-redis throws on unhandled "error" events). */
function collectErrors(client: { on(event: "error", fn: (e: Error) => void): unknown }): Error[] {
  const errors: Error[] = [];
  client.on("error", (e: Error) => errors.push(e));
  return errors;
}

/** Asserts that `keys` holds exactly `expected`, each exactly once. */
function assertSameKeysOnce(keys: string[], expected: string[]): void {
  assert.equal(new Set(keys).size, keys.length, "a key was returned more than once");
  assert.deepEqual([...keys].sort(), [...expected].sort());
}

/** Asserts that a promise rejects with exactly this error message. */
async function rejectsWith(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.equal(err.message, message);
    return true;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("node-redis: RESP2 commands, transactions, pipelines, scans and expiry", async (t) => {
  await using server = await startServer();
  const client = createClient({ socket: socket(server.port) });
  const errors = collectErrors(client);
  try {
    await t.step("connects (CLIENT SETINFO handshake) and answers PING/ECHO", async () => {
      await client.connect();
      assert.equal(client.isReady, true);
      assert.equal(await client.ping(), "PONG");
      assert.equal(await client.echo("hello"), "hello");
      const id = await client.clientId();
      assert.equal(typeof id, "number");
      // The handshake's CLIENT SETINFO was recorded.
      const info = await client.clientInfo();
      assert.equal(info.id, id);
      assert.equal(info.libName, "node-redis");
      assert.match(String(info.libVer), /^5\./);
    });

    await t.step("set/get strings, binary values and the empty string", async () => {
      assert.equal(await client.set("s:a", "1"), "OK");
      assert.equal(await client.get("s:a"), "1");
      assert.equal(await client.get("s:missing"), null);
      assert.equal(await client.set("s:empty", ""), "OK");
      assert.equal(await client.get("s:empty"), "");
      assert.equal(await client.set("s:utf8", "héllo ✓ 😀"), "OK");
      assert.equal(await client.get("s:utf8"), "héllo ✓ 😀");

      const all = Buffer.alloc(256);
      for (let i = 0; i < 256; i++) all[i] = i;
      assert.equal(await client.set("s:bin", all), "OK");
      const bufClient = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const got = await bufClient.get("s:bin");
      assert.ok(Buffer.isBuffer(got));
      assert.equal(Buffer.compare(got, all), 0);
      assert.equal(await client.strLen("s:bin"), 256);

      assert.equal(await client.mSet({ "s:m1": "x", "s:m2": "y" }), "OK");
      assert.deepEqual(await client.mGet(["s:m1", "s:m2", "s:missing"]), ["x", "y", null]);
      assert.equal(await client.incr("s:a"), 2);
      assert.equal(await client.incrBy("s:a", 10), 12);
      assert.equal(await client.del(["s:a", "s:missing"]), 1);
    });

    await t.step("multi().exec()", async () => {
      const res = await client.multi().set("tx:a", "1").incr("tx:a").get("tx:a").exec();
      assert.deepEqual(res, ["OK", 2, "2"]);

      // A command rejected while queuing aborts the transaction. The server
      // answers EXEC with EXECABORT; node-redis rejects exec() with the
      // first queuing error (as it does against Redis 7).
      await rejectsWith(
        client.multi().set("tx:b", "1").addCommand(["NOSUCHCOMMAND", "x"]).set("tx:c", "1").exec(),
        "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ",
      );
      await rejectsWith(
        client.multi().set("tx:b", "1").addCommand(["GET"]).exec(),
        "ERR wrong number of arguments for 'get' command",
      );
      assert.equal(await client.exists(["tx:b", "tx:c"]), 0);
      assert.equal(await client.ping(), "PONG");

      // The same by hand, to see the EXECABORT reply itself.
      assert.equal(await client.sendCommand(["MULTI"]), "OK");
      assert.equal(await client.sendCommand(["SET", "tx:b", "1"]), "QUEUED");
      await rejectsWith(
        client.sendCommand(["NOSUCHCOMMAND", "x"]),
        "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ",
      );
      await rejectsWith(
        client.sendCommand(["EXEC"]),
        "EXECABORT Transaction discarded because of previous errors.",
      );
      assert.equal(await client.exists("tx:b"), 0);

      // A runtime error inside EXEC fails only that command: node-redis
      // rejects with a MultiErrorReply that carries every reply.
      await client.set("tx:str", "abc");
      await assert.rejects(
        client.multi().incr("tx:str").set("tx:d", "2").exec(),
        (err: Error & { replies?: unknown[]; errorIndexes?: number[] }) => {
          assert.deepEqual(err.errorIndexes, [0]);
          assert.equal(
            (err.replies?.[0] as Error).message,
            "ERR value is not an integer or out of range",
          );
          assert.equal(err.replies?.[1], "OK");
          return true;
        },
      );
      assert.equal(await client.get("tx:d"), "2");
    });

    await t.step(
      "10,000 commands pipelined: Promise.all and multi().execAsPipeline()",
      async () => {
        const n = 10_000;
        const promises: Promise<unknown>[] = [];
        const expected: unknown[] = [];
        let counter = 0;
        for (let i = 0; i < n; i++) {
          switch (i % 3) {
            case 0:
              promises.push(client.set(`p:${i}`, `value-${i}`));
              expected.push("OK");
              break;
            case 1:
              promises.push(client.get(`p:${i - 1}`));
              expected.push(`value-${i - 1}`);
              break;
            default:
              promises.push(client.incr("p:counter"));
              expected.push(++counter);
          }
        }
        assert.deepEqual(await Promise.all(promises), expected);

        const m = client.multi();
        const expected2: unknown[] = [];
        for (let i = 0; i < n; i++) {
          switch (i % 3) {
            case 0:
              m.set(`q:${i}`, `v${i}`);
              expected2.push("OK");
              break;
            case 1:
              m.get(`q:${i - 1}`);
              expected2.push(`v${i - 1}`);
              break;
            default:
              m.incr("p:counter");
              expected2.push(++counter);
          }
        }
        assert.deepEqual(await m.execAsPipeline(), expected2);
        assert.equal(await client.get("p:counter"), String(counter));
      },
    );

    await t.step("scanIterator over 10,000 keys returns every key exactly once", async () => {
      assert.equal(await client.flushAll(), "OK");
      const n = 10_000;
      const keys: string[] = [];
      const m = client.multi();
      for (let i = 0; i < n; i++) {
        const key = i % 2 === 0 ? `even:${i}` : `odd:${i}`;
        keys.push(key);
        m.set(key, String(i));
      }
      await m.execAsPipeline();
      assert.equal(await client.dbSize(), n);

      const scan = async (options?: { MATCH?: string; COUNT?: number }) => {
        const out: string[] = [];
        for await (const batch of client.scanIterator(options)) {
          assert.ok(Array.isArray(batch), "v5 yields arrays of keys");
          out.push(...batch);
        }
        return out;
      };
      assertSameKeysOnce(await scan(), keys);
      assertSameKeysOnce(await scan({ COUNT: 1000 }), keys);
      assertSameKeysOnce(
        await scan({ MATCH: "odd:*", COUNT: 100 }),
        keys.filter((k) => k.startsWith("odd:")),
      );
      assertSameKeysOnce(
        await scan({ MATCH: "even:1?", COUNT: 7 }),
        ["even:10", "even:12", "even:14", "even:16", "even:18"],
      );
      assert.deepEqual(await scan({ MATCH: "nothing:*" }), []);
    });

    await t.step("expiry: SET PX, EXPIRE, TTL, PTTL", async () => {
      assert.equal(
        await client.set("e:px", "v", { expiration: { type: "PX", value: 200 } }),
        "OK",
      );
      assert.equal(await client.get("e:px"), "v");
      const pttl = await client.pTTL("e:px");
      assert.ok(pttl > 0 && pttl <= 200, `pttl ${pttl}`);
      await sleep(300);
      assert.equal(await client.get("e:px"), null);
      assert.equal(await client.ttl("e:px"), -2);

      assert.equal(await client.set("e:k", "v"), "OK");
      assert.equal(await client.ttl("e:k"), -1);
      assert.equal(await client.expire("e:k", 100), 1);
      const ttl = await client.ttl("e:k");
      assert.ok(ttl > 98 && ttl <= 100, `ttl ${ttl}`);
      const pttl2 = await client.pTTL("e:k");
      assert.ok(pttl2 > 98_000 && pttl2 <= 100_000, `pttl ${pttl2}`);
      assert.equal(await client.expire("e:missing", 100), 0);
      assert.equal(await client.persist("e:k"), 1);
      assert.equal(await client.pTTL("e:k"), -1);

      assert.equal(await client.set("e:ex", "v", { expiration: { type: "EX", value: 50 } }), "OK");
      const ttl3 = await client.ttl("e:ex");
      assert.ok(ttl3 > 48 && ttl3 <= 50, `ttl ${ttl3}`);
    });

    await t.step("KEYS with a pattern", async () => {
      await client.mSet({ "user:1": "a", "user:2": "b", "user:10": "c", "usr:3": "d" });
      assert.deepEqual((await client.keys("user:*")).sort(), ["user:1", "user:10", "user:2"]);
      assert.deepEqual((await client.keys("user:?")).sort(), ["user:1", "user:2"]);
    });

    await t.step("sendCommand with lowercase and mixed-case command names", async () => {
      assert.equal(await client.sendCommand(["set", "c:a", "1"]), "OK");
      assert.equal(await client.sendCommand(["SeT", "c:b", "2"]), "OK");
      assert.equal(await client.sendCommand(["gEt", "c:a"]), "1");
      assert.equal(await client.sendCommand(["InCrBy", "c:b", "5"]), 7);
      assert.deepEqual(await client.sendCommand(["mget", "c:a", "c:b", "c:none"]), [
        "1",
        "7",
        null,
      ]);
      assert.equal(await client.sendCommand(["PiNg"]), "PONG");
      await rejectsWith(
        client.sendCommand(["gEt"]),
        "ERR wrong number of arguments for 'get' command",
      );
      await assert.rejects(
        client.sendCommand(["NoSuchCmd", "a"]),
        /ERR unknown command 'NoSuchCmd', with args beginning with: 'a'/,
      );
    });

    assert.deepEqual(errors, [], "the client emitted errors");
  } finally {
    await closeClient(client);
  }
});

Deno.test("node-redis: RESP3 mode (HELLO 3)", async () => {
  await using server = await startServer();
  const client = createClient({ socket: socket(server.port), RESP: 3 });
  const errors = collectErrors(client);
  try {
    await client.connect();
    const hello = await client.sendCommand(["HELLO", "3"]) as Record<string, unknown>;
    assert.equal(hello.proto, 3);
    assert.equal(typeof hello.server, "string");
    assert.equal(typeof hello.version, "string");

    assert.equal(await client.set("r3:a", "1"), "OK");
    assert.equal(await client.get("r3:a"), "1");
    assert.equal(await client.get("r3:missing"), null);
    assert.equal(await client.incr("r3:a"), 2);
    assert.deepEqual(await client.mGet(["r3:a", "r3:missing"]), ["2", null]);
    assert.equal(await client.sendCommand(["iNcRbYfLoAt", "r3:f", "1.5"]), "1.5");
    assert.deepEqual(await client.multi().set("r3:b", "x").get("r3:b").exec(), ["OK", "x"]);
    assert.equal(await client.ttl("r3:a"), -1);

    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: "r3:*", COUNT: 1 })) {
      keys.push(...batch);
    }
    assertSameKeysOnce(keys, ["r3:a", "r3:b", "r3:f"]);
    assert.deepEqual(errors, [], "the client emitted errors");
  } finally {
    await closeClient(client);
  }
});

Deno.test("node-redis: authentication with --auth", async (t) => {
  await using server = await startServer({ args: ["--auth", "s3cret"] });
  const port = server.port;

  await t.step("RESP2 with the password (AUTH) works", async () => {
    const client = createClient({ socket: socket(port), password: "s3cret" });
    collectErrors(client);
    try {
      await client.connect();
      assert.equal(await client.set("a:1", "1"), "OK");
      assert.equal(await client.get("a:1"), "1");
    } finally {
      await closeClient(client);
    }
  });

  await t.step("RESP3 with the password (HELLO 3 AUTH) works", async () => {
    const client = createClient({ socket: socket(port), password: "s3cret", RESP: 3 });
    collectErrors(client);
    try {
      await client.connect();
      assert.equal(await client.incr("a:1"), 2);
      assert.equal(await client.get("a:1"), "2");
    } finally {
      await closeClient(client);
    }
  });

  await t.step("without the password commands get NOAUTH", async () => {
    const client = createClient({ socket: socket(port) });
    collectErrors(client);
    try {
      // The handshake's CLIENT SETINFO failures are ignored by the client.
      await client.connect();
      await rejectsWith(client.get("a:1"), "NOAUTH Authentication required.");
      await rejectsWith(client.set("a:2", "x"), "NOAUTH Authentication required.");
      await rejectsWith(
        client.sendCommand(["AUTH", "wrong"]),
        "WRONGPASS invalid username-password pair or user is disabled.",
      );
      assert.equal(await client.sendCommand(["AUTH", "s3cret"]), "OK");
      assert.equal(await client.get("a:1"), "2");
    } finally {
      await closeClient(client);
    }
  });

  await t.step("a wrong password fails connect() with WRONGPASS", async () => {
    // No RESP option: AUTH wrong; RESP 2/3: HELLO n AUTH default wrong.
    for (const RESP of [undefined, 2, 3] as const) {
      const client = createClient({ socket: socket(port), password: "wrong", RESP });
      collectErrors(client);
      try {
        await rejectsWith(
          client.connect(),
          "WRONGPASS invalid username-password pair or user is disabled.",
        );
      } finally {
        if (client.isOpen) client.destroy();
      }
    }
  });
});
