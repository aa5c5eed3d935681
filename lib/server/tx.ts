/**
 * `Tx`: the keyspace as one operation sees it while it is applied. Writes go
 * to an overlay (so later commands of the same operation, e.g. inside
 * EXEC, see them) and reach the store in one atomic batch on `commit()`.
 *
 * @module
 */

import type { BatchOp, BitcaskStore, ScanEntry } from "../bitcask/mod.ts";
import { binaryToBytes, bytesToBinary } from "../bitcask/bytes.ts";
import type { KeyMeta, KeyScanOptions, WritableKeyspace } from "./keyspace.ts";

type Pending = { value: Uint8Array; expiresAt: number } | null;

function expired(expiresAt: number, now: number): boolean {
  return expiresAt !== 0 && now > expiresAt;
}

/**
 * A write transaction over the store at a fixed time.
 *
 * @example
 * ```ts ignore
 * const tx = new Tx(store, op.time);
 * tx.put(key, value, 0);
 * tx.commit(index);
 * ```
 */
export class Tx implements WritableKeyspace {
  /** The operation's time (Unix ms): expiry is judged against it. */
  readonly now: number;
  #store: BitcaskStore;
  /** The writes so far by key, built on the first read after a write. */
  #overlayMap: Map<string, Pending> | null = null;
  #ops: BatchOp[] = [];
  #cleared = false;

  /**
   * Starts a transaction.
   *
   * @param store The store.
   * @param now The operation's time.
   */
  constructor(store: BitcaskStore, now: number) {
    this.#store = store;
    this.now = now;
  }

  /** Whether the transaction clears the keyspace. */
  get cleared(): boolean {
    return this.#cleared;
  }

  /** Whether anything was written. */
  get dirty(): boolean {
    return this.#cleared || this.#ops.length > 0;
  }

