/**
 * `RaftCore`: the Raft protocol as a pure state machine, in the style of
 * etcd-io/raft. Inputs: `tick()`, `step(message)`, `propose(data)`,
 * `proposeConfChange(change)`, `readIndex(id)`, `transferLeader(to)`.
 * Output: `ready()` hands the driver what to persist, send and apply; the
 * driver persists (entries and hard state), then sends the messages, then
 * applies the committed entries, then calls `advance(ready)`.
 *
 * No I/O, no timers, no promises; randomness comes from `config.random`.
 *
 * Features: randomized election timeouts, pre-vote, check-quorum with a
 * leader lease on votes, a no-op on election and commit only by counting
 * current-term entries, pipelined appends with a bounded window per
 * follower, batched ReadIndex rounds, lease reads, single-server membership
 * changes (effective when appended, one at a time, none before the leader
 * has committed an entry of its term) with learners promoted once caught up,
 * leadership transfer, snapshot hand-off, proposal backpressure.
 *
 * @module
 */

import { type RaftConfig, type ResolvedRaftConfig, resolveRaftConfig } from "./config.ts";
import { RaftInvariantError, RaftLog } from "./log.ts";
import { Progress, quorumIndex, voteResult } from "./progress.ts";
import {
  type AppendMessage,
  type ConfChange,
  type ConfState,
  decodeConf,
  encodeConf,
  type Entry,
  ENTRY_CONF,
  type HardState,
  type HeartbeatMessage,
  type Message,
  type NodeId,
  NOOP_DATA,
  type ReadState,
  type Role,
  type SnapshotMeta,
  type VoteMessage,
} from "./types.ts";

/** Why a proposal was refused; the driver turns it into a client error. */
export class ProposalError extends Error {
  /** Machine-readable reason. */
  readonly reason: "not-leader" | "transfer" | "backpressure" | "conf-pending" | "conf-invalid";

  /**
   * Creates the error.
   *
   * @param reason Why.
   * @param message Human-readable text.
   */
  constructor(reason: ProposalError["reason"], message: string) {
    super(message);
    this.name = "ProposalError";
    this.reason = reason;
  }
}

/** What the driver must do next; see the module doc for the order. */
export interface Ready {
  /** Term and vote to persist before sending `messages`, or null if unchanged. */
  hardState: HardState | null;
  /** Entries to append to stable storage (truncating anything at or after entries[0].index). */
  entries: Entry[];
  /** A snapshot to install before anything else, or null. */
  snapshot: SnapshotMeta | null;
  /** Committed entries to apply, in order. */
  committed: Entry[];
  /** Messages to send once the above is persisted. */
  messages: Message[];
  /** Reads that may run once the applied index reaches their index. */
  readStates: ReadState[];
}

interface ReadRound {
  round: number;
  index: number;
  local: number[];
  remote: Map<NodeId, number[]>;
  acks: Set<NodeId>;
}

/** The Raft state machine of one node. */
export class RaftCore {
  readonly #c: ResolvedRaftConfig;
  readonly #log: RaftLog;
  #term: number;
  #vote: NodeId | null;
  #role: Role = "follower";
  #leader: NodeId | null = null;
  #conf: ConfState;
  /** Conf entries in the log (index ascending), to recompute the conf on truncation. */
  #confHistory: { index: number; conf: ConfState }[] = [];
  #baseConf: ConfState;
  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedTimeout = 0;
  #ticks = 0;
  #votes = new Map<NodeId, boolean>();
  #progress = new Map<NodeId, Progress>();
  #msgs: Message[] = [];
  #readStates: ReadState[] = [];
  #transferee: NodeId | null = null;
  #transferElapsed = 0;
  /** A TimeoutNow went out this term: the target may win without waiting out leases. */
  #timeoutNowSent = false;
  #pendingConfIndex = 0;
  #uncommittedBytes = 0;
  #termStartIndex = 0;
  #readRounds: ReadRound[] = [];
  #openRound: ReadRound | null = null;
  #nextRound = 1;
  #readsWaitingForCommit: { from: NodeId | null; ids: number[] }[] = [];
  #followerReads: number[] = [];
  #followerReadsSent: number[] = [];
  #persisted: { term: number; vote: NodeId | null };
  #handedOut: number;
  #snapshotHandedOut = false;

  /**
   * Creates the core from persisted state.
   *
   * @param config Identity, storage, timing, limits.
   */
  constructor(config: RaftConfig) {
    this.#c = resolveRaftConfig(config);
    const c = this.#c;
    this.#log = new RaftLog(c.storage, c.applied);
    this.#term = c.hardState.term;
    this.#vote = c.hardState.vote;
    this.#persisted = { term: this.#term, vote: this.#vote };
    this.#handedOut = this.#log.lastIndex();
    const snap = c.storage.snapshot();
    this.#baseConf = snap !== null ? cloneConf(snap.conf) : cloneConf(c.initialConf);
    this.#conf = this.#baseConf;
    this.#loadConfHistory();
    this.#resetRandomizedTimeout();
  }

  // ---------------------------------------------------------------- queries

