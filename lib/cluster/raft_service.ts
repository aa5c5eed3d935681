/**
 * What the RAFT* commands and WAIT do on a node: membership changes and
 * transfers run on the leader (a follower forwards them, or answers
 * `-TRY <leader>` with `--redirect`); the rest report this node's view.
 *
 * @module
 */

import { decodeMessages, type NodeId } from "../raft/mod.ts";
import { OK, RawReply, type Reply, ReplyError } from "../resp/mod.ts";
import type { ClusterServices } from "../server/command.ts";
import type { ClusterProposer } from "./forwarder.ts";
import { PeerUnavailableError } from "./peer_connection.ts";
import { NO_LEADER, type RaftDriver } from "./raft_driver.ts";
import { checkRecordsFile, type SnapshotReceiver } from "./snapshot_transfer.ts";
import type { Transport } from "./transport.ts";

/** Options of {@linkcode RaftService}. */
export interface RaftServiceOptions {
  /** The Raft driver. */
  driver: RaftDriver;
  /** Connections to peers. */
  transport: Transport;
  /** The write path (runs RAFTPROPOSE). */
  proposer: ClusterProposer;
  /** Followers answer -TRY instead of forwarding. */
  redirect: boolean;
  /** Called when the leader says this node was removed. */
  onRemoved: (by: string) => void;
  /** Takes a snapshot of this node's keyspace. */
  takeSnapshot: () => Promise<unknown>;
  /** Compacts this node's log now. */
  shrinkLog: () => Promise<number>;
  /** Where snapshots streamed by the leader arrive. */
  receiver: SnapshotReceiver;
}

/** Implements the cluster commands. */
export class RaftService implements ClusterServices {
  #o: RaftServiceOptions;

  /**
   * Creates the service.
   *
   * @param options Driver, transport, proposer, mode.
   */
  constructor(options: RaftServiceOptions) {
    this.#o = options;
  }

  /**
   * RAFTMSG.
   *
   * @param batch Encoded messages.
   * @returns OK, or an error for a malformed batch.
   */
  receive(batch: Uint8Array): Reply {
    let msgs;
    try {
      msgs = decodeMessages(batch);
    } catch {
      return new ReplyError("ERR malformed Raft message batch");
    }
    const self = this.#o.driver.id;
    this.#o.driver.receive(msgs.filter((m) => m.to === self));
    return OK;
  }

  /**
   * RAFTPROPOSE.
   *
   * @param protocol Reply protocol.
   * @param op Encoded operation.
   * @returns `[index, reply]` or an error.
   */
  propose(protocol: 2 | 3, op: Uint8Array): Promise<Reply> {
    return this.#o.proposer.proposeForwarded(protocol, op);
  }

