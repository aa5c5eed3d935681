import assert from "node:assert/strict";
import { Cluster, drain, newCore, ofType, op } from "./_cluster.ts";

const E = 10;

function rounds(c: Cluster, from: string) {
  return ofType(c.sent, "heartbeat").filter((m) => m.from === from && m.round > 0);
}

Deno.test("ReadIndex on a new leader waits for an entry of its own term to commit", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.crash("a");
  for (const id of ["b", "c"]) c.tick(id, E);
  c.take(() => true);
  // b wins, but its no-op's acks are held back.
  c.dropIf((m) => m.type === "appendResp" && m.to === "b");
  c.electLeader("b");
  const b = c.core("b");
  assert.equal(b.committed, 2, "only the old term's entries are known committed");
  c.sent = [];
  b.readIndex(1);
  c.process("b");
  assert.deepEqual(c.node("b").readStates, []);
  assert.equal(rounds(c, "b").length, 0, "no round before the no-op commits");
  c.clearDrops();
  c.tickAll(2);
  assert.deepEqual(c.node("b").readStates, [{ id: 1, index: 3 }]);
  assert.ok(c.node("b").appliedIndex >= 3);
});

Deno.test("ReadIndex requests before one ready share one heartbeat round", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.sent = [];
  const a = c.core("a");
  for (let id = 1; id <= 10; id++) a.readIndex(id);
  const rd = c.takeReady("a");
  const hbs = ofType(rd.messages, "heartbeat");
  assert.equal(hbs.length, 2, "one heartbeat per follower");
  assert.ok(hbs.every((m) => m.round === hbs[0].round && m.round > 0));
  assert.deepEqual(rd.readStates, [], "nothing answered before the quorum");
  c.finishReady("a", rd);
  c.stabilize();
  const rs = c.node("a").readStates;
  assert.deepEqual(rs.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(rs.every((r) => r.index === a.committed));
  // A read after that ready starts a new round.
  a.readIndex(11);
  c.stabilize();
  assert.equal(new Set(rounds(c, "a").map((m) => m.round)).size, 2);
  assert.equal(c.node("a").readStates.at(-1)!.id, 11);
});

Deno.test("a read state comes only once a quorum acknowledged the round", () => {
  const c = new Cluster(["a", "b", "c", "d", "e"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  const a = c.core("a");
  a.readIndex(1);
  c.process("a");
  const hbs = c.take((m) => m.type === "heartbeat");
  assert.equal(hbs.length, 4);
  const deliverFrom = (to: string) => {
    c.stepTo(hbs.find((m) => m.to === to)!);
    c.deliver((m) => m.to === "a");
  };
  deliverFrom("b");
  assert.deepEqual(c.node("a").readStates, [], "2 of 5");
  // An ack of a plain (round 0) heartbeat does not count.
  c.tick("a");
  c.stepTo(c.take((m) => m.type === "heartbeat" && m.to === "c")[0]);
  c.deliver((m) => m.to === "a");
  assert.deepEqual(c.node("a").readStates, [], "round-0 ack counted");
  deliverFrom("c");
  assert.deepEqual(c.node("a").readStates, [{ id: 1, index: 2 }]);
});

Deno.test("a partitioned leader never answers a read; its pending reads fail when it steps down", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.isolate("a");
  const a = c.core("a");
  a.readIndex(7);
  c.tickAll(1);
  a.readIndex(8);
  for (let i = 0; i < 3 * E && a.role === "leader"; i++) {
    c.tickAll(1);
    assert.ok(c.node("a").readStates.every((r) => r.index === 0), "answered without a quorum");
  }
  assert.notEqual(a.role, "leader");
  c.process("a");
  assert.deepEqual(c.node("a").readStates, [{ id: 7, index: 0 }, { id: 8, index: 0 }]);
});

Deno.test("a leader deposed by a higher term fails its pending reads", () => {
  const c = new Cluster(["a", "b", "c"], { config: { checkQuorum: false } });
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  const a = c.core("a");
  a.readIndex(1);
  c.process("a");
  c.take(() => true); // the round's heartbeats are lost
  c.stepTo({ type: "appendResp", from: "b", to: "a", term: 5, reject: true, index: 0, hint: 0 });
  assert.equal(a.role, "follower");
  assert.deepEqual(c.node("a").readStates, [{ id: 1, index: 0 }]);
  // A late ack of the old round changes nothing.
  c.stepTo({ type: "heartbeatResp", from: "b", to: "a", term: 1, round: 1, sentAt: 0 });
  assert.equal(c.node("a").readStates.length, 1);
});

Deno.test("a follower's ReadIndex goes to the leader and comes back with the leader's commit", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  // y commits on a and c; b does not hear about it.
  c.dropIf((m) => m.to === "b" && (m.type === "append" || m.type === "heartbeat"));
  const iy = c.propose("a", "y");
  c.stabilize();
  assert.equal(c.core("a").committed, iy);
  assert.ok(c.core("b").committed < iy);
  c.clearDrops();
  c.sent = [];
  c.core("b").readIndex(42);
  c.process("b");
  const [req] = ofType(c.sent, "readIndex");
  assert.deepEqual([req.from, req.to, req.ids], ["b", "a", [42]]);
  c.stabilize();
  assert.deepEqual(c.node("b").readStates, [{ id: 42, index: iy }], "b must wait for y");
  assert.ok(c.node("b").appliedIndex >= iy);
});