  /**
   * The configuration in effect at a log index (for a snapshot taken at
   * the applied index: the newest one may not be committed yet).
   *
   * @param index A log index at or after the first one held.
   * @returns The configuration of the newest conf entry at or before it.
   */
  confAt(index: number): ConfState {
    for (let i = this.#confHistory.length - 1; i >= 0; i--) {
      if (this.#confHistory[i].index <= index) return cloneConf(this.#confHistory[i].conf);
    }
    return cloneConf(this.#baseConf);
  }

  /** This node's id. */
  get id(): NodeId {
    return this.#c.id;
  }
  /** Current term. */
  get term(): number {
    return this.#term;
  }
  /** Current role. */
  get role(): Role {
    return this.#role;
  }
  /** The leader this node knows of, or null. */
  get leader(): NodeId | null {
    return this.#leader;
  }
  /** The current configuration (the newest in the log, committed or not). */
  get conf(): ConfState {
    return cloneConf(this.#conf);
  }
  /** Commit index. */
  get committed(): number {
    return this.#log.committed;
  }
  /** Applied index (handed out and acknowledged). */
  get applied(): number {
    return this.#log.applied;
  }
  /** Last log index. */
  get lastIndex(): number {
    return this.#log.lastIndex();
  }
  /** Term of the last log entry. */
  get lastTerm(): number {
    return this.#log.lastTerm();
  }
  /** First log index held. */
  get firstIndex(): number {
    return this.#log.firstIndex();
  }
  /** Ticks since the last message from a leader (followers) or since start. */
  get electionElapsed(): number {
    return this.#electionElapsed;
  }
  /** Leader only: per-member match index. */
  progressOf(id: NodeId): { match: number; next: number; state: string } | undefined {
    const p = this.#progress.get(id);
    return p === undefined ? undefined : { match: p.match, next: p.next, state: p.state };
  }
  /** Whether this node is a voter in its current configuration. */
  get isVoter(): boolean {
    return this.#conf.voters.includes(this.#c.id);
  }
  /** The node a leadership transfer is going to, if any. */
  get transferee(): NodeId | null {
    return this.#transferee;
  }

  /**
   * Whether a leader may serve a read from its own state without a quorum
   * round: it committed an entry of its term, no transfer is going on, and
   * a quorum acknowledged a heartbeat sent within the lease (fewer ticks
   * than any voter waits before it would support another candidate).
   *
   * @returns True when a lease read is safe.
   */
  leaseValid(): boolean {
    if (
      this.#role !== "leader" || !this.#committedInTerm() || this.#transferee !== null ||
      this.#timeoutNowSent
    ) {
      return false;
    }
    if (!this.#c.checkQuorum) return false;
    const since = this.#ticks - (this.#c.electionTicks - 2);
    let n = 0;
    for (const v of this.#conf.voters) {
      if (v === this.#c.id) n++;
      else if ((this.#progress.get(v)?.ackedSentAt ?? -Infinity) >= since) n++;
    }
    return n >= Math.floor(this.#conf.voters.length / 2) + 1;
  }

  // ----------------------------------------------------------------- inputs

  /** Advances logical time by one tick. */
  tick(): void {
    this.#ticks++;
    if (this.#role === "leader") this.#tickLeader();
    else this.#tickElection();
  }

  /**
   * Starts an election now (e.g. a single-voter cluster at startup).
   */
  campaign(): void {
    if (this.#role === "leader" || !this.isVoter) return;
    if (this.#c.preVote) this.#startCampaign(true, false);
    else this.#startCampaign(false, false);
  }

  /**
   * Proposes an application entry (leader only).
   *
   * @param data Entry data (first byte ENTRY_OP).
   * @returns The index the entry will have.
   * @throws {ProposalError} Not leader, transfer in progress, backpressure,
   *   or data that is a configuration entry.
   */
  propose(data: Uint8Array): number {
    return this.proposeBatch([data]);
  }

  /**
   * Proposes several entries at once (one batch, consecutive indexes).
   *
   * @param datas Entry data each.
   * @returns The index of the first entry.
   * @throws {ProposalError} As for `propose`.
   */
  proposeBatch(datas: Uint8Array[]): number {
    let bytes = 0;
    for (const d of datas) {
      // Configuration entries only come through proposeConfChange (its checks).
      if (d[0] === ENTRY_CONF) {
        throw new ProposalError("conf-invalid", "use proposeConfChange for configuration entries");
      }
      bytes += d.length;
    }
    this.#checkCanPropose(bytes);
    return this.#appendLeader(datas) - datas.length + 1;
  }

  /**
   * Proposes a membership change (leader only; one at a time; not before
   * the leader has committed an entry of its term).
   *
   * @param change The change.
   * @returns The index of the configuration entry.
   * @throws {ProposalError} When refused (with the reason).
   */
  proposeConfChange(change: ConfChange): number {
    if (this.#role !== "leader") throw new ProposalError("not-leader", "not the leader");
    if (this.#transferee !== null) {
      throw new ProposalError("transfer", "leadership transfer in progress");
    }
    if (this.#pendingConfIndex > this.#log.committed || !this.#committedInTerm()) {
      throw new ProposalError("conf-pending", "a membership change is in progress, try again");
    }
    const next = applyConfChange(this.#conf, change, this.#c.id);
    return this.#appendLeader([encodeConf(next)]);
  }

  /**
   * Asks for a linearizable read point. The answer comes as a ReadState in
   * a later ready: run the read once the applied index reaches its index
   * (index 0: refused, e.g. no leader; retry later).
   *
   * @param id Caller's request id.
   */
  readIndex(id: number): void {
    if (this.#role === "leader") {
      this.#leaderRead(null, [id]);
    } else if (this.#leader !== null) {
      this.#followerReads.push(id);
    } else {
      this.#readStates.push({ id, index: 0 });
    }
  }

  /**
   * Starts handing leadership to `to` (or the most up-to-date voter).
   *
   * @param to Target, or null to pick one.
   * @returns The chosen target.
   * @throws {ProposalError} If not leader or there is no other voter.
   */
  transferLeader(to: NodeId | null): NodeId {
    if (this.#role !== "leader") throw new ProposalError("not-leader", "not the leader");
    let target = to;
    if (target === null) {
      let best = -1;
      for (const v of this.#conf.voters) {
        if (v === this.#c.id) continue;
        const m = this.#progress.get(v)?.match ?? 0;
        if (m > best) {
          best = m;
          target = v;
        }
      }
      if (target === null) throw new ProposalError("conf-invalid", "no other voter to transfer to");
    }
    if (target === this.#c.id) return target;
    if (!this.#conf.voters.includes(target)) {
      throw new ProposalError("conf-invalid", `${target} is not a voter`);
    }
    this.#transferee = target;
    this.#transferElapsed = 0;
    const p = this.#progress.get(target) as Progress;
    if (p.match === this.#log.lastIndex()) {
      this.#timeoutNowSent = true;
      this.#send({ type: "timeoutNow", from: this.#c.id, to: target, term: this.#term });
    } else this.#sendAppend(target);
    return target;
  }

  /**
   * The driver finished (or failed) sending a snapshot to `to`.
   *
   * @param to The follower.
   * @param ok Whether it was installed.
   */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const p = this.#progress.get(to);
    if (this.#role !== "leader" || p === undefined || p.state !== "snapshot") return;
    // Never touch match here: the report may concern an older snapshot than
    // the one pending now. The follower's own answer moves match.
    if (!ok) p.pendingSnapshot = 0;
    p.becomeProbe();
  }

  /**
   * The driver could not reach `to`: probe again later instead of assuming
   * messages arrive.
   *
   * @param to The peer.
   */
  reportUnreachable(to: NodeId): void {
    const p = this.#progress.get(to);
    if (this.#role === "leader" && p !== undefined && p.state === "replicate") p.becomeProbe();
  }

  /**
   * Handles a message from another node.
   *
   * @param m The message.
   */
  step(m: Message): void {
    if (m.to !== this.#c.id) return;
    if (m.term > this.#term) {
      if (m.type === "vote") {
        if (this.#inLease() && !m.transfer) return; // a leader is alive: ignore disruption
        if (!m.pre) this.#becomeFollower(m.term, null);
      } else if (m.type === "voteResp" && m.pre && m.granted) {
        // A granted pre-vote carries the term we would use; no term change.
      } else if (m.type === "append" || m.type === "heartbeat" || m.type === "snapshot") {
        this.#becomeFollower(m.term, m.from);
      } else {
        this.#becomeFollower(m.term, null);
      }
    } else if (m.term < this.#term && m.term !== 0) {
      if (m.type === "append" || m.type === "heartbeat") {
        // Tell a deposed leader about the new term.
        this.#send({
          type: "appendResp",
          from: this.#c.id,
          to: m.from,
          term: this.#term,
          reject: true,
          index: 0,
          hint: 0,
        });
      } else if (m.type === "vote") {
        // Answer with our term (the paper's rule): a stale candidate learns
        // it and stops campaigning in lock-step with the real one.
        this.#send({
          type: "voteResp",
          from: this.#c.id,
          to: m.from,
          term: this.#term,
          pre: m.pre,
          granted: false,
        });
      }
      return;
    }
    if (m.type === "vote") {
      this.#handleVote(m);
      return;
    }
    switch (this.#role) {
      case "leader":
        this.#stepLeader(m);
        break;
      case "candidate":
      case "precandidate":
        this.#stepCandidate(m);
        break;
      default:
        this.#stepFollower(m);
    }
  }

  // ------------------------------------------------------------ ready cycle

  /** Whether `ready()` has anything. */
  hasReady(): boolean {
    return this.#msgs.length > 0 || this.#readStates.length > 0 ||
      this.#log.lastIndex() > this.#handedOut ||
      (this.#log.pendingSnapshot !== null && !this.#snapshotHandedOut) ||
      this.#log.committed > this.#log.applied ||
      this.#term !== this.#persisted.term || this.#vote !== this.#persisted.vote ||
      this.#openRound !== null || this.#followerReads.length > 0;
  }

  /**
   * Takes what the driver must persist, send and apply now. Call
   * `advance()` with it once done, before the next `ready()`.
   *
   * @returns The batch.
   */
  ready(): Ready {
    this.#flushReads();
    const hardState = this.#term !== this.#persisted.term || this.#vote !== this.#persisted.vote
      ? { term: this.#term, vote: this.#vote, commit: this.#log.committed }
      : null;
    const entries = this.#log.unstable.filter((e) => e.index > this.#handedOut);
    this.#handedOut = this.#log.lastIndex();
    let snapshot: SnapshotMeta | null = null;
    if (this.#log.pendingSnapshot !== null && !this.#snapshotHandedOut) {
      snapshot = this.#log.pendingSnapshot;
      this.#snapshotHandedOut = true;
    }
    const committed = snapshot === null ? this.#log.nextCommitted(this.#c.maxApplyBytes) : [];
    if (committed.length > 0) this.#log.appliedTo(committed[committed.length - 1].index);
    const rd: Ready = {
      hardState,
      entries,
      snapshot,
      committed,
      messages: this.#msgs,
      readStates: this.#readStates,
    };
    if (hardState !== null) this.#persisted = { term: hardState.term, vote: hardState.vote };
    this.#msgs = [];
    this.#readStates = [];
    return rd;
  }

  /**
   * The driver persisted, sent and applied what `rd` held.
   *
   * @param rd The batch from `ready()`.
   */
  advance(rd: Ready): void {
    if (rd.snapshot !== null) {
      const newer = this.#log.pendingSnapshot !== null && this.#log.pendingSnapshot !== rd.snapshot;
      this.#log.snapshotInstalled(rd.snapshot);
      this.#snapshotHandedOut = false;
      if (!newer) {
        this.#baseConf = cloneConf(rd.snapshot.conf);
        this.#loadConfHistory();
      }
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      this.#log.stableTo(last.index, last.term);
      if (this.#role === "leader") {
        const self = this.#progress.get(this.#c.id);
        if (self !== undefined && this.#log.term(last.index) === last.term) {
          self.maybeUpdate(Math.min(last.index, this.#log.lastIndex()));
          if (this.#maybeCommit()) this.#bcastAppend();
        }
      }
    }
    for (const e of rd.committed) {
      if (e.data[0] === ENTRY_CONF) this.#onConfCommitted(e.index);
    }
  }

  // -------------------------------------------------------------- internals

  #checkCanPropose(bytes: number): void {
    if (this.#role !== "leader") throw new ProposalError("not-leader", "not the leader");
    if (this.#transferee !== null) {
      throw new ProposalError("transfer", "leadership transfer in progress");
    }
    if (
      this.#uncommittedBytes > 0 && this.#uncommittedBytes + bytes > this.#c.maxUncommittedBytes
    ) {
      throw new ProposalError("backpressure", "too many uncommitted writes, try again");
    }
  }

  /** Appends entries as leader; returns the last index. */
  #appendLeader(datas: Uint8Array[]): number {
    let index = this.#log.lastIndex();
    const entries: Entry[] = [];
    for (const data of datas) {
      index++;
      entries.push({ index, term: this.#term, data });
      this.#uncommittedBytes += data.length;
      if (data[0] === ENTRY_CONF) {
        this.#pendingConfIndex = index;
        this.#addConf(index, decodeConf(data));
      }
    }
    this.#log.append(entries);
    this.#log.writtenFrom = Infinity; // leader appends only extend the log
    this.#bcastAppend();
    return index;
  }

  #tickElection(): void {
    this.#electionElapsed++;
    if (!this.isVoter) return; // learners and removed nodes never campaign
    if (this.#electionElapsed >= this.#randomizedTimeout) {
      this.#electionElapsed = 0;
      this.campaign();
    }
  }

  #tickLeader(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#c.electionTicks) {
      this.#electionElapsed = 0;
      if (this.#c.checkQuorum && !this.#quorumActive()) {
        this.#becomeFollower(this.#term, null);
        return;
      }
    }
    if (this.#transferee !== null && ++this.#transferElapsed >= this.#c.electionTicks) {
      this.#transferee = null; // abort: resume normal operation
    }
    if (this.#heartbeatElapsed >= this.#c.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#bcastHeartbeat(0);
    }
  }

  #quorumActive(): boolean {
    let n = 0;
    for (const v of this.#conf.voters) {
      const p = this.#progress.get(v);
      if (v === this.#c.id || p?.recentActive) n++;
      if (p !== undefined) p.recentActive = false;
    }
    return n >= Math.floor(this.#conf.voters.length / 2) + 1;
  }

  /**
   * Whether a live leader was heard recently enough (or this node restarted
   * less than an election timeout ago) that higher-term votes are ignored.
   */
  #inLease(): boolean {
    if (!this.#c.checkQuorum) return false;
    if (this.#leader !== null && this.#electionElapsed < this.#c.electionTicks) return true;
    // Just restarted: before the crash we may have acknowledged a heartbeat
    // that a leader's lease counts on, so honour it for one election timeout.
    return this.#ticks < this.#c.electionTicks && this.#c.hardState.term > 0;
  }

  #resetRandomizedTimeout(): void {
    const n = this.#c.electionTicks;
    this.#randomizedTimeout = n + Math.floor(this.#c.random() * n);
  }

  #reset(term: number): void {
    if (this.#term !== term) {
      this.#term = term;
      this.#vote = null;
    }
    this.#leader = null;
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#resetRandomizedTimeout();
    this.#votes = new Map();
    this.#transferee = null;
    this.#timeoutNowSent = false;
    this.#failPendingReads();
  }

  #becomeFollower(term: number, leader: NodeId | null): void {
    this.#reset(term);
    this.#role = "follower";
    this.#leader = leader;
    this.#progress = new Map();
    this.#uncommittedBytes = 0;
  }

  #startCampaign(pre: boolean, transfer: boolean): void {
    if (pre) {
      this.#role = "precandidate";
      this.#leader = null;
      this.#votes = new Map();
      this.#electionElapsed = 0;
      this.#resetRandomizedTimeout();
    } else {
      this.#reset(this.#term + 1);
      this.#role = "candidate";
      this.#vote = this.#c.id;
    }
    const term = pre ? this.#term + 1 : this.#term;
    this.#votes.set(this.#c.id, true);
    if (voteResult(this.#conf.voters, this.#votes) === "won") {
      if (pre) this.#startCampaign(false, transfer);
      else this.#becomeLeader();
      return;
    }
    for (const v of this.#conf.voters) {
      if (v === this.#c.id) continue;
      this.#send({
        type: "vote",
        from: this.#c.id,
        to: v,
        term,
        pre,
        lastIndex: this.#log.lastIndex(),
        lastTerm: this.#log.lastTerm(),
        transfer,
      });
    }
  }

  #becomeLeader(): void {
    this.#reset(this.#term);
    this.#role = "leader";
    this.#leader = this.#c.id;
    this.#progress = new Map();
    const last = this.#log.lastIndex();
    for (const id of this.#members()) {
      const p = new Progress(last + 1);
      p.recentActive = true;
      if (id === this.#c.id) p.match = this.#stableLast();
      this.#progress.set(id, p);
    }
    // Conservatively: no conf change until everything now in the log commits.
    this.#pendingConfIndex = last;
    this.#termStartIndex = last + 1;
    this.#uncommittedBytes = 0;
    this.#appendLeader([NOOP_DATA]);
  }

  /** Last index already persisted (everything but unstable entries). */
  #stableLast(): number {
    return Math.min(this.#log.lastIndex(), this.#log.unstableOffset - 1);
  }

  #members(): NodeId[] {
    return [...this.#conf.voters, ...this.#conf.learners];
  }

  #committedInTerm(): boolean {
    return this.#role === "leader" && this.#log.committed >= this.#termStartIndex;
  }

  #handleVote(m: VoteMessage): void {
    const canVote = this.#vote === m.from ||
      (this.#vote === null && this.#leader === null) ||
      (m.pre && m.term > this.#term);
    const grant = canVote && this.#log.isUpToDate(m.lastIndex, m.lastTerm);
    // A pre-vote answer carries the candidate's proposed term when granted.
    const term = m.pre && grant ? m.term : this.#term;
    this.#send({
      type: "voteResp",
      from: this.#c.id,
      to: m.from,
      term,
      pre: m.pre,
      granted: grant,
    });
    if (grant && !m.pre) {
      this.#vote = m.from;
      this.#electionElapsed = 0;
    }
  }

  #stepCandidate(m: Message): void {
    switch (m.type) {
      case "append":
      case "heartbeat":
      case "snapshot":
        this.#becomeFollower(m.term, m.from);
        this.#stepFollower(m);
        return;
      case "voteResp": {
        if (m.pre !== (this.#role === "precandidate")) return;
        this.#votes.set(m.from, m.granted);
        const r = voteResult(this.#conf.voters, this.#votes);
        if (r === "won") {
          if (this.#role === "precandidate") this.#startCampaign(false, false);
          else this.#becomeLeader();
        } else if (r === "lost") {
          this.#becomeFollower(this.#term, null);
        }
        return;
      }
      case "timeoutNow":
        return;
      default:
        return;
    }
  }

  #stepFollower(m: Message): void {
    switch (m.type) {
      case "append":
        this.#electionElapsed = 0;
        this.#leader = m.from;
        this.#handleAppend(m);
        return;
      case "heartbeat":
        this.#electionElapsed = 0;
        this.#leader = m.from;
        this.#handleHeartbeat(m);
        return;
      case "snapshot":
        this.#electionElapsed = 0;
        this.#leader = m.from;
        this.#handleSnapshot(m.meta, m.from);
        return;
      case "timeoutNow":
        if (this.isVoter) this.#startCampaign(false, true);
        return;
      case "readIndexResp":
        for (const id of m.ids) this.#readStates.push({ id, index: m.index });
        this.#followerReadsSent = this.#followerReadsSent.filter((x) => !m.ids.includes(x));
        return;
      default:
        return;
    }
  }

  #handleAppend(m: AppendMessage): void {
    if (m.prevIndex < this.#log.committed) {
      this.#send({
        type: "appendResp",
        from: this.#c.id,
        to: m.from,
        term: this.#term,
        reject: false,
        index: this.#log.committed,
        hint: 0,
      });
      return;
    }
    const last = this.#log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (last >= 0) {
      this.#noteWrites();
      this.#send({
        type: "appendResp",
        from: this.#c.id,
        to: m.from,
        term: this.#term,
        reject: false,
        index: last,
        hint: 0,
      });
    } else {
      const hint = this.#log.findConflictByTerm(
        Math.min(m.prevIndex, this.#log.lastIndex()),
        m.prevTerm,
      );
      this.#send({
        type: "appendResp",
        from: this.#c.id,
        to: m.from,
        term: this.#term,
        reject: true,
        index: m.prevIndex,
        hint: hint + 1,
      });
    }
  }

  /**
   * After entries were written to the log (appended, or replacing a
   * suffix): hand them out again from the first index written, and rebuild
   * the configuration from the conf entries still in the log.
   */
  #noteWrites(): void {
    const from = this.#log.writtenFrom;
    if (from === Infinity) return;
    this.#log.writtenFrom = Infinity;
    if (from <= this.#handedOut) this.#handedOut = from - 1;
    const kept = this.#confHistory.filter((h) => h.index < from);
    if (kept.length !== this.#confHistory.length) {
      this.#confHistory = kept;
      this.#conf = kept.length > 0 ? kept[kept.length - 1].conf : this.#baseConf;
    }
    this.#scanConfs(from);
  }

  #handleHeartbeat(m: HeartbeatMessage): void {
    this.#log.commitTo(Math.min(m.commit, this.#log.lastIndex()));
    this.#send({
      type: "heartbeatResp",
      from: this.#c.id,
      to: m.from,
      term: this.#term,
      round: m.round,
      sentAt: m.sentAt,
    });
  }

  #handleSnapshot(meta: SnapshotMeta, from: NodeId): void {
    if (meta.index <= this.#log.committed) {
      this.#send({
        type: "appendResp",
        from: this.#c.id,
        to: from,
        term: this.#term,
        reject: false,
        index: this.#log.committed,
        hint: 0,
      });
      return;
    }
    if (this.#log.matchTerm(meta.index, meta.term)) {
      // We already hold the snapshot's last entry: just commit up to it.
      // Entries after it are not vouched for (they may be a stale suffix),
      // so neither the leader's commit nor the answer may go beyond it.
      this.#log.commitTo(meta.index);
    } else {
      this.#log.restore(meta);
      this.#snapshotHandedOut = false; // a newer snapshot replaces one being installed
      this.#handedOut = meta.index;
      this.#baseConf = cloneConf(meta.conf);
      this.#confHistory = [];
      this.#conf = this.#baseConf;
    }
    this.#send({
      type: "appendResp",
      from: this.#c.id,
      to: from,
      term: this.#term,
      reject: false,
      index: meta.index,
      hint: 0,
    });
  }

