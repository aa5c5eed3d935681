import assert from "node:assert/strict";
import { Cluster, drain, fmt, newCore, ofType, op } from "./_cluster.ts";
import type { RaftConfig } from "../../lib/raft/config.ts";
import { type AppendMessage, type Entry, ENTRY_NOOP, type Message } from "../../lib/raft/types.ts";

function append(
  prevIndex: number,
  prevTerm: number,
  entries: [number, number][],
  commit = 0,
  term = 9,
): AppendMessage {
  return {
    type: "append",
    from: "a",
    to: "b",
    term,
    prevIndex,
    prevTerm,
    entries: entries.map(([index, t]): Entry => ({ index, term: t, data: op(`${index}@${t}`) })),
    commit,
  };
}

function resps(ms: Message[]) {
  return ofType(ms, "appendResp");
}

Deno.test("a follower rejects an append whose (prevIndex, prevTerm) it does not hold", () => {
  // Follower log: 1@1 2@1 3@2 4@2.
  const cases: [number, number, boolean, number][] = [
    [4, 2, false, 0], // match at the end
    [2, 1, false, 0], // match in the middle
    [0, 0, false, 0], // match before the log
    [4, 3, true, 5], // term mismatch at the end: hint is after our last entry of term <= 3
    [3, 1, true, 3], // term mismatch: our entries of term 2 > 1 are skipped
    [6, 2, true, 5], // beyond our end: hint is our last index + 1
    [6, 1, true, 3], // beyond our end, lower term: skip our term-2 entries
  ];
  for (const [prevIndex, prevTerm, reject, hint] of cases) {
    const { core, storage } = newCore("b", {
      terms: [1, 1, 2, 2],
      hardState: { term: 2, vote: null, commit: 0 },
    });
    core.step(append(prevIndex, prevTerm, [[prevIndex + 1, 3]]));
    const [r] = resps(drain(core, storage).messages);
    assert.equal(r.reject, reject, `(${prevIndex}, ${prevTerm})`);
    if (reject) {
      assert.equal(r.index, prevIndex);
      assert.equal(r.hint, hint, `hint for (${prevIndex}, ${prevTerm})`);
      assert.equal(storage.lastIndex(), 4, "a rejected append changes nothing");
    } else {
      assert.equal(r.index, prevIndex + 1);
      assert.equal(storage.lastIndex(), prevIndex + 1, "the suffix after the match is replaced");
      assert.equal(storage.term(prevIndex + 1), 3);
    }
  }
});

Deno.test("a follower commits only up to what the append proves to match", () => {
  // Follower: 1@1 2@1 3@1 (2 and 3 are stale); the leader's commit is 3.
  const { core, storage } = newCore("b", {
    terms: [1, 1, 1],
    hardState: { term: 1, vote: null, commit: 0 },
  });
  core.step(append(1, 1, [], 3, 2));
  drain(core, storage);
  assert.equal(core.committed, 1, "must not commit unverified entries 2..3");
  core.step(append(1, 1, [[2, 2]], 3, 2));
  drain(core, storage);
  assert.equal(core.committed, 2);
  assert.equal(storage.lastIndex(), 2, "stale entry 3 truncated");
  // A heartbeat's commit is clipped to the local last index.
  core.step({ type: "heartbeat", from: "a", to: "b", term: 2, commit: 7, round: 0, sentAt: 0 });
  assert.equal(core.committed, 2);
});

Deno.test("a duplicated or reordered append does not truncate a longer matching log", () => {
  const { core, storage } = newCore("b", { hardState: { term: 1, vote: null, commit: 0 } });
  const a1 = append(0, 0, [[1, 1], [2, 1]], 0, 1);
  const a2 = append(0, 0, [[1, 1], [2, 1], [3, 1], [4, 1]], 0, 1);
  core.step(a2);
  core.step(a1);
  core.step(append(2, 1, [[3, 1]], 0, 1));
  const ms = resps(drain(core, storage).messages);
  assert.deepEqual(ms.map((m) => [m.reject, m.index]), [[false, 4], [false, 2], [false, 3]]);
  assert.equal(storage.lastIndex(), 4);
  assert.equal(core.lastIndex, 4);
});

Deno.test("an append below the follower's commit index is answered with the commit index", () => {
  const { core, storage } = newCore("b", {
    terms: [1, 1, 1],
    hardState: { term: 1, vote: null, commit: 0 },
  });
  core.step(append(3, 1, [], 3, 1));
  drain(core, storage);
  assert.equal(core.committed, 3);
  core.step(append(1, 1, [[2, 1]], 3, 1));
  const [r] = resps(drain(core, storage).messages);
  assert.deepEqual([r.reject, r.index], [false, 3]);
});

