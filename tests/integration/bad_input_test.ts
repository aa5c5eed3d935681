/**
 * Bad input on the wire (garbage, protocol errors, half-sent commands,
 * QUIT mid-pipeline) against a live server: each case gets Redis 7's
 * reply, and never crashes the server, loses data or disturbs other
 * clients (see `guarded()`).
 */

import assert from "node:assert/strict";
import { command, RawClient, type RawReply, text } from "./_resp_client.ts";
import { startServer } from "./_server.ts";
import {
  assertQuietStderr,
  concat,
  connectedClients,
  drain,
  eventually,
  expectRepliesThenClose,
  guarded,
  prng,
  randomBytes,
  Sentinels,
  show,
} from "./_bad_input.ts";

const PROTOCOL = "ERR Protocol error: ";

/** Protocol errors: bytes, the replies Redis 7 sends, then the connection closes. */
const PROTOCOL_CASES: [name: string, bytes: string | Uint8Array, replies: string[]][] = [
  ["1 GB bulk", "*1\r\n$1073741824\r\n", [`${PROTOCOL}invalid bulk length`]],
  ["bulk past 512 MB", "*1\r\n$536870913\r\n", [`${PROTOCOL}invalid bulk length`]],
  ["negative bulk", "*1\r\n$-1\r\n", [`${PROTOCOL}invalid bulk length`]],
  ["bulk length with a plus", "*1\r\n$+4\r\nPING\r\n", [`${PROTOCOL}invalid bulk length`]],
  ["non-numeric bulk length", "*1\r\n$abc\r\n", [`${PROTOCOL}invalid bulk length`]],
  ["huge multibulk count", "*99999999999\r\n", [`${PROTOCOL}invalid multibulk length`]],
  ["multibulk count past 1M", "*1048577\r\n", [`${PROTOCOL}invalid multibulk length`]],
  ["non-numeric multibulk count", "*abc\r\n", [`${PROTOCOL}invalid multibulk length`]],
  ["multibulk count with a plus", "*+1\r\n$4\r\nPING\r\n", [
    `${PROTOCOL}invalid multibulk length`,
  ]],
  ["not a bulk", "*2\r\nXabc\r\n", [`${PROTOCOL}expected '$', got 'X'`]],
  ["inline reply marker", "*1\r\n:1\r\n", [`${PROTOCOL}expected '$', got ':'`]],
  ["unbalanced double quotes", 'SET "a b\r\n', [`${PROTOCOL}unbalanced quotes in request`]],
  ["unbalanced single quotes", "SET 'a b\r\n", [`${PROTOCOL}unbalanced quotes in request`]],
  ["closing quote not followed by space", 'SET "a"b c\r\n', [
    `${PROTOCOL}unbalanced quotes in request`,
  ]],
  ["inline line past 64 KiB", "a".repeat(64 * 1024 + 1), [`${PROTOCOL}too big inline request`]],
  ["multibulk count line past 64 KiB", "*" + "1".repeat(64 * 1024), [
    `${PROTOCOL}too big mbulk count string`,
  ]],
  ["bulk count line past 64 KiB", "*1\r\n$" + "1".repeat(64 * 1024), [
    `${PROTOCOL}too big bulk count string`,
  ]],
  [
    "commands before the error run, those after do not",
    concat([
      command("SET", "proto:before", "1"),
      "PING\r\n",
      "*1\r\n$-5\r\n",
      command("SET", "proto:after", "1"),
    ]),
    ["OK", "PONG", `${PROTOCOL}invalid bulk length`],
  ],
  [
    "error in the middle of a command",
    concat(["*3\r\n$3\r\nSET\r\nX\r\n", command("SET", "proto:mid", "1")]),
    [`${PROTOCOL}expected '$', got 'X'`],
  ],
];

