/**
 * An in-memory cluster of `RaftCore`s for unit tests: MemoryStorage per
 * node, a network queue the test delivers, drops, filters or holds, and a
 * driver loop that follows the contract (persist hard state and entries,
 * then send, then apply, then advance). Everything is deterministic: the
 * cores take their randomness from a seeded PRNG.
 *
 * The driver checks on every ready that:
 * - a granted vote response never leaves before the vote is persisted;
 * - committed entries are handed out in order, after the snapshot;
 * - every node applies the same entry at the same index (state machine safety);
 * - there is at most one leader per term.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RaftCore, type Ready } from "../../lib/raft/core.ts";
import type { RaftConfig } from "../../lib/raft/config.ts";
import { MemoryStorage } from "../../lib/raft/storage.ts";
import {
  type ConfState,
  decodeConf,
  type Entry,
  ENTRY_CONF,
  ENTRY_OP,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type SnapshotMeta,
} from "../../lib/raft/types.ts";

/** A seeded PRNG (mulberry32) returning numbers in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Data of an application entry carrying `s`. */
export function op(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(b.length + 1);
  out[0] = ENTRY_OP;
  out.set(b, 1);
  return out;
}

/** The text of an application entry's data, or a tag for other entries. */
export function text(data: Uint8Array): string {
  if (data[0] === ENTRY_OP) return new TextDecoder().decode(data.subarray(1));
  return data[0] === 0 ? "<noop>" : "<conf>";
}

/** Options of a test cluster. */
export interface ClusterOptions {
  /** Initial voters (default: every id). */
  voters?: NodeId[];
  /** Initial learners. */
  learners?: NodeId[];
  /** PRNG seed. @default {1} */
  seed?: number;
  /** Config for every node (the cluster sets id, storage, random, hardState, applied). */
  config?: Partial<RaftConfig>;
  /** Per-node config overrides. */
  configFor?: (id: NodeId) => Partial<RaftConfig>;
  /**
   * When a snapshot message is delivered, call the leader's reportSnapshot
   * (true if the recipient is up, false if it was dropped). @default {true}
   */
  autoReportSnapshot?: boolean;
}

/** One simulated node: its durable state and its (volatile) core. */
export interface TestNode {
  /** Node id. */
  id: NodeId;
  /** Persisted log and snapshot. */
  storage: MemoryStorage;
  /** Last persisted hard state. */
  hardState: HardState;
  /** Index the state machine has applied (durable with the state machine). */
  appliedIndex: number;
  /** The application entries applied, in order (snapshots carry a copy). */
  sm: { index: number; text: string }[];
  /** The running core (replaced on restart). */
  core: RaftCore;
  /** Whether the node is up. */
  up: boolean;
  /** Read states received, in order. */
  readStates: ReadState[];
  /** Every ready this node produced since the last clear. */
  readies: Ready[];
  /** Configuration to use when the log and snapshot hold none. */
  initialConf: ConfState;
}

/** A message predicate. */
export type MessageFilter = (m: Message) => boolean;

/** An in-memory Raft cluster. */
export class Cluster {
  /** Nodes by id. */
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  /** Every message sent (for assertions; clear it freely). */
  sent: Message[] = [];
  /** Leader seen per term. */
  readonly leaderOfTerm = new Map<number, NodeId>();
  /** Entry (term:text) applied at each index by any node. */
  readonly appliedAt = new Map<number, string>();
  /** The state machine at each snapshot index taken by any node. */
  readonly snapshots = new Map<number, { index: number; text: string }[]>();
  readonly #opts: ClusterOptions;
  readonly #random: () => number;
  #groups: Map<NodeId, number> | null = null;
  #drops: MessageFilter[] = [];
  /** Rewrites (or drops, returning null) each message as it is delivered. */
  rewrite: ((m: Message) => Message | null) | null = null;

  /**
   * Creates a cluster.
   *
   * @param ids Node ids.
   * @param opts Options.
   */
  constructor(ids: NodeId[], opts: ClusterOptions = {}) {
    this.#opts = opts;
    this.#random = prng(opts.seed ?? 1);
    const conf: ConfState = {
      voters: opts.voters ?? [...ids],
      learners: opts.learners ?? [],
    };
    for (const id of ids) this.addNode(id, conf);
  }

