/**
 * `BitcaskSnapshot`: a read-only, point-in-time view of a store.
 *
 * @module
 */

import { bytesToBinary } from "./bytes.ts";
import type { KeyDirView } from "./keydir.ts";
import { type Location, newLocation } from "./key_index.ts";
import { RECORD_HEADER_SIZE } from "./record.ts";
import { isExpired, type ScanEntry, type ScanOptions, scanSource } from "./scan.ts";
import type { KeyInfo, ReadOptions } from "./store.ts";

/** What a snapshot needs from its store. */
export interface SnapshotHost {
  /** Reads and checks a record's value. */
  read(key: string, loc: Location): Uint8Array;
  /** Throws if the store is closed. */
  checkOpen(): void;
  /** Releases the view (files merged away meanwhile may then be deleted). */
  release(): void;
}

/**
 * A read-only view of a store as it was when `snapshot()` was called. Writes
 * and merges go on; the snapshot keeps its data readable until closed.
 *
 * @example
 * ```ts ignore
 * using snap = store.snapshot();
 * for (const { key, value } of snap.scan()) console.log(key, value);
 * ```
 */
export class BitcaskSnapshot {
  #view: KeyDirView;
  #lastIndex: number;
  #host: SnapshotHost;
  #loc = newLocation();

  /**
   * Use `BitcaskStore.snapshot()` instead.
   *
   * @param view The keydir view.
   * @param lastIndex The store's last index at snapshot time.
   * @param host Store callbacks.
   */
  constructor(view: KeyDirView, lastIndex: number, host: SnapshotHost) {
    this.#view = view;
    this.#lastIndex = lastIndex;
    this.#host = host;
  }

  /** Number of keys in the snapshot. */
  get size(): number {
    return this.#view.size;
  }

  /**
   * Highest Raft index the snapshot contains.
   *
   * @returns The index.
   */
  lastIndex(): number {
    return this.#lastIndex;
  }

  /**
   * Reads a key's value as of the snapshot.
   *
   * @param key The key.
   * @param options `now` to hide expired keys.
   * @returns The value or undefined.
   */
  get(key: Uint8Array, options?: ReadOptions): Uint8Array | undefined {
    this.#check();
    const k = bytesToBinary(key);
    const loc = this.#loc;
    if (!this.#view.lookup(k, loc) || isExpired(loc.expiresAt, options?.now)) return undefined;
    return this.#host.read(k, loc);
  }

  /**
   * Tells a key's expiry and value size as of the snapshot.
   *
   * @param key The key.
   * @param options `now` to treat expired keys as absent.
   * @returns The info or undefined.
   */
  stat(key: Uint8Array, options?: ReadOptions): KeyInfo | undefined {
    this.#check();
    const loc = this.#loc;
    if (!this.#view.lookup(bytesToBinary(key), loc) || isExpired(loc.expiresAt, options?.now)) {
      return undefined;
    }
    return { expiresAt: loc.expiresAt, valueSize: loc.size - RECORD_HEADER_SIZE - key.length };
  }

  /**
   * Walks the snapshot's keys in byte order.
   *
   * @param options Start, direction, prefix, limit, expiry.
   * @returns A generator of entries.
   */
  scan(options: ScanOptions = {}): Generator<ScanEntry> {
    this.#check();
    const view = this.#view;
    return scanSource(
      { lookup: (k, out) => view.lookup(k, out), cursor: (o) => view.cursor(o) },
      options,
      (k, l) => this.#host.read(k, l),
      () => this.#check(),
    );
  }

  /** Releases the snapshot. */
  close(): void {
    if (!this.#view.closed) this.#host.release();
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #check(): void {
    this.#host.checkOpen();
    if (this.#view.closed) throw new Error("Cannot read snapshot: it is closed");
  }
}