Deno.test("a conflicting suffix is truncated and the replacement is handed out from the conflict", () => {
  // Variant 1: the old entries were persisted and advanced.
  {
    const { core, storage } = newCore("b", { hardState: { term: 1, vote: null, commit: 0 } });
    core.step(append(0, 0, [[1, 1], [2, 1], [3, 1], [4, 1]], 1, 1));
    drain(core, storage);
    core.step(append(2, 1, [[3, 2], [4, 2], [5, 2]], 1, 2));
    const rd = core.ready();
    assert.deepEqual(rd.entries.map(fmt), ["3@2", "4@2", "5@2"]);
    storage.append(rd.entries);
    core.advance(rd);
    assert.deepEqual(storage.entries(1, 6, Infinity).map(fmt), ["1@1", "2@1", "3@2", "4@2", "5@2"]);
  }
  // Variant 2: the old entries were handed out, and replaced before advance.
  {
    const { core, storage } = newCore("b", { hardState: { term: 1, vote: null, commit: 0 } });
    core.step(append(0, 0, [[1, 1], [2, 1], [3, 1], [4, 1]], 1, 1));
    const rd1 = core.ready();
    assert.deepEqual(rd1.entries.map(fmt), ["1@1", "2@1", "3@1", "4@1"]);
    storage.append(rd1.entries); // persisted, not yet advanced
    core.step(append(2, 1, [[3, 2]], 1, 2));
    core.advance(rd1);
    const rd2 = core.ready();
    assert.deepEqual(rd2.entries.map(fmt), ["3@2"], "replacement handed out from the conflict");
    storage.append(rd2.entries);
    core.advance(rd2);
    assert.deepEqual(storage.entries(1, 4, Infinity).map(fmt), ["1@1", "2@1", "3@2"]);
    assert.equal(core.lastIndex, 3);
    assert.equal(core.hasReady(), false);
  }
  // Variant 3: replaced between ready and persist (the driver writes the old ones late).
  {
    const { core, storage } = newCore("b", { hardState: { term: 1, vote: null, commit: 0 } });
    core.step(append(0, 0, [[1, 1], [2, 1], [3, 1]], 0, 1));
    const rd1 = core.ready();
    core.step(append(1, 1, [[2, 2]], 0, 2));
    storage.append(rd1.entries);
    core.advance(rd1);
    const rd2 = core.ready();
    assert.deepEqual(rd2.entries.map(fmt), ["2@2"]);
    storage.append(rd2.entries);
    core.advance(rd2);
    assert.deepEqual(storage.entries(1, storage.lastIndex() + 1, Infinity).map(fmt), [
      "1@1",
      "2@2",
    ]);
  }
});

Deno.test("the leader backs off using the hint: a lagging follower costs one probe", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.crash("c");
  for (let i = 0; i < 30; i++) c.propose("a", `v${i}`);
  c.stabilize();
  c.restart("c");
  c.sent = [];
  c.tickUntil(() => c.core("c").lastIndex === c.core("a").lastIndex, 5);
  const rejects = resps(c.sent).filter((m) => m.from === "c" && m.reject);
  assert.ok(rejects.length <= 1, `rejections: ${rejects.length}`);
  c.stabilize();
  assert.equal(c.core("c").committed, c.core("a").committed);
});

Deno.test("the leader skips a divergent follower's stale term in few round trips", () => {
  for (const n of [3, 200]) {
    const c = new Cluster(["a", "b", "c", "d", "e"], { seed: n });
    c.electLeader("a");
    c.partition(["a", "b"], ["c", "d", "e"]);
    for (let i = 0; i < n; i++) c.propose("a", `stale${i}`); // never commits
    c.stabilize();
    c.tickUntil(() => c.leaders().some((id) => id !== "a" && c.core(id).term > 1), 10 * 10);
    const l = c.leaders().find((id) => id !== "a")!;
    for (let i = 0; i < n; i++) c.propose(l, `new${i}`);
    c.stabilize();
    // A fresh leader of the majority starts probing a and b at its last index.
    c.crashRestart(l);
    const m = ["c", "d", "e"].find((id) => id !== l)!;
    for (const id of ["c", "d", "e"]) c.tick(id, 10);
    c.take(() => true);
    c.electLeader(m);
    c.sent = [];
    c.heal();
    c.tickUntil(() => ["a", "b"].every((id) => c.core(id).committed === c.core(m).committed), 50);
    const rejects = resps(c.sent).filter((m) => (m.from === "a" || m.from === "b") && m.reject);
    assert.ok(rejects.length <= 4, `n=${n}: ${rejects.length} rejections to reconcile`);
    for (const id of ["a", "b"]) {
      assert.deepEqual(c.logOf(id), c.logOf(m), `${id}'s log`);
      assert.ok(!c.node(id).sm.some((x) => x.text.startsWith("stale")));
    }
  }
});

