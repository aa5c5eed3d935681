/**
 * Sequential, CRC-checked reading of a segment's records at open, through a
 * read window so that small records cost no system call each, and the
 * search that tells a torn tail from corruption.
 *
 * @module
 */

import { preadFully } from "../bitcask/data_file.ts";
import { WalCorruptError } from "./wal_errors.ts";
import {
  RECORD_HEADER_SIZE,
  recordCrcMatches,
  recordDataLength,
  recordIndex,
  recordTerm,
  SEGMENT_HEADER_SIZE,
} from "./wal_format.ts";
import type { WalSegment } from "./wal_segment.ts";

const WINDOW = 1 << 20;

/** How a segment scan ended. */
export interface ScanOutcome {
  /** Offset just past the last good record. */
  end: number;
  /** Why the record at `end` is unreadable, or null at a clean end of file. */
  problem: string | null;
}

/**
 * Reads every record of `seg` from its header on, registering each good one
 * in the segment's offset table.
 *
 * @param seg A freshly opened segment (no records registered; `size` is the file size).
 * @param visit Called with each good record's index, term and offset, before it is
 *   registered; it may throw to reject the record.
 * @returns Where and why the scan stopped.
 * @throws {WalCorruptError} If a record with a good CRC has an unexpected index.
 */
export function scanSegment(
  seg: WalSegment,
  visit: (index: number, term: number, offset: number) => void,
): ScanOutcome {
  const fileSize = seg.size;
  let buf = new Uint8Array(Math.min(WINDOW, Math.max(0, fileSize - SEGMENT_HEADER_SIZE)));
  let bufPos = SEGMENT_HEADER_SIZE;
  let bufLen = 0;
  const ensure = (pos: number, n: number): void => {
    if (pos >= bufPos && pos + n <= bufPos + bufLen) return;
    if (n > buf.length) buf = new Uint8Array(n);
    const want = Math.min(buf.length, fileSize - pos);
    bufLen = preadFully(seg.fd, buf, 0, want, pos);
    bufPos = pos;
  };
  let pos = SEGMENT_HEADER_SIZE;
  while (pos < fileSize) {
    if (fileSize - pos < RECORD_HEADER_SIZE) {
      return { end: pos, problem: "truncated record header" };
    }
    ensure(pos, RECORD_HEADER_SIZE);
    const size = RECORD_HEADER_SIZE + recordDataLength(buf, pos - bufPos);
    if (pos + size > fileSize) return { end: pos, problem: "truncated record" };
    ensure(pos, size);
    const off = pos - bufPos;
    if (!recordCrcMatches(buf, off, size)) return { end: pos, problem: "checksum mismatch" };
    const index = recordIndex(buf, off);
    const expected = seg.firstIndex + seg.count;
    if (index !== expected) {
      throw new WalCorruptError(seg.path, pos, `record has index ${index}, expected ${expected}`);
    }
    visit(index, recordTerm(buf, off), pos);
    seg.push(pos, pos + size);
    pos += size;
  }
  return { end: pos, problem: null };
}

/**
 * Tells whether a complete record with a good CRC and a plausible index
 * starts anywhere after `from`: if so, the damage at `from` is corruption
 * in the middle of the log, not a torn tail.
 *
 * @param seg The segment.
 * @param fileSize Size of its file.
 * @param from Offset of the bad record.
 * @param minIndex Index the bad record should have had.
 * @returns Whether a good record follows.
 */
export function goodRecordAfter(
  seg: WalSegment,
  fileSize: number,
  from: number,
  minIndex: number,
): boolean {
  const len = fileSize - from;
  if (len <= RECORD_HEADER_SIZE) return false;
  const buf = new Uint8Array(len);
  const n = preadFully(seg.fd, buf, 0, len, from);
  const maxIndex = minIndex + Math.ceil(n / RECORD_HEADER_SIZE);
  for (let p = 1; p + RECORD_HEADER_SIZE <= n; p++) {
    const index = recordIndex(buf, p);
    if (index < minIndex || index > maxIndex) continue;
    const size = RECORD_HEADER_SIZE + recordDataLength(buf, p);
    if (p + size > n) continue;
    if (recordCrcMatches(buf, p, size)) return true;
  }
  return false;
}