  #stepLeader(m: Message): void {
    const p = this.#progress.get(m.from);
    switch (m.type) {
      case "appendResp": {
        if (p === undefined) return;
        p.recentActive = true;
        if (m.reject) {
          if (m.index === 0 && m.hint === 0) return; // stale-term notice, handled by the term check
          let hint = m.hint;
          const t = this.#log.term(m.index);
          if (hint > m.index && t !== undefined) {
            // The follower holds m.index with a lower term than ours, so none
            // of our entries of term t can match: skip them all at once.
            hint = this.#log.findConflictByTerm(m.index, t - 1) + 1;
          }
          if (p.maybeDecrease(m.index, hint)) {
            if (p.state === "replicate") p.becomeProbe();
            this.#sendAppend(m.from);
          }
          return;
        }
        const wasPaused = p.isPaused(this.#c.maxInflightMsgs, this.#c.maxInflightBytes);
        if (p.maybeUpdate(m.index)) {
          if (p.state === "probe") p.becomeReplicate();
          else if (p.state === "snapshot" && p.match >= p.pendingSnapshot) p.becomeProbe();
          if (this.#maybeCommit()) this.#bcastAppend();
          else if (wasPaused) this.#sendAppend(m.from);
          while (this.#sendAppend(m.from, false)) { /* fill the window */ }
          this.#maybeFinishTransfer(m.from);
          this.#maybePromote(m.from);
        } else if (wasPaused) {
          this.#sendAppend(m.from);
        }
        return;
      }
      case "heartbeatResp": {
        if (p === undefined) return;
        p.recentActive = true;
        if (m.sentAt > p.ackedSentAt) p.ackedSentAt = m.sentAt;
        if (p.state === "probe") p.probeSent = false;
        if (
          p.state === "replicate" && p.isPaused(this.#c.maxInflightMsgs, this.#c.maxInflightBytes)
        ) {
          p.freeFirstInflight(); // the window may be full of lost messages
        }
        if (p.match < this.#log.lastIndex()) this.#sendAppend(m.from);
        if (m.round > 0) this.#ackRound(m.from, m.round);
        this.#maybePromote(m.from); // a learner may have caught up before the last change committed
        return;
      }
      case "readIndex":
        this.#leaderRead(m.from, m.ids);
        return;
      default:
        return;
    }
  }

  /** Sends entries (or a snapshot, or an empty commit update) to `to`; returns whether it sent entries. */
  #sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const p = this.#progress.get(to);
    if (p === undefined || to === this.#c.id) return false;
    if (p.isPaused(this.#c.maxInflightMsgs, this.#c.maxInflightBytes)) return false;
    const prevIndex = p.next - 1;
    const prevTerm = this.#log.term(prevIndex);
    if (prevTerm === undefined || p.next < this.#log.firstIndex()) {
      const snap = this.#c.storage.snapshot();
      if (snap === null) return false; // nothing to send yet
      p.becomeSnapshot(snap.index);
      this.#send({
        type: "snapshot",
        from: this.#c.id,
        to,
        term: this.#term,
        meta: snap,
        commit: this.#log.committed,
      });
      return false;
    }
    const entries = this.#log.slice(p.next, this.#log.lastIndex() + 1, this.#c.maxMsgBytes);
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of entries) bytes += e.data.length;
    this.#send({
      type: "append",
      from: this.#c.id,
      to,
      term: this.#term,
      prevIndex,
      prevTerm,
      entries,
      commit: this.#log.committed,
    });
    if (entries.length > 0) p.sentAppend(entries[entries.length - 1].index, bytes);
    else if (p.state === "probe") p.probeSent = true;
    return entries.length > 0;
  }

  #bcastAppend(): void {
    for (const id of this.#progress.keys()) if (id !== this.#c.id) this.#sendAppend(id);
  }

  #bcastHeartbeat(round: number): void {
    for (const [id, p] of this.#progress) {
      if (id === this.#c.id) continue;
      const hb: HeartbeatMessage = {
        type: "heartbeat",
        from: this.#c.id,
        to: id,
        term: this.#term,
        commit: Math.min(p.match, this.#log.committed),
        round,
        sentAt: this.#ticks,
      };
      this.#send(hb);
    }
  }

  #maybeCommit(): boolean {
    const matches = this.#conf.voters.map((v) => this.#progress.get(v)?.match ?? 0);
    const q = quorumIndex(matches);
    // Only an entry of the current term commits by counting (thesis 3.6.2).
    if (q <= this.#log.committed || this.#log.term(q) !== this.#term) return false;
    const before = this.#log.committed;
    this.#log.commitTo(q);
    for (const e of this.#log.slice(Math.max(before + 1, this.#log.firstIndex()), q + 1)) {
      this.#uncommittedBytes = Math.max(0, this.#uncommittedBytes - e.data.length);
    }
    if (this.#committedInTerm() && this.#readsWaitingForCommit.length > 0) {
      const waiting = this.#readsWaitingForCommit;
      this.#readsWaitingForCommit = [];
      for (const w of waiting) this.#leaderRead(w.from, w.ids);
    }
    return true;
  }

  #maybeFinishTransfer(from: NodeId): void {
    if (this.#transferee === from && this.#progress.get(from)?.match === this.#log.lastIndex()) {
      this.#timeoutNowSent = true;
      this.#send({ type: "timeoutNow", from: this.#c.id, to: from, term: this.#term });
    }
  }

  #maybePromote(from: NodeId): void {
    if (!this.#c.autoPromote || !this.#conf.learners.includes(from)) return;
    const p = this.#progress.get(from) as Progress;
    if (p.match < this.#log.committed) return;
    if (this.#pendingConfIndex > this.#log.committed || !this.#committedInTerm()) return;
    if (this.#transferee !== null) return;
    this.#appendLeader([
      encodeConf(applyConfChange(this.#conf, { type: "promote", node: from }, this.#c.id)),
    ]);
  }

  // ------------------------------------------------------------------ reads

  #leaderRead(from: NodeId | null, ids: number[]): void {
    if (!this.#committedInTerm()) {
      this.#readsWaitingForCommit.push({ from, ids });
      return;
    }
    if (this.#conf.voters.length === 1 && this.#conf.voters[0] === this.#c.id) {
      this.#answerReads(from, ids, this.#log.committed);
      return;
    }
    let r = this.#openRound;
    if (r === null) {
      r = {
        round: this.#nextRound++,
        index: 0,
        local: [],
        remote: new Map(),
        acks: new Set([this.#c.id]),
      };
      this.#openRound = r;
    }
    r.index = Math.max(r.index, this.#log.committed);
    if (from === null) r.local.push(...ids);
    else r.remote.set(from, [...(r.remote.get(from) ?? []), ...ids]);
  }

  #answerReads(from: NodeId | null, ids: number[], index: number): void {
    if (from === null) { for (const id of ids) this.#readStates.push({ id, index }); }
    else {this.#send({
        type: "readIndexResp",
        from: this.#c.id,
        to: from,
        term: this.#term,
        ids,
        index,
      });}
  }

  /** Sends pending read work: the open round's heartbeats, followers' read requests. */
  #flushReads(): void {
    if (this.#openRound !== null) {
      this.#readRounds.push(this.#openRound);
      this.#bcastHeartbeat(this.#openRound.round);
      this.#openRound = null;
    }
    if (this.#followerReads.length > 0) {
      if (this.#leader !== null && this.#role !== "leader") {
        this.#send({
          type: "readIndex",
          from: this.#c.id,
          to: this.#leader,
          term: this.#term,
          ids: this.#followerReads,
        });
        this.#followerReadsSent.push(...this.#followerReads);
      } else {
        for (const id of this.#followerReads) this.#readStates.push({ id, index: 0 });
      }
      this.#followerReads = [];
    }
  }

  #ackRound(from: NodeId, round: number): void {
    if (!this.#conf.voters.includes(from)) return;
    // An ack of round R answers a heartbeat sent after every round <= R began.
    for (const r of this.#readRounds) if (r.round <= round) r.acks.add(from);
    const quorum = Math.floor(this.#conf.voters.length / 2) + 1;
    while (this.#readRounds.length > 0) {
      const r = this.#readRounds[0];
      if (this.#conf.voters.filter((v) => r.acks.has(v)).length < quorum) break;
      this.#readRounds.shift();
      if (r.local.length > 0) this.#answerReads(null, r.local, r.index);
      for (const [to, ids] of r.remote) this.#answerReads(to, ids, r.index);
    }
  }

  #failPendingReads(): void {
    const failLocal = (ids: number[]) => {
      for (const id of ids) this.#readStates.push({ id, index: 0 });
    };
    const rounds = this.#openRound === null
      ? this.#readRounds
      : [...this.#readRounds, this.#openRound];
    for (const r of rounds) {
      failLocal(r.local);
      for (const [to, ids] of r.remote) {
        this.#send({
          type: "readIndexResp",
          from: this.#c.id,
          to,
          term: this.#term,
          ids,
          index: 0,
        });
      }
    }
    for (const w of this.#readsWaitingForCommit) {
      if (w.from === null) failLocal(w.ids);
      else {this.#send({
          type: "readIndexResp",
          from: this.#c.id,
          to: w.from,
          term: this.#term,
          ids: w.ids,
          index: 0,
        });}
    }
    failLocal(this.#followerReads);
    failLocal(this.#followerReadsSent);
    this.#readRounds = [];
    this.#openRound = null;
    this.#readsWaitingForCommit = [];
    this.#followerReads = [];
    this.#followerReadsSent = [];
  }

  // ------------------------------------------------------------- membership

  #addConf(index: number, conf: ConfState): void {
    this.#confHistory.push({ index, conf });
    this.#conf = conf;
    if (this.#role === "leader") {
      for (const id of [...conf.voters, ...conf.learners]) {
        if (!this.#progress.has(id)) {
          const p = new Progress(this.#log.lastIndex() + 1);
          p.recentActive = true;
          this.#progress.set(id, p);
        }
      }
      for (const id of [...this.#progress.keys()]) {
        if (!conf.voters.includes(id) && !conf.learners.includes(id) && id !== this.#c.id) {
          this.#progress.delete(id);
        }
      }
    }
  }

  #onConfCommitted(index: number): void {
    if (index === this.#pendingConfIndex && this.#role === "leader") {
      // A leader that removed itself steps down once the removal commits.
      if (!this.#conf.voters.includes(this.#c.id)) this.#becomeFollower(this.#term, null);
    }
  }

  #loadConfHistory(): void {
    this.#confHistory = [];
    this.#conf = this.#baseConf;
    this.#scanConfs(this.#log.firstIndex());
  }

  /** Records the configuration entries of the log from `from` on. */
  #scanConfs(from: number): void {
    const last = this.#log.lastIndex();
    for (let lo = from; lo <= last;) {
      const batch = this.#log.slice(lo, last + 1, 8 << 20);
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.data[0] === ENTRY_CONF) this.#addConf(e.index, decodeConf(e.data));
      }
      lo = batch[batch.length - 1].index + 1;
    }
  }

