/**
 * What command handlers see of the data: a keyspace read at a given time
 * (`now`, Unix ms). Reads from clients use the live store and the local
 * clock; applying a replicated operation uses a {@linkcode Tx} at the time
 * stamped in the operation, so every node computes the same result.
 *
 * @module
 */

import type { BitcaskStore, ScanEntry, ScanOptions } from "../bitcask/mod.ts";

/** A key's expiry and value size. */
export interface KeyMeta {
  /** Expiry (Unix ms), 0 for none. */
  expiresAt: number;
  /** Value length in bytes. */
  valueSize: number;
}

/** Options of {@linkcode Keyspace.scan} (expiry is judged against `now`). */
export type KeyScanOptions = Omit<ScanOptions, "now">;

/** Read access to the keys at time `now`. */
export interface Keyspace {
  /** The time expiry is judged against (Unix ms). */
  readonly now: number;
  /** A key's value, or undefined if absent or expired. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** A key's expiry and value size, or undefined if absent or expired. */
  stat(key: Uint8Array): KeyMeta | undefined;
  /** Keys in byte order. */
  scan(options: KeyScanOptions): Iterable<ScanEntry>;
  /** Number of keys (some may have expired and not been removed yet, as in Redis). */
  size(): number;
  /** A random live key, if any. */
  randomKey(): Uint8Array | undefined;
}

/** Read and write access, for applying operations. */
export interface WritableKeyspace extends Keyspace {
  /** Sets a key (expiresAt 0: no expiry). */
  put(key: Uint8Array, value: Uint8Array, expiresAt: number): void;
  /** Deletes a key; returns whether it existed and had not expired. */
  delete(key: Uint8Array): boolean;
  /** Deletes every key; returns how many there were. */
  clear(): number;
}

/**
 * The live store, read at the local clock.
 *
 * @example
 * ```ts ignore
 * const ks = new LiveKeyspace(store, Date.now());
 * ks.get(new TextEncoder().encode("k"));
 * ```
 */
export class LiveKeyspace implements Keyspace {
  /** The time expiry is judged against. */
  readonly now: number;
  #store: BitcaskStore;

  /**
   * Wraps the store.
   *
   * @param store The store.
   * @param now Time to judge expiry against.
   */
  constructor(store: BitcaskStore, now: number) {
    this.#store = store;
    this.now = now;
  }

  /**
   * Reads a value.
   *
   * @param key The key.
   * @returns The value or undefined.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.#store.get(key, { now: this.now });
  }

  /**
   * Reads a key's metadata.
   *
   * @param key The key.
   * @returns Expiry and size, or undefined.
   */
  stat(key: Uint8Array): KeyMeta | undefined {
    return this.#store.stat(key, { now: this.now });
  }

  /**
   * Walks keys in order.
   *
   * @param options Range, direction, limit.
   * @returns The entries.
   */
  scan(options: KeyScanOptions): Iterable<ScanEntry> {
    return this.#store.scan({ ...options, now: this.now });
  }

  /**
   * Counts keys.
   *
   * @returns The count.
   */
  size(): number {
    return this.#store.size;
  }

  /**
   * Picks a random key.
   *
   * @returns A key or undefined.
   */
  randomKey(): Uint8Array | undefined {
    return this.#store.randomKey(Math.random, { now: this.now });
  }
}
