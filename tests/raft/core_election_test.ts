import assert from "node:assert/strict";
import { Cluster, drain, newCore, ofType } from "./_cluster.ts";
import type { Message, VoteMessage } from "../../lib/raft/types.ts";

const E = 10;

function vote(
  from: string,
  to: string,
  term: number,
  lastIndex: number,
  lastTerm: number,
  extra: Partial<VoteMessage> = {},
): VoteMessage {
  return {
    type: "vote",
    from,
    to,
    term,
    pre: false,
    lastIndex,
    lastTerm,
    transfer: false,
    ...extra,
  };
}

function votesIn(ms: Message[]) {
  return ofType(ms, "voteResp");
}

/** A voter restarted with `terms` in its log, past the restart lease (see the lease tests). */
function voter(terms: number[], term: number) {
  const r = newCore("b", { terms, hardState: { term, vote: null, commit: 0 }, random: () => 0.99 });
  for (let i = 0; i < E; i++) r.core.tick();
  assert.equal(r.core.role, "follower");
  return r;
}

Deno.test("election timeout is randomized in [electionTicks, 2 * electionTicks)", () => {
  const firstCampaignTick = (random: () => number) => {
    const { core, storage } = newCore("a", { random, electionTicks: E });
    for (let t = 1; t <= 3 * E; t++) {
      core.tick();
      if (core.role !== "follower") {
        drain(core, storage);
        return t;
      }
    }
    throw new Error("never campaigned");
  };
  assert.equal(firstCampaignTick(() => 0), E);
  assert.equal(firstCampaignTick(() => 0.99999), 2 * E - 1);
  const seen = new Set<number>();
  let x = 0;
  for (let i = 0; i < 200; i++) {
    const t = firstCampaignTick(() => {
      x = (x * 9301 + 49297) % 233280;
      return x / 233280;
    });
    assert.ok(t >= E && t < 2 * E, `timeout ${t}`);
    seen.add(t);
  }
  assert.ok(seen.size >= E - 2, `timeouts not spread: ${[...seen]}`);
});

Deno.test("the timeout is drawn again after each campaign", () => {
  const draws: number[] = [];
  const values = [0, 0.5, 0.9];
  let i = 0;
  const { core, storage } = newCore("a", {
    random: () => {
      const v = values[i++ % values.length];
      draws.push(v);
      return v;
    },
  });
  const at: number[] = [];
  for (let t = 1; t <= 60; t++) {
    const before = core.role;
    core.tick();
    if (core.role === "precandidate" && (before !== "precandidate" || core.electionElapsed === 0)) {
      at.push(t);
    }
    drain(core, storage);
  }
  // Gaps between campaigns: 10 (0), then 15 (0.5), then 19 (0.9), ...
  assert.deepEqual(at.slice(0, 3), [10, 25, 44]);
});

Deno.test("a three-node cluster elects exactly one leader from timeouts", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const c = new Cluster(["a", "b", "c"], { seed });
    c.tickUntil(() => c.leaders().length === 1, 10 * E);
    const l = c.leader()!;
    c.tickAll(3 * E);
    assert.equal(c.leader(), l, `seed ${seed}: leadership changed in a stable cluster`);
    assert.deepEqual(c.leaders(), [l]);
    for (const id of ["a", "b", "c"]) assert.equal(c.core(id).leader, l);
  }
});

Deno.test("pre-vote: a granted pre-vote changes no voter's term or vote", () => {
  const { core, storage } = voter([1, 1], 1);
  core.step(vote("a", "b", 2, 2, 1, { pre: true }));
  const { messages, readies } = drain(core, storage);
  const [r] = votesIn(messages);
  assert.equal(r.granted, true);
  assert.equal(r.pre, true);
  assert.equal(r.term, 2, "granted pre-vote carries the proposed term");
  assert.equal(core.term, 1);
  assert.equal(readies.every((rd) => rd.hardState === null), true, "nothing to persist");
});

Deno.test("pre-vote: a losing pre-candidate keeps its term", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.isolate("c");
  c.tickAll(6 * E);
  assert.equal(c.core("c").term, t, "isolated node must not inflate its term");
  assert.notEqual(c.core("c").role, "leader");
  assert.equal(c.core("a").term, t);
  assert.equal(c.core("b").term, t);
});

Deno.test("a partitioned node rejoining does not disrupt the leader", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  c.isolate("c");
  c.tickAll(5 * E); // c's log is as long as everyone's: only the lease protects the leader
  c.heal();
  c.tickAll(3 * E);
  assert.equal(c.leader(), "a");
  for (const id of ["a", "b", "c"]) assert.equal(c.core(id).term, t, `${id}'s term moved`);
  assert.equal(c.core("c").leader, "a");
  assert.equal(c.leaderOfTerm.size, 1);
});

