/**
 * Joining a cluster (`--join addr`): ask `addr` to add this node with
 * `RAFTADDPEER <self>`. A follower forwards it to the leader (or answers
 * `-TRY leader`, which is followed); while the cluster has no leader or is
 * busy with another change, the request is retried. Gives up after a
 * while with the last reason.
 *
 * @module
 */

import type { NodeId } from "../raft/mod.ts";
import type { Logger } from "./logger.ts";
import { PeerConnection } from "./peer_connection.ts";
import { command } from "./resp_command.ts";

/** Options of {@linkcode joinCluster}. */
export interface JoinOptions {
  /** Cluster password, or null. */
  password: string | null;
  /** CA certificates for TLS peers, or null for plain TCP. */
  tlsCa: string[] | null;
  /** Log sink. */
  log: Logger;
  /** Give up after this long (ms). @default {30000} */
  timeoutMs?: number;
}

const RETRYABLE = /TRYAGAIN|leader not known|try again|in progress|shutting down/i;

/**
 * Asks the cluster `addr` belongs to to add `self`.
 *
 * @param addr A member's address.
 * @param self This node's address.
 * @param o Password, TLS, log, time limit.
 * @throws {Error} With the reason when the cluster refused or could not be reached.
 */
export async function joinCluster(addr: string, self: NodeId, o: JoinOptions): Promise<void> {
  const deadline = performance.now() + (o.timeoutMs ?? 30_000);
  let target = addr;
  let last = "no answer";
  while (performance.now() < deadline) {
    const conn = new PeerConnection(target, {
      password: o.password,
      tlsCa: o.tlsCa,
      maxQueued: 1 << 20,
      log: (m) => o.log.verbose(m),
    });
    let text: string | null = null;
    try {
      const left = Math.max(100, deadline - performance.now());
      const raw = await Promise.race([
        conn.request(command(["RAFTADDPEER", self])),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no answer from ${target}`)), Math.min(left, 10_000))
        ),
      ]);
      text = new TextDecoder().decode(raw).trim();
    } catch (e) {
      last = (e as Error).message;
    } finally {
      await conn.close();
    }
    if (text !== null) {
      if (text === "+OK") return;
      if (text.startsWith("-TRY ")) {
        target = text.slice(5).trim();
        continue;
      }
      last = text.replace(/^-/, "");
      if (!RETRYABLE.test(text)) throw new Error(last);
    }
    o.log.verbose(`join: ${last}; retrying`);
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(last);
}