Deno.test("a follower's ReadIndex is refused when there is no leader", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.core("b").readIndex(3);
  c.process("b");
  assert.deepEqual(c.node("b").readStates, [{ id: 3, index: 0 }]);
  // And a follower whose request is outstanding when the term changes gets a refusal.
  c.electLeader("a");
  c.core("b").readIndex(4);
  c.process("b");
  c.take((m) => m.type === "readIndex");
  c.stepTo({
    type: "vote",
    from: "c",
    to: "b",
    term: 9,
    pre: false,
    lastIndex: 99,
    lastTerm: 9,
    transfer: true,
  });
  assert.deepEqual(c.node("b").readStates.at(-1), { id: 4, index: 0 });
});

Deno.test("a single voter answers reads at once, after its no-op commits", () => {
  const { core, storage } = newCore("a", { voters: ["a"] });
  core.campaign();
  core.readIndex(1);
  const rd = core.ready();
  assert.deepEqual(rd.readStates, []);
  storage.append(rd.entries);
  core.advance(rd);
  const rd2 = core.ready();
  assert.deepEqual(rd2.readStates, [{ id: 1, index: 1 }]);
  core.advance(rd2);
  core.propose(op("x"));
  drain(core, storage);
  core.readIndex(2);
  assert.deepEqual(core.ready().readStates, [{ id: 2, index: 2 }]);
});

Deno.test("leaseValid() needs a quorum's ack of a recent heartbeat", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  const a = c.core("a");
  assert.equal(a.leaseValid(), false, "no heartbeat acknowledged yet");
  c.tickAll(1);
  assert.equal(a.leaseValid(), true);
  assert.equal(c.core("b").leaseValid(), false, "followers have no lease");
  // Without check-quorum, there is no lease.
  const d = new Cluster(["a", "b", "c"], { config: { checkQuorum: false } });
  d.electLeader("a");
  d.tickAll(2);
  assert.equal(d.core("a").leaseValid(), false);
});

Deno.test("leaseValid() is false before the leader committed an entry of its term", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.dropIf((m) => m.type === "appendResp");
  c.electLeader("a");
  c.tickAll(2);
  assert.equal(c.core("a").committed, 0);
  assert.equal(c.core("a").leaseValid(), false);
  c.clearDrops();
  c.tickAll(2);
  assert.equal(c.core("a").leaseValid(), true);
});

Deno.test("leaseValid() is false during a leadership transfer", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.tickAll(1);
  assert.equal(c.core("a").leaseValid(), true);
  c.dropIf((m) => m.type === "timeoutNow");
  c.core("a").transferLeader("b");
  assert.equal(c.core("a").leaseValid(), false);
  c.tickUntil(() => c.core("a").transferee === null, 2 * E);
  // A TimeoutNow went out: it may still arrive and let b win without
  // waiting out the followers' leases, so the lease stays off this term.
  assert.equal(c.core("a").leaseValid(), false, "no lease after a TimeoutNow, even once aborted");
});

Deno.test("the lease returns after a transfer aborts before any TimeoutNow went out", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.tickAll(1);
  c.isolate("b");
  c.propose("a", "x"); // b lags, so no TimeoutNow until it catches up
  c.stabilize();
  c.core("a").transferLeader("b");
  assert.equal(c.core("a").leaseValid(), false);
  c.tickUntil(() => c.core("a").transferee === null, 2 * E);
  c.tickAll(1);
  assert.equal(c.core("a").leaseValid(), true, "the lease returns once the transfer is aborted");
});

for (const heartbeatTicks of [1, 3]) {
  Deno.test(`a partitioned leader's lease ends before anyone else can lead (heartbeatTicks ${heartbeatTicks})`, () => {
    for (let seed = 1; seed <= 8; seed++) {
      const c = new Cluster(["a", "b", "c", "d", "e"], { seed, config: { heartbeatTicks } });
      c.electLeader("a");
      c.tickAll(3);
      const a = c.core("a");
      assert.equal(a.leaseValid(), true);
      c.partition(["a", "b"], ["c", "d", "e"]);
      let validTicks = 0;
      for (let i = 0; i < 4 * E; i++) {
        c.tickAll(1);
        const other = c.leaders().filter((id) => id !== "a");
        if (a.role === "leader" && a.leaseValid()) {
          validTicks++;
          assert.deepEqual(
            other,
            [],
            `seed ${seed}: lease valid at tick ${i} while ${other} leads`,
          );
        }
      }
      assert.ok(validTicks > 0 && validTicks <= E - 1, `lease lasted ${validTicks} ticks`);
      assert.ok(c.leaders().some((id) => id !== "a"), "the majority elected a leader");
    }
  });
}

Deno.test("a voter that restarts inside a leader's lease does not help elect another leader", () => {
  const c = new Cluster(["a", "b", "c", "d", "e"]);
  c.electLeader("a");
  c.dropIf((m) => m.to === "d" || m.to === "e");
  c.tickAll(1); // b and c acknowledge a heartbeat: a's lease starts
  c.clearDrops();
  const a = c.core("a");
  assert.equal(a.leaseValid(), true);
  c.isolate("a");
  c.crashRestart("b");
  c.crashRestart("c");
  for (const id of ["d", "e"]) c.tick(id, E); // d and e have not heard from a for a while
  c.take(() => true);
  c.core("d").campaign();
  c.stabilize();
  if (c.core("d").role === "leader") {
    assert.equal(a.leaseValid(), false, "two nodes serve reads: a on its lease, d as leader");
  }
});
