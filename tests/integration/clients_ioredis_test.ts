/**
 * ioredis (npm:ioredis@5) against a real bitraft process: connection with
 * the default ready check (INFO), binary values, large pipelines,
 * MULTI/EXEC, SCAN streams, expiry, KEYS, mixed-case commands, AUTH.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis, type RedisOptions } from "ioredis";
import { startServer } from "./_server.ts";

/** Opens an ioredis client on the test server and waits until it is ready. */
async function connect(port: number, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    // A failed connection must fail the test, not retry forever.
    retryStrategy: () => null,
    ...options,
  });
  // Errors surface through command promises; keep "error" events from
  // becoming unhandled.
  client.on("error", () => {});
  if (client.status !== "ready") {
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("ready", resolve);
        client.once("end", () => reject(new Error("ioredis connection ended before ready")));
      });
    } catch (e) {
      client.disconnect();
      throw e;
    }
  }
  return client;
}

/** Runs `fn` with a connected client, then quits it (disconnects on failure). */
async function withClient(
  port: number,
  fn: (client: Redis) => Promise<void>,
  options: RedisOptions = {},
): Promise<void> {
  const client = await connect(port, options);
  try {
    await fn(client);
  } finally {
    await client.quit().catch(() => {});
    client.disconnect();
  }
}

/** Collects every key a scanStream yields. */
async function scanAll(
  client: Redis,
  options: { match?: string; count?: number; type?: string },
): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of client.scanStream(options)) {
    keys.push(...(batch as string[]));
  }
  return keys;
}

