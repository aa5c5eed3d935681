/**
 * The Raft core's view of stable storage, backed by the write-ahead log.
 *
 * @module
 */

import type { Entry, RaftStorage, SnapshotMeta, Wal } from "../raft/mod.ts";

/** Bytes of recent entries kept in memory (entries to apply and to send are read from here). */
const CACHE_BYTES = 64 << 20;

/**
 * RaftStorage over a Wal (snapshots: the latest known, set by the node).
 * Appends go through it, and it keeps the newest entries in memory, so
 * entries are not read back from disk to be applied or sent to followers
 * right after they were written.
 */
export class WalStorage implements RaftStorage {
  #wal: Wal;
  #snap: SnapshotMeta | null = null;
  /** Newest entries, consecutive, ending at the WAL's last index (or empty). */
  #cache: Entry[] = [];
  #cacheFirst = 0;
  #cacheBytes = 0;

  /**
   * Wraps the WAL.
   *
   * @param wal The write-ahead log.
   */
  constructor(wal: Wal) {
    this.#wal = wal;
  }

  /**
   * Appends entries (after truncating a conflicting suffix), not synced.
   *
   * @param entries Consecutive entries; the first may be at or below the last index.
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    if (first <= this.#wal.lastIndex) {
      this.#wal.truncateFrom(first);
      const keep = Math.max(0, first - this.#cacheFirst);
      if (keep < this.#cache.length) {
        for (let i = keep; i < this.#cache.length; i++) {
          this.#cacheBytes -= this.#cache[i].data.length;
        }
        this.#cache.length = keep;
      }
    }
    this.#wal.append(entries);
    if (this.#cache.length === 0 || this.#cacheFirst + this.#cache.length !== first) {
      this.#cache = [];
      this.#cacheBytes = 0;
      this.#cacheFirst = first;
    }
    for (const e of entries) {
      this.#cache.push(e);
      this.#cacheBytes += e.data.length;
    }
    if (this.#cacheBytes > CACHE_BYTES) {
      let drop = 0;
      while (this.#cacheBytes > CACHE_BYTES / 2 && drop < this.#cache.length - 1) {
        this.#cacheBytes -= this.#cache[drop++].data.length;
      }
      this.#cache = this.#cache.slice(drop);
      this.#cacheFirst += drop;
    }
  }

  /** @returns The first index held. */
  firstIndex(): number {
    return this.#wal.firstIndex;
  }

  /** @returns The last index held. */
  lastIndex(): number {
    return this.#wal.lastIndex;
  }

  /**
   * @param index An index.
   * @returns Its term, or undefined.
   */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    return this.#wal.term(index);
  }

  /**
   * @param lo First index.
   * @param hi One past the last.
   * @param maxBytes Budget.
   * @returns The entries.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const cacheEnd = this.#cacheFirst + this.#cache.length;
    if (this.#cache.length === 0 || hi <= this.#cacheFirst || lo >= cacheEnd) {
      return this.#wal.entries(lo, hi, maxBytes);
    }
    let out: Entry[] = [];
    let bytes = 0;
    if (lo < this.#cacheFirst) {
      out = this.#wal.entries(lo, this.#cacheFirst, maxBytes);
      if (out.length < this.#cacheFirst - lo) return out;
      for (const e of out) bytes += e.data.length;
    }
    const end = Math.min(hi, cacheEnd);
    for (let i = Math.max(lo, this.#cacheFirst); i < end; i++) {
      const e = this.#cache[i - this.#cacheFirst];
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** @returns The latest snapshot's metadata. */
  snapshot(): SnapshotMeta | null {
    return this.#snap;
  }

  /**
   * Records the latest snapshot.
   *
   * @param meta Its metadata.
   */
  setSnapshot(meta: SnapshotMeta | null): void {
    this.#snap = meta;
  }
}
