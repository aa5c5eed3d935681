import assert from "node:assert/strict";
import { Cluster, ofType, op } from "./_cluster.ts";
import { ProposalError } from "../../lib/raft/core.ts";

const E = 10;

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ProposalError) return e.reason;
    throw e;
  }
  return "accepted";
}

Deno.test("transfer to a caught-up voter: timeoutNow, then it leads in a higher term", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.sent = [];
  assert.equal(c.core("a").transferLeader("b"), "b");
  c.process("a");
  const [tn] = ofType(c.sent, "timeoutNow");
  assert.deepEqual([tn.from, tn.to, tn.term], ["a", "b", t]);
  c.stabilize();
  assert.equal(c.leader(), "b");
  assert.equal(c.core("b").term, t + 1);
  assert.equal(c.core("a").role, "follower");
  assert.equal(c.core("a").leader, "b");
  // The target skipped pre-vote and its requests are marked as a transfer (voters are in lease).
  const votes = ofType(c.sent, "vote").filter((m) => m.from === "b");
  assert.ok(votes.length > 0 && votes.every((m) => !m.pre && m.transfer));
  assert.equal(c.core("a").transferee, null);
  c.propose("b", "y");
  c.stabilize();
  assert.deepEqual(c.node("a").sm.map((s) => s.text), ["x", "y"]);
});

Deno.test("transfer to a lagging voter: it is brought up to date first", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.dropIf((m) => m.to === "c");
  for (let i = 0; i < 10; i++) c.propose("a", `v${i}`);
  c.stabilize();
  c.clearDrops();
  c.sent = [];
  c.core("a").transferLeader("c");
  c.process("a");
  assert.equal(ofType(c.sent, "timeoutNow").length, 0, "timeoutNow before catching up");
  assert.ok(ofType(c.sent, "append").some((m) => m.to === "c"));
  c.stabilize();
  const [tn] = ofType(c.sent, "timeoutNow");
  assert.equal(tn.to, "c");
  assert.equal(c.leader(), "c");
  assert.equal(c.node("c").sm.length, 10);
});

Deno.test("proposals and membership changes are refused during a transfer", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.dropIf((m) => m.to === "b");
  c.propose("a", "x");
  c.stabilize();
  const a = c.core("a");
  a.transferLeader("b");
  assert.equal(reason(() => a.propose(op("y"))), "transfer");
  assert.equal(reason(() => a.proposeBatch([op("y")])), "transfer");
  c.addNode("d");
  assert.equal(reason(() => a.proposeConfChange({ type: "addLearner", node: "d" })), "transfer");
});

Deno.test("a transfer to an unreachable target aborts after an election timeout", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  c.tickAll(2);
  c.crash("b");
  const a = c.core("a");
  a.transferLeader("b");
  let ticks = 0;
  while (a.transferee !== null) {
    c.tickAll(1);
    ticks++;
    assert.ok(ticks <= E, "transfer never aborted");
  }
  assert.equal(ticks, E);
  assert.equal(a.role, "leader");
  assert.equal(a.term, t);
  assert.equal(reason(() => c.propose("a", "after")), "accepted");
  c.stabilize();
  assert.equal(a.committed, a.lastIndex);
  // The TimeoutNow went out (b was caught up), so no lease reads this term.
  assert.equal(a.leaseValid(), false);
});

Deno.test("transferLeader(null) picks the most up-to-date voter", () => {
  const c = new Cluster(["a", "b", "c", "d"], {
    voters: ["a", "b", "c"],
    learners: ["d"],
    config: { autoPromote: false },
  });
  c.electLeader("a");
  c.dropIf((m) => m.to === "b");
  c.propose("a", "x");
  c.stabilize();
  assert.equal(c.core("a").transferLeader(null), "c");
  c.clearDrops();
  c.stabilize();
  assert.equal(c.leader(), "c");
});

Deno.test("transferLeader refuses learners, strangers and non-leaders", () => {
  const c = new Cluster(["a", "b", "d"], {
    voters: ["a", "b"],
    learners: ["d"],
    config: { autoPromote: false },
  });
  c.electLeader("a");
  const a = c.core("a");
  assert.equal(reason(() => a.transferLeader("d")), "conf-invalid");
  assert.equal(reason(() => a.transferLeader("zz")), "conf-invalid");
  assert.equal(reason(() => c.core("b").transferLeader("a")), "not-leader");
  assert.equal(a.transferLeader("a"), "a", "to itself: nothing to do");
  assert.equal(a.transferee, null);
  const solo = new Cluster(["a"]);
  solo.electLeader("a");
  assert.equal(reason(() => solo.core("a").transferLeader(null)), "conf-invalid");
});

Deno.test("a transfer to a voter that rejoins late still completes once it catches up", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.dropIf((m) => m.to === "b");
  for (let i = 0; i < 5; i++) c.propose("a", `v${i}`);
  c.stabilize();
  c.core("a").transferLeader("b");
  c.tickAll(E / 2);
  assert.equal(c.core("a").role, "leader");
  c.clearDrops();
  c.tickUntil(() => c.leader() === "b", E);
  assert.ok(c.core("b").term > 1);
});
