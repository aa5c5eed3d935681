/**
 * A real 3-node cluster under faults: SIGKILL of the leader under a write
 * load, SIGSTOP of a follower, and SIGKILL of the whole cluster.
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
import { command, RawClient } from "./_resp_client.ts";

Deno.test("SIGKILL of the leader under load: a new leader takes over, no acknowledged write is lost, the old one catches up", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const writers = new Writers(cluster, "k", 6);
  await waitFor("writes before the kill", () => Promise.resolve(writers.count > 300 || undefined));
  const killedAt = Date.now();
  const before = writers.count;
  await cluster.kill(leader);
  const next = await cluster.leader(15_000, leader);
  const tookOver = Date.now() - killedAt;
  assert.ok(tookOver < 6 * ELECTION_MS, `a new leader took ${tookOver} ms`);
  // Clients on the survivors keep working (writes at followers are forwarded).
  await waitFor(
    "writes after the kill",
    () => Promise.resolve(writers.count > before + 300 || undefined),
  );
  await cluster.restart(leader);
  await sleep(300);
  await writers.stop();
  await cluster.waitCaughtUp();
  assert.notEqual(next, leader);
  for (const addr of cluster.alive) {
    const missing = await missingKeys(addr, writers.acked);
    assert.deepEqual(missing.slice(0, 5), [], `${addr} lost ${missing.length} acknowledged writes`);
  }
});

Deno.test("a SIGSTOPped follower does not stop writes, and catches up after SIGCONT", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((a) => a !== leader) as string;
  const writers = new Writers(cluster, "s", 3);
  await waitFor("some writes", () => Promise.resolve(writers.count > 100 || undefined));
  await cluster.kill(follower, "SIGSTOP");
  const during = writers.count;
  // Writers on the stopped node hang; the others go on.
  await waitFor(
    "writes while a follower is stopped",
    () => Promise.resolve(writers.count > during + 200 || undefined),
  );
  await cluster.kill(follower, "SIGCONT");
  await writers.stop();
  await cluster.waitCaughtUp();
  assert.equal(await cluster.leader(), leader, "a paused follower must not depose the leader");
  assert.deepEqual((await missingKeys(follower, writers.acked)).slice(0, 5), []);
});

Deno.test("SIGKILL of the whole cluster keeps every acknowledged write", async () => {
  await using cluster = await TestCluster.start(3);
  const writers = new Writers(cluster, "w", 6);
  await waitFor("writes", () => Promise.resolve(writers.count > 1000 || undefined));
  await Promise.all(cluster.alive.map((a) => cluster.kill(a)));
  await writers.stop();
  const acked = new Set(writers.acked);
  await Promise.all(cluster.addrs.map((a) => cluster.restart(a)));
  await cluster.leader();
  await cluster.waitCaughtUp();
  for (const addr of cluster.alive) {
    const missing = await missingKeys(addr, acked);
    assert.deepEqual(missing.slice(0, 5), [], `${addr} lost ${missing.length} of ${acked.size}`);
  }
});

Deno.test("a follower forwards writes and transactions; reads see the client's own writes", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((a) => a !== leader) as string;
  const c = await RawClient.connect(Number(follower.split(":")[1]));
  try {
    // Pipelined: each GET must see the SET before it, and no later one.
    for (let i = 0; i < 50; i++) {
      await c.send(command("SET", "x", String(i)));
      await c.send(command("GET", "x"));
    }
    for (let i = 0; i < 50; i++) {
      assert.equal(text(await c.read()), "OK");
      assert.equal(text(await c.read()), String(i));
    }
    assert.equal(text(await c.call("MULTI")), "OK");
    assert.equal(text(await c.call("INCR", "n")), "QUEUED");
    assert.equal(text(await c.call("INCR", "n")), "QUEUED");
    const exec = await c.call("EXEC");
    assert.equal(exec.type, "array");
    assert.deepEqual(exec.value, [{ type: "int", value: 1n }, { type: "int", value: 2n }]);
    const err = await c.call("INCR", "x-is-not-a-number-key");
    assert.equal(text(err), "1");
    await c.call("SET", "str", "abc");
    assert.match(text(await c.call("INCR", "str")) ?? "", /^ERR value is not an integer/);
    assert.equal(text(await c.call("WAIT", "3", "2000")), "3");
    // RESP3 replies are relayed in the client's protocol.
    await c.call("HELLO", "3");
    const r = await c.call("SET", "y", "1", "GET");
    assert.equal(r.type, "other"); // RESP3 null "_"
    assert.equal(text(await c.call("GET", "y")), "1");
  } finally {
    c.close();
  }
  assert.equal(text(await cluster.call(leader, "GET", "n")), "2");
});

Deno.test("SIGTERM of the leader hands leadership over before it exits", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  assert.equal(text(await cluster.call(leader, "SET", "k", "v")), "OK");
  const server = cluster.servers.get(leader)!;
  server.kill("SIGTERM");
  assert.equal((await server.exited()).code, 0);
  cluster.servers.delete(leader);
  // The new leader was chosen by the old one: no election timeout to wait out.
  const t0 = Date.now();
  const next = await cluster.leader(5_000, leader);
  assert.ok(Date.now() - t0 < ELECTION_MS, `took ${Date.now() - t0} ms`);
  assert.equal(text(await cluster.call(next, "GET", "k")), "v");
});

Deno.test("INCR through any node while the leader is killed: each acknowledged increment applied exactly once", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const replies: bigint[] = [];
  let ambiguous = 0;
  let stop = false;
  const worker = async (addr: string) => {
    let c: RawClient | null = null;
    while (!stop) {
      try {
        c ??= await RawClient.connect(Number(addr.split(":")[1]));
        const r = await c.call("INCR", "counter");
        if (r.type === "int") replies.push(r.value);
        else if (/^TRYAGAIN/.test(text(r) ?? "")) ambiguous++;
        else await sleep(20);
      } catch {
        c?.close();
        c = null;
        ambiguous++; // the connection died with the request in flight
        if (!cluster.servers.has(addr)) return;
        await sleep(30);
      }
    }
    c?.close();
  };
  const workers = cluster.alive.flatMap((a) => [worker(a), worker(a)]);
  await waitFor("increments", () => Promise.resolve(replies.length > 200 || undefined));
  await cluster.kill(leader);
  const before = replies.length;
  await waitFor(
    "increments after the kill",
    () => Promise.resolve(replies.length > before + 200 || undefined),
  );
  stop = true;
  await Promise.all(workers);
  const distinct = new Set(replies.map(String));
  assert.equal(distinct.size, replies.length, "two INCRs got the same reply");
  const next = await cluster.leader(15_000, leader);
  const final = BigInt(text(await cluster.call(next, "GET", "counter")) as string);
  const max = replies.reduce((a, b) => (a > b ? a : b), 0n);
  assert.ok(final >= max, `final ${final} below an acknowledged reply ${max}`);
  assert.ok(
    final <= BigInt(replies.length + ambiguous),
    `final ${final} counts more increments than were sent (${replies.length} + ${ambiguous})`,
  );
});
