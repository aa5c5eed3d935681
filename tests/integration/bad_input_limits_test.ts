/**
 * Limits (set small on the command line), the limits Redis applies before
 * AUTH, and the maximum number of clients: past a limit a clear error, the
 * connection may close, the server and the other clients carry on.
 */

import assert from "node:assert/strict";
import { command, RawClient, type RawReply, text } from "./_resp_client.ts";
import { freePort, startServer } from "./_server.ts";
import {
  assertQuietStderr,
  concat,
  connectedClients,
  drain,
  eventually,
  expectRepliesThenClose,
  guarded,
  repliesUntilClose,
  Sentinels,
  show,
} from "./_bad_input.ts";

const PROTOCOL = "ERR Protocol error: ";

Deno.test("small limits: clear errors, the server and other clients carry on", async (t) => {
  await using server = await startServer({
    args: [
      "--max-inline-len",
      "1kb",
      "--max-bulk-len",
      "4kb",
      "--max-multibulk-len",
      "16",
      "--max-client-output",
      "64kb",
    ],
  });
  const port = server.port;
  const sentinels = await Sentinels.write(port, "limits", 7); // MSET of 15 arguments
  const c = await RawClient.connect(port);

  await t.step("inline lines up to the limit work, longer ones are refused", async () => {
    await guarded(server, sentinels, async () => {
      const arg = "i".repeat(1024 - "ECHO ".length - 2);
      await c.send(`ECHO ${arg}\r\n`);
      assert.equal(show(await c.read()), arg);
      await expectRepliesThenClose(port, "ECHO " + "i".repeat(1020), [
        `${PROTOCOL}too big inline request`,
      ]);
    });
  });

  await t.step("bulks up to the limit work, longer ones are refused", async () => {
    await guarded(server, sentinels, async () => {
      assert.equal(show(await c.call("SET", "lim:bulk", "b".repeat(4096))), "OK");
      await expectRepliesThenClose(port, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4097\r\n", [
        `${PROTOCOL}invalid bulk length`,
      ]);
      assert.equal((await c.call("STRLEN", "lim:bulk")).value, 4096n);
      assert.equal(show(await c.call("EXISTS", "k")), "0");
    });
  });

  await t.step("commands of up to 16 arguments work, more are refused", async () => {
    await guarded(server, sentinels, async () => {
      const keys = Array.from({ length: 15 }, (_, i) => `lim:m${i}`);
      assert.equal(show(await c.call("DEL", ...keys)), "0");
      await expectRepliesThenClose(port, command("DEL", ...keys, "one more"), [
        `${PROTOCOL}invalid multibulk length`,
      ]);
      await expectRepliesThenClose(port, `*${"9".repeat(1100)}\r\n`, [
        `${PROTOCOL}too big mbulk count string`,
      ]);
    });
  });

  await t.step("a reply past the output limit closes that client only", async () => {
    await guarded(server, sentinels, async () => {
      // Grown in steps: each request stays under the 4 KiB bulk limit.
      assert.equal(show(await c.call("SETRANGE", "lim:huge", "99999", "x")), "100000");
      const greedy = await RawClient.connect(port);
      try {
        await greedy.send(command("GET", "lim:huge"));
        assert.deepEqual(await repliesUntilClose(greedy), []);
      } finally {
        greedy.close();
      }
      assert.equal((await c.call("STRLEN", "lim:huge")).value, 100000n);
    });
  });

  await t.step("many small replies past the output limit are fine for a reader", async () => {
    await guarded(server, sentinels, async () => {
      const value = "r".repeat(1000);
      assert.equal(show(await c.call("SET", "lim:small", value)), "OK");
      const reader = await RawClient.connect(port);
      try {
        const gets: Uint8Array[] = [];
        for (let i = 0; i < 2_000; i++) gets.push(command("GET", "lim:small"));
        const sending = reader.send(concat(gets)); // about 2 MB of replies
        for (let i = 0; i < 2_000; i++) {
          const r: RawReply = await reader.read();
          if (text(r) !== value) assert.fail(`GET #${i}: ${show(r)}`);
        }
        await sending;
      } finally {
        reader.close();
      }
    });
  });

  c.close();
  assertQuietStderr(server);
});

