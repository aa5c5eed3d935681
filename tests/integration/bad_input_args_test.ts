/**
 * Wrong arity and bad numbers for every command of the live server's
 * command table, with Redis 7's exact error texts; the data set before is
 * intact afterwards.
 */

import assert from "node:assert/strict";
import { RawClient, type RawReply, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import { assertQuietStderr, guarded, Sentinels, show } from "./_bad_input.ts";

/** Commands not sent with a wrong arity: they end the connection or the server, or are MULTI's. */
const SKIP = new Set(["shutdown", "quit", "reset", "multi", "exec", "discard"]);

const NOT_INTEGER = "ERR value is not an integer or out of range";
const NOT_FLOAT = "ERR value is not a valid float";
const SYNTAX = "ERR syntax error";
const TOO_BIG = "99999999999999999999";
const INT64_MAX = "9223372036854775807";
const INT64_MIN = "-9223372036854775808";

function arityError(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

function expireTime(name: string): string {
  return `ERR invalid expire time in '${name}' command`;
}

/**
 * Bad arguments and the replies of Redis 7.0 (checked against
 * redis-server 7.0). Key `n` holds "10", `s` holds "hello", `big` holds
 * INT64_MAX and `small` INT64_MIN; `missing` does not exist.
 */
const CASES: [args: string[], reply: string][] = [
  // EXPIRE family
  [["EXPIRE", "n", "abc"], NOT_INTEGER],
  [["EXPIRE", "n", "1.5"], NOT_INTEGER],
  [["EXPIRE", "n", " 1"], NOT_INTEGER],
  [["EXPIRE", "n", "+1"], NOT_INTEGER],
  [["EXPIRE", "n", "01"], NOT_INTEGER],
  [["EXPIRE", "n", ""], NOT_INTEGER],
  [["EXPIRE", "n", TOO_BIG], NOT_INTEGER],
  [["EXPIRE", "n", INT64_MAX], expireTime("expire")],
  [["EXPIRE", "n", INT64_MIN], expireTime("expire")],
  [["EXPIRE", "n", "10", "FOO"], "ERR Unsupported option FOO"],
  [
    ["EXPIRE", "n", "10", "NX", "XX"],
    "ERR NX and XX, GT or LT options at the same time are not compatible",
  ],
  [["EXPIRE", "n", "10", "GT", "LT"], "ERR GT and LT options at the same time are not compatible"],
  [["EXPIRE", "missing", "abc"], NOT_INTEGER],
  [["PEXPIRE", "n", "abc"], NOT_INTEGER],
  [["PEXPIRE", "n", INT64_MAX], expireTime("pexpire")],
  [["EXPIREAT", "n", "abc"], NOT_INTEGER],
  [["EXPIREAT", "n", INT64_MAX], expireTime("expireat")],
  [["PEXPIREAT", "n", "x"], NOT_INTEGER],
  // SETEX / PSETEX
  [["SETEX", "k", "abc", "v"], NOT_INTEGER],
  [["SETEX", "k", "0", "v"], expireTime("setex")],
  [["SETEX", "k", "-1", "v"], expireTime("setex")],
  [["SETEX", "k", INT64_MAX, "v"], expireTime("setex")],
  [["SETEX", "k", TOO_BIG, "v"], NOT_INTEGER],
  [["PSETEX", "k", "abc", "v"], NOT_INTEGER],
  [["PSETEX", "k", "0", "v"], expireTime("psetex")],
  [["PSETEX", "k", INT64_MAX, "v"], expireTime("psetex")],
  // SET options
  [["SET", "k", "v", "EX", "abc"], NOT_INTEGER],
  [["SET", "k", "v", "EX", "0"], expireTime("set")],
  [["SET", "k", "v", "EX", "-5"], expireTime("set")],
  [["SET", "k", "v", "PX", "0"], expireTime("set")],
  [["SET", "k", "v", "EXAT", "0"], expireTime("set")],
  [["SET", "k", "v", "PXAT", "-1"], expireTime("set")],
  [["SET", "k", "v", "EX", INT64_MAX], expireTime("set")],
  [["SET", "k", "v", "PX", INT64_MAX], expireTime("set")],
  [["SET", "k", "v", "EX", TOO_BIG], NOT_INTEGER],
  [["SET", "k", "v", "EX"], SYNTAX],
  [["SET", "k", "v", "EX", "10", "PX", "10"], SYNTAX],
  [["SET", "k", "v", "NX", "XX"], SYNTAX],
  [["SET", "k", "v", "KEEPTTL", "EX", "10"], SYNTAX],
  [["SET", "k", "v", "FOO"], SYNTAX],
  [["GETEX", "n", "EX", "abc"], NOT_INTEGER],
  [["GETEX", "n", "EX", "0"], expireTime("getex")],
  [["GETEX", "n", "PERSIST", "EX", "10"], SYNTAX],
  [["GETEX", "n", "FOO"], SYNTAX],
  // Counters
  [["INCRBY", "n", "abc"], NOT_INTEGER],
  [["INCRBY", "n", "1.5"], NOT_INTEGER],
  [["INCRBY", "n", TOO_BIG], NOT_INTEGER],
  [["INCRBY", "n", INT64_MAX], "ERR increment or decrement would overflow"],
  [["DECRBY", "n", "abc"], NOT_INTEGER],
  [["DECRBY", "n", INT64_MIN], "ERR decrement would overflow"],
  [["INCRBYFLOAT", "n", "abc"], NOT_FLOAT],
  [["INCRBYFLOAT", "n", "nan"], NOT_FLOAT],
  [["INCRBYFLOAT", "n", "inf"], "ERR increment would produce NaN or Infinity"],
  [["INCRBYFLOAT", "n", ""], NOT_FLOAT],
  [["INCRBYFLOAT", "n", " 1"], NOT_FLOAT],
  [["INCR", "s"], NOT_INTEGER],
  [["DECR", "s"], NOT_INTEGER],
  [["INCRBY", "s", "1"], NOT_INTEGER],
  [["INCRBYFLOAT", "s", "1"], NOT_FLOAT],
  [["INCR", "big"], "ERR increment or decrement would overflow"],
  [["DECR", "small"], "ERR increment or decrement would overflow"],
  // Ranges
  [["GETRANGE", "s", "a", "1"], NOT_INTEGER],
  [["GETRANGE", "s", "0", "b"], NOT_INTEGER],
  [["GETRANGE", "s", "0", TOO_BIG], NOT_INTEGER],
  [["SUBSTR", "s", "a", "1"], NOT_INTEGER],
  [["SETRANGE", "s", "a", "x"], NOT_INTEGER],
  [["SETRANGE", "s", "-1", "x"], "ERR offset is out of range"],
  [
    ["SETRANGE", "s", "536870912", "x"],
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  ],
  [["SETRANGE", "s", TOO_BIG, "x"], NOT_INTEGER],
  // SCAN, KEYS
  [["SCAN", "abc"], "ERR invalid cursor"],
  [["SCAN", "0", "COUNT", "abc"], NOT_INTEGER],
  [["SCAN", "0", "COUNT", "0"], SYNTAX],
  [["SCAN", "0", "COUNT", "-1"], SYNTAX],
  [["SCAN", "0", "COUNT", TOO_BIG], NOT_INTEGER],
  [["SCAN", "0", "COUNT"], SYNTAX],
  [["SCAN", "0", "MATCH"], SYNTAX],
  [["SCAN", "0", "FOO"], SYNTAX],
  [["KEYS", "*", "LIMIT", "abc"], NOT_INTEGER],
  [["KEYS", "*", "LIMIT", TOO_BIG], NOT_INTEGER],
  [["KEYS", "*", "LIMIT", "-1"], SYNTAX],
  [["KEYS", "*", "LIMIT"], SYNTAX],
  [["KEYS", "*", "PIVOT"], SYNTAX],
  [["KEYS", "*", "FOO"], SYNTAX],
  // WAIT, SELECT, COPY
  [["WAIT", "abc", "0"], NOT_INTEGER],
  [["WAIT", "0", "-1"], "ERR timeout is negative"],
  [["WAIT", TOO_BIG, "0"], NOT_INTEGER],
  [["SELECT", "abc"], NOT_INTEGER],
  [["SELECT", "-1"], "ERR DB index is out of range"],
  [["SELECT", "16"], "ERR DB index is out of range"],
  [["SELECT", TOO_BIG], NOT_INTEGER],
  [["COPY", "a", "b", "DB", "abc"], NOT_INTEGER],
  [["COPY", "a", "b", "FOO"], SYNTAX],
  // Pairs and subcommands
  [["MSET", "a", "1", "b"], arityError("mset")],
  [["MSETNX", "a", "1", "b"], arityError("msetnx")],
  [["HELLO", "abc"], "ERR Protocol version is not an integer or out of range"],
  [["HELLO", "4"], "NOPROTO unsupported protocol version"],
  [["HELLO", "3", "FOO"], "ERR Syntax error in HELLO option 'FOO'"],
  [["CLIENT", "FOO"], "ERR unknown subcommand 'FOO'. Try CLIENT HELP."],
  [["CLIENT", "ID", "x"], arityError("client|id")],
  [["CLIENT", "SETNAME"], arityError("client|setname")],
  [
    ["CLIENT", "SETNAME", "a b"],
    "ERR Client names cannot contain spaces, newlines or special characters.",
  ],
  [["CONFIG", "FOO"], "ERR unknown subcommand 'FOO'. Try CONFIG HELP."],
  [["CONFIG", "GET"], arityError("config|get")],
  [["CONFIG", "SET", "x"], arityError("config|set")],
  [["COMMAND", "FOO"], "ERR unknown subcommand 'FOO'. Try COMMAND HELP."],
  [["COMMAND", "COUNT", "x"], arityError("command|count")],
  [["FUNCTION", "FOO"], "ERR unknown subcommand 'FOO'. Try FUNCTION HELP."],
  [["BGSAVE", "x"], SYNTAX],
  [["FLUSHDB", "x"], SYNTAX],
  [["FLUSHALL", "ASYNC", "x"], SYNTAX],
  [["PING", "a", "b"], arityError("ping")],
  [["AUTH", "a", "b", "c"], SYNTAX],
  [["RENAME", "missing", "b"], "ERR no such key"],
  [["SHUTDOWN", "FOO"], SYNTAX],
  [["SHUTDOWN", "ABORT"], "ERR No shutdown in progress."],
];

/** Redis's texts that bitraft does not match yet (see the report); enable once fixed. */
const ODD_CASES: [args: string[], reply: string][] = [
  [["WAIT", "0", "abc"], "ERR timeout is not an integer or out of range"],
  [["CLIENT", "LIST", "ID", "abc"], "ERR Invalid client ID"],
  // Redis looks the key up before it checks the expire time.
  [["GETEX", "missing", "EX", "abc"], "null"],
  [
    ["EXEC", "x"],
    "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
  ],
];

interface CommandRow {
  name: string;
  arity: number;
}

function commandRows(r: RawReply): CommandRow[] {
  assert.equal(r.type, "array");
  return (r.value as RawReply[]).map((row) => {
    const [name, arity] = row.value as RawReply[];
    return { name: text(name) as string, arity: Number(arity.value) };
  });
}

/** Argument lists of a wrong length for an arity (name excluded). */
function wrongArgCounts(arity: number): number[] {
  const counts: number[] = [];
  if (arity > 0) {
    if (arity >= 2) counts.push(0, arity - 2); // none at all, one too few
    counts.push(arity); // one too many
  } else if (-arity >= 2) {
    counts.push(0, -arity - 2);
  }
  return [...new Set(counts)];
}

Deno.test("wrong arity and bad numbers: Redis's errors, data intact", async (t) => {
  await using server = await startServer();
  const port = server.port;
  const sentinels = await Sentinels.write(port, "args");
  const c = await RawClient.connect(port);

  await t.step("every command with a wrong number of arguments", async () => {
    await guarded(server, sentinels, async () => {
      const rows = commandRows(await c.call("COMMAND"));
      assert.ok(rows.length >= 60, `only ${rows.length} commands`);
      let checked = 0;
      for (const { name, arity } of rows) {
        if (SKIP.has(name)) continue;
        for (const n of wrongArgCounts(arity)) {
          const args = Array.from({ length: n }, (_, i) => `arity:${i}`);
          for (const spelled of [name, name.toUpperCase()]) {
            const r = await c.call(spelled, ...args);
            assert.equal(show(r), arityError(name), `${spelled} with ${n} arguments`);
            checked++;
          }
        }
      }
      assert.ok(checked >= 100, `only ${checked} checks`);
      // None of them wrote anything.
      const keys = await c.call("KEYS", "arity:*");
      assert.deepEqual(keys, { type: "array", value: [] });
    });
  });

  await t.step("wrong arity inside MULTI aborts the transaction", async () => {
    await guarded(server, sentinels, async () => {
      assert.equal(show(await c.call("MULTI")), "OK");
      assert.equal(show(await c.call("SET", "tx:a", "1")), "QUEUED");
      assert.equal(show(await c.call("SET", "tx:b")), arityError("set"));
      assert.equal(show(await c.call("GET")), arityError("get"));
      assert.equal(
        show(await c.call("EXEC")),
        "EXECABORT Transaction discarded because of previous errors.",
      );
      assert.equal(show(await c.call("EXISTS", "tx:a", "tx:b")), "0");
      assert.equal(show(await c.call("MULTI", "x")), arityError("multi"));
      assert.equal(show(await c.call("DISCARD", "x")), arityError("discard"));
      assert.equal(show(await c.call("EXEC")), "ERR EXEC without MULTI");
      assert.equal(show(await c.call("DISCARD")), "ERR DISCARD without MULTI");
    });
  });

  await t.step("bad numbers and options", async () => {
    await guarded(server, sentinels, async () => {
      assert.equal(show(await c.call("MSET", "n", "10", "s", "hello")), "OK");
      assert.equal(show(await c.call("MSET", "big", INT64_MAX, "small", INT64_MIN)), "OK");
      for (const [args, reply] of CASES) {
        assert.equal(show(await c.call(...args)), reply, args.join(" "));
      }
      // Nothing above changed anything.
      const r = await c.call("MGET", "n", "s", "big", "small", "k", "missing", "a", "b");
      assert.deepEqual(
        (r.value as RawReply[]).map(text),
        ["10", "hello", INT64_MAX, INT64_MIN, null, null, null, null],
      );
      assert.equal(show(await c.call("TTL", "n")), "-1");
    });
  });

  await t.step("bad numbers inside MULTI: the error comes at EXEC, the rest applies", async () => {
    await guarded(server, sentinels, async () => {
      assert.equal(show(await c.call("MULTI")), "OK");
      assert.equal(show(await c.call("SET", "tx:c", "1")), "QUEUED");
      assert.equal(show(await c.call("INCRBY", "tx:c", "abc")), "QUEUED");
      assert.equal(show(await c.call("INCR", "tx:c")), "QUEUED");
      const r = await c.call("EXEC");
      assert.deepEqual((r.value as RawReply[]).map(show), ["OK", NOT_INTEGER, "2"]);
      assert.equal(show(await c.call("GET", "tx:c")), "2");
    });
  });

  c.close();
  assertQuietStderr(server);
});

Deno.test({
  name: "odd argument cases get Redis's exact replies",
  async fn() {
    await using server = await startServer();
    const c = await RawClient.connect(server.port);
    try {
      for (const [args, reply] of ODD_CASES) {
        assert.equal(show(await c.call(...args)), reply, args.join(" "));
      }
    } finally {
      c.close();
    }
  },
});
