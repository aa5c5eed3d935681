/**
 * Keyspace and expiry commands against a real bitraft process: transcripts
 * through redis-cli (the expected text is Redis 7.0's unless a step says
 * otherwise), SCAN iteration, RANDOMKEY and the active expiry cycle.
 */

import assert from "node:assert/strict";
import { RawClient, type RawReply, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import { cli, transcript } from "./_commands.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One SCAN call: the next cursor and the keys. */
async function scan(c: RawClient, ...args: string[]): Promise<[string, string[]]> {
  const r = await c.call("SCAN", ...args);
  assert.equal(r.type, "array", `SCAN ${args.join(" ")}: ${JSON.stringify(r)}`);
  const [cursor, keys] = r.value as RawReply[];
  assert.equal(keys.type, "array");
  return [text(cursor) as string, (keys.value as RawReply[]).map((k) => text(k) as string)];
}

/** Every key a full SCAN iteration returns, in the order returned. */
async function scanAll(c: RawClient, ...options: string[]): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  for (let calls = 0; calls < 10_000; calls++) {
    const [next, keys] = await scan(c, cursor, ...options);
    assert.match(next, /^\d+$/, "a cursor is a decimal number");
    out.push(...keys);
    if (next === "0") return out;
    cursor = next;
  }
  throw new Error("SCAN did not finish");
}

async function waitFor(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(20);
  }
}