  /** The overlay of this transaction's writes (empty when there are none). */
  get #overlay(): Map<string, Pending> {
    if (this.#overlayMap === null) {
      const m = new Map<string, Pending>();
      for (const op of this.#ops) {
        m.set(
          bytesToBinary(op.key),
          op.type === "put" ? { value: op.value, expiresAt: op.expiresAt ?? 0 } : null,
        );
      }
      this.#overlayMap = m;
    }
    return this.#overlayMap;
  }

  /**
   * Reads a value.
   *
   * @param key The key.
   * @returns The value, or undefined if absent or expired.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    if (this.#ops.length > 0 || this.#cleared) {
      const p = this.#overlay.get(bytesToBinary(key));
      if (p !== undefined) {
        return p === null || expired(p.expiresAt, this.now) ? undefined : p.value;
      }
      if (this.#cleared) return undefined;
    }
    return this.#store.get(key, { now: this.now });
  }

  /**
   * Reads a key's expiry and size.
   *
   * @param key The key.
   * @returns The metadata, or undefined if absent or expired.
   */
  stat(key: Uint8Array): KeyMeta | undefined {
    if (this.#ops.length > 0 || this.#cleared) {
      const p = this.#overlay.get(bytesToBinary(key));
      if (p !== undefined) {
        return p === null || expired(p.expiresAt, this.now)
          ? undefined
          : { expiresAt: p.expiresAt, valueSize: p.value.length };
      }
      if (this.#cleared) return undefined;
    }
    return this.#store.stat(key, { now: this.now });
  }

  /**
   * Sets a key.
   *
   * @param key The key.
   * @param value The value.
   * @param expiresAt Expiry (Unix ms), 0 for none.
   */
  put(key: Uint8Array, value: Uint8Array, expiresAt: number): void {
    this.#overlayMap?.set(bytesToBinary(key), { value, expiresAt });
    this.#ops.push({ type: "put", key, value, expiresAt });
  }

  /**
   * Deletes a key. An expired key is removed too, but does not count.
   *
   * @param key The key.
   * @returns Whether a live key was deleted.
   */
  delete(key: Uint8Array): boolean {
    const k = bytesToBinary(key);
    const p = this.#ops.length > 0 || this.#cleared ? this.#overlay.get(k) : undefined;
    let present: boolean;
    let live: boolean;
    if (p !== undefined) {
      present = p !== null;
      live = p !== null && !expired(p.expiresAt, this.now);
    } else if (this.#cleared) {
      present = live = false;
    } else {
      const meta = this.#store.stat(key);
      present = meta !== undefined;
      live = meta !== undefined && !expired(meta.expiresAt, this.now);
    }
    if (present) {
      this.#overlayMap?.set(k, null);
      this.#ops.push({ type: "delete", key });
    }
    return live;
  }

  /**
   * Deletes every key.
   *
   * @returns How many keys there were.
   */
  clear(): number {
    const n = this.size();
    this.#cleared = true;
    this.#overlayMap = new Map();
    this.#ops = [];
    return n;
  }

  /**
   * Counts keys.
   *
   * @returns The count (expired keys not yet removed included, as in Redis).
   */
  size(): number {
    let n = this.#cleared ? 0 : this.#store.size;
    for (const [k, p] of this.#overlay) {
      const inStore = !this.#cleared && this.#store.stat(binaryToBytes(k)) !== undefined;
      if (p !== null && !inStore) n++;
      if (p === null && inStore) n--;
    }
    return n;
  }

  /**
   * Picks a random live key.
   *
   * @returns A key or undefined.
   */
  randomKey(): Uint8Array | undefined {
    if (!this.#cleared) {
      for (let i = 0; i < 10; i++) {
        const k = this.#store.randomKey(Math.random, { now: this.now });
        if (k === undefined) break;
        if (this.#overlay.get(bytesToBinary(k)) !== null) return k;
      }
    }
    for (const [k, p] of this.#overlay) {
      if (p !== null && !expired(p.expiresAt, this.now)) return binaryToBytes(k);
    }
    return undefined;
  }

  /**
   * Walks keys in order, the overlay merged over the store.
   *
   * @param options Range, direction, prefix, limit.
   * @returns The entries.
   */
  *scan(options: KeyScanOptions): Generator<ScanEntry> {
    if (this.#ops.length === 0 && !this.#cleared) {
      yield* this.#store.scan({ ...options, now: this.now });
      return;
    }
    const { limit = Infinity, reverse = false, values = true } = options;
    const mine = [...this.#overlay.keys()]
      .filter((k) => inRange(k, options))
      .sort();
    if (reverse) mine.reverse();
    const base = this.#cleared
      ? [][Symbol.iterator]()
      : this.#store.scan({ ...options, limit: Infinity, now: this.now, values });
    let next = base.next();
    let i = 0;
    let count = 0;
    const before = (a: string, b: string) => (reverse ? a > b : a < b);
    while (count < limit && (!next.done || i < mine.length)) {
      const storeKey = next.done ? null : bytesToBinary(next.value.key);
      let entry: ScanEntry | null = null;
      if (storeKey !== null && (i >= mine.length || before(storeKey, mine[i]))) {
        if (!this.#overlay.has(storeKey)) entry = next.value as ScanEntry;
        next = base.next();
      } else {
        const k = mine[i++];
        if (storeKey === k) next = base.next();
        const p = this.#overlay.get(k) as Pending;
        if (p !== null && !expired(p.expiresAt, this.now)) {
          entry = {
            key: binaryToBytes(k),
            value: values ? p.value : undefined,
            expiresAt: p.expiresAt,
          };
        }
      }
      if (entry !== null) {
        yield entry;
        count++;
      }
    }
  }

  /**
   * Writes everything to the store as one atomic batch.
   *
   * @param index Raft index of the operation.
   */
  commit(index: number): void {
    if (this.#cleared) {
      // If more writes follow the clear and a crash separates them, the
      // operation is replayed whole: so the clear records the index before it.
      this.#store.clear({ index: this.#ops.length > 0 ? index - 1 : index });
    }
    if (this.#ops.length > 0) this.#store.batch(this.#ops, { index });
  }
}

function inRange(k: string, o: KeyScanOptions): boolean {
  const prefix = o.prefix === undefined ? "" : bytesToBinary(o.prefix);
  if (!k.startsWith(prefix)) return false;
  if (o.from === undefined) return true;
  const from = bytesToBinary(o.from);
  const inclusive = o.inclusive ?? true;
  if (o.reverse) return inclusive ? k <= from : k < from;
  return inclusive ? k >= from : k > from;
}