  /**
   * Adds a node (a fresh one, e.g. joining with an empty configuration).
   *
   * @param id Its id.
   * @param initialConf Configuration when its log holds none.
   * @returns The node.
   */
  addNode(id: NodeId, initialConf: ConfState = { voters: [], learners: [] }): TestNode {
    const storage = new MemoryStorage();
    const hardState: HardState = { term: 0, vote: null, commit: 0 };
    const n: TestNode = {
      id,
      storage,
      hardState,
      appliedIndex: 0,
      sm: [],
      core: undefined as unknown as RaftCore,
      up: true,
      readStates: [],
      readies: [],
      initialConf: { voters: [...initialConf.voters], learners: [...initialConf.learners] },
    };
    n.core = this.#makeCore(n);
    this.nodes.set(id, n);
    return n;
  }

  #makeCore(n: TestNode): RaftCore {
    return new RaftCore({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...this.#opts.config,
      ...this.#opts.configFor?.(n.id),
      id: n.id,
      storage: n.storage,
      hardState: { ...n.hardState },
      applied: n.appliedIndex,
      initialConf: n.initialConf,
      random: this.#random,
    });
  }

  /**
   * A node by id.
   *
   * @param id The id.
   * @returns The node.
   */
  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /**
   * A node's core.
   *
   * @param id The id.
   * @returns Its current core.
   */
  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  /** Ids of the nodes that are up. */
  upIds(): NodeId[] {
    return [...this.nodes.values()].filter((n) => n.up).map((n) => n.id);
  }

  /** Ids of the live nodes that believe they lead. */
  leaders(): NodeId[] {
    return this.upIds().filter((id) => this.core(id).role === "leader");
  }

  /** The single live leader with the highest term, or null. */
  leader(): NodeId | null {
    let best: NodeId | null = null;
    for (const id of this.leaders()) {
      if (best === null || this.core(id).term > this.core(best).term) best = id;
    }
    return best;
  }

  // ------------------------------------------------------------ the driver

  /**
   * Takes one ready from a node without processing it (to interleave a crash
   * or a step between ready and advance). Finish it with `finishReady`.
   *
   * @param id The node.
   * @returns The ready.
   */
  takeReady(id: NodeId): Ready {
    const n = this.node(id);
    const rd = n.core.ready();
    n.readies.push(rd);
    return rd;
  }

  /**
   * Persists, sends, applies and advances a ready taken with `takeReady`.
   *
   * @param id The node.
   * @param rd The ready.
   * @param advance Whether to call advance (false: leave it to the test).
   */
  finishReady(id: NodeId, rd: Ready, advance = true): void {
    const n = this.node(id);
    this.persistReady(id, rd);
    this.sendReady(id, rd);
    this.applyReady(id, rd);
    if (advance) n.core.advance(rd);
    this.#observe();
  }

  /**
   * Persists a ready's snapshot, entries and hard state.
   *
   * @param id The node.
   * @param rd The ready.
   */
  persistReady(id: NodeId, rd: Ready): void {
    const n = this.node(id);
    if (rd.snapshot !== null) {
      const sm = this.snapshots.get(rd.snapshot.index);
      assert.ok(sm !== undefined, `${id}: snapshot ${rd.snapshot.index} was never taken`);
      n.storage.applySnapshot(rd.snapshot);
      n.sm = [...sm];
      n.appliedIndex = rd.snapshot.index;
    }
    if (rd.entries.length > 0) {
      for (let i = 1; i < rd.entries.length; i++) {
        assert.equal(rd.entries[i].index, rd.entries[i - 1].index + 1, `${id}: entries gap`);
      }
      n.storage.append(rd.entries);
    }
    if (rd.hardState !== null) n.hardState = { ...rd.hardState };
  }

  /**
   * Queues a ready's messages (after checking votes are persisted).
   *
   * @param id The node.
   * @param rd The ready.
   */
  sendReady(id: NodeId, rd: Ready): void {
    const n = this.node(id);
    for (const m of rd.messages) {
      const termFree = (m.type === "vote" && m.pre) || (m.type === "voteResp" && m.pre);
      assert.ok(
        termFree || n.hardState.term >= m.term,
        `${id} sent ${m.type} in term ${m.term} before persisting the term ` +
          `(persisted: ${JSON.stringify(n.hardState)})`,
      );
      // (A later term on disk also rules out a second vote in m.term.)
      if (m.type === "vote" && !m.pre) {
        assert.ok(
          n.hardState.term > m.term || (n.hardState.term === m.term && n.hardState.vote === id),
          `${id} asked for votes in term ${m.term} before persisting its own vote`,
        );
      }
      if (m.type === "voteResp" && m.granted && !m.pre) {
        assert.ok(
          n.hardState.term > m.term ||
            (n.hardState.term === m.term && n.hardState.vote === m.to),
          `${id} granted a vote to ${m.to} in term ${m.term} before persisting it ` +
            `(persisted: ${JSON.stringify(n.hardState)})`,
        );
      }
      assert.equal(m.from, id, "message from someone else");
      this.sent.push(m);
      if (this.nodes.get(m.to)?.up !== false) this.queue.push(m); // lost if the peer is down
    }
  }

  /**
   * Applies a ready's committed entries and records its read states.
   *
   * @param id The node.
   * @param rd The ready.
   */
  applyReady(id: NodeId, rd: Ready): void {
    const n = this.node(id);
    if (rd.snapshot !== null) {
      assert.equal(rd.committed.length, 0, `${id}: committed entries with a snapshot`);
    }
    for (const e of rd.committed) {
      assert.equal(e.index, n.appliedIndex + 1, `${id}: applied out of order`);
      assert.ok(
        e.index <= n.storage.lastIndex() && n.storage.term(e.index) === e.term,
        `${id}: applying entry ${e.index}@${e.term} that is not persisted`,
      );
      const key = `${e.term}:${text(e.data)}`;
      const seen = this.appliedAt.get(e.index);
      if (seen === undefined) this.appliedAt.set(e.index, key);
      else assert.equal(key, seen, `${id}: applied ${key} at ${e.index}, another node ${seen}`);
      n.appliedIndex = e.index;
      if (e.data[0] === ENTRY_OP) n.sm.push({ index: e.index, text: text(e.data) });
    }
    n.readStates.push(...rd.readStates);
  }

  /**
   * Runs the driver loop of a node until it has nothing ready.
   *
   * @param id The node.
   */
  process(id: NodeId): void {
    const n = this.node(id);
    if (!n.up) return;
    for (let i = 0; n.core.hasReady(); i++) {
      assert.ok(i < 1000, `${id}: hasReady() never settles`);
      this.finishReady(id, this.takeReady(id));
    }
  }

  /** Runs the driver loop of every live node. */
  processAll(): void {
    for (const id of this.upIds()) this.process(id);
  }

  // ------------------------------------------------------------ the network

  /**
   * Whether a message would cross the network now (partitions and drop filters).
   *
   * @param m The message.
   * @returns True if it gets through.
   */
  passes(m: Message): boolean {
    if (this.#groups !== null && this.#groups.get(m.from) !== this.#groups.get(m.to)) return false;
    return !this.#drops.some((f) => f(m));
  }

  /**
   * Steps a message into its recipient (if up) and runs its driver loop.
   *
   * @param m The message.
   * @returns Whether it was stepped.
   */
  stepTo(m: Message): boolean {
    const n = this.nodes.get(m.to);
    if (n === undefined || !n.up) return false;
    n.core.step(m);
    this.#observe();
    this.process(m.to);
    return true;
  }

  /**
   * Delivers the messages queued now (not the ones they cause), subject to
   * partitions and filters.
   *
   * @param filter Deliver only these (the rest stay queued).
   * @returns How many were delivered.
   */
  deliver(filter: MessageFilter = () => true): number {
    const batch = this.queue.filter(filter);
    this.queue = this.queue.filter((m) => !filter(m));
    let n = 0;
    for (const orig of batch) {
      const m = this.rewrite === null ? orig : this.rewrite(orig);
      if (m === null) continue;
      const ok = this.passes(m) && this.stepTo(m);
      if (ok) n++;
      if (m.type === "snapshot" && (this.#opts.autoReportSnapshot ?? true)) {
        const from = this.nodes.get(m.from);
        if (from !== undefined && from.up) {
          from.core.reportSnapshot(m.to, ok);
          this.process(m.from);
        }
      }
    }
    return n;
  }

  /**
   * Removes queued messages matching `filter` and returns them (held back).
   *
   * @param filter Which.
   * @returns The messages.
   */
  take(filter: MessageFilter): Message[] {
    const out = this.queue.filter(filter);
    this.queue = this.queue.filter((m) => !filter(m));
    return out;
  }

  /**
   * Processes every node and delivers messages until nothing moves.
   *
   * @param maxRounds Guard.
   */
  stabilize(maxRounds = 200): void {
    for (let i = 0; i < maxRounds; i++) {
      this.processAll();
      if (this.queue.length === 0) return;
      this.deliver();
    }
    throw new Error(`cluster did not stabilize in ${maxRounds} rounds`);
  }

  /**
   * Drops every message for which `f` is true until `clearDrops()`.
   *
   * @param f The predicate.
   */
  dropIf(f: MessageFilter): void {
    this.#drops.push(f);
  }

  /** Removes every drop filter. */
  clearDrops(): void {
    this.#drops = [];
  }

  /**
   * Splits the nodes into groups that cannot talk to each other (nodes not
   * listed form one more group).
   *
   * @param groups The groups.
   */
  partition(...groups: NodeId[][]): void {
    this.#groups = new Map();
    for (const id of this.nodes.keys()) this.#groups.set(id, -1);
    groups.forEach((g, i) => g.forEach((id) => this.#groups!.set(id, i)));
  }

  /**
   * Cuts one node off from everyone.
   *
   * @param id The node.
   */
  isolate(id: NodeId): void {
    this.partition([id], [...this.nodes.keys()].filter((x) => x !== id));
  }

  /** Ends every partition. */
  heal(): void {
    this.#groups = null;
  }

  // -------------------------------------------------------------- time

  /**
   * Ticks one node (no delivery; its ready is processed).
   *
   * @param id The node.
   * @param n How many ticks.
   */
  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      const node = this.node(id);
      if (!node.up) return;
      node.core.tick();
      this.#observe();
      this.process(id);
    }
  }

  /**
   * Ticks every live node `n` times, stabilizing the network after each tick.
   *
   * @param n How many ticks.
   */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const id of this.upIds()) {
        this.node(id).core.tick();
        this.#observe();
      }
      this.stabilize();
    }
  }

  /**
   * Ticks until `cond` holds (stabilizing after each tick).
   *
   * @param cond The condition.
   * @param max Most ticks.
   * @returns Ticks taken.
   */
  tickUntil(cond: () => boolean, max = 200): number {
    for (let i = 0; i < max; i++) {
      if (cond()) return i;
      this.tickAll();
    }
    if (cond()) return max;
    throw new Error(`condition not reached in ${max} ticks`);
  }

  // -------------------------------------------------------------- helpers

  /**
   * Makes `id` campaign now and runs the election to the end.
   *
   * @param id The candidate.
   * @returns The leader's term.
   */
  electLeader(id: NodeId): number {
    this.core(id).campaign();
    this.#observe();
    this.stabilize();
    assert.equal(this.core(id).role, "leader", `${id} did not win (role ${this.core(id).role})`);
    return this.core(id).term;
  }

  /**
   * Proposes application data at a node and processes its ready (no delivery).
   *
   * @param id The leader.
   * @param s The text.
   * @returns The entry's index.
   */
  propose(id: NodeId, s: string): number {
    const i = this.core(id).propose(op(s));
    this.process(id);
    return i;
  }

  /**
   * Stops a node: its core, anything it had not persisted, and the messages
   * on their way to it are lost.
   *
   * @param id The node.
   */
  crash(id: NodeId): void {
    const n = this.node(id);
    n.up = false;
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  /**
   * Starts a stopped node from its persisted state.
   *
   * @param id The node.
   */
  restart(id: NodeId): void {
    const n = this.node(id);
    n.core = this.#makeCore(n);
    n.up = true;
    this.#observe();
  }

  /**
   * Crashes and restarts a node: the new core starts from the persisted
   * storage, hard state and applied index only.
   *
   * @param id The node.
   */
  crashRestart(id: NodeId): void {
    this.crash(id);
    this.restart(id);
  }

  /**
   * Takes a snapshot at a node up to its applied index and compacts its log.
   *
   * @param id The node.
   * @param index Last index covered (default: applied index).
   * @param keep Entries to keep before `index` (trailing logs).
   * @returns The snapshot metadata.
   */
  compact(id: NodeId, index?: number, keep = 0): SnapshotMeta {
    const n = this.node(id);
    const at = index ?? n.appliedIndex;
    assert.ok(at <= n.appliedIndex, `snapshot ${at} beyond applied ${n.appliedIndex}`);
    const term = n.storage.term(at);
    assert.ok(term !== undefined, `no term at ${at}`);
    const meta: SnapshotMeta = { index: at, term, conf: this.confAt(id, at) };
    const prior = this.snapshots.get(at);
    const sm = n.sm.filter((x) => x.index <= at);
    if (prior !== undefined) assert.deepEqual(sm, prior, "two snapshots differ at one index");
    this.snapshots.set(at, sm);
    n.storage.setSnapshot(meta);
    if (at - keep > n.storage.firstIndex() - 1) n.storage.compact(at - keep);
    return meta;
  }

  /**
   * The configuration as of `index` in a node's persisted log.
   *
   * @param id The node.
   * @param index The index.
   * @returns The configuration.
   */
  confAt(id: NodeId, index: number): ConfState {
    const n = this.node(id);
    const snap = n.storage.snapshot();
    let conf = snap !== null && snap.index <= index ? snap.conf : n.initialConf;
    const first = n.storage.firstIndex();
    for (let i = first; i <= index; i++) {
      const [e] = n.storage.entries(i, i + 1, 0);
      if (e.data[0] === ENTRY_CONF) conf = decodeConf(e.data);
    }
    return { voters: [...conf.voters], learners: [...conf.learners] };
  }

  /**
   * The persisted log of a node as `index@term` strings.
   *
   * @param id The node.
   * @returns The entries.
   */
  logOf(id: NodeId): string[] {
    const s = this.node(id).storage;
    if (s.lastIndex() < s.firstIndex()) return [];
    return s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map(fmt);
  }

  #observe(): void {
    for (const n of this.nodes.values()) {
      if (!n.up || n.core.role !== "leader") continue;
      const prior = this.leaderOfTerm.get(n.core.term);
      if (prior === undefined) this.leaderOfTerm.set(n.core.term, n.id);
      else assert.equal(prior, n.id, `two leaders in term ${n.core.term}: ${prior} and ${n.id}`);
    }
  }
}

