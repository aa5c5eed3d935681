/**
 * Raft storage: a segmented write-ahead log of Raft entries with CRC per
 * record, a torn tail cut on open, group-committed `fdatasync`, and whole
 * segments dropped after compaction.
 *
 * ```ts
 * import { Wal } from "./mod.ts";
 *
 * const wal = await Wal.open(await Deno.makeTempDir(), { segmentSize: 1 << 20 });
 * const data = new TextEncoder().encode("SET k v");
 * wal.append([{ index: 1, term: 1, data }, { index: 2, term: 1, data }]);
 * await wal.sync(); // both entries are durable
 * wal.entries(1, 3); // [{ index: 1, term: 1, data }, { index: 2, ... }]
 * wal.truncateFrom(2); // a conflicting suffix goes
 * wal.append([{ index: 2, term: 2, data }]);
 * wal.compact(1); // a snapshot covers entry 1
 * wal.firstIndex; // 2
 * wal.term(1); // 1 (the compaction point)
 * await wal.close();
 * ```
 *
 * @module
 */

export { LOCK_FILE_NAME, Wal, type WalStats } from "./wal.ts";
export type { WalEntry } from "./wal_entry.ts";
export type { WalLogger, WalOptions } from "./wal_options.ts";
export { WalClosedError, WalCorruptError, WalLockedError } from "./wal_errors.ts";
export { applyConfChange, ProposalError, RaftCore, type Ready } from "./core.ts";
export type { RaftConfig } from "./config.ts";
export { RaftInvariantError } from "./log.ts";
export { MemoryStorage, type RaftStorage } from "./storage.ts";
export { decodeMessages, encodeMessages } from "./message_codec.ts";
export {
  type ConfChange,
  type ConfState,
  decodeConf,
  encodeConf,
  type Entry,
  ENTRY_CONF,
  ENTRY_NOOP,
  ENTRY_OP,
  type HardState,
  type Message,
  type NodeId,
  NOOP_DATA,
  type ReadState,
  type Role,
  type SnapshotMeta,
} from "./types.ts";
