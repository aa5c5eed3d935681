/**
 * The Raft driver: owns real time, the disk and the network for the pure
 * `RaftCore`, and is the node's write path (`Proposer`).
 *
 * Each turn it takes the core's `ready()` and does, in this order: write
 * the term and vote (fsynced) and the new log entries (one append, one
 * fsync at durability high), send the messages, apply the committed
 * entries to the state machine and answer their proposers, then
 * `advance()`. Proposals that arrive in the same turn of the event loop, or
 * while an fsync runs, go into the log as one batch.
 *
 * Writes proposed on a follower are forwarded to the leader (see
 * `forwarder.ts`); reads wait for their consistency level (`readBarrier`).
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { Level } from "../cli/mod.ts";
import {
  type ConfChange,
  type ConfState,
  decodeConf,
  ENTRY_CONF,
  ENTRY_OP,
  type Message,
  type NodeId,
  ProposalError,
  RaftCore,
  type Ready,
  type SnapshotMeta,
  type Wal,
} from "../raft/mod.ts";
import { type Reply, ReplyError } from "../resp/mod.ts";
import type { Proposal } from "../server/dispatch.ts";
import { encodeOperationInto, type Operation, operationSize } from "../server/operation.ts";
import { writeNodeState } from "./hard_state.ts";
import type { Logger } from "./logger.ts";
import { WalStorage } from "./raft_storage.ts";
import type { StateMachine } from "./state_machine.ts";
import { WaitList } from "./wait_list.ts";

/** Error text while no leader is known (the Finn servers' wording). */
export const NO_LEADER = "ERR leader not known";

/** A proposal made on this node. */
export class PendingProposal implements Proposal {
  readonly reply: Promise<Reply>;
  /** The operation (its arguments stay valid until the reply is delivered). */
  readonly op: Operation;
  /** Log index, once proposed. */
  index = 0;
  /** See {@linkcode Proposal.ordered}. */
  readonly ordered: boolean;
  /** Term it was proposed in. */
  term = 0;
  /** When it was made (ms), for the give-up timeout. */
  readonly createdAt = performance.now();
  #resolve!: (r: Reply) => void;
  #hooks: ((applied: boolean) => void)[] | null = null;
  #done = false;

