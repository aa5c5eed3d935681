/**
 * The unit the write-ahead log stores.
 *
 * @module
 */

/** One Raft log entry. */
export interface WalEntry {
  /** Position in the log, from 1, contiguous. */
  index: number;
  /** Raft term of the leader that created the entry; never decreases along the log. */
  term: number;
  /** Opaque payload (read-only once handed to or returned by the log). */
  data: Uint8Array;
}
