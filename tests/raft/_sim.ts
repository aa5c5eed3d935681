/**
 * A deterministic cluster simulator for `RaftCore` (raft-spec §4.2 B): one
 * thread, virtual time in milliseconds, one priority queue of events (ticks,
 * message deliveries, disk completions, client operations, faults) and one
 * seed from which every random choice follows. The Raft safety properties
 * are checked after every event; at the end the faults stop, the cluster
 * heals, and every acknowledged write must be applied on every member.
 *
 * What a node is here: a `RaftCore`, a persisted `MemoryStorage` plus a
 * persisted hard state, and a state machine (the keys of the entries it has
 * applied, in index order) of which a prefix is durable. The driver follows
 * the core's contract: `ready()` -> persist (hard state, snapshot, entries;
 * may take virtual time, one batch in flight at a time) -> send -> apply ->
 * `advance()`. A crash keeps only what was persisted (optionally a torn
 * prefix of the batch in flight) and the durable prefix of the state
 * machine; a restart builds a fresh core from exactly that.
 *
 * The driver may step messages and ticks while a batch is in flight (as
 * etcd's does); it never calls ready() again before advance().
 *
 * Faults (by profile): message drop, duplication, variable delay (so
 * reordering), partitions (majority/minority split, isolated leader, one-way,
 * bridge) that heal, crashes and restarts (also at chosen points: a leader
 * right after its commit index moved, before that batch is persisted; a node
 * after persisting a batch, before sending it), torn writes, slow disks,
 * process pauses (the node handles nothing, then counts the ticks it missed),
 * clock drift of ±4% per node, log compaction with snapshots sent to
 * lagging followers. Workload: proposals at leaders, proposals at
 * non-leaders (must be refused), ReadIndex reads anywhere, lease reads at
 * leaders, membership changes one at a time (add a learner, which the
 * leader promotes; remove a follower, a learner or the leader itself; removed
 * nodes are stopped a little after their removal commits), leadership
 * transfers.
 *
 * "Acknowledged" write: a client proposal accepted by a leader at index i
 * that the same leader incarnation later applies at i with the same data
 * (what a server replies OK for). Reads are ReadIndex reads (and lease reads
 * where the profile allows): a read issued after a write was acknowledged
 * must be answered with an index >= that write's index, and once the node
 * has applied that far its state machine holds the write. Any leader whose
 * lease is valid must have committed every acknowledged write.
 *
 * Checked after every event (see `INVARIANTS`): one leader per term ever;
 * log matching (every (index, term) any log ever held maps to one entry and
 * one previous term); leader completeness (a leader of term T holds every
 * entry committed in a term < T); state machine safety (every applied
 * sequence is a prefix of one global sequence, no write applied twice);
 * term, commit and applied never decrease on a live node; no node persists
 * or sends two votes in one term, across restarts; term and vote are
 * persisted before a message that depends on them is sent; only the term's
 * leader sends appends; the driver contract (what ready() hands out equals
 * the core's log). After the heal: a leader that committed its whole log,
 * every member applied it, one more write goes through, and every
 * acknowledged write is applied on every member at its index.
 *
 * @module
 */

import { ProposalError, RaftCore, type Ready } from "../../lib/raft/core.ts";
import { MemoryStorage } from "../../lib/raft/storage.ts";
import {
  type ConfState,
  decodeConf,
  type Entry,
  ENTRY_CONF,
  type HardState,
  type Message,
  type NodeId,
  type ReadState,
  type SnapshotMeta,
} from "../../lib/raft/types.ts";
import { keyOf, LogView, opData } from "./_sim_log.ts";
import { EventQueue, Rng } from "./_sim_rng.ts";

// ----------------------------------------------------------------- options

/** Fault and workload profile of a run. */
export interface Profile {
  /** Name (selects it with `profile`). */
  name: string;
  /** Probability that a message is dropped. */
  drop: number;
  /** Probability that a message is delivered twice. */
  dup: number;
  /** Network delay range, ms. */
  delay: [number, number];
  /** Probability of an extra delay of up to `slowMax` ms (reordering). */
  slowP: number;
  /** Longest extra delay, ms. */
  slowMax: number;
  /** Disk (persist) latency range, ms; 0 means the batch persists inline. */
  disk: [number, number];
  /** Time between fault actions, ms. */
  nemesisEvery: [number, number];
  /** Relative weights of fault actions. */
  faults: { partition: number; crash: number; pause: number; heal: number };
  /** A crash may keep a torn prefix of the batch being persisted. */
  torn: boolean;
  /**
   * Probability of a crash at a point that matters: a leader whose commit
   * index just moved dies before persisting and sending that batch, or a
   * node dies after persisting a batch but before sending its messages.
   */
  crashPoints: number;
  /** Time between client operations, ms. */
  clientEvery: [number, number];
  /** Membership changes (add learners, remove nodes, remove the leader). */
  membership: boolean;
  /** Leadership transfers. */
  transfers: boolean;
  /** Nodes take snapshots and compact their logs (so followers get snapshots). */
  compaction: boolean;
  /** Lease reads (needs bounded clock drift: the simulator keeps it within ±4%). */
  leaseReads: boolean;
}

const base: Profile = {
  name: "calm",
  drop: 0,
  dup: 0,
  delay: [1, 6],
  slowP: 0,
  slowMax: 0,
  disk: [0, 3],
  nemesisEvery: [200, 800],
  faults: { partition: 0, crash: 0, pause: 0, heal: 1 },
  torn: false,
  crashPoints: 0,
  clientEvery: [4, 30],
  membership: true,
  transfers: true,
  compaction: false,
  leaseReads: true,
};

/** The fault profiles; a seed picks one unless told which. */
export const PROFILES: Record<string, Profile> = {
  calm: base,
  lossy: {
    ...base,
    name: "lossy",
    drop: 0.1,
    dup: 0.05,
    delay: [1, 25],
    slowP: 0.05,
    slowMax: 300,
  },
  partition: {
    ...base,
    name: "partition",
    drop: 0.02,
    delay: [1, 15],
    slowP: 0.02,
    slowMax: 200,
    faults: { partition: 5, crash: 0, pause: 2, heal: 2 },
  },
  crash: {
    ...base,
    name: "crash",
    drop: 0.01,
    delay: [1, 10],
    disk: [0, 25],
    faults: { partition: 0, crash: 5, pause: 1, heal: 1 },
    torn: true,
    crashPoints: 0.05,
    compaction: true,
  },
  membership: {
    ...base,
    name: "membership",
    drop: 0.03,
    dup: 0.02,
    delay: [1, 15],
    disk: [0, 10],
    clientEvery: [3, 20],
    faults: { partition: 2, crash: 2, pause: 1, heal: 2 },
    torn: true,
    crashPoints: 0.02,
    compaction: true,
  },
  crashpoints: {
    ...base,
    name: "crashpoints",
    drop: 0.03,
    delay: [1, 12],
    disk: [0, 15],
    faults: { partition: 1, crash: 3, pause: 0, heal: 1 },
    torn: true,
    crashPoints: 0.3,
  },
  chaos: {
    ...base,
    name: "chaos",
    drop: 0.08,
    dup: 0.05,
    delay: [1, 30],
    slowP: 0.05,
    slowMax: 400,
    disk: [0, 30],
    nemesisEvery: [100, 500],
    faults: { partition: 4, crash: 4, pause: 2, heal: 2 },
    torn: true,
    crashPoints: 0.05,
    compaction: true,
  },
};

/** Names of the checked properties (each can be switched off with `skip`). */
export const INVARIANTS = [
  "election-safety",
  "log-matching",
  "leader-completeness",
  "state-machine-safety",
  "monotonic",
  "vote-safety",
  "persist-before-send",
  "leader-append",
  "leader-progress",
  "linearizable-read",
  "lease-read",
  "durability",
  "proposal",
  "driver-contract",
  "liveness",
  "acked-writes",
  "core-exception",
] as const;

/** One checked property. */
export type Invariant = typeof INVARIANTS[number];

