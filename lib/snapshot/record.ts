/**
 * The record layout inside `state.bin` (after gunzip), and its encoder.
 *
 * ```
 * "BITRAFT1"                                    8-byte header
 * u8 type | u64le keylen | key | u64le vallen | value [| i64le expiry]
 * ```
 *
 * Type 0 is a plain key, type 1 carries an expiry (Unix ms). The older
 * Finn/kvnode layout has no header and no type: `u64le keylen | key |
 * u64le vallen | value`, with every key prefixed by `k`.
 *
 * @module
 */

import { ChunkBuilder } from "./_chunks.ts";

/** One key of a snapshot. */
export interface SnapshotRecord {
  /** The key bytes. */
  key: Uint8Array;
  /** The value bytes. */
  value: Uint8Array;
  /** Expiry as Unix ms; 0 means the key does not expire. */
  expiresAt: number;
}

/** The 8 bytes that open the current layout: `BITRAFT1`. */
export const STATE_MAGIC: Uint8Array = new TextEncoder().encode("BITRAFT1");

/** Record type of a key without expiry. */
export const RECORD_PLAIN = 0;
/** Record type of a key with an expiry. */
export const RECORD_EXPIRING = 1;

/** Longest key or value a state file may hold (1 GiB); longer lengths mean damage. */
export const MAX_FIELD_LENGTH = 1 << 30;

/** Options for {@linkcode encodeStateRecords}. */
export interface EncodeStateOptions {
  /**
   * Size of the chunks produced, in bytes (values at least half this size
   * are passed through as their own chunk).
   *
   * @default {262144}
   */
  chunkSize?: number;
}

/**
 * Encodes records in the `BITRAFT1` layout (uncompressed) as a stream of
 * chunks of about `chunkSize` bytes. Chunks are never reused, and large
 * values are passed through without copying.
 *
 * @example
 * ```ts
 * import { encodeStateRecords } from "./record.ts";
 *
 * const records = [{ key: new Uint8Array([97]), value: new Uint8Array([98]), expiresAt: 0 }];
 * for await (const chunk of encodeStateRecords(records)) console.log(chunk.length); // 27
 * ```
 *
 * @param records The records, in key order.
 * @param options Chunk size.
 * @returns The encoded bytes, chunk by chunk (the header first).
 * @throws {RangeError} If a record has a negative or fractional expiry, or a
 * field longer than {@linkcode MAX_FIELD_LENGTH}.
 */
export async function* encodeStateRecords(
  records: Iterable<SnapshotRecord> | AsyncIterable<SnapshotRecord>,
  options: EncodeStateOptions = {},
): AsyncGenerator<Uint8Array> {
  const { chunkSize = 262144 } = options;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 64) {
    throw new RangeError(`Cannot encode snapshot: chunkSize ${chunkSize} is not an integer >= 64`);
  }
  const out = new ChunkBuilder(chunkSize);
  out.bytes(STATE_MAGIC);
  let n = 0;
  const add = (rec: SnapshotRecord) => {
    checkRecord(rec, ++n);
    out.u8(rec.expiresAt === 0 ? RECORD_PLAIN : RECORD_EXPIRING);
    out.u64(rec.key.length);
    out.bytes(rec.key);
    out.u64(rec.value.length);
    out.bytes(rec.value);
    if (rec.expiresAt !== 0) out.u64(rec.expiresAt);
  };
  if (Symbol.iterator in records) {
    // A plain loop: no await per record for synchronous sources.
    for (const rec of records) {
      add(rec);
      if (out.readyBytes > 0) yield* out.take();
    }
  } else {
    for await (const rec of records) {
      add(rec);
      if (out.readyBytes > 0) yield* out.take();
    }
  }
  yield* out.take(true);
}

function checkRecord(rec: SnapshotRecord, n: number): void {
  const { key, value, expiresAt } = rec;
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
    throw new RangeError(
      `Cannot encode snapshot: record ${n} has expiresAt ${expiresAt}, not an integer >= 0`,
    );
  }
  if (key.length > MAX_FIELD_LENGTH || value.length > MAX_FIELD_LENGTH) {
    throw new RangeError(
      `Cannot encode snapshot: record ${n} has a key or value longer than ${MAX_FIELD_LENGTH} bytes`,
    );
  }
}
