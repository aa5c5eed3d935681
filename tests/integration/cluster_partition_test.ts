/**
 * Partitions on real processes: every node's peers reach it through a TCP
 * proxy that the test cuts, while clients talk to it directly.
 */

import assert from "node:assert/strict";
import {
  ELECTION_MS,
  missingKeys,
  sleep,
  TestCluster,
  text,
  waitFor,
  Writers,
} from "./_cluster.ts";
import { checkRegister, registerClient, type RegisterOp } from "./_register_check.ts";

for (const consistency of ["medium", "high"]) {
  Deno.test(`--consistency ${consistency}: a leader paused and cut off serves no stale read when it resumes`, async () => {
    await using cluster = await TestCluster.start(3, ["--consistency", consistency], {
      proxies: true,
    });
    const leader = await cluster.leader();
    const [b, c] = cluster.alive.filter((a) => a !== leader);
    const ops: RegisterOp[] = [];
    let stopped = false;
    const stop = () => stopped;
    const clients = [
      registerClient(cluster.port(b), ops, "write", "wb", stop),
      registerClient(cluster.port(c), ops, "write", "wc", stop),
      ...[0, 1, 2, 3].map((i) => registerClient(cluster.port(leader), ops, "read", `r${i}`, stop)),
      registerClient(cluster.port(b), ops, "read", "rb", stop),
    ];
    await sleep(300);
    // Paused and unreachable: the others elect a leader and write on.
    await cluster.kill(leader, "SIGSTOP");
    cluster.proxy(leader).cut();
    const next = await cluster.leader(10_000, leader, [b, c]).catch(() => null);
    await sleep(2 * ELECTION_MS);
    // Resumed but still cut off: its lease is long gone, whatever its timers say.
    await cluster.kill(leader, "SIGCONT");
    await sleep(600);
    cluster.proxy(leader).heal();
    await sleep(600);
    stopped = true;
    await Promise.all(clients);
    assert.ok(next !== null, "no new leader while the old one was cut off");
    const reads = ops.filter((o) => o.kind === "read").length;
    const writes = ops.filter((o) => o.kind === "write").length;
    assert.ok(reads > 100 && writes > 50, `only ${reads} reads and ${writes} writes`);
    assert.deepEqual(checkRegister(ops).slice(0, 5), []);
    await cluster.waitCaughtUp();
    assert.equal(text(await cluster.call(leader, "RAFTSTATE")), "Follower");
  });
}

Deno.test("a follower cut off from its peers: the majority writes on, the follower catches up after the heal", async () => {
  await using cluster = await TestCluster.start(3, [], { proxies: true });
  const leader = await cluster.leader();
  const follower = cluster.alive.find((a) => a !== leader) as string;
  const writers = new Writers(cluster, "p", 3);
  await waitFor("writes", () => Promise.resolve(writers.count > 100 || undefined));
  cluster.proxy(follower).cut();
  const during = writers.count;
  await waitFor(
    "writes during the partition",
    () => Promise.resolve(writers.count > during + 200 || undefined),
  );
  // The cut-off follower cannot confirm reads at high consistency.
  assert.match(text(await cluster.call(follower, "GET", "x")) ?? "", /^ERR leader not known/);
  cluster.proxy(follower).heal();
  await writers.stop();
  await cluster.waitCaughtUp();
  assert.equal(await cluster.leader(), leader, "pre-vote: the returning follower does not depose");
  assert.deepEqual((await missingKeys(cluster.port(follower), writers.acked)).slice(0, 5), []);
});
