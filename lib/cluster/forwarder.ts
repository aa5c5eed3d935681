/**
 * The cluster's write path (`Proposer`): on the leader a write goes straight
 * into the Raft log; on a follower it is forwarded to the leader as
 * `RAFTPROPOSE <protocol> <operation>`, whose reply is `[index, reply]`. The
 * follower relays the reply byte for byte once it has applied that index
 * itself, so a client that reads from the follower right after sees its
 * own write. With `--redirect` a follower answers `-TRY <leader>` instead.
 *
 * While no leader is known a write waits up to one election timeout for
 * one, then gets `ERR leader not known`.
 *
 * @module
 */

import type { NodeId } from "../raft/mod.ts";
import {
  RawReply,
  type Reply,
  replyEnd,
  ReplyError,
  RespEncoder,
  writeReply,
} from "../resp/mod.ts";
import type { Proposal, Proposer } from "../server/dispatch.ts";
import { decodeOperation, encodeOperation } from "../server/operation.ts";
import { PeerUnavailableError } from "./peer_connection.ts";
import { NO_LEADER, PendingProposal, type RaftDriver } from "./raft_driver.ts";
import type { Transport } from "./transport.ts";

/** Error a node that is not the leader (any more) answers RAFTPROPOSE with. */
export const NOT_LEADER_PREFIX = "BTRNOTLEADER";
const TD = new TextDecoder();
const MAX_ATTEMPTS = 5;
/** How long a follower waits to apply a forwarded write before relaying its reply anyway. */
const CATCH_UP_MS = 10_000;

/** Options of {@linkcode ClusterProposer}. */
export interface ClusterProposerOptions {
  /** The Raft driver. */
  driver: RaftDriver;
  /** Connections to the peers. */
  transport: Transport;
  /** Answer `-TRY leader` instead of forwarding. */
  redirect: boolean;
  /** Time to stamp on a new operation (ms, never below the last applied one). */
  now: () => number;
}

/** Proposes locally on the leader, forwards elsewhere. */
export class ClusterProposer implements Proposer {
  #o: ClusterProposerOptions;

  /**
   * Creates the proposer.
   *
   * @param options Driver, transport, mode.
   */
  constructor(options: ClusterProposerOptions) {
    this.#o = options;
  }

  /**
   * See {@linkcode Proposer.propose}.
   *
   * @param op The commands.
   * @returns The proposal.
   */
  propose(op: { transaction: boolean; cmds: Uint8Array[][]; protocol?: 2 | 3 }): Proposal {
    const d = this.#o.driver;
    if (d.isLeader) return d.proposeLocal(op, this.#o.now());
    const p = new PendingProposal({ time: 0, transaction: op.transaction, cmds: op.cmds }, false);
    this.#forward(p, op.protocol ?? 2).catch((e) =>
      p.finish(new ReplyError(`ERR ${(e as Error).message}`), false)
    );
    return p;
  }

  /**
   * Runs a forwarded write on the leader (RAFTPROPOSE).
   *
   * @param protocol The client's protocol, to encode the reply in.
   * @param data The encoded operation (its time is replaced here).
   * @returns `[index, raw reply]`, or an error.
   */
  async proposeForwarded(protocol: 2 | 3, data: Uint8Array): Promise<Reply> {
    const d = this.#o.driver;
    if (!d.isLeader) {
      return new ReplyError(`${NOT_LEADER_PREFIX} ${d.leader ?? ""}`.trimEnd());
    }
    let op;
    try {
      op = decodeOperation(data);
    } catch {
      return new ReplyError("ERR malformed forwarded operation");
    }
    const p = d.proposeLocal(op, this.#o.now());
    const reply = await p.reply;
    if (p.index === 0) return reply; // never reached the log
    const enc = new RespEncoder();
    enc.protocol = protocol;
    writeReply(enc, reply);
    return [p.index, new RawReply(enc.take())];
  }

  async #forward(p: PendingProposal, protocol: 2 | 3): Promise<void> {
    const { driver: d, transport } = this.#o;
    const data = encodeOperation(p.op);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const leader = d.leader ?? await d.waitForLeader(d.electionTimeoutMs);
      if (leader === null) return p.finish(new ReplyError(NO_LEADER), false);
      if (leader === d.id) {
        const local = d.proposeLocal(p.op, this.#o.now());
        let applied = false;
        local.afterApply((ok) => (applied = ok));
        local.reply.then((r) => p.finish(r, applied));
        return;
      }
      if (this.#o.redirect) return p.finish(new ReplyError(`TRY ${leader}`), false);
      let raw: Uint8Array;
      try {
        raw = await transport.request(leader, ["RAFTPROPOSE", String(protocol), data]);
      } catch (e) {
        if (e instanceof PeerUnavailableError && e.maybeDelivered) {
          return p.finish(
            new ReplyError("TRYAGAIN connection to the leader lost; the write may have happened"),
            false,
          );
        }
        await this.#leaderChange(leader);
        continue;
      }
      if (raw[0] === 45 /* - */) {
        const text = TD.decode(raw.subarray(1, Math.min(raw.length - 2, 1 + 64)));
        if (text.startsWith(NOT_LEADER_PREFIX)) {
          await this.#leaderChange(leader);
          continue;
        }
        return p.finish(new RawReply(raw), false);
      }
      const relayed = this.#parse(raw);
      if (relayed === null) {
        return p.finish(new ReplyError("ERR malformed reply from the leader"), false);
      }
      // Relay once applied here too (so this connection reads its own
      // write); if this node cannot catch up in time, relay anyway, and
      // the reads queued behind the write get an error instead.
      const reply = new RawReply(relayed.reply);
      const timer = setTimeout(() => p.finish(reply, false), CATCH_UP_MS);
      d.whenApplied(relayed.index, (ok) => {
        clearTimeout(timer);
        p.finish(reply, ok);
      });
      return;
    }
    p.finish(new ReplyError(NO_LEADER), false);
  }

  /** Waits (up to an election timeout) until the leader is someone other than `old`. */
  async #leaderChange(old: NodeId): Promise<void> {
    const d = this.#o.driver;
    const deadline = performance.now() + d.electionTimeoutMs;
    while (performance.now() < deadline && (d.leader === old || d.leader === null)) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Splits `*2 :index <reply>`. */
  #parse(raw: Uint8Array): { index: number; reply: Uint8Array } | null {
    if (raw[0] !== 42 /* * */ || raw[1] !== 50 || raw[4] !== 58 /* : */) return null;
    let i = 5;
    let index = 0;
    while (i < raw.length && raw[i] !== 13) index = index * 10 + raw[i++] - 48;
    const start = i + 2;
    const end = replyEnd(raw, start);
    if (end !== raw.length || !(index > 0)) return null;
    return { index, reply: raw.subarray(start) };
  }
}
