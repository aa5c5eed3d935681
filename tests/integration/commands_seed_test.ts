/**
 * The seed commands (COMMANDS.md, "Commands from the seed") through
 * redis-cli, byte for byte as a shell pipeline sees them (raw output).
 * KEYS options are bitraft's own; plain glob matching is Redis 7.0's.
 */

import assert from "node:assert/strict";
import { RawClient, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import { cli } from "./_commands.ts";

const SYNTAX = "ERR syntax error\n\n";

/** Lines of raw redis-cli output for an array reply. */
function lines(...items: string[]): string {
  return items.length === 0 ? "\n" : items.map((i) => i + "\n").join("");
}

async function dirSize(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile) n += (await Deno.stat(`${dir}/${e.name}`)).size;
  }
  return n;
}

/** Keys for the glob tests (each maps to "v"). */
const GLOB_KEYS = [
  "a",
  "b",
  "c",
  "ab",
  "abc",
  "abd",
  "acd",
  "a b",
  "a-b",
  "A",
  "B",
  "hello",
  "hallo",
  "hxllo",
  "hllo",
  "heeeello",
  "h?llo",
  "h*llo",
  "h[llo",
  "h\\llo",
  "hé",
  "x1",
  "x2",
  "x10",
  "[a]",
  "\\",
  "]",
  "^",
  "-",
];

