import assert from "node:assert/strict";
import { Cluster, ofType, op, prng } from "./_cluster.ts";

const E = 10;

Deno.test("a new term is in the hard state of the ready whose messages carry it", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.stabilize();
  const b = c.core("b");
  b.step({
    type: "append",
    from: "c",
    to: "b",
    term: 7,
    prevIndex: 1,
    prevTerm: 1,
    entries: [],
    commit: 1,
  });
  const rd = b.ready();
  const [r] = ofType(rd.messages, "appendResp");
  assert.equal(r.term, 7);
  assert.deepEqual(rd.hardState, { term: 7, vote: null, commit: 1 });
  // Nothing changed since: no hard state in the next ready.
  b.advance(rd);
  b.readIndex(1);
  assert.equal(b.ready().hardState, null);
});

Deno.test("a candidate that crashes before persisting its new term sent nothing and keeps the old term", () => {
  const c = new Cluster(["a", "b", "c"], { config: { preVote: false } });
  c.node("a").core.campaign(); // the ready is never taken
  c.crashRestart("a");
  assert.equal(c.core("a").term, 0);
  assert.equal(c.queue.length, 0);
  c.electLeader("a");
  assert.equal(c.core("a").term, 1);
});

Deno.test("a leader's entries not yet persisted are lost in a crash and never commit", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  c.propose("a", "kept");
  c.stabilize();
  const a = c.core("a");
  a.propose(op("lost1"));
  a.propose(op("lost2"));
  c.crashRestart("a"); // no ready taken: nothing persisted, nothing sent
  assert.equal(c.queue.length, 0);
  assert.equal(c.core("a").lastIndex, 2);
  c.tickUntil(() => c.leader() !== null && c.core(c.leader()!).term > t, 5 * E);
  c.propose(c.leader()!, "after");
  c.stabilize();
  c.tickAll(2);
  for (const id of ["a", "b", "c"]) {
    assert.deepEqual(c.node(id).sm.map((x) => x.text), ["kept", "after"], id);
  }
});

Deno.test("a leader's entries persisted but not advanced survive the crash", () => {
  const c = new Cluster(["a"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.core("a").propose(op("y"));
  const rd = c.takeReady("a");
  c.persistReady("a", rd); // on disk, but the crash comes before advance
  c.crashRestart("a");
  assert.equal(c.core("a").lastIndex, 3);
  assert.equal(c.core("a").committed, 2, "restart knows only the applied index as committed");
  c.tickUntil(() => c.leader() === "a", 3 * E);
  c.stabilize();
  assert.deepEqual(c.node("a").sm.map((x) => x.text), ["x", "y"]);
});

Deno.test("a follower that crashes before persisting an append does not ack it", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.crash("c");
  c.propose("a", "x");
  const [m] = c.take((m) => m.to === "b" && m.type === "append");
  c.core("b").step(m);
  c.crashRestart("b"); // its ready (entry + ack) was never taken
  assert.equal(c.queue.filter((m) => m.from === "b").length, 0);
  assert.equal(c.core("a").committed, 1, "committed without a durable majority");
  c.tickAll(3);
  assert.equal(c.core("a").committed, 2);
  assert.equal(c.core("b").lastIndex, 2);
});

Deno.test("a restarted node does not apply again what it had applied", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  for (let i = 0; i < 5; i++) c.propose("a", `v${i}`);
  c.stabilize();
  c.tickAll(1);
  const before = c.node("b").appliedIndex;
  c.crashRestart("b");
  assert.equal(c.core("b").applied, before);
  assert.equal(c.core("b").committed, before);
  assert.equal(c.core("b").hasReady(), false);
  c.tickAll(2);
  c.propose("a", "w");
  c.stabilize();
  assert.deepEqual(c.node("b").sm.map((x) => x.text), ["v0", "v1", "v2", "v3", "v4", "w"]);
});

Deno.test("a restarted node applies committed entries it had persisted but not applied", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.tickAll(1);
  // b persists y but crashes before applying it (its applied index stays behind).
  c.propose("a", "y");
  c.deliver((m) => m.to !== "b");
  c.deliver();
  const [m] = c.take((m) => m.to === "b" && m.type === "append");
  c.core("b").step(m);
  const rd = c.takeReady("b");
  c.persistReady("b", rd);
  c.crashRestart("b");
  assert.equal(c.core("b").lastIndex, 3);
  assert.equal(c.node("b").appliedIndex, 2);
  c.tickAll(2);
  assert.deepEqual(c.node("b").sm.map((x) => x.text), ["x", "y"]);
});

Deno.test("crashes at random points of the ready cycle keep every safety property", () => {
  // The driver checks vote persistence, applied-log agreement and one
  // leader per term; here: terms never go back, acknowledged writes stay.
  for (let seed = 1; seed <= 40; seed++) {
    const ids = ["a", "b", "c"];
    const c = new Cluster(ids, { seed });
    const rnd = prng(seed * 7919);
    const acked = new Set<string>();
    let n = 0;
    const lastTerm = new Map<string, number>();
    for (let step = 0; step < 600; step++) {
      const r = rnd();
      const id = ids[Math.floor(rnd() * ids.length)];
      const node = c.node(id);
      if (r < 0.25) c.tick(id);
      else if (r < 0.4) {
        const l = c.leader();
        if (l !== null) {
          try {
            c.core(l).propose(op(`w${n++}`));
          } catch { /* transfer or backpressure */ }
        }
      } else if (r < 0.42 && node.up) {
        // Crash somewhere inside a ready cycle.
        if (node.core.hasReady()) {
          const rd = c.takeReady(id);
          const k = rnd();
          if (k < 0.33) c.persistReady(id, rd);
          else if (k < 0.66) {
            c.persistReady(id, rd);
            c.sendReady(id, rd);
          } else {
            c.persistReady(id, rd);
            c.sendReady(id, rd);
            c.applyReady(id, rd);
          }
        }
        c.crashRestart(id);
      } else if (r < 0.43) {
        c.crash(id);
      } else if (r < 0.5 && !node.up) {
        c.restart(id);
      } else if (c.queue.length > 0) {
        const [m] = c.queue.splice(Math.floor(rnd() * c.queue.length), 1);
        if (rnd() < 0.95) c.stepTo(m);
      } else {
        c.processAll();
      }
      for (const x of ids) {
        const hs = c.node(x).hardState;
        assert.ok(hs.term >= (lastTerm.get(x) ?? 0), `seed ${seed}: ${x}'s term went back`);
        lastTerm.set(x, hs.term);
        for (const s of c.node(x).sm) acked.add(s.text);
      }
    }
    // Heal: everyone up, deliver everything; the applied logs must hold every acked write.
    for (const id of ids) if (!c.node(id).up) c.restart(id);
    c.tickUntil(() => c.leader() !== null, 20 * E);
    c.propose(c.leader()!, "final");
    c.tickAll(3);
    for (const id of ids) {
      const texts = new Set(c.node(id).sm.map((x) => x.text));
      for (const w of acked) assert.ok(texts.has(w), `seed ${seed}: ${id} lost ${w}`);
      assert.ok(texts.has("final"));
    }
  }
});