  /**
   * RAFTADDPEER.
   *
   * @param addr The new node.
   * @returns OK or an error.
   */
  addPeer(addr: string): Promise<Reply> {
    return this.#onLeader(["RAFTADDPEER", addr], async () => {
      const c = this.#o.driver.core.conf;
      if (c.voters.includes(addr) || c.learners.includes(addr)) return OK;
      return await this.#o.driver.changeMembership({ type: "addLearner", node: addr }) ?? OK;
    });
  }

  /**
   * RAFTREMOVEPEER.
   *
   * @param addr The node to remove.
   * @returns OK or an error.
   */
  removePeer(addr: string): Promise<Reply> {
    return this.#onLeader(["RAFTREMOVEPEER", addr], async () => {
      const c = this.#o.driver.core.conf;
      if (!c.voters.includes(addr) && !c.learners.includes(addr)) {
        return new ReplyError(`ERR ${addr} is not a member of this cluster`);
      }
      const err = await this.#o.driver.changeMembership({ type: "remove", node: addr });
      if (err !== null) return err;
      // The removed node gets no more messages; tell it, so it stops.
      if (addr !== this.#o.driver.id) this.#tellRemoved(addr);
      return OK;
    });
  }

  /**
   * RAFTREMOVED: the leader removed this node.
   *
   * @param by The leader's address.
   * @returns OK, or an error when `by` is not this node's leader.
   */
  removed(by: string): Reply {
    const d = this.#o.driver;
    if (d.isLeader || (d.leader !== null && d.leader !== by)) {
      return new ReplyError(`ERR ${by} is not this node's leader`);
    }
    this.#o.onRemoved(by);
    return OK;
  }

  /**
   * Tells a removed node so it stops, retrying for a minute while it is
   * unreachable (a node that never hears it only pre-votes, harmlessly).
   */
  async #tellRemoved(addr: string): Promise<void> {
    const d = this.#o.driver;
    for (let attempt = 0; attempt < 12 && !d.stopped; attempt++) {
      const reply = await this.#o.transport.request(addr, ["RAFTREMOVED", d.id]).catch(() => null);
      if (reply !== null) break;
      await new Promise((r) => setTimeout(r, 5000));
      if (this.#members().includes(addr)) return; // added back meanwhile
    }
    this.#o.transport.retain(this.#members());
  }

  #members(): string[] {
    const c = this.#o.driver.core.conf;
    return [...c.voters, ...c.learners];
  }

  /**
   * RAFTTRANSFER.
   *
   * @param addr Target, or null for the most up-to-date voter.
   * @returns OK once another node leads, or an error.
   */
  transfer(addr: string | null): Promise<Reply> {
    const argv = addr === null ? ["RAFTTRANSFER"] : ["RAFTTRANSFER", addr];
    return this.#onLeader(argv, async () => await this.#o.driver.transfer(addr) ?? OK);
  }

  /**
   * RAFTSNAPCHUNK.
   *
   * @param id Transfer id.
   * @param seq Chunk number.
   * @param bytes The chunk.
   * @returns OK, or an error.
   */
  snapshotChunk(id: string, seq: number, bytes: Uint8Array): Reply {
    const err = this.#o.receiver.chunk(id, seq, bytes);
    return err === null ? OK : new ReplyError(`ERR ${err}`);
  }

  /**
   * RAFTSNAPDONE: the transfer is complete; the snapshot message goes to the core.
   *
   * @param id Transfer id.
   * @param message The encoded snapshot message.
   * @param size Bytes the leader sent.
   * @param crc Their CRC-64.
   * @returns OK, or an error.
   */
  async snapshotDone(
    id: string,
    message: Uint8Array,
    size: number,
    crc: string,
  ): Promise<Reply> {
    let msgs;
    try {
      msgs = decodeMessages(message);
    } catch {
      return new ReplyError("ERR malformed Raft message batch");
    }
    const m = msgs[0];
    if (msgs.length !== 1 || m.type !== "snapshot" || m.to !== this.#o.driver.id) {
      return new ReplyError("ERR expected one snapshot message for this node");
    }
    const receiver = this.#o.receiver;
    const err = receiver.finish(id, m.meta, size, crc);
    if (err !== null) return new ReplyError(`ERR ${err}`);
    try {
      await checkRecordsFile(receiver.fileFor(m.meta) as string);
    } catch (e) {
      receiver.discard(m.meta);
      return new ReplyError(`ERR damaged snapshot: ${(e as Error).message}`);
    }
    this.#o.driver.receive([m]);
    return OK;
  }

  /**
   * RAFTSNAPSHOT: a snapshot of this node's keyspace at its applied index.
   *
   * @returns OK once written.
   */
  async snapshot(): Promise<Reply> {
    try {
      await this.#o.takeSnapshot();
      return OK;
    } catch (e) {
      return new ReplyError(`ERR snapshot failed: ${(e as Error).message}`);
    }
  }

  /**
   * RAFTSHRINKLOG: compacts this node's log now.
   *
   * @returns OK.
   */
  async shrinkLog(): Promise<Reply> {
    try {
      await this.#o.shrinkLog();
      return OK;
    } catch (e) {
      return new ReplyError(`ERR cannot compact the log: ${(e as Error).message}`);
    }
  }

  /** @returns The leader's address, or null. */
  leader(): string | null {
    return this.#o.driver.leader;
  }

  /** @returns This node's state. */
  state(): string {
    return this.#stateOf(this.#o.driver.id);
  }

  /** @returns RAFTSTATS pairs. */
  stats(): [string, string][] {
    const d = this.#o.driver;
    const core = d.core;
    const c = core.conf;
    const { first } = d.logRange;
    const snapIndex = first - 1;
    return [
      ["applied_index", String(d.appliedIndex)],
      ["commit_index", String(core.committed)],
      ["fsm_pending", String(Math.max(0, core.committed - d.appliedIndex))],
      ["last_log_index", String(core.lastIndex)],
      ["last_log_term", String(core.lastTerm)],
      ["last_snapshot_index", String(snapIndex)],
      ["last_snapshot_term", String(core.firstIndex > 1 ? d.termOf(snapIndex) : 0)],
      ["first_log_index", String(first)],
      ["num_peers", String(Math.max(0, c.voters.length + c.learners.length - 1))],
      ["num_voters", String(c.voters.length)],
      ["num_learners", String(c.learners.length)],
      ["state", this.state()],
      ["term", String(core.term)],
      ["leader", d.leader ?? ""],
      [
        "last_contact",
        d.isLeader ? "0" : d.lastContact === 0 ? "never" : `${Date.now() - d.lastContact}ms`,
      ],
    ];
  }

  /** @returns Address and state of every member. */
  peers(): [string, string][] {
    const c = this.#o.driver.core.conf;
    return [...c.voters, ...c.learners].map((id) => [id, this.#stateOf(id)]);
  }

  /**
   * WAIT: how many members hold every write acknowledged so far, waiting
   * until at least `n` do or `timeoutMs` passes (0: no limit).
   *
   * @param n Nodes wanted (this node included).
   * @param timeoutMs Limit.
   * @returns The count.
   */
  async wait(n: number, timeoutMs: number): Promise<number> {
    const d = this.#o.driver;
    if (!d.isLeader) {
      const leader = d.leader ?? await d.waitForLeader(d.electionTimeoutMs);
      if (leader === null) throw new ReplyError(NO_LEADER);
      const raw = await this.#o.transport.request(leader, ["WAIT", String(n), String(timeoutMs)]);
      const text = new TextDecoder().decode(raw).trim();
      if (text.startsWith(":")) return Number(text.slice(1));
      throw new ReplyError(text.startsWith("-") ? text.slice(1) : "ERR bad reply from the leader");
    }
    const target = d.core.lastIndex;
    const deadline = timeoutMs === 0 ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      const count = this.#holding(target);
      if (count >= n || performance.now() >= deadline || !d.isLeader || d.stopped) return count;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  #holding(index: number): number {
    const core = this.#o.driver.core;
    const c = core.conf;
    let n = 0;
    for (const id of [...c.voters, ...c.learners]) {
      if ((core.progressOf(id)?.match ?? 0) >= index) n++;
    }
    return n;
  }

  #stateOf(id: NodeId): string {
    const d = this.#o.driver;
    if (id === d.id) {
      if (d.stopped) return "Shutdown";
      const role = d.core.role;
      if (role === "leader") return "Leader";
      if (role === "candidate" || role === "precandidate") return "Candidate";
      return d.core.conf.learners.includes(id) ? "Learner" : "Follower";
    }
    if (id === d.leader) return "Leader";
    return d.core.conf.learners.includes(id) ? "Learner" : "Follower";
  }

  /** Runs `fn` on the leader: here, or forwarded (or redirected). */
  async #onLeader(argv: string[], fn: () => Promise<Reply>): Promise<Reply> {
    const d = this.#o.driver;
    if (d.isLeader) return await fn();
    const leader = d.leader ?? await d.waitForLeader(d.electionTimeoutMs);
    if (leader === null) return new ReplyError(NO_LEADER);
    if (leader === d.id) return await fn();
    if (this.#o.redirect) return new ReplyError(`TRY ${leader}`);
    try {
      return new RawReply(await this.#o.transport.request(leader, argv));
    } catch (e) {
      if (e instanceof PeerUnavailableError) {
        return new ReplyError(`TRYAGAIN cannot reach the leader ${leader}: ${e.message}`);
      }
      throw e;
    }
  }
}