/** Pattern -> the keys Redis 7.0 matches, in byte order. */
const GLOBS: [string, string[]][] = [
  ["?", ["-", "A", "B", "\\", "]", "^", "a", "b", "c"]],
  ["h?llo", ["h*llo", "h?llo", "h[llo", "h\\llo", "hallo", "hello", "hxllo"]],
  ["h*llo", ["h*llo", "h?llo", "h[llo", "h\\llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]],
  ["*o", ["h*llo", "h?llo", "h[llo", "h\\llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]],
  ["h[ae]llo", ["hallo", "hello"]],
  ["h[^e]llo", ["h*llo", "h?llo", "h[llo", "h\\llo", "hallo", "hxllo"]],
  ["h[a-b]llo", ["hallo"]],
  ["h[a-z]llo", ["hallo", "hello", "hxllo"]],
  ["[a-c]", ["a", "b", "c"]],
  ["[c-a]", ["a", "b", "c"]],
  ["[A-B]", ["A", "B"]],
  ["[^a]", ["-", "A", "B", "\\", "]", "^", "b", "c"]],
  ["[^]", ["-", "A", "B", "\\", "]", "^", "a", "b", "c"]],
  ["[abc]*", ["a", "a b", "a-b", "ab", "abc", "abd", "acd", "b", "c"]],
  ["a*", ["a", "a b", "a-b", "ab", "abc", "abd", "acd"]],
  ["a?", ["ab"]],
  ["x?", ["x1", "x2"]],
  ["x*0", ["x10"]],
  ["*[0-9]", ["x1", "x10", "x2"]],
  ["h\\?llo", ["h?llo"]],
  ["h\\*llo", ["h*llo"]],
  ["h\\[llo", ["h[llo"]],
  ["h\\\\llo", ["h\\llo"]],
  ["\\[a\\]", ["[a]"]],
  ["[\\]]", ["]"]],
  ["[\\^]", ["^"]],
  ["a\\-b", ["a-b"]],
  ["\\", ["\\"]],
  ["h[ae", []],
  ["a b", ["a b"]],
  ["hello", ["hello"]],
  ["hé", ["hé"]],
  ["nokey", []],
];

Deno.test("seed commands print exactly what redis-cli prints for Redis", async (t) => {
  await using server = await startServer();
  const p = server.port;

  await t.step("PING, ECHO", async () => {
    assert.equal(await cli(p, "PING"), "PONG\n");
    assert.equal(await cli(p, "ping", "hi there"), "hi there\n");
    assert.equal(await cli(p, "--no-raw", "PING", "hi"), '"hi"\n');
    assert.equal(await cli(p, "ECHO", "hello world"), "hello world\n");
    assert.equal(await cli(p, "echo", ""), "\n");
    assert.equal(await cli(p, "--no-raw", "ECHO", "a\nb"), '"a\\nb"\n');
    assert.equal(
      await cli(p, "PING", "a", "b"),
      "ERR wrong number of arguments for 'ping' command\n\n",
    );
    assert.equal(await cli(p, "ECHO"), "ERR wrong number of arguments for 'echo' command\n\n");
  });

  await t.step("SET, GET, MSET, MGET", async () => {
    assert.equal(await cli(p, "SET", "k", "v"), "OK\n");
    assert.equal(await cli(p, "GET", "k"), "v\n");
    assert.equal(await cli(p, "GET", "missing"), "\n");
    assert.equal(await cli(p, "--no-raw", "GET", "missing"), "(nil)\n");
    assert.equal(await cli(p, "SET", "sp ace", "a b\tc"), "OK\n");
    assert.equal(await cli(p, "GET", "sp ace"), "a b\tc\n");
    assert.equal(await cli(p, "SET", "k", "v2"), "OK\n");
    assert.equal(await cli(p, "get", "k"), "v2\n");
    assert.equal(await cli(p, "MSET", "a", "1", "b", "2", "c", "3", "a", "4"), "OK\n");
    assert.equal(await cli(p, "MGET", "a", "missing", "c", "b"), "4\n\n3\n2\n");
    assert.equal(
      await cli(p, "--no-raw", "MGET", "a", "missing"),
      '1) "4"\n2) (nil)\n',
    );
    assert.equal(
      await cli(p, "MSET", "a", "1", "b"),
      "ERR wrong number of arguments for 'mset' command\n\n",
    );
    assert.equal(await cli(p, "GET", "a"), "4\n", "a rejected MSET changes nothing");
    assert.equal(await cli(p, "GET"), "ERR wrong number of arguments for 'get' command\n\n");
    assert.equal(
      await cli(p, "GET", "a", "b"),
      "ERR wrong number of arguments for 'get' command\n\n",
    );
    assert.equal(await cli(p, "SET", "a"), "ERR wrong number of arguments for 'set' command\n\n");
    assert.equal(await cli(p, "SET", "a", "1", "bogus"), SYNTAX);
    assert.equal(await cli(p, "MGET"), "ERR wrong number of arguments for 'mget' command\n\n");
  });

  await t.step("DEL counts only keys that existed", async () => {
    assert.equal(await cli(p, "MSET", "d1", "1", "d2", "2"), "OK\n");
    assert.equal(await cli(p, "DEL", "d1", "d1", "nokey", "d2"), "2\n");
    assert.equal(await cli(p, "DEL", "d1"), "0\n");
    assert.equal(await cli(p, "--no-raw", "DEL", "d1", "d2"), "(integer) 0\n");
    assert.equal(await cli(p, "SET", "gone", "v", "PX", "1"), "OK\n");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await cli(p, "DEL", "gone"), "0\n", "an expired key does not count");
    assert.equal(await cli(p, "DEL"), "ERR wrong number of arguments for 'del' command\n\n");
  });

  await t.step("FLUSHDB and FLUSHALL empty the store and reclaim its disk space", async () => {
    const big = "x".repeat(100_000);
    for (let i = 0; i < 10; i++) assert.equal(await cli(p, "SET", `big${i}`, big), "OK\n");
    const before = await dirSize(`${server.dir}/bitcask`);
    assert.ok(before >= 1_000_000, `bitcask holds the values (${before} bytes)`);
    assert.equal(await cli(p, "FLUSHDB"), "OK\n");
    assert.equal(await cli(p, "DBSIZE"), "0\n");
    assert.equal(await cli(p, "KEYS", "*"), "\n");
    assert.equal(await cli(p, "GET", "big1"), "\n");
    const after = await dirSize(`${server.dir}/bitcask`);
    assert.ok(after < 100_000, `FLUSHDB reclaimed the data files (${after} bytes left)`);
    assert.equal(await cli(p, "MSET", "f1", "1", "f2", "2"), "OK\n");
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    assert.equal(await cli(p, "DBSIZE"), "0\n");
    assert.equal(await cli(p, "SET", "f3", "3"), "OK\n");
    assert.equal(await cli(p, "flushall", "ASYNC"), "OK\n");
    assert.equal(await cli(p, "FLUSHDB", "sync"), "OK\n");
    assert.equal(await cli(p, "EXISTS", "f3"), "0\n");
    assert.equal(await cli(p, "FLUSHDB", "bogus"), SYNTAX);
    assert.equal(await cli(p, "FLUSHALL", "SYNC", "ASYNC"), SYNTAX);
  });

  await t.step("KEYS: the COMMANDS.md example and every option", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    assert.equal(await cli(p, "MSET", "key1", "1", "key2", "2", "key3", "3", "key4", "4"), "OK\n");
    const keys = (...args: string[]) => cli(p, "KEYS", ...args);
    assert.equal(await keys("*", "PIVOT", "key2", "LIMIT", "2"), lines("key3", "key4"));
    assert.equal(await keys("*"), lines("key1", "key2", "key3", "key4"));
    assert.equal(await keys("*", "LIMIT", "0"), lines());
    assert.equal(await keys("*", "LIMIT", "1"), lines("key1"));
    assert.equal(await keys("*", "LIMIT", "99"), lines("key1", "key2", "key3", "key4"));
    assert.equal(await keys("*", "DESC"), lines("key4", "key3", "key2", "key1"));
    assert.equal(await keys("*", "PIVOT", "key3", "DESC"), lines("key2", "key1"));
    assert.equal(await keys("*", "DESC", "PIVOT", "key3", "LIMIT", "1"), lines("key2"));
    assert.equal(
      await keys("*", "WITHVALUES"),
      lines("key1", "1", "key2", "2", "key3", "3", "key4", "4"),
    );
    assert.equal(
      await keys("*", "PIVOT", "key2", "LIMIT", "2", "WITHVALUES"),
      lines("key3", "3", "key4", "4"),
    );
    assert.equal(
      await cli(p, "--no-raw", "KEYS", "*", "PIVOT", "key2", "WITHVALUES", "LIMIT", "1"),
      '1) "key3"\n2) "3"\n',
    );
    // EXCL is accepted and changes nothing: the pivot is always exclusive.
    assert.equal(await keys("*", "EXCL"), lines("key1", "key2", "key3", "key4"));
    assert.equal(await keys("*", "PIVOT", "key2", "EXCL", "LIMIT", "1"), lines("key3"));
    // A pivot need not exist; past either end nothing is left.
    assert.equal(await keys("*", "PIVOT", "key25"), lines("key3", "key4"));
    assert.equal(await keys("*", "PIVOT", "zzz"), lines());
    assert.equal(await keys("*", "PIVOT", "a", "DESC"), lines());
    assert.equal(await keys("*", "PIVOT", "", "LIMIT", "1"), lines("key1"));
    // A repeated option overrides the earlier one.
    assert.equal(await keys("*", "LIMIT", "1", "LIMIT", "3"), lines("key1", "key2", "key3"));
    assert.equal(await keys("*", "PIVOT", "key1", "PIVOT", "key3"), lines("key4"));
    assert.equal(await keys("*", "DESC", "DESC", "LIMIT", "1"), lines("key4"));
    // Options are case-insensitive, in any order.
    assert.equal(await keys("*", "pivot", "key2", "limit", "2"), lines("key3", "key4"));
    assert.equal(
      await keys("*", "Withvalues", "Excl", "dEsC", "Limit", "1", "PiVoT", "key2"),
      lines("key1", "1"),
    );
    // Anything else is a syntax error.
    assert.equal(await keys("*", "FOO"), SYNTAX);
    assert.equal(await keys("*", "ASC"), SYNTAX);
    assert.equal(await keys("*", "LIMIT"), SYNTAX);
    assert.equal(await keys("*", "PIVOT"), SYNTAX);
    assert.equal(await keys("*", "LIMIT", "-1"), SYNTAX);
    assert.equal(await keys("*", "WITHVALUES", "1"), SYNTAX);
    assert.equal(await keys("*", "LIMIT", "1", "2"), SYNTAX);
    assert.equal(
      await keys("*", "LIMIT", "abc"),
      "ERR value is not an integer or out of range\n\n",
    );
    assert.equal(await cli(p, "KEYS"), "ERR wrong number of arguments for 'keys' command\n\n");
  });

  await t.step("KEYS: LIMIT counts matching keys only; exact keys", async () => {
    const keys = (...args: string[]) => cli(p, "KEYS", ...args);
    assert.equal(await cli(p, "MSET", "kez", "z", "kex", "x"), "OK\n");
    assert.equal(await keys("key[24]"), lines("key2", "key4"));
    assert.equal(await keys("key[24]", "LIMIT", "1"), lines("key2"));
    assert.equal(await keys("key[24]", "PIVOT", "key2", "LIMIT", "1"), lines("key4"));
    assert.equal(await keys("ke?", "DESC", "LIMIT", "1"), lines("kez"));
    assert.equal(await keys("k*", "PIVOT", "key2", "DESC"), lines("key1", "kex"));
    assert.equal(await keys("key[24]", "DESC", "WITHVALUES"), lines("key4", "4", "key2", "2"));
    // A pattern without wildcards matches that key, options included.
    assert.equal(await keys("key3"), lines("key3"));
    assert.equal(await keys("key3", "WITHVALUES"), lines("key3", "3"));
    assert.equal(await keys("key3", "PIVOT", "key2"), lines("key3"));
    assert.equal(await keys("key3", "PIVOT", "key3"), lines());
    assert.equal(await keys("key3", "PIVOT", "key4"), lines());
    assert.equal(await keys("key3", "PIVOT", "key4", "DESC"), lines("key3"));
    assert.equal(await keys("key3", "LIMIT", "0"), lines());
    assert.equal(await keys("key5"), lines());
    assert.equal(await keys("ke"), lines());
    assert.equal(await cli(p, "SET", "short", "v", "PX", "1"), "OK\n");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await keys("short"), lines(), "an expired key is not listed");
    assert.equal(await keys("sh*"), lines(), "an expired key is not listed");
  });

  await t.step("KEYS: Redis glob patterns", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    assert.equal(await cli(p, "MSET", ...GLOB_KEYS.flatMap((k) => [k, "v"])), "OK\n");
    const sorted = [...GLOB_KEYS].sort((x, y) => {
      const a = new TextEncoder().encode(x);
      const b = new TextEncoder().encode(y);
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
      return a.length - b.length;
    });
    assert.equal(await cli(p, "KEYS", "*"), lines(...sorted), "* lists every key in byte order");
    for (const [pattern, want] of GLOBS) {
      assert.equal(await cli(p, "KEYS", pattern), lines(...want), `KEYS ${pattern}`);
    }
  });

  await t.step("PDEL deletes the matching keys", async () => {
    assert.equal(await cli(p, "FLUSHALL"), "OK\n");
    assert.equal(
      await cli(p, "MSET", "p:1", "1", "p:2", "2", "p:3", "3", "q:1", "1", "pp", "x", "p", "y"),
      "OK\n",
    );
    assert.equal(await cli(p, "SET", "p:old", "v", "PX", "1"), "OK\n");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await cli(p, "PDEL", "p:*"), "3\n", "the expired key does not count");
    assert.equal(await cli(p, "KEYS", "*"), lines("p", "pp", "q:1"));
    assert.equal(await cli(p, "PDEL", "nomatch*"), "0\n");
    assert.equal(await cli(p, "PDEL", "p[p]"), "1\n");
    assert.equal(await cli(p, "PDEL", "q:1"), "1\n");
    assert.equal(await cli(p, "PDEL", "q:1"), "0\n");
    assert.equal(await cli(p, "--no-raw", "PDEL", "*"), "(integer) 1\n");
    assert.equal(await cli(p, "KEYS", "*"), lines());
    assert.equal(await cli(p, "PDEL"), "ERR wrong number of arguments for 'pdel' command\n\n");
    assert.equal(
      await cli(p, "PDEL", "a", "b"),
      "ERR wrong number of arguments for 'pdel' command\n\n",
    );
  });

  await t.step("QUIT replies OK and closes; nothing after it runs", async () => {
    assert.equal(await cli(p, "QUIT"), "OK\n");
    const c = await RawClient.connect(p);
    try {
      await c.send("PING\r\nQUIT\r\nSET afterquit 1\r\n");
      assert.equal(text(await c.read()), "PONG");
      assert.equal(text(await c.read()), "OK");
      assert.equal((await c.readToEnd()).length, 0, "nothing after QUIT's reply");
    } finally {
      c.close();
    }
    assert.equal(await cli(p, "EXISTS", "afterquit"), "0\n");
  });
});
