import assert from "node:assert/strict";
import { Cluster, drain, fmt, newCore, ofType, op } from "./_cluster.ts";
import type { MemoryStorage } from "../../lib/raft/storage.ts";
import type { Entry, SnapshotMessage, SnapshotMeta } from "../../lib/raft/types.ts";

const CONF = { voters: ["a", "b", "c"], learners: [] };

function snapMsg(meta: SnapshotMeta, commit: number, term = 5): SnapshotMessage {
  return { type: "snapshot", from: "a", to: "b", term, meta, commit };
}

/** A follower "b" whose persisted log has these terms (index = position + 1). */
function follower(terms: number[], committed = 0, term = 5) {
  const r = newCore("b", { terms, hardState: { term, vote: null, commit: 0 }, applied: committed });
  return r;
}

function entries(s: MemoryStorage): string[] {
  if (s.lastIndex() < s.firstIndex()) return [];
  return s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map(fmt);
}

/** Builds a cluster where c missed 20 entries that a has compacted away. */
function lagging(keep = 0, autoReportSnapshot = true) {
  const c = new Cluster(["a", "b", "c"], { autoReportSnapshot });
  c.electLeader("a");
  c.propose("a", "x0");
  c.stabilize();
  c.crash("c");
  for (let i = 1; i <= 20; i++) c.propose("a", `x${i}`);
  c.stabilize();
  const meta = c.compact("a", undefined, keep);
  c.restart("c");
  return { c, meta };
}

/** Runs the cluster (ticking a) until a snapshot message is queued, and takes it. */
function nextSnapshot(c: Cluster): SnapshotMessage {
  for (let i = 0; i < 20; i++) {
    const [s] = c.take((m) => m.type === "snapshot");
    if (s !== undefined) return s as SnapshotMessage;
    if (c.queue.length === 0) c.tick("a");
    else c.deliver((m) => m.type !== "snapshot");
  }
  throw new Error("no snapshot sent");
}

Deno.test("a follower whose next entry was compacted away gets a snapshot", () => {
  const { c, meta } = lagging();
  assert.equal(meta.index, 22);
  assert.equal(c.node("a").storage.firstIndex(), 23);
  c.sent = [];
  c.tickAll(3);
  const [s] = ofType(c.sent, "snapshot");
  assert.deepEqual([s.to, s.meta.index, s.meta.term], ["c", 22, 1]);
  assert.deepEqual(s.meta.conf, CONF);
  assert.equal(c.core("c").firstIndex, 23);
  assert.equal(c.core("c").committed, 22);
  assert.equal(c.node("c").sm.length, 21, "state machine from the snapshot");
  c.propose("a", "after");
  c.stabilize();
  assert.equal(c.node("c").sm.at(-1)!.text, "after");
  assert.equal(c.core("a").progressOf("c")!.state, "replicate");
});

Deno.test("trailing logs: a follower still inside the kept log gets entries, not a snapshot", () => {
  // c holds 1..2. keep = 20 compacts to 2: c's next entry (3) is the first one held,
  // sent after (2, term from the compaction point). keep = 19 compacts entry 3 away.
  for (const [keep, first, snapshot] of [[25, 1, false], [20, 3, false], [19, 4, true]] as const) {
    const { c } = lagging(keep);
    assert.equal(c.node("a").storage.firstIndex(), first);
    c.sent = [];
    c.tickAll(3);
    assert.equal(ofType(c.sent, "snapshot").length > 0, snapshot, `keep ${keep}`);
    assert.equal(c.core("c").committed, 22, `keep ${keep}`);
    assert.equal(c.node("c").sm.length, 21, `keep ${keep}`);
  }
});

Deno.test("reportSnapshot(ok) moves the follower to probe from snapshot index + 1", () => {
  const { c, meta } = lagging(0, false);
  const held = [nextSnapshot(c)];
  const a = c.core("a");
  assert.equal(a.progressOf("c")!.state, "snapshot");
  // While the snapshot is in flight, nothing else is sent to c.
  c.sent = [];
  c.propose("a", "y");
  c.tickAll(2);
  assert.equal(c.sent.filter((m) => m.to === "c" && m.type !== "heartbeat").length, 0);
  c.stepTo(held[0]);
  c.take((m) => m.from === "c"); // its answer is lost; only the driver's report arrives
  const matchBefore = a.progressOf("c")!.match;
  a.reportSnapshot("c", true);
  // The report never moves match (it may concern an older snapshot); only
  // the follower's own answer does.
  assert.deepEqual(a.progressOf("c"), { match: matchBefore, next: meta.index + 1, state: "probe" });
  c.tickAll(2);
  assert.equal(a.progressOf("c")!.state, "replicate");
  assert.equal(c.core("c").committed, a.committed);
});