/** Asserts that `keys` holds exactly `expected`, each exactly once. */
function assertSameKeysOnce(keys: string[], expected: string[]): void {
  assert.equal(new Set(keys).size, keys.length, "a key was returned more than once");
  assert.deepEqual([...keys].sort(), [...expected].sort());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("ioredis: commands, pipelines, transactions, scans and expiry", async (t) => {
  await using server = await startServer();
  const port = server.port;

  await t.step("connects with the default ready check (INFO) and answers PING", async () => {
    await withClient(port, async (c) => {
      assert.equal(c.status, "ready");
      assert.equal(await c.ping(), "PONG");
      const info = await c.info();
      assert.match(info, /^redis_version:/m);
      // ioredis sends CLIENT SETINFO when it connects.
      const clientInfo = String(await c.client("INFO"));
      assert.match(clientInfo, /\blib-name=ioredis\b/);
      assert.match(clientInfo, /\blib-ver=5\.\S+/);
    });
  });

  await t.step("binary values and the empty string round-trip", async () => {
    await withClient(port, async (c) => {
      const all = Buffer.alloc(256);
      for (let i = 0; i < 256; i++) all[i] = i;
      assert.equal(await c.set("bin", all), "OK");
      const got = await c.getBuffer("bin");
      assert.ok(got !== null);
      assert.equal(Buffer.compare(got, all), 0);
      assert.equal(await c.strlen("bin"), 256);

      // A binary key too, and the reversed bytes as its value.
      const key = Buffer.from([0, 255, 13, 10, 42, 0x80]);
      const rev = Buffer.from(all).reverse();
      assert.equal(await c.set(key, rev), "OK");
      const got2 = await c.getBuffer(key);
      assert.ok(got2 !== null);
      assert.equal(Buffer.compare(got2, rev), 0);

      assert.equal(await c.set("empty", ""), "OK");
      assert.equal(await c.get("empty"), "");
      assert.equal(await c.strlen("empty"), 0);
      assert.equal(await c.exists("empty"), 1);
      assert.equal(await c.get("no-such-key"), null);

      // Non-ASCII text as UTF-8.
      assert.equal(await c.set("utf8", "héllo wörld ✓ 😀"), "OK");
      assert.equal(await c.get("utf8"), "héllo wörld ✓ 😀");
    });
  });

  await t.step("a pipeline of 10,000 mixed SET/GET/INCR commands", async () => {
    await withClient(port, async (c) => {
      const n = 10_000;
      const p = c.pipeline();
      const expected: unknown[] = [];
      let counter = 0;
      for (let i = 0; i < n; i++) {
        switch (i % 3) {
          case 0:
            p.set(`pipe:${i}`, `value-${i}`);
            expected.push("OK");
            break;
          case 1:
            p.get(`pipe:${i - 1}`);
            expected.push(`value-${i - 1}`);
            break;
          default:
            p.incr("pipe:counter");
            expected.push(++counter);
        }
      }
      const results = await p.exec();
      assert.ok(results !== null);
      assert.equal(results.length, n);
      for (let i = 0; i < n; i++) {
        const entry: [Error | null, unknown] = results[i];
        assert.equal(entry[0], null, `command ${i} failed: ${entry[0]}`);
        assert.deepEqual(entry[1], expected[i], `command ${i}`);
      }
      assert.equal(await c.get("pipe:counter"), String(counter));
    });
  });

  await t.step("MULTI/EXEC via multi()", async () => {
    await withClient(port, async (c) => {
      const res = await c.multi().set("tx:a", "1").incr("tx:a").get("tx:a").del("tx:none")
        .exec();
      assert.deepEqual(res, [[null, "OK"], [null, 2], [null, "2"], [null, 0]]);

      // A runtime error inside EXEC fails only that command.
      await c.set("tx:str", "abc");
      const res2 = await c.multi().incr("tx:str").set("tx:b", "2").exec();
      assert.ok(res2 !== null);
      assert.equal(res2.length, 2);
      assert.match(String(res2[0][0]), /ERR value is not an integer or out of range/);
      assert.deepEqual(res2[1], [null, "OK"]);

      // A command rejected while queuing aborts the whole transaction.
      await assert.rejects(
        c.multi().set("tx:c", "1").call("nosuchcommand", "x").set("tx:d", "1").exec(),
        (err: Error & { previousErrors?: Error[] }) => {
          assert.match(err.message, /^EXECABORT Transaction discarded because of previous errors/);
          assert.ok(err.previousErrors && err.previousErrors.length === 1);
          assert.match(err.previousErrors[0].message, /^ERR unknown command 'nosuchcommand'/);
          return true;
        },
      );
      await assert.rejects(
        c.multi().set("tx:c", "1").call("get").exec(),
        /EXECABORT/,
      );
      assert.equal(await c.exists("tx:c", "tx:d"), 0);
      // The connection is usable (and out of MULTI) afterwards.
      assert.equal(await c.ping(), "PONG");
      assert.equal(await c.get("tx:a"), "2");

      // MULTI sent right away (no pipeline), then DISCARD.
      assert.equal(await c.multi({ pipeline: false }), "OK");
      assert.equal(await c.set("tx:e", "1"), "QUEUED");
      assert.equal(await c.discard(), "OK");
      assert.equal(await c.exists("tx:e"), 0);
      // ... and EXEC.
      assert.equal(await c.multi({ pipeline: false }), "OK");
      assert.equal(await c.set("tx:f", "1"), "QUEUED");
      assert.equal(await c.incr("tx:f"), "QUEUED");
      assert.deepEqual(await c.exec(), [[null, "OK"], [null, 2]]);
    });
  });

  await t.step("scanStream over 10,000 keys returns every key exactly once", async () => {
    await withClient(port, async (c) => {
      assert.equal(await c.flushall(), "OK");
      const n = 10_000;
      const keys: string[] = [];
      const p = c.pipeline();
      for (let i = 0; i < n; i++) {
        const key = i % 2 === 0 ? `even:${i}` : `odd:${i}`;
        keys.push(key);
        p.set(key, String(i));
      }
      await p.exec();
      assert.equal(await c.dbsize(), n);

      assertSameKeysOnce(await scanAll(c, {}), keys);
      assertSameKeysOnce(
        await scanAll(c, { count: 1000 }),
        keys,
      );
      assertSameKeysOnce(
        await scanAll(c, { match: "odd:*", count: 100 }),
        keys.filter((k) => k.startsWith("odd:")),
      );
      assertSameKeysOnce(
        await scanAll(c, { match: "even:1?", count: 3 }),
        ["even:10", "even:12", "even:14", "even:16", "even:18"],
      );
      assert.deepEqual(await scanAll(c, { match: "nothing:*" }), []);
      assertSameKeysOnce(
        await scanAll(c, { match: "even:*", type: "string", count: 500 }),
        keys.filter((k) => k.startsWith("even:")),
      );
    });
  });

  await t.step("expiry: SET PX, EXPIRE, TTL, PTTL, PERSIST", async () => {
    await withClient(port, async (c) => {
      assert.equal(await c.set("exp:px", "v", "PX", 200), "OK");
      assert.equal(await c.get("exp:px"), "v");
      const pttl = await c.pttl("exp:px");
      assert.ok(pttl > 0 && pttl <= 200, `pttl ${pttl}`);
      await sleep(300);
      assert.equal(await c.get("exp:px"), null);
      assert.equal(await c.exists("exp:px"), 0);
      assert.equal(await c.ttl("exp:px"), -2);

      assert.equal(await c.set("exp:k", "v"), "OK");
      assert.equal(await c.ttl("exp:k"), -1);
      assert.equal(await c.pttl("exp:k"), -1);
      assert.equal(await c.expire("exp:k", 100), 1);
      const ttl = await c.ttl("exp:k");
      assert.ok(ttl > 98 && ttl <= 100, `ttl ${ttl}`);
      const pttl2 = await c.pttl("exp:k");
      assert.ok(pttl2 > 98_000 && pttl2 <= 100_000, `pttl ${pttl2}`);
      assert.equal(await c.expire("exp:missing", 100), 0);
      assert.equal(await c.persist("exp:k"), 1);
      assert.equal(await c.ttl("exp:k"), -1);

      assert.equal(await c.set("exp:ex", "v", "EX", 50), "OK");
      const ttl3 = await c.ttl("exp:ex");
      assert.ok(ttl3 > 48 && ttl3 <= 50, `ttl ${ttl3}`);
      assert.equal(await c.pexpire("exp:ex", 100), 1);
      await sleep(200);
      assert.equal(await c.get("exp:ex"), null);
    });
  });

  await t.step("KEYS with a pattern", async () => {
    await withClient(port, async (c) => {
      await c.mset("user:1", "a", "user:2", "b", "user:10", "c", "usr:3", "d", "other", "e");
      assert.deepEqual((await c.keys("user:*")).sort(), ["user:1", "user:10", "user:2"]);
      assert.deepEqual((await c.keys("user:?")).sort(), ["user:1", "user:2"]);
      assert.deepEqual((await c.keys("us[e]r:1*")).sort(), ["user:1", "user:10"]);
      assert.deepEqual(await c.keys("none:*"), []);
    });
  });

  await t.step("lowercase and mixed-case command names via call()", async () => {
    await withClient(port, async (c) => {
      assert.equal(await c.call("set", "case:a", "1"), "OK");
      assert.equal(await c.call("SeT", "case:b", "2"), "OK");
      assert.equal(await c.call("gEt", "case:a"), "1");
      assert.equal(await c.call("get", "case:b"), "2");
      assert.equal(await c.call("InCr", "case:a"), 2);
      assert.deepEqual(await c.call("mGeT", "case:a", "case:b", "case:none"), ["2", "2", null]);
      assert.equal(await c.call("PiNg"), "PONG");
      assert.equal(await c.call("eChO", "hi"), "hi");
      await assert.rejects(c.call("NoSuchCmd", "a"), /ERR unknown command 'NoSuchCmd'/);
      await assert.rejects(c.call("gEt"), /ERR wrong number of arguments for 'get' command/);
    });
  });
});

Deno.test("ioredis: authentication with --auth", async (t) => {
  await using server = await startServer({ args: ["--auth", "s3cret"] });
  const port = server.port;

  await t.step("connects with the password and works", async () => {
    await withClient(port, async (c) => {
      assert.equal(await c.set("auth:a", "1"), "OK");
      assert.equal(await c.get("auth:a"), "1");
      const res = await c.pipeline().incr("auth:a").get("auth:a").exec();
      assert.deepEqual(res, [[null, 2], [null, "2"]]);
    }, { password: "s3cret" });
  });

  await t.step("without the password commands get NOAUTH; AUTH then works", async () => {
    // The default ready check (INFO) would itself get NOAUTH, so it is off.
    await withClient(port, async (c) => {
      await assert.rejects(c.get("auth:a"), (err: Error) => {
        assert.equal(err.message, "NOAUTH Authentication required.");
        return true;
      });
      await assert.rejects(c.set("auth:x", "1"), /^ReplyError: NOAUTH Authentication required\.$/);
      await assert.rejects(c.auth("wrong"), (err: Error) => {
        assert.equal(err.message, "WRONGPASS invalid username-password pair or user is disabled.");
        return true;
      });
      await assert.rejects(c.get("auth:a"), /NOAUTH/);
      assert.equal(await c.auth("s3cret"), "OK");
      assert.equal(await c.get("auth:a"), "2");
    }, { enableReadyCheck: false });
  });

  await t.step("a wrong password is reported as WRONGPASS", async () => {
    const client = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
      password: "wrong",
    });
    const errors: Error[] = [];
    client.on("error", (e: Error) => errors.push(e));
    try {
      await client.connect().catch((e: Error) => errors.push(e));
      // The AUTH reply is reported as an "error" event; the ready check
      // then fails with NOAUTH.
      await assert.rejects(client.get("auth:a"));
      assert.ok(
        errors.some((e) =>
          e.message === "WRONGPASS invalid username-password pair or user is disabled."
        ),
        `errors: ${errors.map((e) => e.message).join(" | ")}`,
      );
    } finally {
      client.disconnect();
    }
  });
});