/** Options of `runSim`. */
export interface SimOptions {
  /** The seed (32-bit unsigned). */
  seed: number;
  /** Initial cluster size. @default {3} */
  nodes?: number;
  /** Profile name; by default the seed picks one. */
  profile?: string;
  /** Virtual ms of faulty operation before the heal. @default {3000} */
  duration?: number;
  /** Properties not to check (a documented escape hatch, never the CI default). */
  skip?: readonly Invariant[];
  /** Receives a line per event (for replaying a failing seed). */
  trace?: (line: string) => void;
  /** Most events in one run. @default {3000000} */
  maxEvents?: number;
  /**
   * When the leader's driver calls `reportSnapshot(to, ok)`:
   * - "installed": ok once the follower has installed (persisted) the
   *   snapshot, as `reportSnapshot` documents, and only for the latest
   *   snapshot sent to that follower (older streams are ignored); a
   *   time-out reports failure;
   * - "unfiltered": the same, but a late answer about an older snapshot
   *   is reported too;
   * - "sent": ok as soon as the snapshot is delivered (etcd's "stream
   *   finished" semantics), failure when it is lost;
   * - "failures": never ok (the follower's append response moves the
   *   leader on), only time-outs and losses are reported.
   * @default {"installed"}
   */
  snapReport?: SnapReportMode;
}

/** See `SimOptions.snapReport`. */
export type SnapReportMode = "installed" | "unfiltered" | "sent" | "failures";

/** The values of `SnapReportMode`. */
export const SNAP_REPORT_MODES: readonly SnapReportMode[] = [
  "installed",
  "unfiltered",
  "sent",
  "failures",
];

/** What a run did. */
export interface SimResult {
  /** The seed. */
  seed: number;
  /** Initial cluster size. */
  nodes: number;
  /** Profile used. */
  profile: string;
  /** Events processed. */
  events: number;
  /** Virtual ms at the end. */
  time: number;
  /** Counters. */
  stats: Record<string, number>;
}

/** A violated property, with what is needed to replay it. */
export class SimFailure extends Error {
  /** The property. */
  readonly invariant: Invariant;
  /** The seed. */
  readonly seed: number;
  /** Initial cluster size. */
  readonly nodes: number;
  /** Profile. */
  readonly profile: string;
  /** Virtual time. */
  readonly time: number;
  /** Event number. */
  readonly event: number;
  /** The last trace lines (filled in by `runSim` on a replay). */
  trace: string[] = [];

  /**
   * Creates the failure.
   *
   * @param invariant The property.
   * @param detail What was seen.
   * @param ctx Where.
   */
  constructor(
    invariant: Invariant,
    detail: string,
    ctx: { seed: number; nodes: number; profile: string; time: number; event: number },
  ) {
    super(
      `${invariant}: ${detail} (seed ${ctx.seed}, ${ctx.nodes} nodes, profile ${ctx.profile}, ` +
        `t=${ctx.time.toFixed(1)}ms, event ${ctx.event})`,
    );
    this.name = "SimFailure";
    this.invariant = invariant;
    this.seed = ctx.seed;
    this.nodes = ctx.nodes;
    this.profile = ctx.profile;
    this.time = ctx.time;
    this.event = ctx.event;
  }
}

// ------------------------------------------------------------------- model

interface PendingRead {
  /** Highest acknowledged write index when the read was issued. */
  minIndex: number;
  /** Key of that write. */
  minKey: string;
}

interface WaitingRead extends PendingRead {
  index: number;
}

interface SimNode {
  id: NodeId;
  idx: number;
  initialConf: ConfState;
  started: boolean;
  alive: boolean;
  /** Stopped for good (removed from the cluster). */
  gone: boolean;
  inc: number;
  core: RaftCore | null;
  storage: MemoryStorage;
  hard: HardState;
  /** Persisted log plus the batch in flight: equals the core's log right after ready(). */
  view: LogView;
  /** Keys of applied entries; sm[i - 1] is entry i. */
  sm: string[];
  /** Configuration as of the last applied entry: base plus applied conf entries. */
  smBase: ConfState;
  smConfs: { index: number; conf: ConfState }[];
  /** Length of sm that survives a crash. */
  durable: number;
  inflight: Ready | null;
  paused: boolean;
  pausedUntil: number;
  tickEvery: number;
  rng: Rng;
  seenTerm: number;
  seenCommitted: number;
  seenApplied: number;
  recordedCommit: number;
  proposals: Map<number, string>;
  reads: Map<number, PendingRead>;
  waitingReads: WaitingRead[];
  /** Snapshots received, by "index:term": their data and who sent them. */
  incomingSnaps: Map<string, { data: string[]; from: SimNode; fromInc: number }>;
  /** Leader side: the latest snapshot ("index:term") sent to each follower. */
  snapSent: Map<NodeId, string>;
  /** Leader-completeness progress for the current (incarnation, term). */
  lc: { inc: number; term: number; upTo: number };
  /** Votes in persisted hard states, by term (kept across restarts). */
  votes: Map<number, NodeId>;
  /** Granted votes sent, by term (kept across restarts). */
  granted: Map<number, NodeId>;
}

type Ev =
  | { k: "tick"; n: SimNode; inc: number }
  | { k: "deliver"; m: Message; snap: string[] | null; fromInc: number }
  | { k: "persist"; n: SimNode; inc: number }
  | { k: "client" }
  | { k: "nemesis" }
  | { k: "heal"; gen: number }
  | { k: "restart"; n: SimNode; inc: number }
  | { k: "resume"; n: SimNode; inc: number; from: number }
  | { k: "snapReport"; n: SimNode; inc: number; to: NodeId; ok: boolean; key: string }
  | { k: "unreachable"; n: SimNode; inc: number; to: NodeId }
  | { k: "stop"; n: SimNode };

interface Knobs {
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxMsgBytes: number;
  maxInflightMsgs: number;
  maxUncommittedBytes: number;
  snapEvery: number;
  trailing: number;
  durableP: number;
}

const TICK_MS = 10;
const DRIFT = 0.04;

function cloneConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

function isPre(m: Message): boolean {
  return (m.type === "vote" || m.type === "voteResp") && m.pre;
}

/**
 * One line describing a message.
 *
 * @param m The message.
 * @returns The line.
 */
export function fmtMsg(m: Message): string {
  const h = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case "append":
      return `${h} prev ${m.prevIndex}/${m.prevTerm} ` +
        `[${m.entries.map((e) => `${e.index}/${e.term}`).join(" ")}] c${m.commit}`;
    case "appendResp":
      return `${h} ${m.reject ? "reject" : "ok"} i${m.index} hint${m.hint}`;
    case "heartbeat":
      return `${h} c${m.commit} r${m.round} at${m.sentAt}`;
    case "heartbeatResp":
      return `${h} r${m.round} at${m.sentAt}`;
    case "vote":
      return `${h}${m.pre ? " pre" : ""}${
        m.transfer ? " transfer" : ""
      } last ${m.lastIndex}/${m.lastTerm}`;
    case "voteResp":
      return `${h}${m.pre ? " pre" : ""} ${m.granted ? "granted" : "refused"}`;
    case "snapshot":
      return `${h} ${m.meta.index}/${m.meta.term} c${m.commit}`;
    case "readIndex":
      return `${h} ids ${m.ids.join(",")}`;
    case "readIndexResp":
      return `${h} ids ${m.ids.join(",")} i${m.index}`;
    default:
      return h;
  }
}

// --------------------------------------------------------------- simulator

class Sim {
  readonly seed: number;
  readonly size: number;
  readonly p: Profile;
  readonly k: Knobs;
  readonly rng: Rng;
  readonly q = new EventQueue<Ev>();
  readonly nodes = new Map<NodeId, SimNode>();
  readonly order: SimNode[] = [];
  readonly skip: Set<Invariant>;
  readonly trace: ((line: string) => void) | undefined;
  readonly maxEvents: number;
  readonly duration: number;
  readonly snapReport: SnapReportMode;
  now = 0;
  events = 0;
  ending = false;
  healedAt = 0;
  stats: Record<string, number> = {};

  // network
  blocked = new Set<string>();
  partitionGen = 0;
  drop: number;
  dup: number;

  // global history
  leaders = new Map<number, NodeId>();
  registry = new Map<string, { key: string; prev: number }>();
  gKeys: string[] = [];
  gTerms: number[] = [];
  payloads = new Set<string>();
  gConf: ConfState;
  cEntryTerm: number[] = [];
  cKey: string[] = [];
  cTerm: number[] = [];
  acked: { index: number; key: string }[] = [];
  maxAcked = 0;
  maxAckedKey = "";
  nextOp = 1;
  nextRead = 1;
  nextNode: number;
  maxMembers: number;

