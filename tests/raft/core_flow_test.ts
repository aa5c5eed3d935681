import assert from "node:assert/strict";
import { Cluster, newCore, ofType, op } from "./_cluster.ts";
import { ProposalError } from "../../lib/raft/core.ts";
import type { Message } from "../../lib/raft/types.ts";

const appendsTo = (ms: Message[], to: string) =>
  ofType(ms, "append").filter((m) => m.to === to && m.entries.length > 0);

Deno.test("replicate state: at most maxInflightMsgs appends in flight per follower", () => {
  const c = new Cluster(["a", "b", "c"], { config: { maxInflightMsgs: 4, maxMsgBytes: 1 } });
  c.electLeader("a");
  c.propose("a", "warm");
  c.stabilize();
  assert.equal(c.core("a").progressOf("b")!.state, "replicate");
  const held: Message[] = [];
  for (let i = 0; i < 20; i++) {
    c.propose("a", `v${i}`);
    for (let k = 0; k < 3; k++) {
      held.push(...c.take((m) => m.to === "b"));
      c.deliver(); // c keeps up
    }
  }
  assert.equal(appendsTo(held, "b").length, 4, "window of 4 messages");
  assert.equal(c.core("a").committed, c.core("a").lastIndex, "a and c commit without b");
  // Each ack frees room for one more message.
  for (let round = 0; round < 20 && c.core("b").lastIndex < c.core("a").lastIndex; round++) {
    const next = held.shift();
    if (next === undefined) break;
    c.stepTo(next);
    c.deliver((m) => m.to === "a");
    held.push(...c.take((m) => m.to === "b"));
    const inflight = appendsTo(held, "b").length;
    assert.ok(inflight <= 4, `in flight: ${inflight}`);
  }
  for (const m of held) c.stepTo(m);
  c.stabilize();
  assert.equal(c.core("b").lastIndex, c.core("a").lastIndex);
});

Deno.test("replicate state: maxInflightBytes bounds the bytes in flight", () => {
  const c = new Cluster(["a", "b", "c"], {
    config: { maxInflightBytes: 30, maxMsgBytes: 1, maxInflightMsgs: 100 },
  });
  c.electLeader("a");
  c.propose("a", "warm");
  c.stabilize();
  const held: Message[] = [];
  for (let i = 0; i < 20; i++) {
    c.propose("a", "123456789"); // 10 bytes each
    held.push(...c.take((m) => m.to === "b"));
    c.deliver();
  }
  assert.equal(appendsTo(held, "b").length, 3, "30 bytes in flight = 3 entries");
});

Deno.test("probe state: one append at a time until the follower answers", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.crash("b");
  for (let i = 0; i < 5; i++) c.propose("a", `x${i}`);
  c.stabilize();
  c.core("a").reportUnreachable("b");
  assert.equal(c.core("a").progressOf("b")!.state, "probe");
  c.sent = [];
  for (let i = 0; i < 10; i++) c.propose("a", `y${i}`);
  c.stabilize();
  assert.equal(ofType(c.sent, "append").filter((m) => m.to === "b").length, 1, "one probe");
  // Each heartbeat answer allows one more probe; b is down, so none arrive.
  c.tickAll(3);
  assert.equal(ofType(c.sent, "append").filter((m) => m.to === "b").length, 1);
  c.restart("b");
  c.tickAll(3);
  assert.equal(c.core("b").lastIndex, c.core("a").lastIndex);
  assert.equal(c.core("a").progressOf("b")!.state, "replicate");
});

Deno.test("a slow follower does not hold back the others", () => {
  const c = new Cluster(["a", "b", "c", "d", "e"], { config: { maxInflightMsgs: 2 } });
  c.electLeader("a");
  c.dropIf((m) => m.to === "e" || m.from === "e");
  for (let i = 0; i < 40; i++) {
    c.propose("a", `v${i}`);
    if (i % 3 === 0) c.stabilize();
  }
  c.stabilize();
  for (const id of ["a", "b", "c", "d"]) assert.equal(c.core(id).committed, c.core("a").lastIndex);
  assert.equal(c.core("e").lastIndex, 1);
  c.clearDrops();
  c.tickAll(5);
  assert.equal(c.core("e").committed, c.core("a").lastIndex, "e catches up once reachable");
});

Deno.test("a follower recovers when every append of a full window was lost", () => {
  const c = new Cluster(["a", "b", "c"], { config: { maxInflightMsgs: 3, maxMsgBytes: 1 } });
  c.electLeader("a");
  c.propose("a", "warm");
  c.stabilize();
  c.dropIf((m) => m.to === "b" && m.type === "append");
  for (let i = 0; i < 10; i++) c.propose("a", `v${i}`);
  c.stabilize();
  c.clearDrops();
  // Heartbeats still flow; no reportUnreachable from the driver.
  c.tickAll(10);
  assert.equal(c.core("b").lastIndex, c.core("a").lastIndex, "b stalled behind a full window");
  assert.equal(c.core("b").committed, c.core("a").committed);
});