Deno.test("keyspace and expiry commands reply like Redis 7", async (t) => {
  await using server = await startServer();
  const p = server.port;

  await t.step("EXISTS (duplicates count), TYPE, DEL, UNLINK, DBSIZE", () =>
    transcript(
      server.port,
      String.raw`
> MSET a 1 b 2 c 3
OK
> EXISTS a
(integer) 1
> EXISTS a a a
(integer) 3
> EXISTS a b nokey a
(integer) 3
> EXISTS nokey
(integer) 0
> TYPE a
string
> TYPE nokey
none
> DEL a a nokey
(integer) 1
> EXISTS a
(integer) 0
> UNLINK b nokey
(integer) 1
> UNLINK b
(integer) 0
> DBSIZE
(integer) 1
`,
    ));

  await t.step("RENAME, RENAMENX: missing key, same key, TTL carried over", () =>
    transcript(
      server.port,
      String.raw`
> RENAME c c2
OK
> GET c2
"3"
> EXISTS c
(integer) 0
> RENAME c c3
(error) ERR no such key
> RENAME c2 c2
OK
> RENAME nokey nokey
(error) ERR no such key
> SET t v EX 100
OK
> RENAME t t2
OK
> TTL t2
(integer) 100
> SET d dv
OK
> RENAME t2 d
OK
> GET d
"v"
> TTL d
(integer) 100
> RENAMENX d c2
(integer) 0
> RENAMENX d e
(integer) 1
> RENAMENX e e
(integer) 0
> RENAMENX nokey x
(error) ERR no such key
`,
    ));

  await t.step(
    "COPY: REPLACE, DB 0, errors (only database 0 exists, so DB 1 is out of range)",
    () =>
      transcript(
        server.port,
        String.raw`
> COPY e f
(integer) 1
> GET f
"v"
> COPY e f
(integer) 0
> SET e e2
OK
> COPY e f REPLACE
(integer) 1
> GET f
"e2"
> COPY e f replace
(integer) 1
> COPY e f DB 0
(integer) 0
> COPY e g DB 0
(integer) 1
> COPY e g db 0 REPLACE
(integer) 1
> COPY e g DB 1
(error) ERR DB index is out of range
> COPY e g DB 4294967296
(error) ERR value is out of range, value must between -2147483648 and 2147483647
> COPY e g DB -1
(error) ERR DB index is out of range
> COPY e g DB abc
(error) ERR value is not an integer or out of range
> COPY e g DB
(error) ERR syntax error
> COPY e g FOO
(error) ERR syntax error
> COPY e e
(error) ERR source and destination objects are the same
> COPY nokey h
(integer) 0
> SET ex v EX 100
OK
> COPY ex ex2
(integer) 1
> TTL ex2
(integer) 100
> COPY
(error) ERR wrong number of arguments for 'copy' command
> COPY e
(error) ERR wrong number of arguments for 'copy' command
> DBSIZE
(integer) 6
`,
      ),
  );

  await t.step("EXPIRE with NX, XX, GT, LT and their errors", () =>
    transcript(
      server.port,
      String.raw`
> SET k v
OK
> EXPIRE k 100
(integer) 1
> TTL k
(integer) 100
> EXPIRE k 100 NX
(integer) 0
> EXPIRE k 200 XX
(integer) 1
> TTL k
(integer) 200
> EXPIRE k 50 GT
(integer) 0
> TTL k
(integer) 200
> EXPIRE k 300 GT
(integer) 1
> TTL k
(integer) 300
> EXPIRE k 400 LT
(integer) 0
> TTL k
(integer) 300
> EXPIRE k 10 LT
(integer) 1
> TTL k
(integer) 10
> EXPIRE k 10 NX XX
(error) ERR NX and XX, GT or LT options at the same time are not compatible
> EXPIRE k 10 XX NX
(error) ERR NX and XX, GT or LT options at the same time are not compatible
> EXPIRE k 10 GT LT
(error) ERR GT and LT options at the same time are not compatible
> EXPIRE k 10 NX GT
(error) ERR NX and XX, GT or LT options at the same time are not compatible
> EXPIRE k 10 NX LT
(error) ERR NX and XX, GT or LT options at the same time are not compatible
> EXPIRE k 10 FOO
(error) ERR Unsupported option FOO
> EXPIRE k 10 XX FOO
(error) ERR Unsupported option FOO
> EXPIRE k abc
(error) ERR value is not an integer or out of range
> EXPIRE k 1.5
(error) ERR value is not an integer or out of range
> EXPIRE k 10 nx
(integer) 0
> EXPIRE nokey 10
(integer) 0
> EXPIRE nokey 10 XX
(integer) 0
`,
    ));

  await t.step(
    "TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, EXPIREAT, PEXPIRE, PEXPIREAT",
    () =>
      transcript(
        server.port,
        String.raw`
> SET p v
OK
> EXPIRE p 10 XX
(integer) 0
> EXPIRE p 10 GT
(integer) 0
> TTL p
(integer) -1
> EXPIRE p 10 LT
(integer) 1
> TTL p
(integer) 10
> PERSIST p
(integer) 1
> PERSIST p
(integer) 0
> PERSIST nokey
(integer) 0
> TTL p
(integer) -1
> PTTL p
(integer) -1
> TTL nokey
(integer) -2
> PTTL nokey
(integer) -2
> EXPIRETIME nokey
(integer) -2
> PEXPIRETIME nokey
(integer) -2
> EXPIRETIME p
(integer) -1
> PEXPIRETIME p
(integer) -1
> EXPIREAT p 4102444800
(integer) 1
> EXPIRETIME p
(integer) 4102444800
> PEXPIRETIME p
(integer) 4102444800000
> PEXPIREAT p 4102444800123
(integer) 1
> PEXPIRETIME p
(integer) 4102444800123
> EXPIRETIME p
(integer) 4102444800
> PEXPIRE p 100000
(integer) 1
> TTL p
(integer) 100
> PEXPIRE p 100000 NX
(integer) 0
> PEXPIREAT p 4102444800123 GT
(integer) 1
> EXPIREAT p 4102444800 LT
(integer) 1
> EXPIRETIME p
(integer) 4102444800
`,
      ),
  );

  await t.step(
    "expire times in the past delete the key; overflowing times are errors",
    () =>
      transcript(
        server.port,
        String.raw`
> EXPIRE p 9223372036854775807
(error) ERR invalid expire time in 'expire' command
> EXPIRE p 9223372036854775
(error) ERR invalid expire time in 'expire' command
> PEXPIRE p 9223372036854775807
(error) ERR invalid expire time in 'pexpire' command
> EXPIREAT p 9223372036854775807
(error) ERR invalid expire time in 'expireat' command
> EXPIRE p -9223372036854775808
(error) ERR invalid expire time in 'expire' command
> EXPIRE p 9223372036854775808
(error) ERR value is not an integer or out of range
> EXPIRE p -1
(integer) 1
> EXISTS p
(integer) 0
> SET q v
OK
> EXPIREAT q 1
(integer) 1
> EXISTS q
(integer) 0
> SET q v
OK
> PEXPIRE q 0
(integer) 1
> EXISTS q
(integer) 0
> SET q v
OK
> PEXPIREAT q 1000
(integer) 1
> GET q
(nil)
> SET q v
OK
> EXPIRE q 0 NX
(integer) 1
> EXISTS q
(integer) 0
> SET q v EX 100
OK
> EXPIRE q 0 LT
(integer) 1
> EXISTS q
(integer) 0
> SET q v EX 100
OK
> EXPIRE q -5 GT
(integer) 0
> EXISTS q
(integer) 1
> EXPIRE
(error) ERR wrong number of arguments for 'expire' command
> EXPIRE q
(error) ERR wrong number of arguments for 'expire' command
> TTL
(error) ERR wrong number of arguments for 'ttl' command
> TTL a b
(error) ERR wrong number of arguments for 'ttl' command
> PTTL
(error) ERR wrong number of arguments for 'pttl' command
> PERSIST
(error) ERR wrong number of arguments for 'persist' command
> EXPIRETIME
(error) ERR wrong number of arguments for 'expiretime' command
> PEXPIREAT q
(error) ERR wrong number of arguments for 'pexpireat' command
> DBSIZE
(integer) 8
`,
      ),
  );

  await t.step("DBSIZE and RANDOMKEY", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    assert.equal(await cli(p, "DBSIZE"), "0\n");
    assert.equal(await cli(p, "--no-raw", "RANDOMKEY"), "(nil)\n");
    assert.equal(await cli(p, "SET", "only", "1"), "OK\n");
    assert.equal(await cli(p, "RANDOMKEY"), "only\n");
    assert.equal(await cli(p, "MSET", "r1", "1", "r2", "2", "r3", "3"), "OK\n");
    assert.equal(await cli(p, "DBSIZE"), "4\n");
    const seen = new Set<string>();
    const c = await RawClient.connect(p);
    try {
      for (let i = 0; i < 100; i++) seen.add(text(await c.call("RANDOMKEY")) as string);
    } finally {
      c.close();
    }
    for (const k of seen) assert.ok(["only", "r1", "r2", "r3"].includes(k), k);
    assert.ok(seen.size >= 2, `RANDOMKEY is random: ${[...seen]}`);
    assert.equal(
      await cli(p, "DBSIZE", "x"),
      "ERR wrong number of arguments for 'dbsize' command\n\n",
    );
    assert.equal(
      await cli(p, "RANDOMKEY", "x"),
      "ERR wrong number of arguments for 'randomkey' command\n\n",
    );
  });

  await t.step("SCAN returns every key exactly once; MATCH, COUNT, TYPE", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    const all: string[] = [];
    for (let i = 0; i < 300; i++) all.push(`user:${i}`);
    for (let i = 0; i < 40; i++) all.push(`item:${i}`);
    const c = await RawClient.connect(p);
    try {
      assert.equal(text(await c.call("MSET", ...all.flatMap((k) => [k, "v"]))), "OK");
      const want = [...all].sort();
      const everything = await scanAll(c);
      assert.equal(everything.length, all.length, "no key twice");
      assert.deepEqual([...everything].sort(), want);
      for (const count of ["1", "7", "100", "1000", "9223372036854775807"]) {
        const got = await scanAll(c, "COUNT", count);
        assert.deepEqual([...got].sort(), want, `COUNT ${count}`);
      }
      // COUNT bounds the work per call.
      const [cursor, first] = await scan(c, "0", "COUNT", "5");
      assert.notEqual(cursor, "0");
      assert.ok(first.length <= 5 && first.length > 0, `${first.length} keys`);
      const items = await scanAll(c, "MATCH", "item:*", "COUNT", "3");
      assert.deepEqual([...items].sort(), want.filter((k) => k.startsWith("item:")));
      const u1 = await scanAll(c, "match", "user:1?", "count", "20");
      assert.deepEqual([...u1].sort(), want.filter((k) => /^user:1.$/.test(k)));
      assert.deepEqual(await scanAll(c, "MATCH", "nothing*"), []);
      const strings = await scanAll(c, "TYPE", "string", "COUNT", "50");
      assert.deepEqual([...strings].sort(), want);
      assert.deepEqual(await scanAll(c, "TYPE", "STRING", "MATCH", "item:3*"), [
        "item:3",
        "item:30",
        "item:31",
        "item:32",
        "item:33",
        "item:34",
        "item:35",
        "item:36",
        "item:37",
        "item:38",
        "item:39",
      ]);
      assert.deepEqual(await scan(c, "0", "TYPE", "hash"), ["0", []]);
      assert.deepEqual(await scan(c, "0", "TYPE", "list", "COUNT", "1000"), ["0", []]);
      // Keys present for the whole iteration are returned, even with writes in between.
      let cur = "0";
      const seen: string[] = [];
      let round = 0;
      do {
        const [next, keys] = await scan(c, cur, "COUNT", "25");
        seen.push(...keys);
        cur = next;
        round++;
        assert.equal(text(await c.call("SET", `new:${round}`, "v")), "OK");
        assert.equal(text(await c.call("DEL", `user:${round}`)), "1");
      } while (cur !== "0");
      const stable = all.filter((k) => !/^user:\d+$/.test(k) || Number(k.slice(5)) > round);
      for (const k of stable) assert.equal(seen.filter((s) => s === k).length, 1, k);
      assert.equal(new Set(seen).size, seen.length, "no key twice");
    } finally {
      c.close();
    }
  });

  await t.step("SCAN errors, and redis-cli --scan", async () => {
    await transcript(
      p,
      String.raw`
> SCAN
(error) ERR wrong number of arguments for 'scan' command
> SCAN x
(error) ERR invalid cursor
> SCAN 0 COUNT 0
(error) ERR syntax error
> SCAN 0 COUNT -1
(error) ERR syntax error
> SCAN 0 COUNT x
(error) ERR value is not an integer or out of range
> SCAN 0 COUNT
(error) ERR syntax error
> SCAN 0 MATCH
(error) ERR syntax error
> SCAN 0 TYPE
(error) ERR syntax error
> SCAN 0 FOO bar
(error) ERR syntax error
> SCAN 18446744073709551616
(error) ERR invalid cursor
`,
    );
    // bitraft's cursors are opaque: one it never handed out is invalid
    // (Redis would start somewhere in its hash table instead).
    assert.equal(await cli(p, "SCAN", "12"), "ERR invalid cursor\n\n");
    const got = await cli(p, "--scan", "--pattern", "item:1*");
    assert.deepEqual(got.trim().split("\n").sort(), [
      "item:1",
      "item:10",
      "item:11",
      "item:12",
      "item:13",
      "item:14",
      "item:15",
      "item:16",
      "item:17",
      "item:18",
      "item:19",
    ]);
  });

  await t.step("an expired key disappears at once and is deleted by the expiry cycle", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    const c = await RawClient.connect(p);
    try {
      assert.equal(text(await c.call("SET", "short", "v", "PX", "100")), "OK");
      const set = Date.now(); // the expiry is at most this + 100
      assert.equal(text(await c.call("GET", "short")), "v");
      const pttl = Number(text(await c.call("PTTL", "short")));
      assert.ok(pttl > 0 && pttl <= 100, `PTTL ${pttl}`);
      assert.equal(text(await c.call("SET", "long", "v", "EX", "100")), "OK");
      assert.equal(text(await c.call("DBSIZE")), "2");
      for (let i = 0; i < 50; i++) {
        assert.equal(text(await c.call("SET", `batch:${i}`, "v", "PX", "150")), "OK");
      }
      await sleep(Math.max(0, set + 105 - Date.now()));
      // Reads never see it again, from the first millisecond after expiry.
      await waitFor(
        "GET short is null",
        50,
        async () => text(await c.call("GET", "short")) === null,
      );
      assert.equal(text(await c.call("EXISTS", "short")), "0");
      assert.equal(text(await c.call("TTL", "short")), "-2");
      assert.equal(text(await c.call("PTTL", "short")), "-2");
      assert.deepEqual(await c.call("MGET", "short", "long"), {
        type: "array",
        value: [{ type: "bulk", value: null }, {
          type: "bulk",
          value: new TextEncoder().encode("v"),
        }],
      });
      assert.deepEqual(await c.call("KEYS", "short"), { type: "array", value: [] });
      // ...and the active expiry cycle removes them from the keyspace.
      await waitFor("DBSIZE 1", 1500, async () => text(await c.call("DBSIZE")) === "1");
      assert.deepEqual(await c.call("KEYS", "*"), {
        type: "array",
        value: [{ type: "bulk", value: new TextEncoder().encode("long") }],
      });
      const info = text(await c.call("INFO", "stats")) ?? "";
      assert.match(info, /expired_keys:(5[1-9]|[6-9]\d|\d{3,})\r\n/);
    } finally {
      c.close();
    }
  });

  await t.step("EXPIRE with a time in the past deletes the key at once", async () => {
    await transcript(
      p,
      String.raw`
> FLUSHALL
OK
> MSET a 1 b 2 c 3 d 4
OK
> EXPIRE a -10
(integer) 1
> PEXPIRE b 0
(integer) 1
> EXPIREAT c 1000
(integer) 1
> PEXPIREAT d 1
(integer) 1
> DBSIZE
(integer) 0
> EXPIRE a -10
(integer) 0
`,
    );
  });
});
