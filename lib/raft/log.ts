/**
 * The core's view of the log: persisted entries in storage, followed by
 * unstable entries not yet handed to (or not yet confirmed by) the driver,
 * plus the commit and applied indexes.
 *
 * @module
 */

import type { RaftStorage } from "./storage.ts";
import type { Entry, SnapshotMeta } from "./types.ts";

/** A broken Raft invariant: a bug, never bad input. */
export class RaftInvariantError extends Error {
  /**
   * Creates the error.
   *
   * @param message What broke.
   */
  constructor(message: string) {
    super(message);
    this.name = "RaftInvariantError";
  }
}

/** The log of one node. */
export class RaftLog {
  /** Persisted entries. */
  readonly storage: RaftStorage;
  /** Entries after the persisted ones (or replacing a persisted suffix). */
  unstable: Entry[] = [];
  /** Index of unstable[0]. */
  unstableOffset: number;
  /** A snapshot received and not yet installed by the driver. */
  pendingSnapshot: SnapshotMeta | null = null;
  /** Highest index known committed. */
  committed: number;
  /** Highest index handed to the driver to apply. */
  applied: number;
  /** Lowest index written by append() since the core last looked (Infinity: none). */
  writtenFrom = Infinity;

  /**
   * Opens the log over storage.
   *
   * @param storage Persisted entries.
   * @param applied Index the state machine has already applied.
   */
  constructor(storage: RaftStorage, applied: number) {
    this.storage = storage;
    this.unstableOffset = storage.lastIndex() + 1;
    const first = storage.firstIndex() - 1;
    this.committed = Math.max(first, Math.min(applied, storage.lastIndex()));
    this.applied = this.committed;
  }

  /** Index of the first entry available (after the snapshot). */
  firstIndex(): number {
    if (this.pendingSnapshot !== null) return this.pendingSnapshot.index + 1;
    return this.storage.firstIndex();
  }

