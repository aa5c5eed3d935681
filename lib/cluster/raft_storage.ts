/**
 * The Raft core's view of stable storage, backed by the write-ahead log.
 *
 * @module
 */

import type { Entry, RaftStorage, SnapshotMeta, Wal } from "../raft/mod.ts";

/** RaftStorage over a Wal (snapshots: the latest known, set by the node). */
export class WalStorage implements RaftStorage {
  #wal: Wal;
  #snap: SnapshotMeta | null = null;

  /**
   * Wraps the WAL.
   *
   * @param wal The write-ahead log.
   */
  constructor(wal: Wal) {
    this.#wal = wal;
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
    return this.#wal.entries(lo, hi, maxBytes);
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