  constructor(o: SimOptions) {
    this.seed = o.seed >>> 0;
    this.size = o.nodes ?? 3;
    this.rng = new Rng(this.seed);
    const pick = this.rng.pick(Object.keys(PROFILES));
    const name = o.profile ?? pick;
    const p = PROFILES[name];
    if (p === undefined) {
      throw new RangeError(`Cannot run the simulator: unknown profile "${name}"`);
    }
    this.p = p;
    this.drop = p.drop;
    this.dup = p.dup;
    const r = this.rng;
    this.k = {
      electionTicks: 10,
      heartbeatTicks: r.pick([1, 2, 3]),
      preVote: r.chance(0.85),
      checkQuorum: r.chance(0.85),
      maxMsgBytes: r.pick([1, 12, 40, 1 << 20]),
      maxInflightMsgs: r.pick([1, 2, 8, 64]),
      maxUncommittedBytes: r.pick([30, 1 << 20, 1 << 20]),
      snapEvery: r.range(8, 60),
      trailing: r.range(0, 10),
      durableP: r.pick([0.1, 0.5, 1]),
    };
    this.skip = new Set(o.skip ?? []);
    this.trace = o.trace;
    this.maxEvents = o.maxEvents ?? 3_000_000;
    this.duration = o.duration ?? 3000;
    this.snapReport = o.snapReport ?? "installed";
    this.maxMembers = this.size + 2;
    this.nextNode = this.size + 1;
    const voters: NodeId[] = [];
    for (let i = 1; i <= this.size; i++) voters.push(`n${i}`);
    this.gConf = { voters: [...voters], learners: [] };
    for (const id of voters) this.#addNode(id, { voters: [...voters], learners: [] });
  }

  // ---------------------------------------------------------------- basics

  fail(inv: Invariant, detail: string): never {
    throw new SimFailure(inv, detail, {
      seed: this.seed,
      nodes: this.size,
      profile: this.p.name,
      time: this.now,
      event: this.events,
    });
  }

  check(inv: Invariant, ok: boolean, detail: () => string): void {
    if (!ok && !this.skip.has(inv)) this.fail(inv, detail());
  }

  count(name: string, by = 1): void {
    this.stats[name] = (this.stats[name] ?? 0) + by;
  }

  log(line: () => string): void {
    if (this.trace !== undefined) this.trace(`${this.now.toFixed(1).padStart(8)} ${line()}`);
  }

  at(delay: number, ev: Ev): void {
    this.q.push(this.now + delay, ev);
  }