  /** Index of the last entry. */
  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.pendingSnapshot !== null) return this.pendingSnapshot.index;
    return this.storage.lastIndex();
  }

  /** Term of the last entry. */
  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /**
   * Term of an entry.
   *
   * @param index The index.
   * @returns The term, 0 for index 0, undefined if compacted or beyond the end.
   */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index >= this.unstableOffset && index < this.unstableOffset + this.unstable.length) {
      return this.unstable[index - this.unstableOffset].term;
    }
    if (this.pendingSnapshot !== null) {
      if (index === this.pendingSnapshot.index) return this.pendingSnapshot.term;
      if (index < this.pendingSnapshot.index) return undefined;
    }
    if (index > this.lastIndex()) return undefined;
    if (index >= this.unstableOffset) return undefined;
    return this.storage.term(index);
  }

  /**
   * Whether the entry at `index` has term `term`.
   *
   * @param index The index.
   * @param term The term.
   * @returns True on a match.
   */
  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * Raft's "at least as up to date" rule for votes.
   *
   * @param lastIndex Candidate's last index.
   * @param lastTerm Candidate's last term.
   * @returns Whether the candidate's log is at least as up to date as ours.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const t = this.lastTerm();
    return lastTerm > t || (lastTerm === t && lastIndex >= this.lastIndex());
  }

  /**
   * Entries lo <= index < hi, from storage and unstable.
   *
   * @param lo First index (>= firstIndex).
   * @param hi One past the last.
   * @param maxBytes Byte budget after the first entry.
   * @returns The entries.
   */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) {
      throw new RaftInvariantError(`slice ${lo}..${hi} before first index ${this.firstIndex()}`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    if (lo < this.unstableOffset) {
      const stableHi = Math.min(hi, this.unstableOffset, this.storage.lastIndex() + 1);
      if (lo < stableHi) {
        for (const e of this.storage.entries(lo, stableHi, maxBytes)) {
          bytes += e.data.length;
          out.push(e);
        }
        if (out.length < stableHi - lo) return out; // budget reached
      }
    }
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const e = this.unstable[i - this.unstableOffset];
      if (e === undefined) break;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /**
   * Appends entries as the leader (or after a conflict check).
   *
   * @param entries Entries starting at most at lastIndex + 1.
   * @returns The new last index.
   */
  append(entries: Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const first = entries[0].index;
    if (first <= this.committed) {
      throw new RaftInvariantError(
        `append at ${first} would overwrite committed ${this.committed}`,
      );
    }
    if (first < this.writtenFrom) this.writtenFrom = first;
    if (first === this.unstableOffset + this.unstable.length) {
      for (const e of entries) this.unstable.push(e);
    } else if (first <= this.unstableOffset) {
      // Replaces a persisted suffix: the driver truncates storage from `first`.
      this.unstableOffset = first;
      this.unstable = entries.slice();
    } else {
      this.unstable = this.unstable.slice(0, first - this.unstableOffset).concat(entries);
    }
    return this.lastIndex();
  }

  /**
   * A follower's append: checks (prevIndex, prevTerm), drops a conflicting
   * suffix, appends what is new, advances commit.
   *
   * @param prevIndex Index before the entries.
   * @param prevTerm Its term.
   * @param commit Leader's commit.
   * @param entries The entries.
   * @returns The last index the leader's message proves to match, or -1 on a mismatch.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, entries: Entry[]): number {
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    let conflict = 0;
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) {
        conflict = e.index;
        break;
      }
    }
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(
          `entry ${conflict} conflicts with committed ${this.committed}`,
        );
      }
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /**
   * Raises the commit index (never lowers it).
   *
   * @param index New commit index (<= lastIndex).
   */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${index} beyond last index ${this.lastIndex()}`);
    }
    this.committed = index;
  }

  /** Whether there are committed entries not yet handed out for applying. */
  hasNextCommitted(): boolean {
    return this.committed > this.applied && this.applied + 1 >= this.firstIndex();
  }

  /**
   * Committed entries not yet handed out (up to maxBytes).
   *
   * @param maxBytes Byte budget after the first entry.
   * @returns The entries.
   */
  nextCommitted(maxBytes: number): Entry[] {
    if (!this.hasNextCommitted()) return [];
    return this.slice(this.applied + 1, this.committed + 1, maxBytes);
  }

  /**
   * Records that entries up to `index` were handed out for applying.
   *
   * @param index The index.
   */
  appliedTo(index: number): void {
    if (index > this.committed) {
      throw new RaftInvariantError(`applied ${index} > committed ${this.committed}`);
    }
    if (index > this.applied) this.applied = index;
  }

  /**
   * The driver persisted unstable entries up to `index` (of term `term`).
   *
   * @param index Last persisted index.
   * @param term Its term (if it no longer matches, the entries were replaced meanwhile).
   */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset) return;
    const t = this.term(index);
    if (t !== term) return;
    const n = index - this.unstableOffset + 1;
    if (n > this.unstable.length) return;
    this.unstable = this.unstable.slice(n);
    this.unstableOffset = index + 1;
  }

  /**
   * Replaces the log with a snapshot (entries after it are kept only if
   * the snapshot's last entry matches).
   *
   * @param meta The snapshot.
   */
  restore(meta: SnapshotMeta): void {
    this.pendingSnapshot = meta;
    this.unstable = [];
    this.unstableOffset = meta.index + 1;
    this.committed = Math.max(this.committed, meta.index);
  }

  /**
   * The driver installed `meta`. A newer snapshot that arrived meanwhile
   * stays pending (it is handed out in the next batch).
   *
   * @param meta The snapshot the driver installed.
   */
  snapshotInstalled(meta: SnapshotMeta): void {
    if (this.applied < meta.index) this.applied = meta.index;
    if (this.pendingSnapshot === meta) this.pendingSnapshot = null;
  }

  /**
   * First index of the term of the entry at `index` or before (for the
   * rejection hint: skip a whole conflicting term at once).
   *
   * @param index An index > 0.
   * @param term The leader's term at that index.
   * @returns Largest index <= `index` whose term is <= `term`.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    const first = this.firstIndex() - 1;
    while (i > first) {
      const t = this.term(i);
      if (t === undefined || t <= term) break;
      i--;
    }
    return i;
  }
}
