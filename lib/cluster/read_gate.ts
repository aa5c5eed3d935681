/**
 * The `--consistency` gate in front of reads: `low` reads the local store
 * at once (possibly stale on a follower); `medium` reads at once on a
 * leader holding its lease, else takes the ReadIndex path; `high` always
 * confirms leadership with a quorum (ReadIndex, one round shared by every
 * read waiting at the time) and reads once this node has applied up to
 * the leader's commit index. A follower runs ReadIndex through the leader
 * and then reads its own store, so reads scale across nodes. With
 * `--redirect`, a follower answers `-TRY <leader>` to reads above `low`.
 * While a snapshot from the leader replaces the keyspace, reads at every
 * level wait for it to finish.
 *
 * @module
 */

import type { Level } from "../cli/mod.ts";
import { ReplyError } from "../resp/mod.ts";
import type { ReadGate } from "../server/dispatch.ts";
import type { RaftDriver } from "./raft_driver.ts";

/** The read consistency gate of a cluster node. */
export class ConsistencyGate implements ReadGate {
  #driver: RaftDriver;
  #level: Level;
  #redirect: boolean;

  /**
   * Creates the gate.
   *
   * @param driver The Raft driver.
   * @param level The consistency level.
   * @param redirect Whether followers redirect instead of serving.
   */
  constructor(driver: RaftDriver, level: Level, redirect: boolean) {
    this.#driver = driver;
    this.#level = level;
    this.#redirect = redirect;
  }

  /**
   * See {@linkcode ReadGate.barrier}.
   *
   * @returns Null, or a promise for null or the error to answer.
   */
  barrier(): Promise<ReplyError | null> | null {
    const d = this.#driver;
    // Never a half-replaced keyspace, whatever the level.
    if (d.installing) return d.whenInstalled().then(() => this.barrier());
    if (this.#level === "low") return null;
    const core = d.core;
    if (core.role === "leader") {
      d.syncClock(); // after a pause the lease must show its real age
      // A sole voter's lease is its own: nobody else can lead.
      if (core.leaseValid() && (this.#level === "medium" || core.conf.voters.length === 1)) {
        return null;
      }
    } else if (this.#redirect && d.leader !== null) {
      return Promise.resolve(new ReplyError(`TRY ${d.leader}`));
    }
    return d.readIndex();
  }
}