  #addNode(id: NodeId, initialConf: ConfState): SimNode {
    const n: SimNode = {
      id,
      idx: this.order.length,
      initialConf,
      started: false,
      alive: false,
      gone: false,
      inc: 0,
      core: null,
      storage: new MemoryStorage(),
      hard: { term: 0, vote: null, commit: 0 },
      view: new LogView(),
      sm: [],
      smBase: cloneConf(initialConf),
      smConfs: [],
      durable: 0,
      inflight: null,
      paused: false,
      pausedUntil: 0,
      tickEvery: TICK_MS * (1 + (this.rng.next() * 2 - 1) * DRIFT),
      rng: this.rng.fork(),
      seenTerm: 0,
      seenCommitted: 0,
      seenApplied: 0,
      recordedCommit: 0,
      proposals: new Map(),
      reads: new Map(),
      waitingReads: [],
      incomingSnaps: new Map(),
      snapSent: new Map(),
      lc: { inc: -1, term: -1, upTo: 0 },
      votes: new Map(),
      granted: new Map(),
    };
    this.nodes.set(id, n);
    this.order.push(n);
    return n;
  }

  live(): SimNode[] {
    return this.order.filter((n) => n.alive && !n.paused);
  }

  leadersNow(): SimNode[] {
    return this.order.filter((n) => n.alive && !n.paused && n.core?.role === "leader");
  }

  // ------------------------------------------------------------- lifecycle

  start(n: SimNode): void {
    const c = new RaftCore({
      id: n.id,
      storage: n.storage,
      applied: n.durable,
      hardState: { ...n.hard },
      initialConf: cloneConf(n.initialConf),
      electionTicks: this.k.electionTicks,
      heartbeatTicks: this.k.heartbeatTicks,
      preVote: this.k.preVote,
      checkQuorum: this.k.checkQuorum,
      maxMsgBytes: this.k.maxMsgBytes,
      maxInflightMsgs: this.k.maxInflightMsgs,
      maxUncommittedBytes: this.k.maxUncommittedBytes,
      random: () => n.rng.next(),
    });
    n.core = c;
    n.started = true;
    n.alive = true;
    n.paused = false;
    this.check(
      "durability",
      c.applied === n.durable,
      () => `${n.id} restarted with durable applied ${n.durable} but the core says ${c.applied}`,
    );
    this.check(
      "durability",
      c.lastIndex === n.view.last() && c.term === n.hard.term,
      () =>
        `${n.id} restarted with last ${c.lastIndex} term ${c.term}, ` +
        `persisted last ${n.view.last()} term ${n.hard.term}`,
    );
    n.seenTerm = c.term;
    n.seenCommitted = c.committed;
    n.seenApplied = c.applied;
    n.recordedCommit = c.committed;
    this.log(() =>
      `${n.id} start inc ${n.inc} term ${c.term} last ${c.lastIndex} applied ${c.applied}`
    );
    this.at(n.rng.int(Math.ceil(n.tickEvery)) + 1, { k: "tick", n, inc: n.inc });
    this.drive(n);
  }

  crash(n: SimNode): void {
    const rd = n.inflight;
    if (rd !== null && this.p.torn && rd.snapshot === null && this.rng.chance(0.5)) {
      // A torn batch: the hard state and a prefix of the entries reached the disk.
      if (rd.hardState !== null) this.persistHard(n, rd.hardState);
      const keep = this.rng.int(rd.entries.length + 1);
      if (keep > 0) n.storage.append(rd.entries.slice(0, keep));
      this.log(() => `${n.id} torn write keeps ${keep}/${rd.entries.length} entries`);
    }
    n.inflight = null;
    n.alive = false;
    n.paused = false;
    n.core = null;
    n.inc++;
    n.sm.length = n.durable;
    n.smConfs = n.smConfs.filter((c) => c.index <= n.durable);
    n.view = LogView.fromStorage(n.storage);
    n.proposals.clear();
    n.reads.clear();
    n.waitingReads = [];
    n.incomingSnaps.clear();
    n.snapSent.clear();
    this.check(
      "durability",
      n.durable <= n.storage.lastIndex() && n.durable >= n.storage.firstIndex() - 1,
      () =>
        `${n.id} durable applied ${n.durable} outside the persisted log ` +
        `${n.storage.firstIndex()}..${n.storage.lastIndex()}`,
    );
  }

  // ----------------------------------------------------------- driver loop

  /** Takes and handles ready batches until one is in flight or none is left. */
  drive(n: SimNode): void {
    for (let loops = 0; n.alive && n.core !== null && n.inflight === null; loops++) {
      const c = n.core;
      this.observe(n);
      if (!c.hasReady()) return;
      if (loops > 10_000) this.fail("driver-contract", `${n.id}: ready loop does not settle`);
      const rd = c.ready();
      this.check(
        "driver-contract",
        rd.hardState !== null || rd.entries.length > 0 || rd.snapshot !== null ||
          rd.committed.length > 0 || rd.messages.length > 0 || rd.readStates.length > 0,
        () => `${n.id}: hasReady() was true but ready() was empty`,
      );
      const commitMoved = this.onReady(n, rd);
      n.inflight = rd;
      if (commitMoved && this.crashPoint(n, "after its commit index moved")) return;
      const d = this.rng.range(this.p.disk[0], this.p.disk[1]);
      if (d === 0) {
        this.completePersist(n);
      } else {
        this.at(d, { k: "persist", n, inc: n.inc });
        return;
      }
    }
  }

  /**
   * Mirror the batch in the view and check it, right after ready().
   *
   * @returns Whether this is a leader whose commit index moved.
   */
  onReady(n: SimNode, rd: Ready): boolean {
    const c = n.core as RaftCore;
    const v = n.view;
    if (rd.snapshot !== null) {
      const m = rd.snapshot;
      this.check(
        "log-matching",
        this.registry.has(`${m.index}:${m.term}`),
        () => `${n.id} installs snapshot ${m.index}/${m.term} of an entry no log ever held`,
      );
      v.applySnapshot(m);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      this.check(
        "driver-contract",
        first > v.offset && first <= v.last() + 1,
        () => `${n.id} ready entries start at ${first}, log holds ${v.offset + 1}..${v.last()}`,
      );
      v.truncateAfter(first - 1);
      for (const e of rd.entries) {
        this.check(
          "driver-contract",
          e.index === v.last() + 1,
          () => `${n.id} ready entries not contiguous at ${e.index}`,
        );
        const key = keyOf(e.data);
        this.register(n, e.index, e.term, key, v.term(e.index - 1) as number);
        v.push(e.term, key);
      }
    }
    this.check(
      "driver-contract",
      c.lastIndex === v.last() && c.lastTerm === v.term(v.last()) &&
        c.firstIndex === v.offset + 1,
      () =>
        `${n.id} core log ${c.firstIndex}..${c.lastIndex}/${c.lastTerm} but handed out ` +
        `${v.offset + 1}..${v.last()}/${v.term(v.last())}`,
    );
    // Commits: record them (and when first seen, in which term at the latest).
    const committed = c.committed;
    this.check(
      "driver-contract",
      committed <= v.last(),
      () => `${n.id} commit ${committed} beyond its log ${v.last()}`,
    );
    for (let i = Math.max(n.recordedCommit, v.offset) + 1; i <= committed; i++) {
      this.recordCommit(n, i, v.term(i) as number, v.key(i) as string, c.term);
    }
    const moved = committed > n.recordedCommit && c.role === "leader";
    n.recordedCommit = Math.max(n.recordedCommit, committed);
    if (c.role === "leader") this.checkLeaderLog(n);
    if (this.trace !== undefined) {
      const parts: string[] = [];
      if (rd.hardState) parts.push(`hs t${rd.hardState.term} v${rd.hardState.vote}`);
      if (rd.snapshot) parts.push(`snap ${rd.snapshot.index}/${rd.snapshot.term}`);
      if (rd.entries.length > 0) {
        parts.push(`ents ${rd.entries.map((e) => `${e.index}/${e.term}`).join(" ")}`);
      }
      if (rd.committed.length > 0) {
        parts.push(`apply ${rd.committed[0].index}..${rd.committed.at(-1)?.index}`);
      }
      if (rd.messages.length > 0) parts.push(`${rd.messages.length} msgs`);
      if (rd.readStates.length > 0) {
        parts.push(`reads ${rd.readStates.map((r) => `${r.id}@${r.index}`).join(" ")}`);
      }
      this.log(() =>
        `${n.id} ready ${c.role} t${c.term} c${committed} last ${v.last()}: ${parts.join("; ")}`
      );
    }
    return moved;
  }

  /** Whether one more member may be down now. */
  canCrash(): boolean {
    if (this.ending) return false;
    const down = this.order.filter((n) => n.started && !n.gone && !n.alive).length;
    const limit = Math.floor((this.gConf.voters.length - 1) / 2) +
      (this.p.name === "chaos" && this.rng.chance(0.3) ? 1 : 0);
    return down < limit;
  }

  /** Maybe crashes `n` here (and restarts it later); returns whether it did. */
  crashPoint(n: SimNode, where: string): boolean {
    if (!this.rng.chance(this.p.crashPoints) || !this.canCrash()) return false;
    this.log(() => `crash ${n.id} ${where}`);
    this.count("crashPoints");
    this.crashAndRestart(n);
    return true;
  }

  crashAndRestart(n: SimNode): void {
    this.count("crashes");
    this.crash(n);
    this.at(this.rng.range(20, 1200), { k: "restart", n, inc: n.inc });
  }

  /** The batch in flight reached the disk: persist, send, apply, advance. */
  completePersist(n: SimNode): void {
    const rd = n.inflight as Ready;
    const c = n.core as RaftCore;
    if (rd.snapshot !== null) {
      const m = rd.snapshot;
      const got = n.incomingSnaps.get(`${m.index}:${m.term}`);
      if (got === undefined) {
        this.fail(
          "driver-contract",
          `${n.id} asked to install snapshot ${m.index}/${m.term} it never got`,
        );
      }
      const data = got.data;
      if (this.snapReport === "installed" || this.snapReport === "unfiltered") {
        // The stream's final answer: installed and durable.
        this.at(this.rng.range(this.p.delay[0], this.p.delay[1]), {
          k: "snapReport",
          n: got.from,
          inc: got.fromInc,
          to: n.id,
          ok: true,
          key: `${m.index}:${m.term}`,
        });
      }
      this.checkSnapshotData(n, data, m);
      n.storage.applySnapshot(m);
      n.sm = data.slice();
      n.smBase = cloneConf(m.conf);
      n.smConfs = [];
      n.durable = m.index;
      n.incomingSnaps.clear();
      this.count("snapshotsInstalled");
    }
    if (rd.hardState !== null) this.persistHard(n, rd.hardState);
    if (rd.entries.length > 0) n.storage.append(rd.entries);
    if (rd.messages.length > 0 && this.rng.chance(0.5)) {
      n.inflight = null; // persisted: nothing torn
      if (this.crashPoint(n, "after persisting, before sending")) return;
      n.inflight = rd;
    }
    for (const m of rd.messages) this.send(n, m);
    if (rd.committed.length > 0) {
      for (const e of rd.committed) this.apply(n, e);
      if (this.rng.chance(this.k.durableP)) n.durable = n.sm.length;
    }
    for (const rs of rd.readStates) this.onReadState(n, rs);
    n.inflight = null;
    c.advance(rd);
    this.maybeCompact(n);
    this.checkWaitingReads(n);
  }

  persistHard(n: SimNode, hs: HardState): void {
    const old = n.hard;
    this.check(
      "vote-safety",
      hs.term >= old.term,
      () => `${n.id} persists term ${hs.term} after ${old.term}`,
    );
    this.check(
      "vote-safety",
      !(hs.term === old.term && old.vote !== null && hs.vote !== old.vote),
      () => `${n.id} changes its persisted vote in term ${hs.term}: ${old.vote} -> ${hs.vote}`,
    );
    if (hs.vote !== null) {
      const prev = n.votes.get(hs.term);
      this.check(
        "vote-safety",
        prev === undefined || prev === hs.vote,
        () => `${n.id} voted for ${prev} and then ${hs.vote} in term ${hs.term}`,
      );
      n.votes.set(hs.term, hs.vote);
    }
    n.hard = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  apply(n: SimNode, e: Entry): void {
    this.check(
      "state-machine-safety",
      e.index === n.sm.length + 1,
      () => `${n.id} applies entry ${e.index} after ${n.sm.length}`,
    );
    const key = keyOf(e.data);
    this.global(n, e.index, e.term, key);
    n.sm.push(key);
    if (e.data[0] === ENTRY_CONF) n.smConfs.push({ index: e.index, conf: decodeConf(e.data) });
    const prop = n.proposals.get(e.index);
    if (prop !== undefined) {
      n.proposals.delete(e.index);
      if (prop === key) {
        this.acked.push({ index: e.index, key });
        this.count("acked");
        if (e.index > this.maxAcked) {
          this.maxAcked = e.index;
          this.maxAckedKey = key;
        }
      } else {
        this.count("proposalsLost");
      }
    }
  }

  /** Entry i is applied somewhere: it must equal what everyone else applied there. */
  global(n: SimNode, i: number, term: number, key: string): void {
    const g = this.gKeys;
    if (i <= g.length) {
      this.check(
        "state-machine-safety",
        g[i - 1] === key && this.gTerms[i - 1] === term,
        () =>
          `${n.id} applies ${i}/${term} ${key}, others applied ${i}/${this.gTerms[i - 1]} ${
            g[i - 1]
          }`,
      );
      return;
    }
    this.check(
      "state-machine-safety",
      i === g.length + 1,
      () => `${n.id} applies ${i} while the longest applied sequence is ${g.length}`,
    );
    if (key.startsWith("op")) {
      this.check(
        "state-machine-safety",
        !this.payloads.has(key),
        () => `${n.id} applies write ${key} a second time, at ${i}`,
      );
      this.payloads.add(key);
    }
    g.push(key);
    this.gTerms.push(term);
    if (key.startsWith("conf")) {
      const conf = JSON.parse(key.slice(4)) as ConfState;
      const now = new Set([...conf.voters, ...conf.learners]);
      for (const id of [...this.gConf.voters, ...this.gConf.learners]) {
        const r = this.nodes.get(id);
        if (!now.has(id) && r !== undefined && !r.gone) {
          // Removed from the committed configuration: an operator stops it later.
          this.at(this.ending ? 0 : this.rng.range(0, 1500), { k: "stop", n: r });
        }
      }
      this.gConf = conf;
      this.count("confChanges");
    }
  }

  checkSnapshotData(n: SimNode, data: string[], m: SnapshotMeta): void {
    this.check(
      "state-machine-safety",
      data.length === m.index && data.length <= this.gKeys.length &&
        this.gTerms[m.index - 1] === m.term,
      () => `${n.id} snapshot ${m.index}/${m.term} holds ${data.length} entries`,
    );
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== this.gKeys[i]) {
        this.fail(
          "state-machine-safety",
          `${n.id} snapshot ${m.index} has ${data[i]} at ${i + 1}, applied there: ${this.gKeys[i]}`,
        );
      }
    }
  }

  register(n: SimNode, i: number, term: number, key: string, prev: number): void {
    const id = `${i}:${term}`;
    const r = this.registry.get(id);
    if (r === undefined) {
      this.registry.set(id, { key, prev });
      return;
    }
    this.check(
      "log-matching",
      r.key === key && r.prev === prev,
      () =>
        `${n.id} holds ${i}/${term} ${key} after term ${prev}; ` +
        `another log holds ${i}/${term} ${r.key} after term ${r.prev}`,
    );
  }

  recordCommit(n: SimNode, i: number, term: number, key: string, inTerm: number): void {
    const et = this.cEntryTerm[i];
    if (et === undefined) {
      this.cEntryTerm[i] = term;
      this.cKey[i] = key;
      this.cTerm[i] = inTerm;
    } else {
      this.check(
        "state-machine-safety",
        et === term && this.cKey[i] === key,
        () => `${n.id} commits ${i}/${term} ${key}; committed before: ${i}/${et} ${this.cKey[i]}`,
      );
      if (inTerm >= this.cTerm[i]) return;
      this.cTerm[i] = inTerm;
    }
    // Leaders of later terms that already checked index i must hold it.
    for (const l of this.order) {
      const c = l.core;
      if (!l.alive || c === null || c.role !== "leader") continue;
      if (l.lc.inc !== l.inc || l.lc.term !== c.term || c.term <= inTerm) continue;
      if (i > l.lc.upTo || i <= l.view.offset) continue;
      this.check(
        "leader-completeness",
        l.view.term(i) === term,
        () => `leader ${l.id} of term ${c.term} lacks ${i}/${term}, committed in term ${inTerm}`,
      );
    }
  }

  /** A leader's log holds every entry committed in an earlier term. */
  checkLeaderLog(n: SimNode): void {
    const c = n.core as RaftCore;
    const v = n.view;
    if (n.lc.inc !== n.inc || n.lc.term !== c.term) {
      n.lc = { inc: n.inc, term: c.term, upTo: v.offset };
    }
    const hi = Math.min(v.last(), this.cEntryTerm.length - 1);
    for (let i = Math.max(n.lc.upTo, v.offset) + 1; i <= hi; i++) {
      const ct = this.cTerm[i];
      if (ct === undefined || ct >= c.term) continue;
      this.check(
        "leader-completeness",
        v.term(i) === this.cEntryTerm[i],
        () =>
          `leader ${n.id} of term ${c.term} holds ${i}/${v.term(i)}, but ${i}/${
            this.cEntryTerm[i]
          } was committed in term ${ct}`,
      );
    }
    if (hi > n.lc.upTo) n.lc.upTo = hi;
  }

  /** Per-event checks of one node: leaders per term, monotonic indexes. */
  observe(n: SimNode): void {
    const c = n.core;
    if (c === null || !n.alive) return;
    if (c.role === "leader") {
      const l = this.leaders.get(c.term);
      if (l === undefined) {
        this.leaders.set(c.term, n.id);
        this.count("leaders");
        this.log(() => `${n.id} is leader of term ${c.term}`);
      } else {
        this.check(
          "election-safety",
          l === n.id,
          () => `${l} and ${n.id} both lead term ${c.term}`,
        );
      }
      this.checkProgress(n);
      // A leader that would serve lease reads now must know every acknowledged write.
      if (this.p.leaseReads && !n.paused && this.maxAcked > c.committed) {
        this.check(
          "lease-read",
          !c.leaseValid(),
          () =>
            `${n.id} (term ${c.term}) holds a valid lease at commit ${c.committed}, but ` +
            `${this.maxAckedKey} was acknowledged at ${this.maxAcked}`,
        );
      }
    }
    this.check("monotonic", c.term >= n.seenTerm, () => `${n.id} term ${n.seenTerm} -> ${c.term}`);
    this.check(
      "monotonic",
      c.committed >= n.seenCommitted,
      () => `${n.id} commit ${n.seenCommitted} -> ${c.committed}`,
    );
    this.check(
      "monotonic",
      c.applied >= n.seenApplied,
      () => `${n.id} applied ${n.seenApplied} -> ${c.applied}`,
    );
    this.check(
      "monotonic",
      c.applied <= c.committed && c.committed <= c.lastIndex,
      () => `${n.id} applied ${c.applied} commit ${c.committed} last ${c.lastIndex}`,
    );
    n.seenTerm = c.term;
    n.seenCommitted = c.committed;
    n.seenApplied = c.applied;
  }

  /**
   * What a leader believes a follower holds (its match index) is on that
   * follower's disk, unless a later term may have rewritten the follower's log.
   */
  checkProgress(l: SimNode): void {
    const c = l.core as RaftCore;
    for (const f of this.order) {
      if (f === l || !f.started || f.hard.term > c.term) continue;
      const p = c.progressOf(f.id);
      if (p === undefined || p.match === 0) continue;
      const mine = l.view.term(p.match);
      const theirs = f.storage.term(p.match);
      this.check(
        "leader-progress",
        p.match <= f.storage.lastIndex() &&
          (mine === undefined || theirs === undefined || mine === theirs),
        () =>
          `leader ${l.id} (term ${c.term}) has match ${p.match} for ${f.id}, whose disk holds ` +
          `${f.storage.firstIndex()}..${f.storage.lastIndex()} (term ${theirs} at ${p.match}, ` +
          `leader's ${mine})`,
      );
    }
  }

  maybeCompact(n: SimNode): void {
    if (!this.p.compaction || n.core === null) return;
    const applied = n.sm.length;
    const snap = n.storage.snapshot();
    if (applied - (snap?.index ?? 0) < this.k.snapEvery) return;
    const term = n.storage.term(applied);
    this.check(
      "durability",
      term !== undefined,
      () =>
        `${n.id} applied ${applied} but holds ${n.storage.firstIndex()}..${n.storage.lastIndex()}`,
    );
    const conf = n.smConfs.length > 0 ? n.smConfs[n.smConfs.length - 1].conf : n.smBase;
    n.storage.setSnapshot({ index: applied, term: term as number, conf: cloneConf(conf) });
    n.durable = applied;
    const to = applied - this.rng.range(0, this.k.trailing);
    if (to >= n.storage.firstIndex()) {
      n.storage.compact(to);
      n.view.compact(to);
    }
    this.count("snapshotsTaken");
    this.log(() => `${n.id} snapshot at ${applied}, log from ${n.storage.firstIndex()}`);
  }

  // ------------------------------------------------------------- messages

  send(from: SimNode, m: Message): void {
    this.checkOutgoing(from, m);
    let snap: string[] | null = null;
    if (m.type === "snapshot") {
      this.check(
        "driver-contract",
        from.sm.length >= m.meta.index,
        () => `${from.id} sends snapshot ${m.meta.index} but applied only ${from.sm.length}`,
      );
      snap = from.sm.slice(0, m.meta.index);
      from.snapSent.set(m.to, `${m.meta.index}:${m.meta.term}`);
      this.count("snapshotsSent");
    }
    const to = this.nodes.get(m.to);
    if (to === undefined) {
      this.count("msgsToUnknown");
      return;
    }
    this.count("msgs");
    const copies = this.rng.chance(this.dup) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.rng.chance(this.drop) || this.isBlocked(from.id, m.to)) {
        this.dropped(from, m);
        continue;
      }
      let d = this.rng.range(this.p.delay[0], this.p.delay[1]);
      if (this.rng.chance(this.p.slowP)) d += this.rng.int(this.p.slowMax);
      if (m.type === "snapshot") d += this.rng.range(5, 40);
      this.at(d, { k: "deliver", m, snap, fromInc: from.inc });
    }
  }

  dropped(from: SimNode, m: Message): void {
    this.count("msgsDropped");
    if (m.type === "snapshot") {
      this.at(this.rng.range(50, 300), {
        k: "snapReport",
        n: from,
        inc: from.inc,
        to: m.to,
        ok: false,
        key: `${m.meta.index}:${m.meta.term}`,
      });
    } else if (this.rng.chance(0.2)) {
      this.at(this.rng.range(1, 50), { k: "unreachable", n: from, inc: from.inc, to: m.to });
    }
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.blocked.size > 0 && this.blocked.has(`${from}>${to}`);
  }

  /** Messages leave only after what they depend on is on disk, and from the right role. */
  checkOutgoing(n: SimNode, m: Message): void {
    const hs = n.hard;
    if (!isPre(m)) {
      this.check(
        "persist-before-send",
        m.term <= hs.term,
        () => `${n.id} sends ${fmtMsg(m)} with persisted term ${hs.term}`,
      );
    }
    switch (m.type) {
      case "vote":
        if (!m.pre) {
          this.check(
            "persist-before-send",
            hs.term > m.term || (hs.term === m.term && hs.vote === n.id),
            () => `${n.id} asks for votes in term ${m.term}; persisted ${hs.term}/${hs.vote}`,
          );
        }
        return;
      case "voteResp":
        if (!m.pre && m.granted) {
          const prev = n.granted.get(m.term);
          this.check(
            "vote-safety",
            prev === undefined || prev === m.to,
            () => `${n.id} grants its term-${m.term} vote to ${prev} and to ${m.to}`,
          );
          n.granted.set(m.term, m.to);
          this.check(
            "persist-before-send",
            hs.term > m.term || (hs.term === m.term && hs.vote === m.to),
            () => `${n.id} grants ${m.to} its term-${m.term} vote; persisted ${hs.term}/${hs.vote}`,
          );
        }
        return;
      case "append":
      case "heartbeat":
      case "snapshot": {
        const l = this.leaders.get(m.term);
        this.check(
          "leader-append",
          l === n.id,
          () => `${n.id} sends ${m.type} in term ${m.term}, whose leader is ${l}`,
        );
        if (m.type === "append") {
          let prev = m.prevTerm;
          this.check(
            "log-matching",
            m.prevIndex === 0 || this.registry.has(`${m.prevIndex}:${m.prevTerm}`),
            () => `${n.id} sends ${fmtMsg(m)}: no log held ${m.prevIndex}/${m.prevTerm}`,
          );
          for (let j = 0; j < m.entries.length; j++) {
            const e = m.entries[j];
            this.check(
              "driver-contract",
              e.index === m.prevIndex + j + 1 && e.term <= m.term && e.term >= prev,
              () => `${n.id} sends a malformed append: ${fmtMsg(m)}`,
            );
            this.register(n, e.index, e.term, keyOf(e.data), prev);
            prev = e.term;
          }
        }
        return;
      }
      default:
        return;
    }
  }

  deliver(ev: { m: Message; snap: string[] | null; fromInc: number }): void {
    const m = ev.m;
    const to = this.nodes.get(m.to) as SimNode;
    const from = this.nodes.get(m.from) as SimNode;
    if (!to.alive || to.core === null || this.isBlocked(m.from, m.to)) {
      this.log(() => `drop ${fmtMsg(m)}`);
      if (from.inc === ev.fromInc) this.dropped(from, m);
      return;
    }
    if (to.paused) {
      this.q.push(to.pausedUntil, { k: "deliver", ...ev });
      return;
    }
    this.log(() => `recv ${fmtMsg(m)}`);
    let msg = m;
    if (m.type === "append") {
      msg = {
        ...m,
        entries: m.entries.map((e) => ({ index: e.index, term: e.term, data: e.data })),
      };
    } else if (m.type === "snapshot" && ev.snap !== null) {
      msg = { ...m, meta: { ...m.meta, conf: cloneConf(m.meta.conf) } };
      to.incomingSnaps.set(`${m.meta.index}:${m.meta.term}`, {
        data: ev.snap,
        from,
        fromInc: ev.fromInc,
      });
      const sent = this.snapReport === "sent";
      this.at(sent ? this.rng.range(1, 30) : this.rng.range(200, 500), {
        k: "snapReport",
        n: from,
        inc: ev.fromInc,
        to: m.to,
        ok: sent, // installed: a time-out unless the install answers first
        key: `${m.meta.index}:${m.meta.term}`,
      });
    } else if (m.type === "readIndex" || m.type === "readIndexResp") {
      msg = { ...m, ids: [...m.ids] };
    }
    to.core.step(msg);
    this.drive(to);
  }

  onReadState(n: SimNode, rs: ReadState): void {
    const r = n.reads.get(rs.id);
    if (r === undefined) {
      this.count("readStatesUnknown");
      return;
    }
    n.reads.delete(rs.id);
    if (rs.index === 0) {
      this.count("readsRefused");
      return;
    }
    this.check(
      "linearizable-read",
      rs.index >= r.minIndex,
      () =>
        `${n.id} read ${rs.id} gets index ${rs.index}, but write ${r.minKey} at ${r.minIndex} ` +
        `was acknowledged before the read began`,
    );
    n.waitingReads.push({ ...r, index: rs.index });
  }

  checkWaitingReads(n: SimNode): void {
    if (n.waitingReads.length === 0) return;
    const keep: WaitingRead[] = [];
    for (const w of n.waitingReads) {
      if (n.sm.length < w.index) {
        keep.push(w);
        continue;
      }
      this.check(
        "linearizable-read",
        w.minIndex === 0 || n.sm[w.minIndex - 1] === w.minKey,
        () => `${n.id} serves a read at ${n.sm.length} that misses ${w.minKey} at ${w.minIndex}`,
      );
      this.count("readsOk");
    }
    n.waitingReads = keep;
  }

  // --------------------------------------------------------------- clients

  client(): void {
    const w = this.rng.weighted({
      propose: 50,
      read: 15,
      lease: this.p.leaseReads ? 6 : 0,
      wrong: 4,
      transfer: this.p.transfers ? 2 : 0,
      conf: this.p.membership ? 5 : 0,
    });
    const leaders = this.leadersNow();
    switch (w) {
      case "propose": {
        if (leaders.length === 0) return;
        const n = this.rng.pick(leaders);
        this.propose(n);
        return;
      }
      case "wrong": {
        const others = this.live().filter((n) => n.core?.role !== "leader");
        if (others.length === 0) return;
        const n = this.rng.pick(others);
        const data = opData(0xfffffff0);
        try {
          const i = (n.core as RaftCore).propose(data);
          this.fail("proposal", `${n.id} (${n.core?.role}) accepted a proposal at ${i}`);
        } catch (e) {
          if (!(e instanceof ProposalError)) throw e;
          this.check("proposal", e.reason === "not-leader", () => `${n.id} refused: ${e.reason}`);
        }
        this.count("wrongProposals");
        return;
      }
      case "read": {
        const nodes = this.live();
        if (nodes.length === 0) return;
        const n = this.rng.pick(nodes);
        const id = this.nextRead++;
        n.reads.set(id, { minIndex: this.maxAcked, minKey: this.maxAckedKey });
        (n.core as RaftCore).readIndex(id);
        this.count("reads");
        this.log(() => `${n.id} readIndex ${id} (acked up to ${this.maxAcked})`);
        this.drive(n);
        return;
      }
      case "lease": {
        if (leaders.length === 0) return;
        const n = this.rng.pick(leaders);
        const c = n.core as RaftCore;
        if (!c.leaseValid()) return;
        this.check(
          "lease-read",
          c.committed >= this.maxAcked,
          () =>
            `${n.id} (term ${c.term}) serves a lease read at commit ${c.committed}, but ` +
            `${this.maxAckedKey} was acknowledged at ${this.maxAcked}`,
        );
        this.count("leaseReads");
        return;
      }
      case "transfer": {
        if (leaders.length === 0) return;
        const n = this.rng.pick(leaders);
        const c = n.core as RaftCore;
        const others = c.conf.voters.filter((v) => v !== n.id);
        const to = this.rng.chance(0.3) || others.length === 0 ? null : this.rng.pick(others);
        try {
          const t = c.transferLeader(to);
          this.count("transfers");
          this.log(() => `${n.id} transfers leadership to ${t}`);
        } catch (e) {
          if (!(e instanceof ProposalError)) throw e;
        }
        this.drive(n);
        return;
      }
      case "conf": {
        if (leaders.length === 0) return;
        this.confChange(this.rng.pick(leaders));
        return;
      }
    }
  }

  propose(n: SimNode): boolean {
    const op = this.nextOp++;
    const data = opData(op);
    try {
      const i = (n.core as RaftCore).propose(data);
      n.proposals.set(i, keyOf(data));
      this.count("proposed");
      this.log(() => `${n.id} proposes op${op} at ${i}`);
      this.drive(n);
      return true;
    } catch (e) {
      if (!(e instanceof ProposalError)) throw e;
      this.count(`refused-${e.reason}`);
      return false;
    }
  }

  confChange(n: SimNode): void {
    const c = n.core as RaftCore;
    const conf = c.conf;
    const members = [...conf.voters, ...conf.learners];
    const canAdd = members.length < this.maxMembers && this.nextNode <= this.size + 6;
    const removable = members.filter((id) =>
      conf.learners.includes(id) || conf.voters.length > 3 ||
      (conf.voters.length > 2 && this.rng.chance(0.1))
    );
    let change: { type: "addLearner" | "promote" | "remove"; node: NodeId };
    if (canAdd && (removable.length === 0 || this.rng.chance(0.55))) {
      const id = `n${this.nextNode}`;
      let r = this.nodes.get(id);
      if (r === undefined) r = this.#addNode(id, { voters: [], learners: [] });
      if (!r.started) this.start(r);
      change = { type: "addLearner", node: id };
    } else if (removable.length > 0) {
      const self = removable.includes(n.id) && this.rng.chance(0.25);
      const node = self ? n.id : this.rng.pick(removable);
      change = { type: "remove", node };
    } else if (conf.learners.length > 0) {
      change = { type: "promote", node: this.rng.pick(conf.learners) };
    } else {
      return;
    }
    try {
      const i = c.proposeConfChange(change);
      if (change.type === "addLearner") this.nextNode++;
      this.count(`conf-${change.type}`);
      this.log(() => `${n.id} proposes ${change.type} ${change.node} at ${i}`);
    } catch (e) {
      if (!(e instanceof ProposalError)) throw e;
      this.count(`refused-${e.reason}`);
    }
    this.drive(n);
  }

  // ---------------------------------------------------------------- faults

  nemesis(): void {
    const a = this.rng.weighted(this.p.faults);
    const members = this.order.filter((n) => n.started && !n.gone);
    switch (a) {
      case "heal":
        if (this.blocked.size > 0) this.log(() => "heal partition");
        this.blocked.clear();
        return;
      case "partition":
        this.partition(members.map((n) => n.id));
        return;
      case "crash": {
        if (!this.canCrash()) return;
        const up = members.filter((n) => n.alive);
        if (up.length === 0) return;
        const ls = up.filter((n) => n.core?.role === "leader");
        const n = ls.length > 0 && this.rng.chance(0.4) ? this.rng.pick(ls) : this.rng.pick(up);
        this.log(() => `crash ${n.id}`);
        this.crashAndRestart(n);
        return;
      }
      case "pause": {
        const up = members.filter((n) => n.alive && !n.paused);
        if (up.length === 0) return;
        const ls = up.filter((n) => n.core?.role === "leader");
        const n = ls.length > 0 && this.rng.chance(0.5) ? this.rng.pick(ls) : this.rng.pick(up);
        const d = this.rng.range(30, 700);
        n.paused = true;
        n.pausedUntil = this.now + d;
        this.log(() => `pause ${n.id} for ${d}ms`);
        this.count("pauses");
        this.at(d, { k: "resume", n, inc: n.inc, from: this.now });
        return;
      }
    }
  }

  partition(ids: NodeId[]): void {
    const r = this.rng;
    const leader = this.leadersNow().map((n) => n.id).find((id) => ids.includes(id));
    const kind = r.pick(["split", "isolate", "oneway", "bridge"] as const);
    const block = (a: NodeId, b: NodeId) => this.blocked.add(`${a}>${b}`);
    const cut = (xs: NodeId[], ys: NodeId[]) => {
      for (const a of xs) for (const b of ys) if (a !== b) (block(a, b), block(b, a));
    };
    this.blocked.clear();
    const sh = r.shuffle(ids);
    switch (kind) {
      case "split": {
        const k = r.range(1, Math.max(1, Math.floor(ids.length / 2)));
        cut(sh.slice(0, k), sh.slice(k));
        break;
      }
      case "isolate": {
        const x = leader ?? sh[0];
        cut([x], ids.filter((id) => id !== x));
        break;
      }
      case "oneway": {
        const x = leader ?? sh[0];
        const inbound = r.chance(0.5);
        for (const y of ids) if (y !== x) inbound ? block(y, x) : block(x, y);
        break;
      }
      case "bridge": {
        const bridge = sh[0];
        const rest = sh.slice(1);
        const k = Math.floor(rest.length / 2);
        cut(rest.slice(0, k), rest.slice(k));
        void bridge;
        break;
      }
    }
    const gen = ++this.partitionGen;
    this.count("partitions");
    this.log(() => `partition ${kind}: ${[...this.blocked].join(" ")}`);
    this.at(r.range(100, 1500), { k: "heal", gen });
  }

  // ------------------------------------------------------------------ loop

  handle(ev: Ev): void {
    switch (ev.k) {
      case "tick": {
        const n = ev.n;
        if (!n.alive || n.inc !== ev.inc || n.core === null) return;
        if (n.paused) {
          this.q.push(n.pausedUntil + n.tickEvery, ev);
          return;
        }
        n.core.tick();
        this.q.push(this.now + n.tickEvery, ev);
        this.drive(n);
        return;
      }
      case "deliver":
        this.deliver(ev);
        return;
      case "persist": {
        const n = ev.n;
        if (!n.alive || n.inc !== ev.inc || n.inflight === null) return;
        if (n.paused) {
          this.q.push(n.pausedUntil, ev);
          return;
        }
        this.completePersist(n);
        this.drive(n);
        return;
      }
      case "client":
        if (this.ending) return;
        this.client();
        this.at(this.rng.range(this.p.clientEvery[0], this.p.clientEvery[1]), ev);
        return;
      case "nemesis":
        if (this.ending) return;
        this.nemesis();
        this.at(this.rng.range(this.p.nemesisEvery[0], this.p.nemesisEvery[1]), ev);
        return;
      case "heal":
        if (ev.gen === this.partitionGen) {
          this.blocked.clear();
          this.log(() => "heal partition");
        }
        return;
      case "restart": {
        const n = ev.n;
        if (n.alive || n.gone || n.inc !== ev.inc) return;
        this.start(n);
        return;
      }
      case "resume": {
        const n = ev.n;
        if (!n.alive || n.inc !== ev.inc || !n.paused || n.core === null) return;
        n.paused = false;
        // A well-behaved driver counts the ticks it missed while stopped.
        const missed = Math.min(
          Math.floor((this.now - ev.from) / n.tickEvery),
          3 * this.k.electionTicks,
        );
        for (let i = 0; i < missed; i++) n.core.tick();
        this.log(() => `resume ${n.id} (+${missed} ticks)`);
        this.drive(n);
        return;
      }
      case "snapReport":
      case "unreachable": {
        const n = ev.n;
        if (!n.alive || n.inc !== ev.inc || n.core === null) return;
        if (n.paused) {
          this.q.push(n.pausedUntil, ev);
          return;
        }
        if (ev.k === "unreachable") {
          n.core.reportUnreachable(ev.to);
        } else if (this.snapReport === "installed" && n.snapSent.get(ev.to) !== ev.key) {
          this.count("snapReportsStale"); // about an older stream: the driver ignores it
        } else {
          this.log(() => `${n.id} reportSnapshot(${ev.to}, ${ev.ok}) for ${ev.key}`);
          n.core.reportSnapshot(ev.to, ev.ok);
        }
        this.drive(n);
        return;
      }
      case "stop": {
        const n = ev.n;
        if (n.gone) return;
        this.log(() => `stop removed ${n.id}`);
        if (n.alive) this.crash(n);
        n.gone = true;
        return;
      }
    }
  }

  nodeOf(ev: Ev): SimNode | null {
    switch (ev.k) {
      case "deliver":
        return this.nodes.get(ev.m.to) ?? null;
      case "client":
      case "nemesis":
      case "heal":
        return null;
      default:
        return ev.n;
    }
  }

  runUntil(t: number): void {
    while (this.q.peekTime() <= t) {
      const x = this.q.pop() as { time: number; item: Ev };
      this.now = x.time;
      if (++this.events > this.maxEvents) {
        this.fail("liveness", `more than ${this.maxEvents} events`);
      }
      try {
        this.handle(x.item);
      } catch (e) {
        if (e instanceof SimFailure) throw e;
        this.fail("core-exception", e instanceof Error ? e.stack ?? e.message : String(e));
      }
      const n = this.nodeOf(x.item);
      if (n !== null) this.observe(n);
    }
    this.now = Math.max(this.now, t);
  }

  // --------------------------------------------------------------- the run

  run(): SimResult {
    this.log(() =>
      `seed ${this.seed}, ${this.size} nodes, profile ${this.p.name}, ${JSON.stringify(this.k)}`
    );
    for (const n of this.order) this.start(n);
    this.at(this.rng.range(0, 20), { k: "client" });
    this.at(this.rng.range(100, 400), { k: "nemesis" });
    this.runUntil(this.duration);
    this.heal();
    return {
      seed: this.seed,
      nodes: this.size,
      profile: this.p.name,
      events: this.events,
      time: this.now,
      stats: this.stats,
    };
  }

  /** Stops the faults, waits for a stable cluster, writes once more, checks acknowledged writes. */
  heal(): void {
    this.ending = true;
    this.blocked.clear();
    this.drop = 0;
    this.dup = 0;
    for (const n of this.order) {
      if (n.started && !n.alive && !n.gone) this.start(n);
    }
    this.healedAt = this.now;
    const deadline = this.now + 150 * TICK_MS * this.k.electionTicks;
    let leader = this.waitStable(deadline);
    // One more write must go through the healed cluster.
    for (let tries = 0;; tries++) {
      if (tries > 20) this.fail("liveness", "the healed cluster does not accept a write");
      const before = this.acked.length;
      if (this.propose(leader)) {
        const until = this.now + 40 * TICK_MS * this.k.electionTicks;
        while (this.acked.length === before && this.now < until) this.runUntil(this.now + 20);
        if (this.acked.length > before) break;
      } else {
        this.runUntil(this.now + 50);
      }
      leader = this.waitStable(deadline + 50 * TICK_MS * this.k.electionTicks);
    }
    leader = this.waitStable(deadline + 100 * TICK_MS * this.k.electionTicks);
    const c = leader.core as RaftCore;
    const conf = c.conf;
    const members = [...conf.voters, ...conf.learners].map((id) => this.nodes.get(id) as SimNode);
    for (const m of members) {
      for (const a of this.acked) {
        this.check(
          "acked-writes",
          m.sm[a.index - 1] === a.key,
          () => `acknowledged ${a.key} at ${a.index} missing on ${m.id} (has ${m.sm[a.index - 1]})`,
        );
      }
      for (let i = 0; i < m.sm.length; i++) {
        if (m.sm[i] !== leader.sm[i]) {
          this.fail("acked-writes", `${m.id} and ${leader.id} differ at ${i + 1}`);
        }
      }
    }
    this.stats.finalCommit = c.committed;
    this.stats.finalMembers = members.length;
  }

  /** Runs until one leader has committed its whole log and every member applied it. */
  waitStable(deadline: number): SimNode {
    for (;;) {
      const l = this.stable();
      if (l !== null) return l;
      if (this.now >= deadline) {
        const desc = this.order.filter((n) => n.started).map((n) =>
          `${n.id}:${n.gone ? "gone" : n.alive ? n.core?.role : "down"}` +
          `/t${n.core?.term}/c${n.core?.committed}/a${n.sm.length}/last${n.core?.lastIndex}` +
          `/conf${JSON.stringify(n.core?.conf)}`
        ).join(" ");
        this.fail(
          "liveness",
          `not stable ${(this.now - this.healedAt).toFixed(0)}ms after the heal ` +
            `(a leader that committed its log, applied on every member): ${desc}`,
        );
      }
      this.runUntil(this.now + 20);
    }
  }

  stable(): SimNode | null {
    let l: SimNode | null = null;
    for (const n of this.order) {
      const c = n.core;
      if (!n.alive || c === null || c.role !== "leader") continue;
      if (l === null || c.term > (l.core as RaftCore).term) l = n;
    }
    if (l === null) return null;
    const c = l.core as RaftCore;
    if (c.committed !== c.lastIndex || l.inflight !== null || l.sm.length !== c.committed) {
      return null;
    }
    const conf = c.conf;
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const n of this.order) {
      if (n.alive && !members.has(n.id) && n.id !== l.id) {
        // Not in the committed configuration: an operator would stop it now.
        this.handle({ k: "stop", n });
      }
    }
    for (const id of members) {
      const n = this.nodes.get(id);
      if (n === undefined || n.gone) {
        this.fail("liveness", `member ${id} of ${l.id}'s configuration was removed earlier`);
      }
      if (!n.alive) {
        if (n.started) this.start(n);
        return null;
      }
      const nc = n.core as RaftCore;
      if (nc.committed !== c.committed || n.sm.length !== c.committed) return null;
    }
    return l;
  }
}