  /**
   * Creates a pending proposal.
   *
   * @param op The operation.
   * @param ordered Whether hooks run right after the entry, before later ones.
   */
  constructor(op: Operation, ordered = true) {
    this.op = op;
    this.ordered = ordered;
    this.reply = new Promise((r) => (this.#resolve = r));
  }

  /**
   * See {@linkcode Proposal.afterApply}.
   *
   * @param fn The hook.
   */
  afterApply(fn: (applied: boolean) => void): void {
    if (this.#done) fn(false);
    else (this.#hooks ??= []).push(fn);
  }

  /**
   * Completes the proposal.
   *
   * @param reply The reply.
   * @param applied Whether the operation was applied on this node.
   */
  finish(reply: Reply, applied: boolean): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#hooks !== null) { for (const h of this.#hooks) h(applied); }
    this.#resolve(reply);
  }
}

/** Options of {@linkcode RaftDriver}. */
export interface RaftDriverOptions {
  /** This node's id (advertised address). */
  id: NodeId;
  /** The raft directory (state file). */
  dir: string;
  /** The write-ahead log. */
  wal: Wal;
  /** The state machine. */
  sm: StateMachine;
  /** Configuration when the log and snapshot hold none. */
  initialConf: ConfState;
  /** How the node entered its cluster (persisted with the term and vote). */
  origin: "bootstrap" | "join" | null;
  /** Persisted term and vote. */
  term: number;
  /** Persisted vote. */
  vote: NodeId | null;
  /** Where the log was compacted (persisted), or null. */
  compacted: SnapshotMeta | null;
  /** Index the state machine has applied. */
  applied: number;
  /** When log writes reach the disk. */
  durability: Level;
  /** Milliseconds per tick. */
  tickMs: number;
  /** Election timeout in ticks. */
  electionTicks: number;
  /** Sends messages to peers. */
  send: (msgs: Message[]) => void;
  /** Called on every change of role, leader or configuration. */
  onChange: () => void;
  /** Called once if the node cannot go on (I/O failure). */
  onFatal: (e: Error) => void;
  /** Log sink. */
  log: Logger;
  /**
   * Makes the store durable up to the index it returns; the log is then
   * compacted up to it (only while this node is the sole member: a
   * follower that needs compacted entries could only catch up from a
   * snapshot).
   */
  syncStore: () => Promise<number>;
  /** Called when this node applied a configuration that no longer includes it. */
  onRemoved: () => void;
  /** Streams this node's keyspace to a follower as the snapshot `msg` announces. */
  sendSnapshot: (msg: Message & { type: "snapshot" }) => Promise<void>;
  /** Replaces the keyspace with a received snapshot, durably (before the log is reset). */
  installSnapshot: (meta: SnapshotMeta) => Promise<void>;
  /** The install of `meta` is complete (the log was reset too). */
  installed: (meta: SnapshotMeta) => void;
  /** Entries applied between two compactions of the log. @default {20000} */
  compactEvery?: number;
  /**
   * Entries kept behind the compaction point when the node has peers, so a
   * follower a little behind catches up from the log, not a snapshot.
   * @default {5000}
   */
  trailing?: number;
  /** Called after each batch of entries is applied, with the applied index. */
  afterApply?: (applied: number) => void;
}

/**
 * ReadIndex rounds a node runs at once: reads arriving meanwhile share the
 * next one, so a busy node confirms leadership a few times per round trip
 * rather than once per read.
 */
const READ_ROUNDS_IN_FLIGHT = 2;

/** Encodes a batch of operations into one buffer (one allocation, not one per entry). */
function encodeBatch(batch: PendingProposal[]): Uint8Array[] {
  let total = 0;
  for (const p of batch) total += operationSize(p.op);
  const buf = new Uint8Array(total);
  const out: Uint8Array[] = new Array(batch.length);
  let o = 0;
  for (let i = 0; i < batch.length; i++) {
    const end = encodeOperationInto(batch[i].op, buf, o);
    out[i] = buf.subarray(o, end);
    o = end;
  }
  return out;
}

/** How long a proposal whose outcome is unknown waits before it gives up (ms). */
const GIVE_UP_MS = 30_000;

/** Runs the Raft core. */
export class RaftDriver {
  readonly #o: RaftDriverOptions;
  readonly core: RaftCore;
  readonly #storage: WalStorage;
  #origin: "bootstrap" | "join" | null;
  #queued: PendingProposal[] = [];
  #pending = new Map<number, PendingProposal>();
  #confWaiters = new Map<number, (err: ReplyError | null) => void>();
  #applied = new WaitList();
  #reads = new Map<number, (index: number) => void>();
  #readWaiters: ((index: number) => void)[] = [];
  #readsInFlight = 0;
  #nextRead = 1;
  #leaderWaiters: (() => void)[] = [];
  #scheduled = false;
  #running = false;
  #again = false;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #lastTick = 0;
  #syncTimer: ReturnType<typeof setInterval> | undefined;
  #failure: Error | null = null;
  #stopped = false;
  #lastRole = "";
  #lastLeader: NodeId | null = null;
  #lastConf = "";
  #idle: (() => void)[] = [];
  #compacting: Promise<void> | null = null;
  #state: { term: number; vote: NodeId | null; compacted: SnapshotMeta | null };
  #clears = 0;
  #sendingTo = new Set<NodeId>();
  /** Whether the last configuration applied here included this node. */
  #appliedMember: boolean;

  /**
   * Creates the driver and the core from persisted state.
   *
   * @param o Everything it needs.
   */
  constructor(o: RaftDriverOptions) {
    this.#o = o;
    this.#origin = o.origin;
    this.#storage = new WalStorage(o.wal);
    this.#storage.setSnapshot(o.compacted);
    this.#state = { term: o.term, vote: o.vote, compacted: o.compacted };
    this.#appliedMember = o.initialConf.voters.includes(o.id) ||
      o.initialConf.learners.includes(o.id);
    this.core = new RaftCore({
      id: o.id,
      storage: this.#storage,
      applied: o.applied,
      hardState: { term: o.term, vote: o.vote, commit: 0 },
      initialConf: o.initialConf,
      electionTicks: o.electionTicks,
      heartbeatTicks: 1,
      random: Math.random,
    });
  }

  /** Starts ticking (and campaigns at once when this node is the only voter). */
  start(): void {
    this.#lastTick = performance.now();
    this.#ticker = setInterval(() => {
      this.syncClock();
      this.#sweepStale();
    }, this.#o.tickMs);
    if (this.#o.durability === "medium") {
      this.#syncTimer = setInterval(() => {
        if (this.#failure === null) this.#o.wal.sync().catch((e) => this.#fail(e as Error));
      }, 1000);
    }
    const c = this.core.conf;
    if (c.voters.length === 1 && c.voters[0] === this.#o.id) this.core.campaign();
    this.#wake();
  }

  /**
   * Ticks the core once per tick interval of real (monotonic) time passed
   * since the last tick, so a process that was paused or starved catches
   * up at once: timers fire late after a pause, and a lease must not look
   * younger than it is. Lease reads call this before trusting the lease.
   */
  syncClock(): void {
    if (this.#stopped) return;
    const tickMs = this.#o.tickMs;
    const due = Math.floor((performance.now() - this.#lastTick) / tickMs);
    if (due <= 0) return;
    // Past a few election timeouts every timer has expired anyway.
    const n = Math.min(due, 4 * this.#o.electionTicks);
    this.#lastTick = n === due ? this.#lastTick + due * tickMs : performance.now();
    try {
      for (let i = 0; i < n; i++) this.core.tick();
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    this.#wake();
  }

  /** Stops ticking; waits for the current turn; pending work fails. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#ticker);
    clearInterval(this.#syncTimer);
    while (this.#running) await new Promise<void>((r) => this.#idle.push(r));
    const err = new ReplyError("ERR node is shutting down");
    for (const p of this.#queued) p.finish(err, false);
    for (const p of this.#pending.values()) p.finish(err, false);
    this.#queued = [];
    this.#pending.clear();
    for (const w of this.#confWaiters.values()) w(err);
    this.#confWaiters.clear();
    for (const r of [...this.#reads.values()]) r(0);
    this.#reads.clear();
    for (const w of this.#readWaiters) w(0);
    this.#readWaiters = [];
    this.#applied.failAll();
    for (const w of this.#leaderWaiters) w();
    this.#leaderWaiters = [];
  }

  /**
   * Term of a log entry (or of the compaction point).
   *
   * @param index The index.
   * @returns Its term, or 0 when unknown.
   */
  termOf(index: number): number {
    return this.#o.wal.term(index) ?? 0;
  }

  /** A snapshot from the leader is replacing the keyspace right now. */
  installing = false;
  #installed: Promise<void> = Promise.resolve();

  /**
   * Resolves once the snapshot install in progress (if any) has finished.
   *
   * @returns A promise.
   */
  whenInstalled(): Promise<void> {
    return this.#installed;
  }

  /** Unix ms when a message from the leader last arrived (0: never). */
  lastContact = 0;

  /** Whether the driver was stopped. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** This node's id. */
  get id(): NodeId {
    return this.#o.id;
  }

  /** The write-ahead log's first and last index. */
  get logRange(): { first: number; last: number } {
    return { first: this.#o.wal.firstIndex, last: this.#o.wal.lastIndex };
  }

  /**
   * Waits (at most `ms`) until the proposals made so far are applied or failed.
   *
   * @param ms Time limit.
   */
  async drain(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while ((this.#queued.length > 0 || this.#pending.size > 0) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Milliseconds of one election timeout (the shortest). */
  get electionTimeoutMs(): number {
    return this.#o.tickMs * this.#o.electionTicks;
  }

  /** The leader, or null. */
  get leader(): NodeId | null {
    return this.core.leader;
  }

  /** Whether this node leads. */
  get isLeader(): boolean {
    return this.core.role === "leader";
  }

  /** Index of the last entry applied. */
  get appliedIndex(): number {
    return this.#o.sm.appliedIndex;
  }

  /** How the node entered its cluster. */
  get origin(): "bootstrap" | "join" | null {
    return this.#origin;
  }

  /**
   * Records how the node entered its cluster (persisted with the next term/vote write, and now).
   *
   * @param origin The origin.
   */
  setOrigin(origin: "bootstrap" | "join"): void {
    this.#origin = origin;
    this.#writeState();
  }

  /**
   * Delivers messages from a peer.
   *
   * @param msgs The decoded messages.
   */
  receive(msgs: Message[]): void {
    if (this.#stopped) return;
    for (const m of msgs) {
      if (m.from === this.core.leader) this.lastContact = Date.now();
      try {
        this.core.step(m);
      } catch (e) {
        this.#fail(e as Error);
        return;
      }
    }
    this.#wake();
  }

  /**
   * Proposes an operation on this node, which must be the leader; the
   * caller (the node's proposer) forwards when it is not.
   *
   * @param op The commands; the time is stamped here.
   * @param time Leader-stamped time (ms).
   * @returns The proposal.
   */
  proposeLocal(op: { transaction: boolean; cmds: Uint8Array[][] }, time: number): PendingProposal {
    const p = new PendingProposal({ time, transaction: op.transaction, cmds: op.cmds });
    if (this.#failure !== null) {
      p.finish(new ReplyError(`ERR write failed: ${this.#failure.message}`), false);
      return p;
    }
    this.#queued.push(p);
    this.#wake();
    return p;
  }

  /**
   * Proposes a membership change and waits until it commits.
   *
   * @param change The change.
   * @returns Null when committed, or the error to answer.
   */
  changeMembership(change: ConfChange): Promise<ReplyError | null> {
    let index: number;
    try {
      index = this.core.proposeConfChange(change);
    } catch (e) {
      if (e instanceof ProposalError) return Promise.resolve(new ReplyError(`ERR ${e.message}`));
      throw e;
    }
    this.#wake();
    return new Promise((resolve) => this.#confWaiters.set(index, resolve));
  }

  /**
   * Hands leadership over.
   *
   * @param to Target or null for the most up-to-date voter.
   * @returns Null once another node leads, or the error to answer.
   */
  async transfer(to: NodeId | null): Promise<ReplyError | null> {
    let target: NodeId;
    try {
      target = this.core.transferLeader(to);
    } catch (e) {
      if (e instanceof ProposalError) return new ReplyError(`ERR ${e.message}`);
      throw e;
    }
    if (target === this.#o.id) return null;
    this.#wake();
    const deadline = performance.now() + this.electionTimeoutMs * 2;
    while (performance.now() < deadline) {
      if (this.core.leader !== null && this.core.leader !== this.#o.id) return null;
      await new Promise((r) => setTimeout(r, this.#o.tickMs));
    }
    return new ReplyError("ERR leadership transfer timed out");
  }

  /**
   * Waits until a leader is known (at most `ms`).
   *
   * @param ms Time limit.
   * @returns The leader, or null when none turned up in time.
   */
  async waitForLeader(ms: number): Promise<NodeId | null> {
    const deadline = performance.now() + ms;
    while (this.core.leader === null && !this.#stopped) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#leaderWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.core.leader;
  }

  /**
   * Waits until a read may run with ReadIndex: a quorum confirmed
   * leadership and this node applied everything committed before.
   *
   * @returns Null when the read may run, or the error to answer.
   */
  async readIndex(): Promise<ReplyError | null> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.core.leader === null) {
        if (await this.waitForLeader(this.electionTimeoutMs) === null) {
          return new ReplyError(NO_LEADER);
        }
      }
      const index = await new Promise<number>((resolve) => {
        this.#readWaiters.push(resolve);
        if (this.#readsInFlight < READ_ROUNDS_IN_FLIGHT) this.#startReadRound();
      });
      if (index > 0) {
        if (index <= this.appliedIndex) return null;
        const ok = await new Promise<boolean>((r) => this.#applied.add(index, r));
        return ok ? null : new ReplyError("ERR node is shutting down");
      }
      if (this.#stopped) break;
    }
    return new ReplyError(NO_LEADER);
  }

  /**
   * Asks the core for one read index on behalf of every read waiting now.
   * Reads that arrive while rounds are in flight wait for a new round (one
   * in flight may predate writes they must see).
   */
  #startReadRound(): void {
    const waiters = this.#readWaiters;
    this.#readWaiters = [];
    this.#readsInFlight++;
    const id = this.#nextRead++;
    const done = (index: number) => {
      clearTimeout(timer);
      this.#reads.delete(id);
      this.#readsInFlight--;
      for (const w of waiters) w(index);
      if (this.#readWaiters.length > 0 && !this.#stopped) this.#startReadRound();
    };
    // A forwarded ReadIndex is dropped by a node that stopped leading: give up on it.
    const timer = setTimeout(() => done(0), this.electionTimeoutMs);
    this.#reads.set(id, done);
    this.core.readIndex(id);
    this.#wake();
  }

  /**
   * Runs `fn` once the applied index reaches `index`.
   *
   * @param index The index.
   * @param fn Called with true when reached, false if the node stops first.
   */
  whenApplied(index: number, fn: (ok: boolean) => void): void {
    if (index <= this.appliedIndex) fn(true);
    else this.#applied.add(index, fn);
  }

  // ---------------------------------------------------------------- the turn

  #wake(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump().catch((e) => this.#fail(e as Error));
    });
  }

  async #pump(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        this.#proposeQueued();
        while (this.core.hasReady() && this.#failure === null) {
          await this.#handle(this.core.ready());
          this.#proposeQueued();
        }
      } while (this.#again && this.#failure === null);
    } finally {
      this.#running = false;
      const idle = this.#idle;
      this.#idle = [];
      for (const f of idle) f();
    }
  }

  /** Puts the proposals queued since the last turn into the log as one batch. */
  #proposeQueued(): void {
    if (this.#queued.length === 0) return;
    const batch = this.#queued;
    this.#queued = [];
    let first: number;
    try {
      first = this.core.proposeBatch(encodeBatch(batch));
    } catch (e) {
      const err = e instanceof ProposalError
        ? new ReplyError(
          e.reason === "not-leader"
            ? NO_LEADER
            : e.reason === "backpressure"
            ? "ERR too many pending writes, try again"
            : `ERR ${e.message}`,
        )
        : new ReplyError(`ERR ${(e as Error).message}`);
      for (const p of batch) p.finish(err, false);
      return;
    }
    const term = this.core.term;
    batch.forEach((p, i) => {
      p.index = first + i;
      p.term = term;
      this.#pending.set(p.index, p);
    });
  }

  async #handle(rd: Ready): Promise<void> {
    const o = this.#o;
    if (rd.snapshot !== null) {
      const meta = rd.snapshot;
      this.installing = true;
      let done!: () => void;
      this.#installed = new Promise((r) => (done = r));
      try {
        await o.installSnapshot(meta);
      } finally {
        this.installing = false;
        done();
      }
      this.#resetLog(meta);
      o.sm.appliedIndex = meta.index;
      this.#appliedMember = meta.conf.voters.includes(o.id) || meta.conf.learners.includes(o.id);
      o.installed(meta);
      this.#o.log.notice(`installed a snapshot at index ${meta.index} (term ${meta.term})`);
    }
    if (rd.hardState !== null) {
      this.#state.term = rd.hardState.term;
      this.#state.vote = rd.hardState.vote;
      this.#writeState();
    }
    let syncing: Promise<void> | null = null;
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      if (first <= o.wal.lastIndex) o.wal.truncateFrom(first);
      o.wal.append(rd.entries);
      if (o.durability === "high") syncing = o.wal.sync();
    }
    // Only an acknowledgement of appended entries needs them on disk first
    // (the term and vote were written synchronously above); everything
    // else, the leader's own appends included, goes out while the fsync
    // runs (Raft thesis 10.2.1: the leader counts itself only once durable).
    let late: Message[] | null = null;
    if (rd.messages.length > 0) {
      let early = rd.messages;
      if (syncing !== null && early.some((m) => m.type === "appendResp")) {
        late = early.filter((m) => m.type === "appendResp");
        early = early.filter((m) => m.type !== "appendResp");
      }
      if (early.length > 0) o.send(this.#withoutSnapshots(early));
    }
    // Committed entries handed out are already durable here: apply them
    // while the new ones are being synced.
    for (const e of rd.committed) this.#apply(e.index, e.term, e.data);
    if (rd.committed.length > 0) {
      this.#maybeCompact();
      this.#o.afterApply?.(o.sm.appliedIndex);
    }
    for (const rs of rd.readStates) {
      const done = this.#reads.get(rs.id);
      this.#reads.delete(rs.id);
      done?.(rs.index);
    }
    if (syncing !== null) await syncing;
    if (late !== null) o.send(late);
    this.core.advance(rd);
    this.#noticeChanges();
  }

  #apply(index: number, term: number, data: Uint8Array): void {
    const sm = this.#o.sm;
    let reply: Reply = null;
    const p = this.#pending.get(index);
    if (data[0] === ENTRY_OP) {
      // Proposed here in this term: the entry is this operation (log
      // matching), so skip decoding it again.
      reply = p !== undefined && p.term === term
        ? sm.applyOperation(index, p.op)
        : sm.apply(index, data);
    } else {
      sm.appliedIndex = index;
      if (data[0] === ENTRY_CONF) {
        const c = decodeConf(data);
        const member = c.voters.includes(this.#o.id) || c.learners.includes(this.#o.id);
        if (this.#appliedMember && !member) {
          this.#o.log.notice("this node was removed from the cluster");
          queueMicrotask(() => this.#o.onRemoved());
        }
        this.#appliedMember = member;
      }
    }
    if (p !== undefined) {
      this.#pending.delete(index);
      if (p.term === term) p.finish(reply, true);
      else p.finish(new ReplyError("ERR write lost in a leader change; it was not applied"), false);
    }
    const w = this.#confWaiters.get(index);
    if (w !== undefined) {
      this.#confWaiters.delete(index);
      w(null);
    }
    this.#applied.reached(index);
  }

  /**
   * Takes snapshot messages out of a batch and streams the snapshot to
   * each of those followers instead (one transfer per follower at a time);
   * the core learns how it went through `reportSnapshot`.
   */
  #withoutSnapshots(msgs: Message[]): Message[] {
    if (!msgs.some((m) => m.type === "snapshot")) return msgs;
    for (const m of msgs) {
      if (m.type !== "snapshot" || this.#sendingTo.has(m.to)) continue;
      const to = m.to;
      this.#sendingTo.add(to);
      this.#o.log.notice(`sending a snapshot to ${to}`);
      this.#o.sendSnapshot(m).then(
        () => true,
        (e) => {
          this.#o.log.warn(`snapshot to ${to} failed: ${(e as Error).message}`);
          return false;
        },
      ).then((ok) => {
        this.#sendingTo.delete(to);
        if (this.#stopped) return;
        this.core.reportSnapshot(to, ok);
        this.#wake();
      });
    }
    return msgs.filter((m) => m.type !== "snapshot");
  }

  /**
   * Compacts the log every `compactEvery` entries, once the store holds
   * them durably; with peers, `trailing` entries are kept (a follower
   * further behind gets a snapshot).
   */
  #maybeCompact(): void {
    if (this.#compacting !== null) return;
    const sm = this.#o.sm;
    const every = this.#o.compactEvery ?? 20_000;
    if (sm.appliedIndex - this.#o.wal.firstIndex < every && sm.clears === this.#clears) return;
    this.#clears = sm.clears; // a FLUSHDB makes every earlier entry dead weight
    this.compactNow().catch((e) => this.#o.log.warn(`cannot compact the log: ${e.message}`));
  }

  /**
   * Compacts the log now (RAFTSHRINKLOG): up to what the store holds
   * durably, less the trailing entries when the node has peers.
   *
   * @returns The new first index of the log.
   */
  async compactNow(): Promise<number> {
    const wal = this.#o.wal;
    if (this.#compacting !== null) await this.#compacting;
    const run = (async () => {
      const durable = await this.#o.syncStore();
      const c = this.core.conf;
      const alone = c.voters.length === 1 && c.learners.length === 0 && c.voters[0] === this.#o.id;
      const keep = alone ? 0 : this.#o.trailing ?? 5_000;
      const upTo = Math.min(durable, this.#o.sm.appliedIndex) - keep;
      if (this.#stopped || upTo < wal.firstIndex) return;
      // The configuration as of upTo survives the entries that set it.
      const meta = { index: upTo, term: wal.term(upTo) ?? 0, conf: this.core.confAt(upTo) };
      this.#state.compacted = meta;
      this.#writeState();
      this.#storage.setSnapshot(meta);
      wal.compact(upTo);
    })();
    // Its failure is reported through `run`; this copy must not go unhandled.
    this.#compacting = run.catch(() => {}).finally(() => {
      this.#compacting = null;
      // Entries applied meanwhile may already call for the next one.
      if (!this.#stopped) this.#maybeCompact();
    });
    await run;
    return wal.firstIndex;
  }

  /** After a snapshot was installed: the log restarts right after it. */
  #resetLog(meta: SnapshotMeta): void {
    const wal = this.#o.wal;
    this.#state.compacted = meta;
    this.#writeState();
    this.#storage.setSnapshot(meta);
    if (wal.lastIndex >= wal.firstIndex) wal.truncateFrom(wal.firstIndex);
    wal.compact(meta.index, meta.term);
  }

  #noticeChanges(): void {
    const role = this.core.role;
    const leader = this.core.leader;
    const conf = JSON.stringify(this.core.conf);
    if (role === this.#lastRole && leader === this.#lastLeader && conf === this.#lastConf) return;
    if (leader !== this.#lastLeader && leader !== null) {
      this.#o.log.notice(`leader is ${leader} (term ${this.core.term})`);
    }
    if (this.#lastRole === "leader" && role !== "leader") {
      // Proposals still queued never reached the log.
      const err = new ReplyError(NO_LEADER);
      for (const p of this.#queued) p.finish(err, false);
      this.#queued = [];
      for (const [index, w] of this.#confWaiters) {
        if (index > this.core.committed) {
          this.#confWaiters.delete(index);
          w(new ReplyError("ERR leadership lost; the membership change may not have happened"));
        }
      }
    }
    this.#lastRole = role;
    this.#lastLeader = leader;
    this.#lastConf = conf;
    if (leader !== null) {
      const waiters = this.#leaderWaiters;
      this.#leaderWaiters = [];
      for (const w of waiters) w();
    }
    this.#o.onChange();
  }

  /** Gives up on proposals whose outcome this node has not learned for a long time. */
  #sweepStale(): void {
    if (this.#pending.size === 0) return;
    const limit = performance.now() - GIVE_UP_MS;
    for (const [index, p] of this.#pending) {
      if (p.createdAt > limit) break;
      this.#pending.delete(index);
      p.finish(
        new ReplyError("TRYAGAIN write outcome unknown (leader changed); check and retry"),
        false,
      );
    }
  }

  /** Writes term, vote, origin and compaction point (fsynced, atomic). */
  #writeState(): void {
    writeNodeState(this.#o.dir, { ...this.#state, origin: this.#origin });
  }

  #fail(e: Error): void {
    if (this.#failure !== null) return;
    this.#failure = e;
    this.#o.log.warn(`raft: ${e.message}`);
    this.#o.onFatal(e);
  }
}
