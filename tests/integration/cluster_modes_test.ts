/**
 * Cluster flags on real processes: --consistency levels, --auth between
 * peers, and peers (or clients) sending garbage on the Raft commands.
 */

import assert from "node:assert/strict";
import { ELECTION_MS, sleep, TestCluster, text } from "./_cluster.ts";
import { command, RawClient } from "./_resp_client.ts";
import { encodeMessages } from "../../lib/raft/mod.ts";
import { Crc64 } from "../../lib/snapshot/mod.ts";

Deno.test("--consistency low serves reads on a follower cut off from the leader; high refuses", async () => {
  await using cluster = await TestCluster.start(3, ["--consistency", "low"]);
  const leader = await cluster.leader();
  assert.equal(text(await cluster.call(leader, "SET", "k", "v1")), "OK");
  await cluster.waitCaughtUp();
  const [a, b] = cluster.alive.filter((x) => x !== leader);
  await cluster.kill(leader);
  await cluster.kill(b);
  await sleep(ELECTION_MS * 2);
  assert.equal(text(await cluster.call(a, "GET", "k")), "v1", "low reads the local store");
  // The same node restarted at high consistency refuses without a quorum.
  await cluster.kill(a);
  await cluster.restart(a, ["--consistency", "high"]);
  assert.match(text(await cluster.call(a, "GET", "k")) ?? "", /^ERR leader not known/);
});

Deno.test("--consistency medium reads at the leader under its lease, and through ReadIndex elsewhere", async () => {
  await using cluster = await TestCluster.start(3, ["--consistency", "medium"]);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((x) => x !== leader) as string;
  const c = await RawClient.connect(Number(follower.split(":")[1]));
  const l = await RawClient.connect(Number(leader.split(":")[1]));
  try {
    for (let i = 0; i < 20; i++) {
      assert.equal(text(await l.call("SET", "k", String(i))), "OK");
      // Written at the leader, read at once at a follower: ReadIndex makes it visible.
      assert.equal(text(await c.call("GET", "k")), String(i));
      assert.equal(text(await l.call("GET", "k")), String(i));
    }
  } finally {
    c.close();
    l.close();
  }
});

Deno.test("--auth: peers authenticate to each other; clients and peers without it are refused", async () => {
  await using cluster = await TestCluster.start(3, ["--auth", "pw"]);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((x) => x !== leader) as string;
  assert.equal(text(await cluster.call(follower, "SET", "k", "v")), "OK");
  assert.equal(text(await cluster.call(leader, "GET", "k")), "v");
  const c = await RawClient.connect(Number(leader.split(":")[1]));
  try {
    assert.match(text(await c.call("RAFTMSG", "x")) ?? "", /^NOAUTH/);
    assert.match(text(await c.call("RAFTADDPEER", "127.0.0.1:1")) ?? "", /^NOAUTH/);
  } finally {
    c.close();
  }
});

Deno.test("garbage on RAFTMSG, RAFTPROPOSE and the membership commands gets errors, and the cluster carries on", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const follower = cluster.alive.find((x) => x !== leader) as string;
  for (const addr of [leader, follower]) {
    const c = await RawClient.connect(Number(addr.split(":")[1]));
    try {
      const junk = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 255);
      assert.match(text(await c.call("RAFTMSG", junk)) ?? "", /^ERR malformed Raft message/);
      assert.match(text(await c.call("RAFTMSG", "")) ?? "", /^ERR malformed Raft message/);
      assert.match(text(await c.call("RAFTMSG")) ?? "", /^ERR wrong number of arguments/);
      const proposed = text(await c.call("RAFTPROPOSE", "2", junk)) ?? "";
      assert.match(proposed, /^(ERR malformed forwarded operation|BTRNOTLEADER)/);
      assert.match(text(await c.call("RAFTPROPOSE", "9", "x")) ?? "", /^ERR protocol/);
      assert.match(
        text(await c.call("RAFTADDPEER", "nonsense")) ?? "",
        /^ERR invalid node address/,
      );
      assert.match(text(await c.call("RAFTADDPEER", "h:99999")) ?? "", /^ERR invalid node address/);
      assert.match(text(await c.call("RAFTTRANSFER", "a:1", "b:2")) ?? "", /^ERR wrong number/);
      assert.match(
        text(await c.call("RAFTREMOVEPEER", "127.0.0.1:1")) ?? "",
        /^ERR 127\.0\.0\.1:1 is not a member/,
      );
      assert.match(text(await c.call("RAFTSNAPCHUNK", "x", "1", junk)) ?? "", /^ERR unexpected/);
      assert.match(text(await c.call("RAFTSNAPCHUNK", "x", "-1", junk)) ?? "", /^ERR bad chunk/);
      assert.match(
        text(await c.call("RAFTSNAPCHUNK", "a b", "0", junk)) ?? "",
        /^ERR bad transfer/,
      );
      assert.match(text(await c.call("RAFTSNAPDONE", "x", junk)) ?? "", /^ERR wrong number/);
      assert.match(
        text(await c.call("RAFTSNAPDONE", "x", junk, "10", "AAAAAAAAAAA=")) ?? "",
        /^ERR malformed|^ERR expected/,
      );
      assert.match(
        text(await c.call("RAFTSNAPDONE", "x", junk, "-1", "x")) ?? "",
        /^ERR bad snapshot size/,
      );
      // A complete transfer of garbage is refused, and nothing is installed.
      assert.equal(text(await c.call("RAFTSNAPCHUNK", "t1", "0", junk)), "OK");
      const done = text(await c.call("RAFTSNAPDONE", "t1", junk, "300", "AAAAAAAAAAA=")) ?? "";
      assert.match(done, /^ERR (malformed|expected|damaged)/);
      // A well-formed snapshot message whose records are garbage: refused before anything changes.
      const snapMsg = encodeMessages([{
        type: "snapshot",
        from: "127.0.0.1:1",
        to: addr,
        term: 1,
        meta: { index: 1_000_000, term: 1, conf: { voters: [addr], learners: [] } },
        commit: 0,
      }]);
      assert.equal(text(await c.call("RAFTSNAPCHUNK", "t2", "0", junk)), "OK");
      assert.match(
        text(await c.call("RAFTSNAPDONE", "t2", snapMsg, "300", "AAAAAAAAAAA=")) ?? "",
        /^ERR snapshot transfer damaged/,
      );
      assert.equal(text(await c.call("RAFTSNAPCHUNK", "t3", "0", junk)), "OK");
      const crc = new Crc64().update(junk).toBase64();
      assert.match(
        text(await c.call("RAFTSNAPDONE", "t3", snapMsg, "300", crc)) ?? "",
        /^ERR damaged snapshot/,
      );
      // A pipeline of junk frames followed by real work.
      for (let i = 0; i < 100; i++) await c.send(command("RAFTMSG", junk.subarray(i)));
      for (let i = 0; i < 100; i++) assert.equal((await c.read()).type, "error");
      assert.equal(text(await c.call("SET", "still", "fine")), "OK");
    } finally {
      c.close();
    }
  }
  assert.equal(await cluster.leader(), leader);
  assert.equal(text(await cluster.call(follower, "GET", "still")), "fine");
  for (const a of cluster.alive) {
    assert.ok(Number((await cluster.stats(a)).get("applied_index")) < 1_000_000);
  }
});
