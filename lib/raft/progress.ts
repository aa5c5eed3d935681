/**
 * The leader's view of each follower: how much of the log it holds and how
 * to send it more (probe one message at a time until a match is found, then
 * replicate optimistically with a bounded window of messages in flight, or
 * wait for a snapshot to land).
 *
 * @module
 */

/** How the leader talks to a follower. */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** Replication state of one follower (or of the leader itself). */
export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** Sending mode. */
  state: ProgressState = "probe";
  /** Probe: a message is in flight, wait for its answer (or a heartbeat response). */
  probeSent = false;
  /** Snapshot: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Last indexes of the append messages in flight (replicate), oldest first. */
  inflight: number[] = [];
  /** Bytes of each message in flight. */
  inflightBytes: number[] = [];
  /** Sum of inflightBytes. */
  bytesInFlight = 0;
  /** Leader tick of the latest heartbeat this follower acknowledged (for the lease). */
  ackedSentAt = -Infinity;

  /**
   * Creates a progress.
   *
   * @param next First index to try.
   */
  constructor(next: number) {
    this.next = next;
  }

  /**
   * Switches to probing from `match + 1`.
   */
  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = "probe";
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.#clearInflight();
  }

  /** Switches to optimistic replication. */
  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.#clearInflight();
  }

  /**
   * Switches to waiting for a snapshot.
   *
   * @param index Index the snapshot covers.
   */
  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.pendingSnapshot = index;
    this.probeSent = false;
    this.#clearInflight();
  }

  /**
   * Records an acknowledged match.
   *
   * @param index The follower's matching index.
   * @returns Whether anything advanced.
   */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < index + 1) this.next = index + 1;
    this.#freeInflightTo(index);
    return updated;
  }

  /**
   * Handles a rejection: back off `next`.
   *
   * @param rejected The prevIndex that did not match.
   * @param hint Where the follower suggests trying.
   * @returns False if the rejection is stale and was ignored.
   */
  maybeDecrease(rejected: number, hint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    const next = Math.max(Math.min(rejected, hint), this.match + 1, 1);
    if (next === this.next) return false;
    this.next = next;
    this.probeSent = false;
    return true;
  }

  /**
   * Records a sent append (replicate state).
   *
   * @param last Last index the message carried.
   * @param bytes Its size.
   */
  sentAppend(last: number, bytes: number): void {
    if (this.state === "replicate") {
      this.inflight.push(last);
      this.inflightBytes.push(bytes);
      this.bytesInFlight += bytes;
      this.next = last + 1;
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /**
   * Whether the leader should hold back further appends.
   *
   * @param maxMsgs Most messages in flight.
   * @param maxBytes Most bytes in flight.
   * @returns True when paused.
   */
  isPaused(maxMsgs: number, maxBytes: number): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflight.length >= maxMsgs || this.bytesInFlight >= maxBytes;
      default:
        return true;
    }
  }

  /**
   * Frees the oldest message in flight (replicate), so that one more append
   * can go out: a heartbeat answer proves the follower is reachable, and if
   * the whole window was lost, that append's rejection restarts probing.
   */
  freeFirstInflight(): void {
    if (this.inflight.length === 0) return;
    this.bytesInFlight -= this.inflightBytes[0];
    this.inflight.shift();
    this.inflightBytes.shift();
  }

  #freeInflightTo(index: number): void {
    let n = 0;
    while (n < this.inflight.length && this.inflight[n] <= index) {
      this.bytesInFlight -= this.inflightBytes[n];
      n++;
    }
    if (n > 0) {
      this.inflight.splice(0, n);
      this.inflightBytes.splice(0, n);
    }
  }

  #clearInflight(): void {
    this.inflight = [];
    this.inflightBytes = [];
    this.bytesInFlight = 0;
  }
}

/**
 * The highest index a majority of `voters` has matched.
 *
 * @param matches Match index per voter.
 * @returns The quorum index (0 with no voters).
 */
export function quorumIndex(matches: number[]): number {
  if (matches.length === 0) return 0;
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[Math.floor(matches.length / 2)];
}

/**
 * Result of a vote among `voters`.
 *
 * @param voters The voters.
 * @param votes Answers received (true = granted).
 * @returns "won", "lost" or "pending".
 */
export function voteResult(
  voters: string[],
  votes: Map<string, boolean>,
): "won" | "lost" | "pending" {
  const q = Math.floor(voters.length / 2) + 1;
  let yes = 0;
  let no = 0;
  for (const v of voters) {
    const r = votes.get(v);
    if (r === true) yes++;
    else if (r === false) no++;
  }
  if (yes >= q) return "won";
  if (voters.length - no < q) return "lost";
  return "pending";
}