Deno.test("reportSnapshot(false) probes again and a new snapshot is sent", () => {
  const { c } = lagging(0, false);
  nextSnapshot(c); // lost
  const a = c.core("a");
  a.reportSnapshot("c", false);
  assert.equal(a.progressOf("c")!.state, "probe");
  assert.equal(a.progressOf("c")!.match, 2);
  c.sent = [];
  c.tickAll(3);
  const again = ofType(c.sent, "snapshot");
  assert.ok(again.length >= 1, "no new snapshot after a failed one");
  for (const m of c.take((m) => m.type === "snapshot")) c.stepTo(m);
  a.reportSnapshot("c", true);
  c.tickAll(2);
  assert.equal(c.core("c").committed, a.committed);
});

Deno.test("a snapshot whose last entry the follower holds only moves its commit index", () => {
  // The follower holds 1..10 of term 1; the snapshot covers 8.
  const { core, storage } = follower([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  core.step(snapMsg({ index: 8, term: 1, conf: CONF }, 10));
  const rd = core.ready();
  assert.equal(rd.snapshot, null, "no snapshot to install");
  assert.equal(core.committed, 8);
  assert.equal(core.lastIndex, 10, "log kept");
  assert.deepEqual(rd.committed.map(fmt), ["1@1", "2@1", "3@1", "4@1", "5@1", "6@1", "7@1", "8@1"]);
  const [r] = ofType(rd.messages, "appendResp");
  assert.deepEqual([r.reject, r.index], [false, 8], "must not claim the unverified suffix");
  core.advance(rd);
  assert.equal(storage.lastIndex(), 10);
});

Deno.test("a snapshot matching the follower's log does not vouch for a divergent suffix", () => {
  // 1..8 of term 1, then 9..10 of term 2 from a leader that lost; the new
  // leader (term 5) committed other entries at 9..12.
  const { core, storage } = follower([1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
  core.step(snapMsg({ index: 8, term: 1, conf: CONF }, 12));
  const { messages, readies } = drain(core, storage);
  assert.equal(core.committed, 8, "committed entries the snapshot does not cover");
  assert.ok(readies.every((rd) => rd.committed.every((e) => e.index <= 8)));
  const [r] = ofType(messages, "appendResp");
  assert.equal(r.index, 8, "claimed a match for stale entries");
  // The leader goes on from 9 and replaces 9..10.
  core.step({
    type: "append",
    from: "a",
    to: "b",
    term: 5,
    prevIndex: 8,
    prevTerm: 1,
    entries: [9, 10, 11].map((index): Entry => ({ index, term: 5, data: op(`n${index}`) })),
    commit: 11,
  });
  drain(core, storage);
  assert.deepEqual(entries(storage).slice(8), ["9@5", "10@5", "11@5"]);
  assert.equal(core.committed, 11);
});

Deno.test("snapshot boundaries on the follower: empty, at, before and after the snapshot index", () => {
  const meta: SnapshotMeta = { index: 5, term: 2, conf: CONF };
  type Case = [name: string, terms: number[], replaced: boolean, last: number];
  const cases: Case[] = [
    ["empty log", [], true, 5],
    ["log ends before i", [1, 1, 2], true, 5],
    ["log ends at i, same term", [1, 1, 2, 2, 2], false, 5],
    ["log ends at i, other term", [1, 1, 1, 1, 1], true, 5],
    ["log ends at i + 1, match", [1, 1, 2, 2, 2, 2], false, 6],
    ["log ends at i + 1, divergent at i", [1, 1, 1, 1, 1, 1], true, 5],
    ["log far ahead, match", [1, 1, 2, 2, 2, 3, 3, 3], false, 8],
  ];
  for (const [name, terms, replaced, last] of cases) {
    const { core, storage } = follower(terms);
    core.step(snapMsg(meta, 5));
    const rd = core.ready();
    assert.equal(rd.snapshot !== null, replaced, `${name}: snapshot handed out?`);
    assert.equal(core.committed, 5, name);
    if (replaced) {
      assert.deepEqual(rd.snapshot, meta);
      assert.deepEqual(rd.committed, [], `${name}: entries applied before the snapshot`);
      assert.deepEqual(rd.entries, []);
      assert.equal(core.hasReady(), true, `${name}: more to do after advance`);
      storage.applySnapshot(rd.snapshot!);
      core.advance(rd);
      assert.equal(core.applied, 5, `${name}: applied = snapshot index`);
      assert.equal(core.firstIndex, 6, name);
      assert.deepEqual(entries(storage), [], `${name}: old log dropped`);
      assert.equal(core.hasReady(), false, name);
    } else {
      assert.equal(rd.committed.at(-1)!.index, 5, name);
      core.advance(rd);
    }
    assert.equal(core.lastIndex, last, name);
    assert.equal(core.lastTerm, terms.length >= last && !replaced ? terms[last - 1] : 2, name);
    const [r] = ofType(rd.messages, "appendResp");
    assert.deepEqual([r.reject, r.index], [false, 5], name);
  }
});

Deno.test("an old snapshot (at or below the commit index) is ignored", () => {
  const { core, storage } = follower([1, 1, 1, 1, 1, 1], 6);
  core.step(snapMsg({ index: 4, term: 1, conf: CONF }, 4));
  const { messages, readies } = drain(core, storage);
  assert.ok(readies.every((rd) => rd.snapshot === null));
  assert.equal(core.lastIndex, 6);
  const [r] = ofType(messages, "appendResp");
  assert.deepEqual([r.reject, r.index], [false, 6]);
});

Deno.test("no committed entries are handed out until the snapshot is installed", () => {
  const { core, storage } = follower([1, 1]);
  core.step(snapMsg({ index: 5, term: 2, conf: CONF }, 5));
  core.step({
    type: "append",
    from: "a",
    to: "b",
    term: 5,
    prevIndex: 5,
    prevTerm: 2,
    entries: [{ index: 6, term: 5, data: op("six") }],
    commit: 6,
  });
  const rd = core.ready();
  assert.notEqual(rd.snapshot, null);
  assert.deepEqual(rd.committed, []);
  assert.deepEqual(rd.entries.map(fmt), ["6@5"]);
  // Not installed yet: nothing to apply even when asked again.
  storage.applySnapshot(rd.snapshot!);
  storage.append(rd.entries);
  core.advance(rd);
  const rd2 = core.ready();
  assert.deepEqual(rd2.committed.map(fmt), ["6@5"]);
});

Deno.test("the configuration comes from the snapshot when the log no longer holds it", () => {
  const c = new Cluster(["a", "b", "c", "d"], {
    voters: ["a", "b", "c"],
    config: { autoPromote: false },
  });
  c.electLeader("a");
  c.crash("d");
  c.core("a").proposeConfChange({ type: "addLearner", node: "d" });
  c.stabilize();
  c.propose("a", "x");
  c.stabilize();
  const meta = c.compact("a");
  assert.deepEqual(meta.conf, { voters: ["a", "b", "c"], learners: ["d"] });
  c.restart("d"); // d's own log has no configuration
  c.tickAll(3);
  assert.deepEqual(c.core("d").conf, { voters: ["a", "b", "c"], learners: ["d"] });
  c.crashRestart("d");
  assert.deepEqual(c.core("d").conf, { voters: ["a", "b", "c"], learners: ["d"] });
  c.crashRestart("a");
  assert.deepEqual(c.core("a").conf, { voters: ["a", "b", "c"], learners: ["d"] });
});

Deno.test("restart with an empty log after a snapshot", () => {
  const { c, meta } = lagging();
  c.tickAll(3);
  // c installed the snapshot and nothing after it.
  assert.deepEqual(c.logOf("c"), []);
  c.crashRestart("c");
  const core = c.core("c");
  assert.equal(core.lastIndex, meta.index);
  assert.equal(core.lastTerm, meta.term);
  assert.equal(core.firstIndex, meta.index + 1);
  assert.equal(core.committed, meta.index);
  assert.equal(core.applied, meta.index);
  assert.equal(core.hasReady(), false);
  // It can vote sensibly, and take new entries right after the snapshot.
  c.propose("a", "next");
  c.tickAll(2);
  assert.equal(c.node("c").sm.at(-1)!.text, "next");
  // The leader itself, fully compacted, restarts and leads again.
  c.compact("a");
  c.compact("b");
  c.compact("c");
  for (const id of ["a", "b", "c"]) c.crashRestart(id);
  for (const id of ["a", "b", "c"]) assert.deepEqual(c.logOf(id), []);
  c.tickUntil(() => c.leader() !== null, 50);
  const l = c.leader()!;
  c.propose(l, "more");
  c.stabilize();
  for (const id of ["a", "b", "c"]) assert.equal(c.node(id).sm.at(-1)!.text, "more");
});

Deno.test("a crash at each step of installing a snapshot", () => {
  for (const when of ["before persist", "after persist"] as const) {
    const { c, meta } = lagging(0, false);
    const s = nextSnapshot(c);
    c.core("c").step(s);
    const rd = c.takeReady("c");
    assert.notEqual(rd.snapshot, null);
    if (when === "after persist") c.persistReady("c", rd);
    c.crashRestart("c");
    const core = c.core("c");
    if (when === "after persist") {
      assert.equal(core.firstIndex, meta.index + 1);
      assert.equal(core.applied, meta.index);
    } else {
      assert.equal(core.lastIndex, 2);
    }
    c.core("a").reportSnapshot("c", false);
    c.tickAll(4);
    assert.equal(c.core("c").committed, c.core("a").committed, when);
    assert.equal(c.node("c").sm.length, 21, when);
  }
});

Deno.test("a learner catches up through a snapshot and is then promoted", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  for (let i = 0; i < 10; i++) c.propose("a", `v${i}`);
  c.stabilize();
  c.compact("a");
  c.addNode("d");
  c.core("a").proposeConfChange({ type: "addLearner", node: "d" });
  c.tickAll(4);
  assert.ok(c.sent.some((m) => m.type === "snapshot" && m.to === "d"));
  assert.deepEqual(c.core("d").conf.voters.sort(), ["a", "b", "c", "d"]);
  assert.equal(c.node("d").sm.length, 10);
});