/**
 * An entry as `index@term`.
 *
 * @param e The entry.
 * @returns The text.
 */
export function fmt(e: Entry): string {
  return `${e.index}@${e.term}`;
}

/**
 * Messages of a type (narrowed).
 *
 * @param ms The messages.
 * @param type The type.
 * @returns The matching messages.
 */
export function ofType<T extends Message["type"]>(
  ms: Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return ms.filter((m) => m.type === type) as Extract<Message, { type: T }>[];
}

/** Options of `newCore`. */
export interface CoreOptions extends Partial<RaftConfig> {
  /** Voters (default a, b, c). */
  voters?: NodeId[];
  /** Learners. */
  learners?: NodeId[];
  /** Entries already persisted, as terms: terms[i] is the term of index i + 1. */
  terms?: number[];
  /** PRNG seed. */
  seed?: number;
}

/**
 * A lone core over a MemoryStorage (for message-level tests).
 *
 * @param id Its id.
 * @param o Options.
 * @returns The core and its storage.
 */
export function newCore(
  id: NodeId,
  o: CoreOptions = {},
): { core: RaftCore; storage: MemoryStorage } {
  const storage = o.storage instanceof MemoryStorage ? o.storage : new MemoryStorage();
  if (o.terms !== undefined && o.terms.length > 0) {
    storage.append(o.terms.map((term, i) => ({ index: i + 1, term, data: op(`e${i + 1}`) })));
  }
  const { voters, learners, terms: _t, seed, ...rest } = o;
  const core = new RaftCore({
    electionTicks: 10,
    heartbeatTicks: 1,
    random: prng(seed ?? 7),
    initialConf: { voters: voters ?? ["a", "b", "c"], learners: learners ?? [] },
    ...rest,
    id,
    storage,
  });
  return { core, storage };
}

/**
 * Drives a lone core's ready loop like a driver (persisting into `storage`)
 * and returns every message it sent.
 *
 * @param core The core.
 * @param storage Its storage.
 * @returns Messages, plus the readies seen.
 */
export function drain(
  core: RaftCore,
  storage: MemoryStorage,
): { messages: Message[]; readies: Ready[] } {
  const messages: Message[] = [];
  const readies: Ready[] = [];
  for (let i = 0; core.hasReady(); i++) {
    assert.ok(i < 1000, "hasReady() never settles");
    const rd = core.ready();
    readies.push(rd);
    if (rd.snapshot !== null) storage.applySnapshot(rd.snapshot);
    storage.append(rd.entries);
    messages.push(...rd.messages);
    core.advance(rd);
  }
  return { messages, readies };
}
