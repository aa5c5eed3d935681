/**
 * A Bitcask key/value store: append-only data files, an in-memory keydir
 * (hash index plus ordered key tree), hint files for fast startup, online
 * merges, point-in-time snapshots and a single-process lock.
 *
 * ```ts
 * import { BitcaskStore } from "./mod.ts";
 *
 * const store = await BitcaskStore.open(await Deno.makeTempDir());
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * store.put(bytes("user:1"), bytes("ada"));
 * store.put(bytes("user:2"), bytes("bob"), { expiresAt: Date.now() + 60_000, index: 7 });
 * store.get(bytes("user:1")); // Uint8Array "ada"
 * for (const e of store.scan({ prefix: bytes("user:"), now: Date.now() })) {
 *   console.log(new TextDecoder().decode(e.key));
 * }
 * await store.sync(); // durable
 * store.lastIndex(); // 7
 * await store.close();
 * ```
 *
 * @module
 */

export {
  type BatchOp,
  BitcaskStore,
  type DataFileStats,
  type KeyInfo,
  type PutOptions,
  type ReadOptions,
  type StoreStats,
  type WriteOptions,
} from "./store.ts";
export { BitcaskSnapshot } from "./snapshot.ts";
export type { BitcaskOptions } from "./options.ts";
export type { ScanEntry, ScanOptions } from "./scan.ts";
export type { MergeResult } from "./merge.ts";
export type { Logger } from "./loader.ts";
export {
  CorruptRecordError,
  KeyTooLargeError,
  StoreClosedError,
  StoreLockedError,
  UnsupportedFormatError,
  ValueTooLargeError,
} from "./errors.ts";
