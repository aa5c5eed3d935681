/**
 * Heavy and rude pipelines against a live server: 100,000 commands sent in
 * one go, a mix of good and bad commands, and a client that asks for
 * hundreds of megabytes of replies and never reads them. Other clients
 * carry on, and the server's memory stays bounded.
 */

import assert from "node:assert/strict";
import { command, RawClient, type RawReply, text } from "./_resp_client.ts";
import { startServer, type TestServer } from "./_server.ts";
import {
  assertQuietStderr,
  concat,
  connectedClients,
  eventually,
  guarded,
  Sentinels,
  show,
} from "./_bad_input.ts";

/** Keeps a client doing SET/GET until stopped; counts rounds and the slowest one. */
class Bystander {
  rounds = 0;
  slowestMs = 0;
  #stop = false;
  #done: Promise<void>;

  constructor(c: RawClient, prefix: string) {
    this.#done = (async () => {
      while (!this.#stop) {
        const t0 = performance.now();
        const key = `${prefix}:${this.rounds}`;
        assert.equal(text(await c.call("SET", key, String(this.rounds))), "OK");
        assert.equal(text(await c.call("GET", key)), String(this.rounds));
        this.slowestMs = Math.max(this.slowestMs, performance.now() - t0);
        this.rounds++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
  }

  /** Stops, and rethrows what went wrong. */
  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

/** A command as RESP text (ASCII arguments only): quicker than `command()` for 200,000. */
function resp(args: string[]): string {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${a.length}\r\n${a}\r\n`);
  return parts.join("");
}

/** The server's resident set size in bytes (Linux), or its own INFO figure. */
async function rss(server: TestServer, c: RawClient): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${server.child.pid}/status`);
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  const info = text(await c.call("INFO", "memory")) ?? "";
  return Number(/used_memory_rss:(\d+)/.exec(info)?.[1]);
}

Deno.test("rude pipelines do not disturb other clients", async (t) => {
  await using server = await startServer();
  const port = server.port;
  const sentinels = await Sentinels.write(port, "pipe");

  await t.step("100,000 pipelined SETs then GETs, sent in one go", async () => {
    await guarded(server, sentinels, async () => {
      const n = 100_000;
      const parts: string[] = [];
      for (let i = 0; i < n; i++) parts.push(resp(["SET", `p:${i}`, `v${i}`]));
      for (let i = 0; i < n; i++) parts.push(resp(["GET", `p:${i}`]));
      const all = new TextEncoder().encode(parts.join(""));
      const other = await RawClient.connect(port);
      const bystander = new Bystander(other, "pipe:bystander");
      const c = await RawClient.connect(port);
      try {
        const sending = c.send(all); // one write; replies are read meanwhile
        for (let i = 0; i < n; i++) {
          const r = await c.read(30_000);
          if (text(r) !== "OK") assert.fail(`SET #${i}: ${show(r)}`);
        }
        for (let i = 0; i < n; i++) {
          const r = await c.read(30_000);
          if (text(r) !== `v${i}`) assert.fail(`GET #${i}: ${show(r)}`);
        }
        await sending;
      } finally {
        c.close();
        await bystander.stop();
        other.close();
      }
      assert.ok(bystander.rounds >= 3, `bystander ran ${bystander.rounds} rounds`);
      assert.ok(bystander.slowestMs < 5_000, `bystander waited ${bystander.slowestMs} ms`);
    });
  });

  await t.step("one command with 500,000 arguments", async () => {
    await guarded(server, sentinels, async () => {
      const args = ["EXISTS", "p:0", "p:99999"];
      for (let i = 0; i < 499_997; i++) args.push(`absent:${i}`);
      const other = await RawClient.connect(port);
      const bystander = new Bystander(other, "many:bystander");
      const c = await RawClient.connect(port);
      try {
        const sending = c.send(new TextEncoder().encode(resp(args)));
        assert.equal(show(await c.read(30_000)), "2");
        await sending;
      } finally {
        c.close();
        await bystander.stop();
        other.close();
      }
    });
  });

  await t.step("a pipeline mixing good and bad commands: replies in order", async () => {
    await guarded(server, sentinels, async () => {
      const cmds: Uint8Array[] = [];
      const expected: string[] = [];
      for (let i = 0; i < 5_000; i++) {
        switch (i % 5) {
          case 0:
            cmds.push(command("SET", `mix:${i}`, `${i}`));
            expected.push("OK");
            break;
          case 1:
            cmds.push(command("GET"));
            expected.push("ERR wrong number of arguments for 'get' command");
            break;
          case 2:
            cmds.push(command("INCRBY", `mix:${i - 2}`, "x"));
            expected.push("ERR value is not an integer or out of range");
            break;
          case 3:
            cmds.push(command("NOSUCH", `${i}`));
            expected.push(`ERR unknown command 'NOSUCH', with args beginning with: '${i}' `);
            break;
          default:
            cmds.push(command("GET", `mix:${i - 4}`));
            expected.push(`${i - 4}`);
        }
      }
      const c = await RawClient.connect(port);
      try {
        const sending = c.send(concat(cmds));
        for (let i = 0; i < expected.length; i++) {
          const got = show(await c.read());
          if (got !== expected[i]) assert.fail(`#${i}: ${got} !== ${expected[i]}`);
        }
        await sending;
      } finally {
        c.close();
      }
    });
  });

  await t.step("a client that never reads its replies stalls only itself", async () => {
    await guarded(server, sentinels, async () => {
      const other = await RawClient.connect(port);
      try {
        const value = new Uint8Array(1 << 20).fill(0x61); // 1 MiB
        assert.equal(text(await other.call("SET", "slow:big", value)), "OK");
        assert.equal((await other.call("STRLEN", "slow:big")).value, 1048576n);
        const clientsBefore = await connectedClients(other);
        const before = await rss(server, other);
        const slow = await RawClient.connect(port);
        const gets: Uint8Array[] = [];
        for (let i = 0; i < 200; i++) gets.push(command("GET", "slow:big"));
        await slow.send(concat(gets)); // 200 MiB of replies, never read
        const bystander = new Bystander(other, "slow:bystander");
        await new Promise((r) => setTimeout(r, 1_500));
        await bystander.stop();
        const during = await rss(server, other);
        assert.ok(bystander.rounds >= 5, `bystander ran ${bystander.rounds} rounds`);
        assert.ok(bystander.slowestMs < 1_000, `bystander waited ${bystander.slowestMs} ms`);
        const grown = (during - before) / 1048576;
        assert.ok(
          grown < 64,
          `RSS grew by ${grown.toFixed(1)} MiB for a client that does not read`,
        );
        slow.close();
        await eventually(
          "the server drops the slow client",
          async () => await connectedClients(other) <= clientsBefore,
        );
        assert.equal((await other.call("STRLEN", "slow:big")).value, 1048576n);
      } finally {
        other.close();
      }
    });
  });

  await t.step("a client that reads slowly gets every reply, in order", async () => {
    await guarded(server, sentinels, async () => {
      const c = await RawClient.connect(port);
      try {
        const value = "b".repeat(256 * 1024);
        assert.equal(text(await c.call("SET", "slow:mid", value)), "OK");
        const gets: Uint8Array[] = [];
        for (let i = 0; i < 40; i++) gets.push(command("GET", "slow:mid"), command("PING"));
        await c.send(concat(gets));
        for (let i = 0; i < 40; i++) {
          await new Promise((r) => setTimeout(r, 5));
          const r: RawReply = await c.read();
          assert.equal(r.type === "bulk" && r.value?.length, value.length);
          assert.equal(show(await c.read()), "PONG");
        }
      } finally {
        c.close();
      }
    });
  });

  assertQuietStderr(server);
});
