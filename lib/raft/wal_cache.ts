/**
 * The newest appended entries, kept in memory up to a byte budget so that a
 * leader sending fresh entries to its followers reads no disk. The cache
 * always holds a contiguous range that ends at the log's last index.
 *
 * @module
 */

import { RECORD_HEADER_SIZE } from "./wal_format.ts";
import type { WalEntry } from "./wal_entry.ts";

/** A byte-bounded window of the newest log entries. */
export class WalCache {
  readonly #limit: number;
  #entries: WalEntry[] = [];
  #head = 0;
  #bytes = 0;
  #first: number;

  /**
   * Creates an empty cache.
   *
   * @param limit Budget in bytes (record sizes: data plus 24); 0 keeps nothing.
   * @param next Index the next pushed entry will have.
   */
  constructor(limit: number, next: number) {
    this.#limit = limit;
    this.#first = next;
  }

  /** Index of the oldest cached entry (the next index to push when empty). */
  get first(): number {
    return this.#first;
  }

  /** Number of cached entries. */
  get count(): number {
    return this.#entries.length - this.#head;
  }

  /** Bytes of the cached entries (record sizes). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds the entry after the newest one, evicting the oldest over budget.
   *
   * @param entry The entry (its index must be `first + count`).
   */
  push(entry: WalEntry): void {
    const size = RECORD_HEADER_SIZE + entry.data.length;
    if (size > this.#limit) {
      // Too big to keep: the cache restarts empty after it.
      this.reset(entry.index + 1);
      return;
    }
    this.#entries.push(entry);
    this.#bytes += size;
    while (this.#bytes > this.#limit) this.#evict();
  }

  /**
   * A cached entry.
   *
   * @param index Index in `[first, first + count)`.
   * @returns The entry.
   */
  get(index: number): WalEntry {
    return this.#entries[this.#head + index - this.#first];
  }

  /**
   * Forgets the entries at `index` and after.
   *
   * @param index First index to forget; the next push must have this index.
   */
  truncateFrom(index: number): void {
    if (index <= this.#first) {
      this.reset(index);
      return;
    }
    while (this.#first + this.count > index) {
      const e = this.#entries.pop() as WalEntry;
      this.#bytes -= RECORD_HEADER_SIZE + e.data.length;
    }
  }

  /**
   * Forgets the entries at `index` and before.
   *
   * @param index Last index to forget.
   */
  dropThrough(index: number): void {
    if (index >= this.#first + this.count) {
      this.reset(index + 1);
      return;
    }
    while (this.#first <= index) this.#evict();
  }

  /**
   * Empties the cache.
   *
   * @param next Index the next pushed entry will have.
   */
  reset(next: number): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#first = next;
  }

  #evict(): void {
    const e = this.#entries[this.#head];
    this.#bytes -= RECORD_HEADER_SIZE + e.data.length;
    this.#head++;
    this.#first++;
    if (this.#head >= 1024 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}
