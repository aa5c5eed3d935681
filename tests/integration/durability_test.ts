import assert from "node:assert/strict";
import { command, RawClient, text } from "./_resp_client.ts";
import { freePort, startServer } from "./_server.ts";

function value(i: number): string {
  return `value-${i}-${"x".repeat(i % 97)}`;
}

/** Pipelines SETs in batches until the connection breaks; returns the acknowledged indexes. */
async function writeUntilKilled(
  port: number,
  start: number,
  onAck: (i: number) => void,
): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (let i = start;; i += 100) {
      const batch: Uint8Array[] = [];
      for (let j = i; j < i + 100; j++) batch.push(command("SET", `k${j}`, value(j)));
      const bytes = new Uint8Array(batch.reduce((n, b) => n + b.length, 0));
      let o = 0;
      for (const b of batch) {
        bytes.set(b, o);
        o += b.length;
      }
      await c.send(bytes);
      for (let j = i; j < i + 100; j++) {
        const r = await c.read(5_000);
        assert.equal(text(r), "OK");
        onAck(j);
      }
    }
  } catch {
    // the server was killed
  } finally {
    c.close();
  }
}

Deno.test({
  name: "every SET acknowledged with +OK survives SIGKILL (durability high)",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bitraft_durable_" });
    try {
      let acked = -1;
      let next = 0;
      for (let round = 0; round < 4; round++) {
        await using server = await startServer({ dir, args: ["--durability", "high"] });
        // Every write acknowledged in earlier rounds is there.
        const check = await RawClient.connect(server.port);
        for (let i = 0; i <= acked; i += Math.max(1, Math.floor(acked / 500))) {
          assert.equal(text(await check.call("GET", `k${i}`)), value(i), `round ${round}: k${i}`);
        }
        if (acked >= 0) assert.equal(text(await check.call("GET", `k${acked}`)), value(acked));
        check.close();
        const writing = writeUntilKilled(server.port, next, (i) => (acked = Math.max(acked, i)));
        await new Promise((r) => setTimeout(r, 300 + round * 150));
        server.kill("SIGKILL");
        await writing;
        await server.exited();
        next = acked + 1;
      }
      assert.ok(acked > 500, `only ${acked + 1} writes were acknowledged`);
      await using server = await startServer({ dir });
      const c = await RawClient.connect(server.port);
      for (let i = 0; i <= acked; i += 1000) {
        const end = Math.min(acked + 1, i + 1000);
        for (let j = i; j < end; j++) await c.send(command("GET", `k${j}`));
        for (let j = i; j < end; j++) {
          assert.equal(text(await c.read()), value(j), `k${j} lost after SIGKILL`);
        }
      }
      c.close();
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("a clean SHUTDOWN or SIGTERM keeps everything, and the next start sees it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bitraft_clean_" });
  try {
    {
      await using server = await startServer({ dir, args: ["--durability", "low"] });
      const c = await RawClient.connect(server.port);
      for (let i = 0; i < 1000; i++) await c.send(command("SET", `a${i}`, value(i)));
      for (let i = 0; i < 1000; i++) assert.equal(text(await c.read()), "OK");
      assert.equal(text(await c.call("SET", "ttl", "v", "EX", "1000")), "OK");
      assert.equal(text(await c.call("SHUTDOWN")), "OK");
      c.close();
      assert.equal((await server.exited()).code, 0);
    }
    {
      await using server = await startServer({ dir, args: ["--durability", "medium"] });
      const c = await RawClient.connect(server.port);
      assert.equal(text(await c.call("DBSIZE")), "1001");
      assert.equal(text(await c.call("GET", "a999")), value(999));
      const ttl = Number(text(await c.call("TTL", "ttl")));
      assert.ok(ttl > 990 && ttl <= 1000, `ttl ${ttl}`);
      assert.equal(text(await c.call("DEL", "a0")), "1");
      c.close();
      server.kill("SIGTERM");
      assert.equal((await server.exited()).code, 0);
    }
    {
      await using server = await startServer({ dir });
      const c = await RawClient.connect(server.port);
      assert.equal(text(await c.call("DBSIZE")), "1000");
      assert.equal(text(await c.call("GET", "a0")), null);
      c.close();
    }
    // The data directory is locked while a node runs.
    await using server = await startServer({ dir });
    const second = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../main.ts", import.meta.url).pathname,
        "-d",
        dir,
        "-b",
        `127.0.0.1:${freePort()}`,
      ],
      stderr: "piped",
      stdout: "null",
    }).output();
    assert.notEqual(second.code, 0);
    const msg = new TextDecoder().decode(second.stderr).trim();
    assert.match(msg, /^bitraft: data directory '.*' is in use by another process$/m);
    void server;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a port in use is reported in one line", async () => {
  await using server = await startServer();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
      "-d",
      `${server.dir}-other`,
      "-b",
      server.addr,
    ],
    stderr: "piped",
    stdout: "null",
  }).output();
  await Deno.remove(`${server.dir}-other`, { recursive: true }).catch(() => {});
  assert.equal(out.code, 1);
  assert.match(new TextDecoder().decode(out.stderr), /^bitraft: address .* is already in use$/m);
});