Deno.test("bad input on the wire never crashes the server nor loses data", async (t) => {
  await using server = await startServer();
  const port = server.port;
  const sentinels = await Sentinels.write(port, "wire");
  const client = await RawClient.connect(port);

  for (const [name, bytes, replies] of PROTOCOL_CASES) {
    await t.step(`protocol error: ${name}`, async () => {
      await guarded(server, sentinels, () => expectRepliesThenClose(port, bytes, replies));
    });
  }

  await t.step("the commands around a protocol error", async () => {
    assert.equal(text(await client.call("GET", "proto:before")), "1");
    assert.equal(text(await client.call("EXISTS", "proto:after", "proto:mid")), "0");
  });

  await t.step("a count line is only judged once its line is complete", async () => {
    await guarded(server, sentinels, async () => {
      const c = await RawClient.connect(port);
      try {
        await c.send("*2\r\nX");
        await c.send("\r"); // Redis needs one byte after the CR, too
        const early = await drain(c, 200);
        assert.deepEqual(early, { replies: [], closed: false });
        await c.send("\n");
        assert.deepEqual((await drain(c, 5_000)).replies.map(show), [
          `${PROTOCOL}expected '$', got 'X'`,
        ]);
        assert.ok(c.closed);
      } finally {
        c.close();
      }
    });
  });

  await t.step("harmless oddities are not errors", async () => {
    await guarded(server, sentinels, async () => {
      const c = await RawClient.connect(port);
      try {
        // Empty multibulks and blank lines are skipped; leading blanks are fine.
        await c.send("*0\r\n*-1\r\n\r\n\n   \t\r\n  PING  \r\n*1\r\n$4\r\nPING\r\n");
        assert.equal(show(await c.read()), "PONG");
        assert.equal(show(await c.read()), "PONG");
        // A NUL byte is an ordinary byte (Redis would stop at it).
        await c.send("ECHO a\x00b\r\n");
        assert.equal(show(await c.read()), "a\x00b");
        assert.deepEqual(await drain(c, 100), { replies: [], closed: false });
      } finally {
        c.close();
      }
    });
  });

  await t.step(
    "random binary garbage: only errors, maybe a protocol error and a close",
    async () => {
      for (let seed = 1; seed <= 24; seed++) {
        await guarded(server, sentinels, async () => {
          const rand = prng(seed);
          const c = await RawClient.connect(port);
          try {
            await c.send(randomBytes(rand, 1 + Math.floor(rand() * 8192)));
            const { replies, closed } = await drain(c, 150);
            for (const r of replies) {
              assert.equal(r.type, "error", `seed ${seed}: got ${show(r)}`);
            }
            if (closed) {
              const last = replies.at(-1);
              // The error may be lost when the close turns into a reset.
              if (last !== undefined) {
                assert.ok(show(last).startsWith(PROTOCOL), `seed ${seed}: ${show(last)}`);
              }
            } else {
              // Still open: the server must still answer on it (once the
              // garbage's last line, if any, is complete).
              await c.send("\r\n*1\r\n$4\r\nPING\r\n");
              const after = await drain(c, 300);
              const last = after.replies.at(-1);
              assert.ok(after.closed || (last !== undefined && show(last) === "PONG"));
            }
          } finally {
            c.close();
          }
        });
      }
    },
  );

  await t.step("printable garbage: inline errors, connection stays usable", async () => {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \t-_.:!?#%&()[]{}<>/=+*,;\r\n";
    for (let seed = 100; seed < 110; seed++) {
      await guarded(server, sentinels, async () => {
        const rand = prng(seed);
        let garbage = "";
        for (let i = 0; i < 4096; i++) {
          const ch = alphabet[Math.floor(rand() * alphabet.length)];
          // Lines must start with a letter so that none is a multibulk; the
          // "zz" prefix keeps them from naming a command.
          garbage += ch === "\n" ? "\nzz" : ch;
        }
        const c = await RawClient.connect(port);
        try {
          await c.send(`zz${garbage}\r\nPING\r\n`);
          for (let r = await c.read(); show(r) !== "PONG"; r = await c.read()) {
            assert.match(show(r), /^ERR unknown command 'zz/);
          }
          assert.equal(c.closed, false);
        } finally {
          c.close();
        }
      });
    }
  });

  await t.step("mutated pipelines: the server answers or closes, and survives", async () => {
    const pipeline: (Uint8Array | string)[] = [];
    for (let i = 0; i < 40; i++) {
      pipeline.push(
        command("SET", `fuzz:${i}`, `v${i}`),
        command("GET", `fuzz:${i}`),
        command("MGET", `fuzz:${i}`, `fuzz:${i + 1}`),
        command("INCR", `fuzz:n${i % 3}`),
        command("APPEND", `fuzz:s`, `${i}`),
        i % 2 === 0 ? `ECHO "fuzz ${i}\\x41"\r\n` : `SET 'fuzz:i${i}' "x y"\r\n`,
      );
    }
    const clean = concat(pipeline);
    let closedCount = 0;
    for (let seed = 200; seed < 240; seed++) {
      await guarded(server, sentinels, async () => {
        const rand = prng(seed);
        const bytes = Array.from(clean);
        for (let m = 1 + Math.floor(rand() * 8); m > 0; m--) {
          const at = Math.floor(rand() * bytes.length);
          const kind = rand();
          const junk = Math.floor(rand() * 256);
          if (kind < 0.4) bytes[at] = junk;
          else if (kind < 0.7) bytes.splice(at, 0, junk);
          else bytes.splice(at, 1 + Math.floor(rand() * 20));
        }
        const c = await RawClient.connect(port);
        try {
          await c.send(new Uint8Array(bytes));
          const { replies, closed } = await drain(c, 100);
          // A protocol error, if any, is the last reply, and the connection is closed.
          const i = replies.findIndex((r) => r.type === "error" && show(r).startsWith(PROTOCOL));
          assert.ok(i === -1 || (i === replies.length - 1 && closed), `seed ${seed}`);
          if (closed) closedCount++;
        } finally {
          c.close();
        }
      });
    }
    // Some mutations break the framing, some only a command.
    assert.ok(closedCount > 0 && closedCount < 40, `closed ${closedCount} of 40`);
  });

  await t.step("unknown commands with binary and CR/LF arguments", async () => {
    await guarded(server, sentinels, async () => {
      const c = await RawClient.connect(port);
      try {
        const r = await c.call("NOPE", "a\r\nb", "c");
        assert.equal(show(r), "ERR unknown command 'NOPE', with args beginning with: 'a  b' 'c' ");
        const bin = await c.call(new Uint8Array([0xff, 0x00, 0x0d]));
        assert.equal(bin.type, "error");
        assert.match(show(bin), /^ERR unknown command '/);
        assert.equal(show(await c.call("PING")), "PONG");
      } finally {
        c.close();
      }
    });
  });

  await t.step("half-sent commands then a disconnect write nothing", async () => {
    const halves: [key: string, bytes: string | Uint8Array][] = [
      ["half:k", "*3\r\n$3\r\nSET\r\n$6\r\nhalf:k\r\n$10\r\nabc"],
      ["half:crlf", "*3\r\n$3\r\nSET\r\n$9\r\nhalf:crlf\r\n$3\r\nabc"],
      ["half:count", "*3\r\n$3\r\nSET\r\n$10\r\nhalf:count\r\n$1"],
      ["half:args", "*3\r\n$3\r\nSET\r\n$9\r\nhalf:args\r\n"],
      ["half:inline", "SET half:inline value"],
      ["half:multi", "MULTI\r\nSET half:multi 1\r\n"],
      ["half:exec", "MULTI\r\nSET half:exec 1\r\nEXE"],
    ];
    for (const [key, bytes] of halves) {
      await guarded(server, sentinels, async () => {
        const before = await connectedClients(client);
        const c = await RawClient.connect(port);
        await c.send(bytes);
        await drain(c, 100);
        c.close();
        await eventually(
          "the server drops the client",
          async () => await connectedClients(client) <= before,
        );
        const fresh = await RawClient.connect(port);
        try {
          assert.equal(text(await fresh.call("EXISTS", key)), "0", key);
          assert.equal(text(await fresh.call("SET", key, "later")), "OK");
          assert.equal(text(await fresh.call("GET", key)), "later");
        } finally {
          fresh.close();
        }
      });
    }
  });

  await t.step("QUIT mid-pipeline: +OK, close, nothing after it runs", async () => {
    await guarded(server, sentinels, () =>
      expectRepliesThenClose(
        port,
        concat([
          command("SET", "quit:a", "1"),
          command("QUIT"),
          command("SET", "quit:b", "2"),
          "SET quit:c 3\r\n",
        ]),
        ["OK", "OK"],
      ));
    await guarded(
      server,
      sentinels,
      () => expectRepliesThenClose(port, "PING\r\nquit\r\nSET quit:d 4\r\n", ["PONG", "OK"]),
    );
    // Inside MULTI, QUIT is not queued: the transaction is dropped.
    await guarded(
      server,
      sentinels,
      () =>
        expectRepliesThenClose(port, "MULTI\r\nSET quit:e 5\r\nQUIT\r\nEXEC\r\n", [
          "OK",
          "QUEUED",
          "OK",
        ]),
    );
    assert.equal(text(await client.call("GET", "quit:a")), "1");
    assert.equal(text(await client.call("EXISTS", "quit:b", "quit:c", "quit:d", "quit:e")), "0");
  });

  await t.step("QUIT followed by more than one read's worth of commands", async () => {
    await guarded(server, sentinels, async () => {
      const tail: Uint8Array[] = [];
      for (let i = 0; i < 20_000; i++) tail.push(command("SET", `quit:tail:${i}`, "x"));
      const c = await RawClient.connect(port);
      try {
        await c.send(concat([command("SET", "quit:f", "1"), command("QUIT"), ...tail]))
          .catch(() => {}); // the server may close before it has read everything
        const { closed } = await drain(c, 5_000);
        assert.ok(closed);
      } finally {
        c.close();
      }
      assert.equal(text(await client.call("GET", "quit:f")), "1");
      const r = await client.call("KEYS", "quit:tail:*", "LIMIT", "1");
      assert.deepEqual(r, { type: "array", value: [] });
    });
  });

  await t.step("a pipeline trickled in one byte at a time", async () => {
    await guarded(server, sentinels, async () => {
      const bytes = concat([
        command("SET", "drip", "v\r\n1"),
        "GET drip\r\n",
        command("APPEND", "drip", "2"),
        "  ECHO \"a\\x41\" 'b c'\n",
      ]);
      const c = await RawClient.connect(port);
      try {
        for (const b of bytes) await c.send(new Uint8Array([b]));
        assert.deepEqual(
          [await c.read(), await c.read(), await c.read()].map(show),
          ["OK", "v\r\n1", "5"],
        );
        const echo = await c.read();
        assert.equal(show(echo), "ERR wrong number of arguments for 'echo' command");
      } finally {
        c.close();
      }
    });
  });

  await t.step("a very long unknown command name: a short error", async () => {
    await guarded(server, sentinels, async () => {
      const c = await RawClient.connect(port);
      try {
        // 100,000, not more: see the ignored test at the end.
        const r = await c.call("X".repeat(100_000), "y".repeat(100_000));
        assert.equal(r.type, "error");
        assert.ok(show(r).length < 400, `${show(r).length} characters`);
        assert.match(show(r), /^ERR unknown command 'XXXX/);
      } finally {
        c.close();
      }
    });
  });

  await t.step("a client that leaves right after a write: the write is applied", async () => {
    await guarded(server, sentinels, async () => {
      const c = await RawClient.connect(port);
      await c.send(concat([command("SET", "gone:a", "1"), command("INCR", "gone:n")]));
      c.close();
      await eventually("the write is applied", async () => {
        const r = await client.call("MGET", "gone:a", "gone:n");
        return (r.value as RawReply[]).map(text).join(",") === "1,1";
      });
    });
  });

  await t.step("connection churn: 300 clients come and go, none is left behind", async () => {
    await guarded(server, sentinels, async () => {
      const before = await connectedClients(client);
      const rand = prng(7);
      for (let round = 0; round < 10; round++) {
        const batch = await Promise.all(
          Array.from({ length: 30 }, () => RawClient.connect(port)),
        );
        await Promise.all(batch.map(async (c, i) => {
          const full = command("SET", `churn:${round}:${i}`, "x");
          const cut = Math.floor(rand() * full.length);
          await c.send(full.subarray(0, cut)).catch(() => {});
          c.close();
        }));
      }
      await eventually(
        "every churned client is gone",
        async () => await connectedClients(client) <= before,
      );
    });
  });

  client.close();
  assertQuietStderr(server);
});

Deno.test({
  // Arguments are turned into text in chunks: String.fromCharCode on 200,000
  // bytes at once would overflow the call stack.
  name: "a command name or argument of 200,000 bytes gets a normal error",
  async fn() {
    await using server = await startServer();
    const c = await RawClient.connect(server.port);
    try {
      assert.match(show(await c.call("X".repeat(200_000))), /^ERR unknown command 'XXXX/);
      assert.equal(show(await c.call("SCAN", "1".repeat(200_000))), "ERR invalid cursor");
      assert.match(
        show(await c.call("EXPIRE", "k", "1", "Z".repeat(200_000))),
        /^ERR Unsupported option ZZZZ/,
      );
    } finally {
      c.close();
    }
    assertQuietStderr(server);
  },
});
