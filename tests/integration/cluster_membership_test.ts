/**
 * Membership on real processes: nodes join while writes run, a node is
 * removed, leadership is handed over; --join failures and --redirect.
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
import { freePort, redisCli } from "./_server.ts";
import { command, RawClient } from "./_resp_client.ts";

Deno.test("add a 4th and 5th node under writes, remove one, transfer leadership", async () => {
  await using cluster = await TestCluster.start(3);
  const first = cluster.addrs[0];
  const writers = new Writers(cluster, "m", 4);
  await waitFor("writes", () => Promise.resolve(writers.count > 200 || undefined));
  // Join through a follower: the request is forwarded to the leader.
  const leader = await cluster.leader();
  const via = cluster.alive.find((a) => a !== leader) as string;
  const d = await cluster.startNode(via);
  const e = await cluster.startNode(first);
  await cluster.waitVoters(5);
  const peers = await cluster.call(leader, "RAFTPEERS");
  assert.equal(peers.type, "array");
  assert.equal((peers.value as unknown[]).length, 10);
  // Remove a follower that is not the leader.
  const victim = cluster.alive.find((a) => a !== leader && a !== d && a !== e) as string;
  assert.equal(
    text(await cluster.call(via === victim ? leader : via, "RAFTREMOVEPEER", victim)),
    "OK",
  );
  // The leader tells the removed node, which shuts down cleanly.
  const status = await cluster.servers.get(victim)!.exited();
  assert.equal(status.code, 0);
  cluster.servers.delete(victim);
  await cluster.waitVoters(4);
  assert.match(
    text(await cluster.call(leader, "RAFTREMOVEPEER", victim)) ?? "",
    /^ERR .* is not a member/,
  );
  // Hand leadership to the newest node.
  assert.equal(text(await cluster.call(leader, "RAFTTRANSFER", e)), "OK");
  assert.equal(await cluster.leader(), e);
  // And without a target: the most up-to-date other voter.
  assert.equal(text(await cluster.call(e, "RAFTTRANSFER")), "OK");
  const last = await cluster.leader(15_000, e);
  assert.notEqual(last, e);
  await sleep(200);
  await writers.stop();
  assert.ok(writers.count > 400, `only ${writers.count} writes were acknowledged`);
  await cluster.waitCaughtUp();
  for (const addr of cluster.alive) {
    const missing = await missingKeys(addr, writers.acked);
    assert.deepEqual(missing.slice(0, 5), [], `${addr} lost ${missing.length} writes`);
  }
});

Deno.test("--redirect: followers answer -TRY leader, which redis-cli can follow by hand", async () => {
  await using cluster = await TestCluster.start(3, ["--redirect"]);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((a) => a !== leader) as string;
  const port = (a: string) => Number(a.split(":")[1]);
  const tried = await redisCli(port(follower), ["SET", "k", "v"]);
  assert.equal(tried.stdout.trim(), `TRY ${leader}`);
  const [host, p] = leader.split(":");
  const ok = await redisCli(Number(p), ["-h", host, "SET", "k", "v"]);
  assert.equal(ok.stdout.trim(), "OK");
  assert.equal((await redisCli(port(follower), ["GET", "k"])).stdout.trim(), `TRY ${leader}`);
  assert.equal((await redisCli(port(leader), ["GET", "k"])).stdout.trim(), "v");
  assert.equal(
    (await redisCli(port(follower), ["RAFTADDPEER", "127.0.0.1:1"])).stdout.trim(),
    `TRY ${leader}`,
  );
});

Deno.test("without a quorum a request waits about one election timeout, then gets an error", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const [a, b] = cluster.alive.filter((x) => x !== leader);
  await cluster.kill(leader);
  await cluster.kill(b);
  await sleep(ELECTION_MS * 2); // a notices the leader is gone
  const t0 = Date.now();
  const r = await cluster.call(a, "SET", "k", "v");
  const waited = Date.now() - t0;
  assert.match(text(r) ?? "", /^(ERR leader not known|TRYAGAIN)/);
  assert.ok(waited >= ELECTION_MS / 4 && waited < 20 * ELECTION_MS, `waited ${waited} ms`);
  const read = await cluster.call(a, "GET", "k");
  assert.match(text(read) ?? "", /^ERR leader not known/);
  assert.match(text(await cluster.call(a, "RAFTSTATE")) ?? "", /^(Candidate|Follower)$/);
});

Deno.test("--join: refused joins exit non-zero with the reason; a member ignores --join", async () => {
  await using cluster = await TestCluster.start(1, ["--auth", "s3cret"]);
  const seed = cluster.addrs[0];
  const dir = await Deno.makeTempDir({ prefix: "bitraft_join_" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../main.ts", import.meta.url).pathname,
        "-d",
        dir,
        "-b",
        `127.0.0.1:${freePort()}`,
        "--join",
        seed,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    assert.match(new TextDecoder().decode(out.stderr), /cannot join .*NOAUTH/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // A node that already has a cluster ignores --join.
  await cluster.kill(seed);
  await cluster.restart(seed, ["--join", "127.0.0.1:9", "--log-level", "notice"]);
  await waitFor(
    "the log line",
    () =>
      Promise.resolve(
        /--join 127\.0\.0\.1:9 ignored/.test(cluster.servers.get(seed)!.stderr()) || undefined,
      ),
  );
  assert.equal(text(await cluster.call(seed, "RAFTSTATE")), "Leader");
});

Deno.test("a joined node left alone compacts its log and still leads after a restart", async () => {
  await using cluster = await TestCluster.start(2);
  const [a, b] = cluster.addrs;
  await cluster.leader();
  assert.equal(text(await cluster.call(a, "RAFTREMOVEPEER", a)), "OK");
  assert.equal((await cluster.servers.get(a)!.exited()).code, 0);
  cluster.servers.delete(a);
  assert.equal(await cluster.leader(), b);
  const c = await RawClient.connect(cluster.port(b));
  try {
    for (let i = 0; i < 25_000; i += 1000) {
      for (let j = i; j < i + 1000; j++) await c.send(command("SET", `k${j}`, `v${j}`));
      for (let j = i; j < i + 1000; j++) assert.equal(text(await c.read()), "OK");
    }
  } finally {
    c.close();
  }
  await waitFor(
    "the log to be compacted",
    async () => Number((await cluster.stats(b)).get("first_log_index")) > 1 ? true : undefined,
  );
  await cluster.kill(b);
  await cluster.restart(b);
  assert.equal(await cluster.leader(), b);
  assert.equal(text(await cluster.call(b, "GET", "k24999")), "v24999");
  assert.equal(text(await cluster.call(b, "SET", "after", "restart")), "OK");
  const peers = await cluster.call(b, "RAFTPEERS");
  assert.deepEqual((peers.value as unknown[]).length, 2);
});