/**
 * Figure 8 of the Raft paper, with five servers s1..s5. Terms are shifted by
 * one (our first term is 1): the paper's terms 2, 3, 4, 5 are ours 1, 2, 3, 4.
 */
function figure8(config: Partial<RaftConfig>) {
  const ids = ["s1", "s2", "s3", "s4", "s5"];
  // One entry per append message, so the old entry and the new no-op can travel apart.
  const c = new Cluster(ids, { config: { maxMsgBytes: 1, ...config } });
  const expireLeases = (who: string[]) => {
    for (const id of who) c.tick(id, 10);
    c.take(() => true);
  };
  // (a) s1 leads term 1 and replicates x (2@1) to s2 only.
  c.electLeader("s1");
  c.partition(["s1", "s2"], ["s3", "s4", "s5"]);
  const ix = c.propose("s1", "x");
  assert.equal(ix, 2);
  c.stabilize();
  assert.equal(c.core("s1").committed, 1);
  assert.deepEqual(c.logOf("s2"), ["1@1", "2@1"]);
  // (b) s1 crashes; s5 wins term 2 with s3 and s4 and appends 2@2 only locally.
  c.crash("s1");
  c.heal();
  expireLeases(["s2", "s3", "s4", "s5"]);
  c.dropIf((m) => m.from === "s5" && m.type === "append");
  c.electLeader("s5");
  assert.equal(c.core("s5").term, 2);
  assert.deepEqual(c.logOf("s5"), ["1@1", "2@2"]);
  c.crash("s5");
  c.clearDrops();
  // (c) s1 restarts and wins term 3 (s2, s3, s4); it replicates the old x
  // (2@1) to s3 but its own no-op (3@3) reaches nobody.
  c.restart("s1");
  expireLeases(["s1", "s2", "s3", "s4"]);
  c.dropIf((m) => m.from === "s1" && m.to === "s4" && m.type === "append");
  c.rewrite = (m) =>
    m.type === "append" && m.from === "s1"
      ? { ...m, entries: m.entries.filter((e) => e.term !== 3) }
      : m;
  for (let i = 0; i < 3 && c.core("s1").role !== "leader"; i++) {
    c.core("s1").campaign();
    c.stabilize();
  }
  assert.equal(c.core("s1").role, "leader");
  assert.equal(c.core("s1").term, 3);
  c.tickAll(2);
  assert.deepEqual(c.logOf("s1"), ["1@1", "2@1", "3@3"]);
  assert.deepEqual(c.logOf("s2"), ["1@1", "2@1"]);
  assert.deepEqual(c.logOf("s3"), ["1@1", "2@1"]);
  assert.deepEqual(c.logOf("s4"), ["1@1"]);
  // 2@1 is on a majority (s1, s2, s3), but it is from an earlier term.
  assert.equal(c.core("s1").progressOf("s2")!.match, 2);
  assert.equal(c.core("s1").progressOf("s3")!.match, 2);
  assert.equal(c.core("s1").committed, 1, "committed an earlier term's entry by counting replicas");
  for (const id of ["s1", "s2", "s3", "s4"]) assert.equal(c.core(id).committed, 1);
  return c;
}

for (
  const [name, config] of [
    ["plain Raft", { preVote: false, checkQuorum: false }],
    ["pre-vote and check-quorum", {}],
  ] as const
) {
  Deno.test(`Figure 8 (${name}): (d) an uncommitted earlier-term entry may be overwritten`, () => {
    const c = figure8(config);
    // s1 crashes before 3@3 reaches a majority; s5 can win term 4 (s2, s3, s4).
    c.crash("s1");
    c.rewrite = null;
    c.clearDrops();
    c.restart("s5");
    for (const id of ["s2", "s3", "s4", "s5"]) c.tick(id, 10);
    c.take(() => true);
    for (let i = 0; i < 3 && c.core("s5").role !== "leader"; i++) {
      c.core("s5").campaign();
      c.stabilize();
    }
    assert.equal(c.core("s5").role, "leader", "s5 may legally win");
    c.stabilize();
    for (const id of ["s2", "s3", "s4", "s5"]) {
      assert.deepEqual(c.logOf(id).slice(0, 2), ["1@1", "2@2"], `${id}: x overwritten`);
      assert.ok(c.core(id).committed >= 3);
    }
    // Nobody ever applied x: the driver checks that all applied logs agree.
    assert.equal(c.appliedAt.get(2), "2:<noop>");
    c.restart("s1");
    c.tickAll(3);
    assert.deepEqual(c.logOf("s1"), c.logOf("s5"));
    assert.ok(!c.node("s1").sm.some((x) => x.text === "x"));
  });

  Deno.test(`Figure 8 (${name}): (e) a current-term entry on a majority commits the old one too`, () => {
    const c = figure8(config);
    c.rewrite = null;
    c.clearDrops();
    c.dropIf((m) => m.to === "s4"); // only s2 and s3 get 3@3
    c.tickAll(2);
    assert.equal(c.core("s1").committed, 3, "2 and 3 commit together");
    assert.deepEqual(c.node("s1").sm.map((x) => x.text), ["x"]);
    // s5 can no longer win: s2 and s3 hold a later term.
    c.clearDrops();
    c.crash("s1");
    c.restart("s5");
    for (const id of ["s2", "s3", "s4", "s5"]) c.tick(id, 10);
    c.take(() => true);
    c.dropIf((m) => m.to === "s4" || m.from === "s4");
    c.core("s5").campaign();
    c.stabilize();
    c.core("s5").campaign();
    c.stabilize();
    assert.notEqual(c.core("s5").role, "leader");
  });
}

