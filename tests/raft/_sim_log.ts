/**
 * The simulator's mirror of one node's log (terms and entry keys only), and
 * the keys that name entries: `noop`, `op<n>` for client writes, `conf<json>`
 * for configurations. The mirror follows the same rules as MemoryStorage
 * (truncate-then-append, snapshot keeps a matching suffix, compaction).
 *
 * @module
 */

import type { MemoryStorage } from "../../lib/raft/storage.ts";
import {
  type Entry,
  ENTRY_CONF,
  ENTRY_NOOP,
  ENTRY_OP,
  type SnapshotMeta,
} from "../../lib/raft/types.ts";

const keys = new WeakMap<Uint8Array, string>();
const decoder = new TextDecoder();

/**
 * The key that names an entry's data.
 *
 * @param data Entry data.
 * @returns `noop`, `op<n>`, `conf<json>`, or `?<bytes>` for anything else.
 */
export function keyOf(data: Uint8Array): string {
  let k = keys.get(data);
  if (k !== undefined) return k;
  switch (data[0]) {
    case ENTRY_NOOP:
      k = data.length === 1 ? "noop" : `?${data.join(",")}`;
      break;
    case ENTRY_OP:
      k = data.length === 5
        ? `op${(data[1] | (data[2] << 8) | (data[3] << 16) | (data[4] << 24)) >>> 0}`
        : `?${data.join(",")}`;
      break;
    case ENTRY_CONF:
      k = `conf${decoder.decode(data.subarray(1))}`;
      break;
    default:
      k = `?${data.join(",")}`;
  }
  keys.set(data, k);
  return k;
}

/**
 * The data of client write number `n` (ENTRY_OP and the number, little-endian).
 *
 * @param n The write's number.
 * @returns Entry data.
 */
export function opData(n: number): Uint8Array {
  return new Uint8Array([ENTRY_OP, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);
}

/** Terms and keys of a log, after an offset (the snapshot). */
export class LogView {
  /** Index covered by the snapshot (entries start after it). */
  offset = 0;
  /** Term of the entry at `offset`. */
  offsetTerm = 0;
  /** Terms of entries offset+1.. */
  terms: number[] = [];
  /** Keys of entries offset+1.. */
  keys: string[] = [];

  /** @returns The last index. */
  last(): number {
    return this.offset + this.terms.length;
  }

  /**
   * @param i An index.
   * @returns Its term (offsetTerm at the offset), undefined outside the view.
   */
  term(i: number): number | undefined {
    if (i === this.offset) return this.offsetTerm;
    if (i < this.offset || i > this.last()) return undefined;
    return this.terms[i - this.offset - 1];
  }

  /**
   * @param i An index after the offset.
   * @returns Its key, or undefined.
   */
  key(i: number): string | undefined {
    if (i <= this.offset || i > this.last()) return undefined;
    return this.keys[i - this.offset - 1];
  }

  /**
   * Drops entries after `i`.
   *
   * @param i Last index kept (>= offset).
   */
  truncateAfter(i: number): void {
    const n = Math.max(0, i - this.offset);
    if (n < this.terms.length) {
      this.terms.length = n;
      this.keys.length = n;
    }
  }

  /**
   * Appends one entry at last() + 1.
   *
   * @param term Its term.
   * @param key Its key.
   */
  push(term: number, key: string): void {
    this.terms.push(term);
    this.keys.push(key);
  }

  /**
   * Installs a snapshot as MemoryStorage.applySnapshot does.
   *
   * @param meta The snapshot.
   */
  applySnapshot(meta: SnapshotMeta): void {
    if (this.term(meta.index) === meta.term && meta.index <= this.last()) {
      this.compact(meta.index);
    } else {
      this.terms = [];
      this.keys = [];
      this.offset = meta.index;
      this.offsetTerm = meta.term;
    }
  }

  /**
   * Drops entries up to `i`.
   *
   * @param i Last index dropped.
   */
  compact(i: number): void {
    if (i <= this.offset) return;
    const t = this.term(i) as number;
    this.terms = this.terms.slice(i - this.offset);
    this.keys = this.keys.slice(i - this.offset);
    this.offset = i;
    this.offsetTerm = t;
  }

  /**
   * A view of what a storage holds.
   *
   * @param s The storage.
   * @returns The view.
   */
  static fromStorage(s: MemoryStorage): LogView {
    const v = new LogView();
    v.offset = s.firstIndex() - 1;
    v.offsetTerm = s.term(v.offset) ?? 0;
    const last = s.lastIndex();
    if (last > v.offset) {
      const es: Entry[] = s.entries(v.offset + 1, last + 1, Infinity);
      for (const e of es) v.push(e.term, keyOf(e.data));
    }
    return v;
  }
}