Deno.test("before AUTH: Redis's tighter limits, and AUTH lifts them mid-pipeline", async (t) => {
  await using server = await startServer({ args: ["--auth", "s3cret"] });
  const port = server.port;
  const admin = await RawClient.connect(port);
  assert.equal(show(await admin.call("AUTH", "s3cret")), "OK");
  assert.equal(show(await admin.call("SET", "auth:kept", "1")), "OK");

  const cases: [string, string | Uint8Array, string[]][] = [
    ["more than 10 arguments", "*11\r\n", [`${PROTOCOL}unauthenticated multibulk length`]],
    ["a bulk past 16 KiB", "*2\r\n$4\r\nAUTH\r\n$16385\r\n", [
      `${PROTOCOL}unauthenticated bulk length`,
    ]],
    ["a command, then QUIT", "GET auth:kept\r\nQUIT\r\n", [
      "NOAUTH Authentication required.",
      "OK",
    ]],
  ];
  for (const [name, bytes, replies] of cases) {
    await t.step(name, () => expectRepliesThenClose(port, bytes, replies));
  }

  await t.step("a wrong password, then the right one, in one pipeline", async () => {
    const keys = Array.from({ length: 11 }, (_, i) => `auth:k${i}`);
    const c = await RawClient.connect(port);
    try {
      await c.send(concat([
        command("AUTH", "wrong"),
        command("AUTH", "s3cret"),
        command("MGET", ...keys, "auth:kept"), // 13 arguments: fine once authenticated
        command("ECHO", "e".repeat(20_000)),
      ]));
      const replies: RawReply[] = [];
      for (let i = 0; i < 4; i++) replies.push(await c.read());
      assert.deepEqual(await drain(c, 50), { replies: [], closed: false });
      assert.deepEqual(replies.slice(0, 2).map(show), [
        "WRONGPASS invalid username-password pair or user is disabled.",
        "OK",
      ]);
      const mget = replies[2].value as RawReply[];
      assert.deepEqual(mget.map(text), [...keys.map(() => null), "1"]);
      assert.equal(text(replies[3])?.length, 20_000);
    } finally {
      c.close();
    }
  });

  assert.equal(show(await admin.call("GET", "auth:kept")), "1");
  admin.close();
  assertQuietStderr(server);
});

Deno.test("max clients: the extra client is refused, the others carry on", async () => {
  await using server = await startServer({ args: ["--max-clients", "4"] });
  const port = server.port;
  const sentinels = await Sentinels.write(port, "maxc", 5);
  const clients: RawClient[] = [];
  try {
    // The harness's startup probe may still count for a moment.
    const first = await RawClient.connect(port);
    clients.push(first);
    await eventually(
      "only one client is connected",
      async () => await connectedClients(first) === 1,
    );
    for (let i = 1; i < 4; i++) {
      const c = await RawClient.connect(port);
      assert.equal(show(await c.call("PING")), "PONG");
      clients.push(c);
    }
    const extra = await RawClient.connect(port);
    try {
      assert.deepEqual((await repliesUntilClose(extra)).map(show), [
        "ERR max number of clients reached",
      ]);
    } finally {
      extra.close();
    }
    for (const c of clients) assert.equal(show(await c.call("PING")), "PONG");
    assert.equal(show(await first.call("SET", "maxc:after", "1")), "OK");
    await sentinels.check(first);
    const info = text(await first.call("INFO", "stats")) ?? "";
    assert.match(info, /rejected_connections:1\b/);
    // Once a client leaves, a new one gets in.
    clients.pop()?.close();
    await eventually("a new client is accepted", async () => {
      const c = await RawClient.connect(port);
      try {
        const r = await c.call("PING");
        return show(r) === "PONG";
      } catch {
        return false;
      } finally {
        c.close();
      }
    });
  } finally {
    for (const c of clients) c.close();
  }
  assertQuietStderr(server);
});

Deno.test({
  name: "a connection flood past the open-file limit: refused clients, writes still work",
  ignore: Deno.build.os === "windows",
  async fn() {
    // The harness cannot lower the limit, so this one starts main.ts itself.
    const dir = await Deno.makeTempDir({ prefix: "bitraft_it_" });
    const port = freePort();
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        'ulimit -n 256 && exec "$@"',
        "sh",
        Deno.execPath(),
        "run",
        "-A",
        main,
        "-d",
        dir,
        "-b",
        `127.0.0.1:${port}`,
        "--log-level",
        "warning",
        "--max-datafile-size",
        "1mb", // the writes below open new data files
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const flood: Deno.TcpConn[] = [];
    let first: RawClient | null = null;
    try {
      await eventually("the server answers", async () => {
        try {
          const c = await RawClient.connect(port);
          first = c;
          return show(await c.call("PING")) === "PONG";
        } catch {
          return false;
        }
      }, 20_000);
      const c = first as unknown as RawClient;
      // More clients than descriptors: the server lowers maxclients to fit
      // (as Redis does) and refuses the rest, keeping descriptors for its files.
      for (let i = 0; i < 300; i++) {
        flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      }
      for (let i = 0; i < 200; i++) {
        assert.equal(show(await c.call("SET", `fd:${i}`, "x".repeat(100_000))), "OK");
      }
      assert.equal(show(await c.call("SET", "fd:k", "1")), "OK");
      const info = text(await c.call("INFO", "stats")) ?? "";
      const rejected = Number(/rejected_connections:(\d+)/.exec(info)?.[1]);
      assert.ok(rejected > 0, info);
      for (const f of flood.splice(0)) f.close();
      await eventually("a new client is served", async () => {
        const fresh = await RawClient.connect(port);
        try {
          return show(await fresh.call("GET", "fd:k")) === "1";
        } catch {
          return false;
        } finally {
          fresh.close();
        }
      }, 10_000);
    } finally {
      for (const f of flood) f.close();
      (first as RawClient | null)?.close();
      child.kill("SIGKILL");
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
