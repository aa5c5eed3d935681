/**
 * Linearizable reads on a real cluster while the leader is paused
 * (SIGSTOP) long enough to be deposed and then resumed: a stale leader must
 * not serve old values, by lease (`--consistency medium`) or by ReadIndex
 * (`high`). Every client's history of one register is checked.
 */

import assert from "node:assert/strict";
import { ELECTION_MS, sleep, TestCluster, text } from "./_cluster.ts";
import { checkRegister, type RegisterOp } from "./_register_check.ts";
import { RawClient } from "./_resp_client.ts";

async function client(
  addr: string,
  ops: RegisterOp[],
  kind: "write" | "read",
  name: string,
  stop: () => boolean,
): Promise<void> {
  let c: RawClient | null = null;
  let n = 0;
  while (!stop()) {
    const value = `${name}-${n++}`;
    const start = performance.now();
    try {
      c ??= await RawClient.connect(Number(addr.split(":")[1]));
      const r = kind === "write" ? await c.call("SET", "reg", value) : await c.call("GET", "reg");
      const end = performance.now();
      if (kind === "write") {
        if (r.type === "simple") ops.push({ kind, value, start, end });
        else if (/^TRYAGAIN/.test(text(r) ?? "")) ops.push({ kind, value, start, end: Infinity });
      } else if (r.type === "bulk") {
        ops.push({ kind, value: text(r), start, end });
      }
      if (r.type === "error") await sleep(10);
    } catch {
      if (kind === "write") ops.push({ kind, value, start, end: Infinity });
      c?.close();
      c = null;
      await sleep(20);
    }
  }
  c?.close();
}

for (const consistency of ["medium", "high"]) {
  Deno.test(`--consistency ${consistency}: no stale read from a paused and resumed leader`, async () => {
    await using cluster = await TestCluster.start(3, ["--consistency", consistency]);
    const leader = await cluster.leader();
    const others = cluster.alive.filter((a) => a !== leader);
    const ops: RegisterOp[] = [];
    let stopped = false;
    const stop = () => stopped;
    const clients = [
      client(others[0], ops, "write", "a", stop),
      client(others[1], ops, "write", "b", stop),
      client(leader, ops, "read", "r0", stop),
      client(leader, ops, "read", "r1", stop),
      client(others[0], ops, "read", "r2", stop),
      client(others[1], ops, "read", "r3", stop),
    ];
    await sleep(400);
    await cluster.kill(leader, "SIGSTOP");
    await sleep(3 * ELECTION_MS);
    await cluster.kill(leader, "SIGCONT");
    await sleep(800);
    stopped = true;
    await Promise.all(clients);
    const reads = ops.filter((o) => o.kind === "read").length;
    const writes = ops.filter((o) => o.kind === "write").length;
    assert.ok(reads > 100 && writes > 50, `only ${reads} reads and ${writes} writes`);
    assert.deepEqual(checkRegister(ops).slice(0, 5), []);
  });
}