Deno.test("appends carry at most maxMsgBytes (after the first entry)", () => {
  const c = new Cluster(["a", "b"], { config: { maxMsgBytes: 25 } });
  c.electLeader("a");
  c.crash("b");
  for (let i = 0; i < 20; i++) c.propose("a", "123456789"); // 10 bytes
  c.core("a").propose(op("x".repeat(100)));
  c.process("a");
  c.restart("b");
  c.sent = [];
  c.tickAll(5);
  const apps = appendsTo(c.sent, "b");
  assert.ok(apps.length >= 8);
  for (const m of apps) {
    const bytes = m.entries.reduce((n, e) => n + e.data.length, 0);
    assert.ok(m.entries.length === 1 || bytes <= 25, `append of ${bytes} bytes`);
  }
  assert.equal(c.core("b").lastIndex, c.core("a").lastIndex);
});

Deno.test("committed entries are handed out at most maxApplyBytes per ready", () => {
  const { core, storage } = newCore("a", { voters: ["a"], maxApplyBytes: 25 });
  core.campaign();
  let rd = core.ready();
  storage.append(rd.entries);
  core.advance(rd);
  core.proposeBatch(Array.from({ length: 10 }, () => op("123456789")));
  const sizes: number[] = [];
  for (let i = 0; core.hasReady() && i < 100; i++) {
    rd = core.ready();
    storage.append(rd.entries);
    const b = rd.committed.reduce((n, e) => n + e.data.length, 0);
    if (rd.committed.length > 0) sizes.push(rd.committed.length);
    assert.ok(rd.committed.length <= 1 || b <= 25, `${b} bytes in one ready`);
    core.advance(rd);
  }
  assert.equal(core.applied, 11);
  assert.equal(sizes.reduce((a, b) => a + b), 11);
  assert.ok(sizes.length >= 4);
});

Deno.test("backpressure: proposals fail once maxUncommittedBytes is reached, and recover", () => {
  const c = new Cluster(["a", "b", "c"], { config: { maxUncommittedBytes: 100 } });
  c.electLeader("a");
  c.isolate("a");
  let accepted = 0;
  let err: unknown = null;
  for (let i = 0; i < 50; i++) {
    try {
      c.propose("a", "123456789"); // 10 bytes
      accepted++;
    } catch (e) {
      err = e;
      break;
    }
  }
  assert.ok(err instanceof ProposalError, `no backpressure after ${accepted} proposals`);
  assert.equal(err.reason, "backpressure");
  assert.ok(accepted >= 9 && accepted <= 10, `accepted ${accepted}`);
  assert.throws(() => c.core("a").proposeBatch([op("1"), op("2")]), /uncommitted/);
  assert.throws(
    () => c.core("b").propose(op("1")),
    (e) => (e as ProposalError).reason === "not-leader",
  );
  c.heal();
  c.tickAll(2);
  assert.equal(c.core("a").committed, c.core("a").lastIndex);
  c.propose("a", "123456789");
  c.stabilize();
  // An oversized entry is let through when nothing is pending, so it cannot wedge.
  c.core("a").propose(op("x".repeat(500)));
  assert.throws(() => c.core("a").propose(op("y")), ProposalError);
  c.stabilize();
  c.core("a").propose(op("y"));
});

Deno.test("backpressure counts only this leader's uncommitted entries", () => {
  const c = new Cluster(["a", "b", "c"], { config: { maxUncommittedBytes: 50 } });
  c.electLeader("a");
  c.partition(["a"], ["b", "c"]);
  for (let i = 0; i < 4; i++) c.propose("a", "123456789");
  // A new leader takes over: the old uncommitted bytes are not its burden.
  for (const id of ["b", "c"]) c.tick(id, 10);
  c.take(() => true);
  c.electLeader("b");
  for (let i = 0; i < 4; i++) c.propose("b", "123456789");
  c.stabilize();
  c.heal();
  c.tickAll(3);
  assert.equal(c.core("a").role, "follower");
  for (let i = 0; i < 4; i++) c.propose("b", "123456789");
});

Deno.test("reportUnreachable moves a replicating follower back to probing", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  assert.equal(c.core("a").progressOf("b")!.state, "replicate");
  c.core("a").reportUnreachable("b");
  assert.equal(c.core("a").progressOf("b")!.state, "probe");
  c.propose("a", "y");
  c.tickAll(1);
  assert.equal(c.core("a").progressOf("b")!.state, "replicate");
  assert.equal(c.core("b").committed, c.core("a").lastIndex);
});
