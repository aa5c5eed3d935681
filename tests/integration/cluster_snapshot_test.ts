/**
 * InstallSnapshot on real processes: a follower that was down while the
 * leader compacted its log, and a node added after compaction, catch up
 * from a snapshot streamed by the leader and end identical to it.
 */

import assert from "node:assert/strict";
import { sleep, TestCluster, text, waitFor } from "./_cluster.ts";
import { command, RawClient, type RawReply } from "./_resp_client.ts";

async function keyspace(cluster: TestCluster, addr: string): Promise<string[]> {
  const c = await RawClient.connect(cluster.port(addr));
  try {
    const r = await c.call("KEYS", "*", "WITHVALUES");
    assert.equal(r.type, "array");
    return (r.value as RawReply[]).map((x) => [...(x.value as Uint8Array)].join(","));
  } finally {
    c.close();
  }
}

async function pipeline(cluster: TestCluster, addr: string, cmds: (string | Uint8Array)[][]) {
  const c = await RawClient.connect(cluster.port(addr));
  try {
    for (let i = 0; i < cmds.length; i += 1000) {
      const chunk = cmds.slice(i, i + 1000);
      for (const cmd of chunk) await c.send(command(...cmd));
      for (const _ of chunk) assert.equal((await c.read()).type !== "error", true);
    }
  } finally {
    c.close();
  }
}

Deno.test("a follower down during compaction (and killed during the transfer), and a node added after it, catch up by InstallSnapshot", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((a) => a !== leader) as string;
  // Keys the follower holds, deleted while it is down: they must not survive the install.
  await pipeline(cluster, leader, Array.from({ length: 500 }, (_, i) => ["SET", `old:${i}`, "x"]));
  await cluster.waitCaughtUp();
  await cluster.kill(follower);
  await pipeline(cluster, leader, [["PDEL", "old:*"]]);
  const writes: (string | Uint8Array)[][] = [];
  for (let i = 0; i < 26_000; i++) {
    if (i % 7 === 0) {
      writes.push(["SET", `k${i}`, new Uint8Array([i & 255, 0, 13, 10]), "EX", "3600"]);
    } else writes.push(["SET", `k${i}`, `v${i}`]);
  }
  writes.push(["SET", "empty", ""]);
  await pipeline(cluster, leader, writes);
  await waitFor(
    "the leader to compact its log",
    async () =>
      Number((await cluster.stats(leader)).get("first_log_index")) > 600 ? true : undefined,
  );
  // Killed again and again while the snapshot streams in or is installed: it recovers.
  for (const delay of [50, 150, 300]) {
    await cluster.restart(follower);
    await sleep(delay);
    await cluster.kill(follower);
  }
  await cluster.restart(follower);
  await cluster.waitCaughtUp(30_000);
  const st = await cluster.stats(follower);
  assert.ok(
    Number(st.get("first_log_index")) > 600,
    `follower log starts at ${st.get("first_log_index")}`,
  );
  const want = await keyspace(cluster, leader);
  assert.equal(want.length, 2 * 26_001);
  assert.deepEqual(await keyspace(cluster, follower), want);
  assert.equal(text(await cluster.call(follower, "EXISTS", "old:1")), "0");
  const ttl = Number(text(await cluster.call(follower, "TTL", "k0")));
  assert.ok(ttl > 3500 && ttl <= 3600, `TTL ${ttl}`);

  // A brand-new node joins after the compaction.
  const added = await cluster.startNode(leader);
  await cluster.waitVoters(4);
  await cluster.waitCaughtUp(30_000);
  assert.deepEqual(await keyspace(cluster, added), want);
  // And everyone keeps replicating normally afterwards.
  assert.equal(text(await cluster.call(added, "SET", "after", "snapshot")), "OK");
  await cluster.waitCaughtUp();
  for (const a of cluster.alive) {
    assert.equal(text(await cluster.call(a, "GET", "after")), "snapshot");
  }
});

Deno.test("RAFTSHRINKLOG compacts now, keeping --trailing-logs entries; --snapshot-entries writes snapshot files", async () => {
  await using cluster = await TestCluster.start(3, [
    "--trailing-logs",
    "100",
    "--snapshot-entries",
    "2000",
  ]);
  const leader = await cluster.leader();
  await pipeline(cluster, leader, Array.from({ length: 3000 }, (_, i) => ["SET", `k${i}`, "v"]));
  await cluster.waitCaughtUp();
  assert.equal(text(await cluster.call(leader, "RAFTSHRINKLOG")), "OK");
  const st = await cluster.stats(leader);
  const applied = Number(st.get("applied_index"));
  assert.ok(applied > 3000);
  assert.equal(Number(st.get("first_log_index")), applied - 100 + 1);
  assert.equal(Number(st.get("last_snapshot_index")), applied - 100);
  // Every node wrote a snapshot file on its own after 2,000 entries.
  for (const a of cluster.alive) {
    await waitFor(`a snapshot file on ${a}`, () => {
      const dir = `${cluster.dirs.get(a)}/snapshots`;
      const ids = [...Deno.readDirSync(dir)].filter((e) => !e.name.endsWith(".tmp"));
      return Promise.resolve(ids.length > 0 ? true : undefined);
    });
  }
});

Deno.test("the log really shrinks: files under <data>/raft stay bounded during a long write run", async () => {
  await using cluster = await TestCluster.start(3, [
    "--log-segment-size",
    "64kb",
    "--compact-entries",
    "2000",
    "--trailing-logs",
    "500",
  ]);
  const leader = await cluster.leader();
  const value = "v".repeat(200);
  const raftBytes = (addr: string) => {
    let n = 0;
    const dir = `${cluster.dirs.get(addr)}/raft`;
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile) n += Deno.statSync(`${dir}/${e.name}`).size;
    }
    return n;
  };
  let max = 0;
  for (let round = 0; round < 30; round++) {
    await pipeline(
      cluster,
      leader,
      Array.from({ length: 1000 }, (_, i) => ["SET", `k${round}:${i}`, value]),
    );
    for (const a of cluster.alive) max = Math.max(max, raftBytes(a));
  }
  await cluster.waitCaughtUp();
  // 30,000 entries of ~250 bytes were written (7.5 MB); each node keeps about
  // compact-entries + trailing-logs of them (0.6 MB), plus partly used
  // segments and what arrives while a compaction runs on a busy machine.
  assert.ok(max < 4_000_000, `a raft directory grew to ${max} bytes`);
  for (const a of cluster.alive) {
    const first = Number((await cluster.stats(a)).get("first_log_index"));
    assert.ok(first > 15_000, `${a}: log starts at ${first}`);
  }
});