  #send(m: Message): void {
    this.#msgs.push(m);
  }
}

function cloneConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

/**
 * The configuration after a change, or a ProposalError explaining why not.
 *
 * @param conf Current configuration.
 * @param change The change.
 * @param self The leader's id (it may not remove the last voter).
 * @returns The new configuration.
 * @throws {ProposalError} With reason "conf-invalid".
 */
export function applyConfChange(conf: ConfState, change: ConfChange, self: NodeId): ConfState {
  const voters = [...conf.voters];
  const learners = [...conf.learners];
  const known = voters.includes(change.node) || learners.includes(change.node);
  switch (change.type) {
    case "addLearner":
      if (known) throw new ProposalError("conf-invalid", "peer already known");
      learners.push(change.node);
      break;
    case "promote":
      if (!learners.includes(change.node)) {
        throw new ProposalError("conf-invalid", `${change.node} is not a learner`);
      }
      learners.splice(learners.indexOf(change.node), 1);
      voters.push(change.node);
      break;
    case "remove":
      if (!known) throw new ProposalError("conf-invalid", "peer is unknown");
      if (voters.length === 1 && voters[0] === change.node) {
        throw new ProposalError("conf-invalid", "cannot remove the last voter");
      }
      if (voters.includes(change.node)) voters.splice(voters.indexOf(change.node), 1);
      else learners.splice(learners.indexOf(change.node), 1);
      break;
  }
  void self;
  return { voters, learners };
}

export { RaftInvariantError };