// ------------------------------------------------------------------- entry

/**
 * Runs one seeded simulation; throws `SimFailure` when a property breaks.
 * On a failure it replays the seed once with tracing on and attaches the
 * last trace lines to the error.
 *
 * @param o Seed, cluster size, profile, duration.
 * @returns What happened.
 */
export function runSim(o: SimOptions): SimResult {
  try {
    return new Sim(o).run();
  } catch (e) {
    if (!(e instanceof SimFailure) || o.trace !== undefined) throw e;
    const lines: string[] = [];
    try {
      new Sim({
        ...o,
        trace: (l) => {
          lines.push(l);
          if (lines.length > 400) lines.splice(0, 200);
        },
      }).run();
    } catch (e2) {
      if (e2 instanceof SimFailure) e.trace = lines.slice(-200);
    }
    throw e;
  }
}

/**
 * The command that replays a run (the test's and the soak script's).
 *
 * @param o The run's options.
 * @returns Shell commands.
 */
export function replayCommand(o: SimOptions): string {
  const n = o.nodes ?? 3;
  let env = `SIM_SEED=${o.seed} SIM_NODES=${n}`;
  let args = `--seed ${o.seed} --nodes ${n}`;
  if (o.duration !== undefined) {
    env += ` SIM_DURATION=${o.duration}`;
    args += ` --duration ${o.duration}`;
  }
  if (o.profile !== undefined) {
    env += ` SIM_PROFILE=${o.profile}`;
    args += ` --profile ${o.profile}`;
  }
  if (o.snapReport !== undefined && o.snapReport !== "installed") {
    env += ` SIM_SNAP_REPORT=${o.snapReport}`;
    args += ` --snap-report ${o.snapReport}`;
  }
  if (o.skip !== undefined && o.skip.length > 0) {
    env += ` SIM_SKIP=${o.skip.join(",")}`;
    args += ` --skip ${o.skip.join(",")}`;
  }
  return `${env} deno test -A tests/raft/sim_test.ts  ` +
    `# or: deno run -A tests/raft/sim_soak.ts ${args} --trace`;
}