Deno.test("a new leader appends a no-op of its term and commits it", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.crash("a");
  for (const id of ["b", "c"]) c.tick(id, 10);
  c.take(() => true);
  const t = c.electLeader("b");
  const b = c.core("b");
  const last = b.lastIndex;
  const [e] = c.node("b").storage.entries(last, last + 1, 0);
  assert.equal(e.term, t);
  assert.equal(e.data[0], ENTRY_NOOP);
  assert.equal(b.committed, last);
});

Deno.test("a single voter never commits an entry in the ready that first hands it out", () => {
  const { core, storage } = newCore("a", { voters: ["a"] });
  core.campaign();
  const seen = new Set<number>();
  const check = () => {
    while (core.hasReady()) {
      const rd = core.ready();
      for (const e of rd.entries) seen.add(e.index);
      for (const e of rd.committed) {
        assert.ok(!rd.entries.some((x) => x.index === e.index), `entry ${e.index} same ready`);
        assert.ok(seen.has(e.index));
      }
      storage.append(rd.entries);
      core.advance(rd);
    }
  };
  const rd0 = core.ready();
  rd0.entries.forEach((e) => seen.add(e.index));
  assert.equal(core.role, "leader");
  assert.deepEqual(rd0.entries.map(fmt), ["1@1"]);
  assert.deepEqual(rd0.committed, [], "the no-op is not committed before it is persisted");
  storage.append(rd0.entries);
  core.advance(rd0);
  assert.equal(core.committed, 1);
  check();
  for (let i = 0; i < 20; i++) {
    core.propose(op(`x${i}`));
    if (i % 3 === 0) core.proposeBatch([op("y"), op("z")]);
    if (i % 2 === 0) check();
  }
  check();
  assert.equal(core.committed, core.lastIndex);
  // Not persisting (no advance) keeps it uncommitted.
  core.propose(op("w"));
  const rd = core.ready();
  assert.equal(rd.entries.length, 1);
  assert.equal(core.committed, core.lastIndex - 1);
  assert.equal(core.hasReady(), false);
  storage.append(rd.entries);
  core.advance(rd);
  assert.equal(core.committed, core.lastIndex);
});

Deno.test("the leader counts itself only once its entries are persisted", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.crash("c");
  const a = c.core("a");
  a.propose(op("x"));
  const rd = c.takeReady("a");
  c.persistReady("a", rd);
  c.sendReady("a", rd);
  c.deliver(); // b persists and acks before the leader's own write is reported done
  c.deliver((m) => m.to === "a");
  assert.equal(a.progressOf("b")!.match, 2);
  assert.equal(a.progressOf("a")!.match, 1);
  assert.equal(a.committed, 1, "leader + b's ack, but the leader's write is not confirmed");
  c.applyReady("a", rd);
  a.advance(rd);
  assert.equal(a.progressOf("a")!.match, 2);
  assert.equal(a.committed, 2);
  c.stabilize();
  assert.equal(c.core("b").committed, 2);
});

Deno.test("committed entries are applied in order, exactly once, on every node", () => {
  const c = new Cluster(["a", "b", "c"], { seed: 9 });
  c.electLeader("a");
  for (let i = 0; i < 50; i++) {
    c.propose("a", `k${i}`);
    if (i % 7 === 0) c.deliver();
    if (i % 11 === 0) c.tickAll();
  }
  c.stabilize();
  c.tickAll(2);
  const want = Array.from({ length: 50 }, (_, i) => `k${i}`);
  for (const id of ["a", "b", "c"]) assert.deepEqual(c.node(id).sm.map((x) => x.text), want);
});
