/**
 * Active expiry, the way Redis does it: ten times a second, sample keys that
 * have an expiry; the ones past their time are deleted by a replicated
 * operation (`__expire k ...`) through the normal write path, and every node
 * re-checks them against the time stamped in it. If many sampled keys had
 * expired, the next round starts at once.
 *
 * @module
 */

import type { BitcaskStore } from "../bitcask/mod.ts";
import { bytesToBinary } from "../bitcask/bytes.ts";
import type { Proposer } from "../server/dispatch.ts";
import { EXPIRE_SWEEP } from "../server/commands/internal.ts";

const SAMPLE = 20;
const TE = new TextEncoder();

/** Runs the active-expiry cycle. */
export class ExpiryCycle {
  #store: BitcaskStore;
  #proposer: Proposer;
  #interval: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<unknown> | null = null;
  #stopped = true;
  #active: () => boolean;
  /** Keys deleted by the cycle since start. */
  expiredKeys = 0;

  /**
   * Creates the cycle.
   *
   * @param store The store to sample.
   * @param proposer Where deletions go.
   * @param intervalMs Time between rounds.
   * @param active Whether this node should run rounds now (only the leader does).
   */
  constructor(
    store: BitcaskStore,
    proposer: Proposer,
    intervalMs = 100,
    active: () => boolean = () => true,
  ) {
    this.#store = store;
    this.#proposer = proposer;
    this.#interval = intervalMs;
    this.#active = active;
  }

  /** Starts the rounds. */
  start(): void {
    this.#stopped = false;
    this.#schedule(this.#interval);
  }

  /** Stops the rounds and waits for the one in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
  }

  #schedule(ms: number): void {
    if (!this.#stopped) this.#timer = setTimeout(() => this.#round(), ms);
  }

  #round(): void {
    if (!this.#active()) {
      this.#schedule(this.#interval);
      return;
    }
    const now = Date.now();
    const seen = new Set<string>();
    const keys: Uint8Array[] = [];
    let sampled = 0;
    for (const { key, expiresAt } of this.#store.sampleExpiring(SAMPLE, Math.random)) {
      sampled++;
      const id = bytesToBinary(key);
      if (now > expiresAt && !seen.has(id)) {
        seen.add(id);
        keys.push(key);
      }
    }
    if (keys.length === 0) {
      this.#schedule(this.#interval);
      return;
    }
    const p = this.#proposer.propose({
      transaction: false,
      cmds: [[TE.encode(EXPIRE_SWEEP), ...keys]],
    });
    this.#inFlight = p.reply.then((r) => {
      if (typeof r === "number") this.expiredKeys += r;
      this.#inFlight = null;
      this.#schedule(keys.length * 4 > sampled ? 0 : this.#interval);
    });
  }
}