Deno.test("without pre-vote a rejoining node still cannot win or bump terms while the lease holds", () => {
  const c = new Cluster(["a", "b", "c"], { config: { preVote: false } });
  const t = c.electLeader("a");
  c.propose("a", "x");
  c.stabilize();
  c.isolate("c");
  c.tickAll(5 * E);
  assert.ok(c.core("c").term > t, "c campaigned on its own");
  c.heal();
  // c's vote requests are ignored (lease); its higher term reaches a through a
  // response and a steps down, but c's log is behind so it cannot win.
  c.tickUntil(() => c.leader() !== null && c.leader() !== "c" && c.leaders().length === 1, 20 * E);
  assert.notEqual(c.leader(), "c");
});

Deno.test("check-quorum: a leader cut off from the majority steps down within two election timeouts", () => {
  const c = new Cluster(["a", "b", "c"], { seed: 3 });
  const t = c.electLeader("a");
  c.tickAll(E + 3); // a stable, a few check-quorum rounds in
  c.isolate("a");
  let stepped = -1;
  for (let i = 1; i <= 2 * E; i++) {
    c.tickAll();
    if (c.core("a").role !== "leader") {
      stepped = i;
      break;
    }
  }
  assert.ok(stepped > 0, "isolated leader never stepped down");
  assert.ok(stepped > E / 2, `stepped down too early (${stepped})`);
  assert.equal(c.core("a").role, "follower");
  assert.ok(c.core("a").term >= t);
  // The majority elects a new leader in a higher term.
  c.tickUntil(() => ["b", "c"].some((id) => c.core(id).role === "leader"), 4 * E);
  const nl = c.leader()!;
  assert.ok(c.core(nl).term > t);
});

Deno.test("check-quorum: a leader that hears from a majority keeps leading", () => {
  const c = new Cluster(["a", "b", "c", "d", "e"]);
  c.electLeader("a");
  c.partition(["a", "b", "c"], ["d", "e"]);
  c.tickAll(6 * E);
  assert.equal(c.leader(), "a");
  assert.equal(c.core("a").role, "leader");
});

Deno.test("voters in a leader's lease ignore higher-term vote requests, unless for a transfer", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  const b = c.core("b");
  c.sent = [];
  for (const pre of [true, false]) {
    c.stepTo(vote("c", "b", t + 5, 100, t + 1, { pre }));
    assert.equal(b.term, t, `pre=${pre}: term bumped by a vote request in lease`);
    assert.equal(b.leader, "a");
  }
  assert.equal(votesIn(c.take((m) => m.from === "b")).length, 0, "lease: no answer at all");
  // The leader too ignores it.
  c.stepTo(vote("c", "a", t + 5, 100, t + 1));
  assert.equal(c.core("a").role, "leader");
  assert.equal(c.core("a").term, t);
  // A transfer campaign bypasses the lease.
  c.stepTo(vote("c", "b", t + 5, 100, t + 1, { transfer: true }));
  assert.equal(b.term, t + 5);
  const [r] = votesIn(c.take((m) => m.from === "b"));
  assert.equal(r.granted, true);
  assert.equal(c.node("b").hardState.vote, "c");
});

Deno.test("once the lease has run out, a voter answers higher-term vote requests", () => {
  const c = new Cluster(["a", "b", "c"]);
  const t = c.electLeader("a");
  c.crash("a");
  c.tick("b", E); // b's lease on a is over
  c.stepTo(vote("c", "b", t + 1, 100, t));
  assert.equal(c.core("b").term, t + 1);
  const [r] = votesIn(c.take((m) => m.from === "b"));
  assert.equal(r.granted, true);
});

Deno.test("votes go only to candidates whose log is at least as up to date", () => {
  // Voter log: 1@1 2@2 3@2.
  const cases: [number, number, boolean][] = [
    [3, 2, true], // equal
    [4, 2, true], // same last term, longer
    [2, 2, false], // same last term, shorter
    [1, 3, true], // higher last term, shorter
    [9, 1, false], // lower last term, longer
    [0, 0, false],
  ];
  for (const [lastIndex, lastTerm, want] of cases) {
    for (const pre of [false, true]) {
      const { core, storage } = voter([1, 2, 2], 2);
      core.step(vote("a", "b", 3, lastIndex, lastTerm, { pre }));
      const [r] = votesIn(drain(core, storage).messages);
      assert.equal(r.granted, want, `(${lastIndex}, ${lastTerm}) pre=${pre}`);
      if (!pre) assert.equal(core.term, 3, "a real vote request moves the term either way");
      else assert.equal(core.term, 2);
    }
  }
});

