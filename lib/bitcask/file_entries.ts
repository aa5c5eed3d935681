/**
 * The final state of every key in one data file, sorted by key: what a hint
 * file stores and what opening a store merges across files.
 *
 * @module
 */

import { bytesToBinary } from "./bytes.ts";
import { CorruptRecordError } from "./errors.ts";
import { RECORD_HEADER_SIZE } from "./record.ts";
import { RecordScanner, type ScanSource } from "./scanner.ts";

/** Per-key final state of one file, in key order, keys unique. */
export interface FileEntries {
  /** Sorted binary-string keys. */
  keys: string[];
  /** Record type per key (put, delete or put-with-expiry). */
  types: Uint8Array;
  /** Per key: record offset, record size, expiry (3 numbers). */
  locs: Float64Array;
  /** Number of entries. */
  count: number;
  /** Highest Raft index in the file (at least its base index). */
  maxIndex: number;
}

/** Result of {@linkcode collectEntries}. */
export interface CollectResult {
  /** The entries of every complete record up to `end`. */
  entries: FileEntries;
  /** Offset just past the last record that belongs to a complete batch. */
  end: number;
  /** Why the file ends before its size (torn tail), or null. */
  tornReason: string | null;
}

/**
 * Scans a data file with CRC checks and gathers the last record per key.
 *
 * In an immutable file every record must be good and every batch complete.
 * In the active file a bad or short record is a torn tail when no good
 * record follows it: the result ends before it (and before any batch left
 * incomplete), for the caller to truncate. A bad record with good records
 * after it is corruption either way.
 *
 * @param src The open file.
 * @param path Its path, for errors.
 * @param baseIndex Its header's base index.
 * @param active Whether this is the active (last written) file.
 * @returns Entries, the valid end and whether the tail was torn.
 * @throws {CorruptRecordError} On corruption.
 */
export function collectEntries(
  src: ScanSource,
  path: string,
  baseIndex: number,
  active: boolean,
): CollectResult {
  const sc = new RecordScanner(src);
  const slot = new Map<string, number>();
  let cap = 1024;
  let types = new Uint8Array(cap);
  let locs = new Float64Array(3 * cap);
  let n = 0;
  let maxIndex = baseIndex;
  let groupStart = -1;
  let groupMax = 0;
  const pending: string[] = [];
  const pendingAt: number[] = [];

  while (sc.next()) {
    const h = sc.header;
    const ks = sc.start + RECORD_HEADER_SIZE;
    const key = bytesToBinary(sc.buf, ks, ks + h.keyLength);
    if (n === cap) {
      cap *= 2;
      const t = new Uint8Array(cap);
      t.set(types);
      types = t;
      const l = new Float64Array(3 * cap);
      l.set(locs);
      locs = l;
    }
    types[n] = h.type;
    locs[3 * n] = sc.offset;
    locs[3 * n + 1] = sc.size;
    locs[3 * n + 2] = h.expiresAt;
    if (groupStart < 0) groupStart = sc.offset;
    if (h.index > groupMax) groupMax = h.index;
    pending.push(key);
    pendingAt.push(n++);
    if (!h.more) {
      for (let i = 0; i < pending.length; i++) slot.set(pending[i], pendingAt[i]);
      pending.length = 0;
      pendingAt.length = 0;
      groupStart = -1;
      if (groupMax > maxIndex) maxIndex = groupMax;
      groupMax = 0;
    }
  }

  let end = sc.end;
  let tornReason: string | null = null;
  if (sc.problem !== null) {
    if (!active) throw new CorruptRecordError(path, sc.offset, sc.problem);
    for (let p = sc.offset + 1; p + RECORD_HEADER_SIZE <= src.size; p++) {
      if (sc.goodRecordAt(p)) {
        throw new CorruptRecordError(path, sc.offset, `${sc.problem}, with good records after it`);
      }
    }
    tornReason = sc.problem;
  }
  if (groupStart >= 0) {
    if (!active) throw new CorruptRecordError(path, groupStart, "incomplete batch");
    end = groupStart;
    tornReason ??= "incomplete batch";
  }

  const keys = [...slot.keys()].sort();
  const out: FileEntries = {
    keys,
    types: new Uint8Array(keys.length),
    locs: new Float64Array(3 * keys.length),
    count: keys.length,
    maxIndex,
  };
  for (let i = 0; i < keys.length; i++) {
    const j = slot.get(keys[i]) as number;
    out.types[i] = types[j];
    out.locs[3 * i] = locs[3 * j];
    out.locs[3 * i + 1] = locs[3 * j + 1];
    out.locs[3 * i + 2] = locs[3 * j + 2];
  }
  return { entries: out, end, tornReason };
}
