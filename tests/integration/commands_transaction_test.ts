/**
 * MULTI/EXEC/DISCARD and pipelining against a real bitraft process:
 * transcripts through redis-cli (expected text from Redis 7.0), and raw
 * pipelines written in one piece, whose replies must come back in order with
 * every read seeing exactly the writes sent before it on its connection.
 */

import assert from "node:assert/strict";
import { command, RawClient, type RawReply, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import { transcript } from "./_commands.ts";

const te = new TextEncoder();

function bulk(s: string): RawReply {
  return { type: "bulk", value: te.encode(s) };
}

function int(n: number): RawReply {
  return { type: "int", value: BigInt(n) };
}

const OK: RawReply = { type: "simple", value: "OK" };
const QUEUED: RawReply = { type: "simple", value: "QUEUED" };
const NIL: RawReply = { type: "bulk", value: null };

/** Sends all commands in one write, then reads one reply per command. */
async function pipeline(c: RawClient, cmds: string[][]): Promise<RawReply[]> {
  const parts = cmds.map((a) => command(...a));
  const all = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    all.set(x, o);
    o += x.length;
  }
  await c.send(all);
  const out: RawReply[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(await c.read());
  return out;
}

Deno.test("transactions and pipelines behave like Redis 7", async (t) => {
  await using server = await startServer();
  const p = server.port;

  await t.step("MULTI/EXEC: QUEUED replies, and EXEC's array sees its own writes", () =>
    transcript(
      server.port,
      String.raw`
> MULTI
OK
> SET a 1
QUEUED
> GET a
QUEUED
> INCR a
QUEUED
> GET a
QUEUED
> MGET a nokey
QUEUED
> EXEC
1) OK
2) "1"
3) (integer) 2
4) "2"
5) 1) "2"
   2) (nil)
> GET a
"2"
`,
    ));

  await t.step("MULTI cannot be nested", () =>
    transcript(
      server.port,
      String.raw`
> MULTI
OK
> MULTI
(error) ERR MULTI calls can not be nested
> GET a
QUEUED
> EXEC
1) "2"
`,
    ));

  await t.step(
    "EXECABORT after an unknown command or a wrong arity; an option error is that command's error",
    () =>
      transcript(
        server.port,
        String.raw`
> MULTI
OK
> SET a 2
QUEUED
> FOOBAR x
(error) ERR unknown command 'FOOBAR', with args beginning with: 'x' 
> GET a
QUEUED
> EXEC
(error) EXECABORT Transaction discarded because of previous errors.
> GET a
"2"
> MULTI
OK
> SET a
(error) ERR wrong number of arguments for 'set' command
> EXEC
(error) EXECABORT Transaction discarded because of previous errors.
> MULTI
OK
> SET a 3 EX
QUEUED
> EXEC
1) (error) ERR syntax error
> GET a
"2"
`,
      ),
  );

  await t.step(
    "EXEC and DISCARD without MULTI; DISCARD drops the queue; an empty EXEC",
    () =>
      transcript(
        server.port,
        String.raw`
> EXEC
(error) ERR EXEC without MULTI
> DISCARD
(error) ERR DISCARD without MULTI
> MULTI
OK
> SET a 5
QUEUED
> DISCARD
OK
> GET a
"2"
> MULTI
OK
> EXEC
(empty array)
`,
      ),
  );

  await t.step("an error inside EXEC does not stop the other commands", () =>
    transcript(
      server.port,
      String.raw`
> MULTI
OK
> GET a
QUEUED
> INCR a
QUEUED
> SET s str
QUEUED
> INCR s
QUEUED
> GET s
QUEUED
> APPEND s x
QUEUED
> EXEC
1) "2"
2) (integer) 3
3) OK
4) (error) ERR value is not an integer or out of range
5) "str"
6) (integer) 4
> MULTI
OK
> PING
QUEUED
> ECHO x
QUEUED
> DISCARD
OK
`,
    ));

  await t.step(
    "reads and writes mixed in one EXEC see exactly the writes before them",
    () =>
      transcript(
        server.port,
        String.raw`
> MULTI
OK
> SET x 1 EX 0
QUEUED
> SET y 1
QUEUED
> EXEC
1) (error) ERR invalid expire time in 'set' command
2) OK
> GET y
"1"
> MULTI
OK
> DEL y
QUEUED
> GET y
QUEUED
> EXISTS y
QUEUED
> SET y 2
QUEUED
> MGET y y
QUEUED
> KEYS y*
QUEUED
> DBSIZE
QUEUED
> EXEC
1) (integer) 1
2) (nil)
3) (integer) 0
4) OK
5) 1) "2"
   2) "2"
6) 1) "y"
7) (integer) 3
> MULTI
OK
> FLUSHALL
QUEUED
> SET z 1
QUEUED
> DBSIZE
QUEUED
> KEYS *
QUEUED
> EXEC
1) OK
2) OK
3) (integer) 1
4) 1) "z"
`,
      ),
  );

  await t.step("a failed command does not undo the others in EXEC (as in Redis)", () =>
    transcript(
      server.port,
      String.raw`
> MULTI
OK
> RENAME nokey other
QUEUED
> SET w 1
QUEUED
> EXEC
1) (error) ERR no such key
2) OK
> GET w
"1"
`,
    ));

  await t.step("transaction commands are case-insensitive", () =>
    transcript(
      server.port,
      String.raw`
> multi
OK
> set lc 1
QUEUED
> get lc
QUEUED
> exec
1) OK
2) "1"
> MuLtI
OK
> GeT lc
QUEUED
> ExEc
1) "1"
> DISCARD x
(error) ERR wrong number of arguments for 'discard' command
> MULTI x
(error) ERR wrong number of arguments for 'multi' command
`,
    ));

  await t.step("a pipeline's reads see exactly the writes before them", async () => {
    const c = await RawClient.connect(p);
    try {
      assert.equal(text(await c.call("DEL", "a", "n")), "0");
      const replies = await pipeline(c, [
        ["SET", "a", "1"],
        ["GET", "a"],
        ["SET", "a", "2"],
        ["GET", "a"],
        ["INCR", "n"],
        ["GET", "n"],
      ]);
      assert.deepEqual(replies, [OK, bulk("1"), OK, bulk("2"), int(1), bulk("1")]);
    } finally {
      c.close();
    }
  });

  await t.step("a long pipeline of interleaved writes and reads, replies in order", async () => {
    const c = await RawClient.connect(p);
    try {
      const cmds: string[][] = [["DEL", "ctr", "log"]];
      const want: RawReply[] = [{ type: "int", value: 0n }];
      let log = "";
      for (let i = 1; i <= 500; i++) {
        cmds.push(["INCR", "ctr"], ["GET", "ctr"], ["APPEND", "log", "x"], ["STRLEN", "log"]);
        log += "x";
        want.push(int(i), bulk(String(i)), int(log.length), int(log.length));
        if (i % 50 === 0) {
          cmds.push(["MGET", "ctr", "missing"], ["EXISTS", "ctr", "log", "missing"], ["PING"]);
          want.push(
            { type: "array", value: [bulk(String(i)), NIL] },
            int(2),
            { type: "simple", value: "PONG" },
          );
        }
      }
      assert.deepEqual(await pipeline(c, cmds), want);
    } finally {
      c.close();
    }
  });

  await t.step("inline commands pipeline too", async () => {
    const c = await RawClient.connect(p);
    try {
      await c.send("SET inl \"a b\"\r\nGET inl\r\nAPPEND inl '!'\r\nGET inl\r\nping\r\n");
      assert.deepEqual(await c.read(), OK);
      assert.deepEqual(await c.read(), bulk("a b"));
      assert.deepEqual(await c.read(), int(4));
      assert.deepEqual(await c.read(), bulk("a b!"));
      assert.deepEqual(await c.read(), { type: "simple", value: "PONG" });
    } finally {
      c.close();
    }
  });

  await t.step("MULTI ... EXEC in one pipeline, with commands around it", async () => {
    const c = await RawClient.connect(p);
    try {
      const replies = await pipeline(c, [
        ["SET", "tx", "0"],
        ["MULTI"],
        ["INCR", "tx"],
        ["GET", "tx"],
        ["SET", "tx2", "v", "EX", "100"],
        ["TTL", "tx2"],
        ["INCR", "tx2"],
        ["GETDEL", "tx2"],
        ["EXISTS", "tx2"],
        ["EXEC"],
        ["GET", "tx"],
        ["MULTI"],
        ["GET", "tx"],
        ["EXEC"],
      ]);
      assert.deepEqual(replies, [
        OK,
        OK,
        QUEUED,
        QUEUED,
        QUEUED,
        QUEUED,
        QUEUED,
        QUEUED,
        QUEUED,
        {
          type: "array",
          value: [
            int(1),
            bulk("1"),
            OK,
            int(100),
            { type: "error", value: "ERR value is not an integer or out of range" },
            bulk("v"),
            int(0),
          ],
        },
        bulk("1"),
        OK,
        QUEUED,
        { type: "array", value: [bulk("1")] },
      ]);
    } finally {
      c.close();
    }
  });

  await t.step("another connection never sees half a transaction", async () => {
    const w = await RawClient.connect(p);
    const r = await RawClient.connect(p);
    try {
      assert.equal(text(await w.call("MSET", "x", "0", "y", "0")), "OK");
      for (let i = 1; i <= 30; i++) {
        const cmds = [["MULTI"], ["SET", "x", String(i)], ["SET", "y", String(i)], ["EXEC"]];
        const sent = pipeline(w, cmds);
        const seen = await r.call("MGET", "x", "y");
        const [x, y] = (seen.value as RawReply[]).map((v) => text(v));
        assert.equal(x, y, `MGET saw x=${x} y=${y}`);
        await sent;
      }
    } finally {
      w.close();
      r.close();
    }
  });
});

// Redis answers any EXEC it rejects before running (here: wrong arity) with
// EXECABORT and discards the open transaction.
Deno.test({
  name: "EXEC with the wrong number of arguments aborts the transaction, as in Redis",
  fn: async () => {
    await using server = await startServer();
    await transcript(
      server.port,
      String.raw`
> SET a 1
OK
> MULTI
OK
> SET a 2
QUEUED
> EXEC x
(error) EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command
> GET a
"1"
> EXEC
(error) ERR EXEC without MULTI
> EXEC x
(error) EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command
`,
    );
  },
});