Deno.test("at most one vote per term; the same candidate may ask again", () => {
  const { core, storage } = voter([], 1);
  core.step(vote("a", "b", 2, 0, 0));
  core.step(vote("c", "b", 2, 0, 0));
  core.step(vote("a", "b", 2, 0, 0));
  const rs = votesIn(drain(core, storage).messages);
  assert.deepEqual(rs.map((r) => [r.to, r.granted]), [["a", true], ["c", false], ["a", true]]);
});

Deno.test("a granted vote is in the hard state of the same ready as the response", () => {
  const { core } = voter([], 1);
  core.step(vote("a", "b", 2, 0, 0));
  const rd = core.ready();
  const [r] = votesIn(rd.messages);
  assert.equal(r.granted, true);
  assert.deepEqual(rd.hardState, { term: 2, vote: "a", commit: 0 });
  // The candidate side: the requests leave with its own vote and term.
  const { core: a } = newCore("a", { preVote: false });
  a.campaign();
  const rda = a.ready();
  assert.equal(ofType(rda.messages, "vote").length, 2);
  assert.deepEqual(rda.hardState, { term: 1, vote: "a", commit: 0 });
});

Deno.test("a vote survives a crash: the restarted voter refuses a second candidate in that term", () => {
  const c = new Cluster(["a", "b", "c"]);
  c.stepTo(vote("a", "b", 1, 0, 0));
  assert.equal(votesIn(c.take((m) => m.from === "b"))[0].granted, true);
  c.crashRestart("b");
  assert.equal(c.core("b").term, 1);
  c.stepTo(vote("c", "b", 1, 0, 0));
  const [r] = votesIn(c.take((m) => m.from === "b"));
  assert.equal(r.granted, false, "voted twice in term 1 across a restart");
  // And a crash before the vote was persisted loses the answer along with it.
  c.stepTo(vote("a", "c", 2, 0, 0));
  c.take(() => true);
  const n = c.node("c");
  n.core.step(vote("b", "c", 3, 0, 0));
  c.crashRestart("c"); // the ready (vote for b in 3) was never taken
  assert.deepEqual([n.hardState.term, n.hardState.vote], [2, "a"]);
  assert.equal(c.queue.length, 0, "no answer left a node that had not persisted");
});

Deno.test("every granted vote response in a real election is preceded by its persisted vote", () => {
  // The cluster driver asserts this on every ready; run many elections.
  for (let seed = 1; seed <= 10; seed++) {
    const c = new Cluster(["a", "b", "c", "d", "e"], { seed, config: { preVote: seed % 2 === 0 } });
    for (let round = 0; round < 4; round++) {
      c.tickUntil(() => c.leader() !== null, 30 * E);
      const l = c.leader()!;
      c.propose(l, `w${round}`);
      c.stabilize();
      c.crashRestart(l);
      c.crashRestart(["a", "b", "c", "d", "e"][(seed + round) % 5]);
    }
  }
});

Deno.test("learners never campaign", () => {
  const c = new Cluster(["a", "b", "c", "d"], { voters: ["a", "b", "c"], learners: ["d"] });
  c.crash("a");
  c.crash("b");
  c.crash("c");
  c.tick("d", 10 * E);
  c.core("d").campaign();
  c.process("d");
  assert.equal(c.core("d").role, "follower");
  assert.equal(c.core("d").term, 0);
  assert.equal(c.sent.length, 0);
  // A timeoutNow does not make it campaign either.
  c.stepTo({ type: "timeoutNow", from: "a", to: "d", term: 0 });
  assert.equal(c.core("d").role, "follower");
  assert.equal(c.sent.length, 0);
});

Deno.test("a node outside its own configuration (removed, or not yet added) never campaigns", () => {
  const { core, storage } = newCore("z", { voters: ["a", "b", "c"] });
  for (let i = 0; i < 10 * E; i++) core.tick();
  core.campaign();
  assert.equal(core.role, "follower");
  assert.equal(drain(core, storage).messages.length, 0);
  const { core: fresh, storage: s2 } = newCore("z", { voters: [] });
  for (let i = 0; i < 10 * E; i++) fresh.tick();
  assert.equal(drain(fresh, s2).messages.length, 0);
});

Deno.test("a single voter elects itself", () => {
  const c = new Cluster(["a"]);
  c.tickUntil(() => c.leader() === "a", 2 * E);
  assert.equal(c.core("a").term, 1);
  c.stabilize();
  assert.equal(c.core("a").committed, 1, "no-op committed");
});

