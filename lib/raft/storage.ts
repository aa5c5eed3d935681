/**
 * What the Raft core reads from stable storage (the driver writes to it), and
 * an in-memory implementation used by tests and the simulator.
 *
 * @module
 */

import type { Entry, SnapshotMeta } from "./types.ts";

/** Read-only view of the persisted log and the latest snapshot. */
export interface RaftStorage {
  /** Index of the first entry held (snapshot index + 1 when compacted). */
  firstIndex(): number;
  /** Index of the last persisted entry (the snapshot index if none follow it). */
  lastIndex(): number;
  /**
   * Term of entry `index`, for firstIndex - 1 <= index <= lastIndex.
   *
   * @param index The index.
   * @returns The term, or undefined when compacted away or beyond the end.
   */
  term(index: number): number | undefined;
  /**
   * Entries lo <= index < hi (at least one, then up to maxBytes of data).
   *
   * @param lo First index (>= firstIndex).
   * @param hi One past the last (<= lastIndex + 1).
   * @param maxBytes Byte budget after the first entry.
   * @returns The entries.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** The latest snapshot's metadata, or null if none was taken or installed. */
  snapshot(): SnapshotMeta | null;
}

/**
 * A RaftStorage kept in memory (tests, simulation).
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "./storage.ts";
 * const s = new MemoryStorage();
 * s.append([{ index: 1, term: 1, data: new Uint8Array([0]) }]);
 * s.lastIndex(); // 1
 * ```
 */
export class MemoryStorage implements RaftStorage {
  #entries: Entry[] = [];
  #snap: SnapshotMeta | null = null;
  /** Index of the entry before #entries[0]. */
  #offset = 0;
  #offsetTerm = 0;

  /** @returns The first index held. */
  firstIndex(): number {
    return this.#offset + 1;
  }

  /** @returns The last index held. */
  lastIndex(): number {
    return this.#offset + this.#entries.length;
  }

  /**
   * @param index The index.
   * @returns Its term, or undefined.
   */
  term(index: number): number | undefined {
    if (index === this.#offset) return this.#offsetTerm;
    if (index < this.#offset || index > this.lastIndex()) return undefined;
    return this.#entries[index - this.#offset - 1].term;
  }

  /**
   * @param lo First index.
   * @param hi One past the last.
   * @param maxBytes Budget.
   * @returns The entries.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.#offset || hi > this.lastIndex() + 1) {
      throw new RangeError(
        `Cannot read entries ${lo}..${hi}: held ${this.firstIndex()}..${this.lastIndex()}`,
      );
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.#entries[i - this.#offset - 1];
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** @returns The snapshot metadata. */
  snapshot(): SnapshotMeta | null {
    return this.#snap;
  }

  /**
   * Appends entries, dropping any held entries at or after entries[0].index.
   *
   * @param entries Contiguous entries.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    if (first <= this.#offset) {
      throw new RangeError(`Cannot append at ${first}: compacted to ${this.#offset}`);
    }
    if (first > this.lastIndex() + 1) {
      throw new RangeError(`Cannot append at ${first}: gap after ${this.lastIndex()}`);
    }
    this.#entries.length = first - this.#offset - 1;
    for (const e of entries) this.#entries.push(e);
  }

  /**
   * Drops entries up to `index` (a snapshot covers them).
   *
   * @param index Last index to drop.
   */
  compact(index: number): void {
    if (index <= this.#offset) return;
    const term = this.term(index);
    if (term === undefined) throw new RangeError(`Cannot compact to ${index}`);
    this.#entries = this.#entries.slice(index - this.#offset);
    this.#offset = index;
    this.#offsetTerm = term;
  }

  /**
   * Records a snapshot (and drops the log it covers, keeping a matching suffix).
   *
   * @param meta The snapshot.
   */
  applySnapshot(meta: SnapshotMeta): void {
    if (this.term(meta.index) === meta.term && meta.index <= this.lastIndex()) {
      this.compact(meta.index);
    } else {
      this.#entries = [];
      this.#offset = meta.index;
      this.#offsetTerm = meta.term;
    }
    this.#snap = meta;
  }

  /**
   * Records a snapshot taken locally, without touching the log.
   *
   * @param meta The snapshot.
   */
  setSnapshot(meta: SnapshotMeta): void {
    this.#snap = meta;
  }
}
