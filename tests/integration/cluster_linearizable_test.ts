/**
 * Linearizable reads on a real cluster while the leader is paused
 * (SIGSTOP) long enough to be deposed and then resumed: a stale leader must
 * not serve old values, by lease (`--consistency medium`) or by ReadIndex
 * (`high`). Every client's history of one register is checked.
 */

import assert from "node:assert/strict";
import { ELECTION_MS, sleep, TestCluster } from "./_cluster.ts";
import { checkRegister, registerClient, type RegisterOp } from "./_register_check.ts";

for (const consistency of ["medium", "high"]) {
  Deno.test(`--consistency ${consistency}: no stale read from a paused and resumed leader`, async () => {
    await using cluster = await TestCluster.start(3, ["--consistency", consistency]);
    const leader = await cluster.leader();
    const others = cluster.alive.filter((a) => a !== leader);
    const ops: RegisterOp[] = [];
    let stopped = false;
    const stop = () => stopped;
    const clients = [
      registerClient(cluster.port(others[0]), ops, "write", "a", stop),
      registerClient(cluster.port(others[1]), ops, "write", "b", stop),
      registerClient(cluster.port(leader), ops, "read", "r0", stop),
      registerClient(cluster.port(leader), ops, "read", "r1", stop),
      registerClient(cluster.port(others[0]), ops, "read", "r2", stop),
      registerClient(cluster.port(others[1]), ops, "read", "r3", stop),
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