Deno.test("a stale leader learns of the new term from a rejected heartbeat and steps down", () => {
  // No check-quorum: only the new term can depose the old leader.
  const c = new Cluster(["a", "b", "c"], { config: { checkQuorum: false } });
  const t = c.electLeader("a");
  c.isolate("a");
  c.tickUntil(() => c.leaders().some((id) => id !== "a"), 6 * E);
  assert.equal(c.core("a").role, "leader", "still believes it leads");
  assert.equal(c.core("a").term, t);
  c.heal();
  c.tick("a"); // heartbeat in the old term
  c.deliver((m) => m.from === "a");
  const notices = ofType(c.queue, "appendResp").filter((m) => m.to === "a");
  assert.ok(notices.length > 0 && notices.every((m) => m.reject && m.term > t));
  c.deliver();
  assert.equal(c.core("a").role, "follower");
  assert.ok(c.core("a").term > t);
});

Deno.test("a restarted voter honours a possible lease: no higher-term votes for one election timeout", () => {
  const { core, storage } = newCore("b", {
    terms: [1],
    hardState: { term: 1, vote: null, commit: 0 },
    random: () => 0.99,
  });
  core.step(vote("c", "b", 2, 1, 1, { pre: true }));
  core.step(vote("c", "b", 2, 1, 1));
  assert.equal(core.term, 1);
  assert.deepEqual(votesIn(drain(core, storage).messages), []);
  for (let i = 0; i < E; i++) core.tick();
  core.step(vote("c", "b", 2, 1, 1));
  assert.equal(votesIn(drain(core, storage).messages)[0].granted, true);
  // A transfer campaign is answered at once; a brand-new node (term 0) has no lease to honour.
  const r = newCore("b", { terms: [1], hardState: { term: 1, vote: null, commit: 0 } });
  r.core.step(vote("c", "b", 2, 1, 1, { transfer: true }));
  assert.equal(votesIn(drain(r.core, r.storage).messages)[0].granted, true);
  const f = newCore("b");
  f.core.step(vote("c", "b", 1, 0, 0));
  assert.equal(votesIn(drain(f.core, f.storage).messages)[0].granted, true);
});

Deno.test("Figure 2, RequestVote receiver: a request from an older term is never granted", () => {
  const { core, storage } = voter([1, 2], 3);
  core.step(vote("a", "b", 2, 5, 2));
  core.step(vote("a", "b", 2, 5, 2, { pre: true }));
  const rs = votesIn(drain(core, storage).messages);
  assert.ok(rs.every((r) => !r.granted && r.term === 3));
  assert.equal(core.term, 3);
});

Deno.test("Figure 2, followers: granting a vote resets the election timer", () => {
  const { core, storage } = newCore("b", { random: () => 0 }); // timeout = E
  for (let i = 0; i < E - 1; i++) core.tick();
  core.step(vote("a", "b", 1, 0, 0));
  assert.equal(votesIn(drain(core, storage).messages)[0].granted, true);
  for (let i = 0; i < E - 1; i++) core.tick();
  assert.equal(core.role, "follower", "campaigned right after granting a vote");
  core.tick();
  assert.equal(core.role, "precandidate");
});

Deno.test("Figure 2, candidates: an append from a leader of the same term makes them followers", () => {
  for (const preVote of [false, true]) {
    const { core, storage } = newCore("a", {
      preVote,
      hardState: { term: 1, vote: null, commit: 0 },
    });
    core.campaign();
    drain(core, storage);
    assert.equal(core.role, preVote ? "precandidate" : "candidate");
    const term = core.term;
    core.step({
      type: "append",
      from: "c",
      to: "a",
      term,
      prevIndex: 0,
      prevTerm: 0,
      entries: [],
      commit: 0,
    });
    assert.equal(core.role, "follower");
    assert.equal(core.leader, "c");
    assert.equal(core.term, term);
  }
});

Deno.test("Figure 2, candidates: a majority of votes wins, a majority of refusals loses", () => {
  const { core, storage } = newCore("a", {
    preVote: false,
    voters: ["a", "b", "c", "d", "e"],
    hardState: { term: 1, vote: null, commit: 0 },
  });
  core.campaign();
  drain(core, storage);
  const resp = (from: string, granted: boolean) =>
    core.step({ type: "voteResp", from, to: "a", term: 2, pre: false, granted });
  resp("b", true);
  resp("c", false);
  assert.equal(core.role, "candidate");
  resp("d", true);
  assert.equal(core.role, "leader");
  const lost = newCore("a", { preVote: false, voters: ["a", "b", "c"] });
  lost.core.campaign();
  drain(lost.core, lost.storage);
  lost.core.step({ type: "voteResp", from: "b", to: "a", term: 1, pre: false, granted: false });
  assert.equal(lost.core.role, "candidate");
  lost.core.step({ type: "voteResp", from: "c", to: "a", term: 1, pre: false, granted: false });
  assert.equal(lost.core.role, "follower");
  assert.equal(lost.core.term, 1, "losing does not change the term");
});
