/**
 * On-disk format of write-ahead log segments: `<20-digit first index>.wal`,
 * a 32-byte header followed by records. All integers are little-endian.
 *
 * Segment header:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 8 | magic `BTRFWAL1` |
 * | 8 | 2 | format version (1) |
 * | 10 | 2 | flags (0) |
 * | 12 | 4 | reserved (0) |
 * | 16 | 8 | index of the segment's first record |
 * | 24 | 4 | reserved (0) |
 * | 28 | 4 | CRC-32 of bytes 0..28 |
 *
 * Record:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | CRC-32 of bytes 4..end |
 * | 4 | 4 | data length `n` |
 * | 8 | 8 | Raft index |
 * | 16 | 8 | Raft term |
 * | 24 | n | data |
 *
 * @module
 */

import {
  crc32,
  readU16,
  readU32,
  readU64,
  writeU16,
  writeU32,
  writeU64,
} from "../bitcask/bytes.ts";
import { WalCorruptError } from "./wal_errors.ts";

/** Size of the header at the start of every segment. */
export const SEGMENT_HEADER_SIZE = 32;
/** Bytes of a record before its data. */
export const RECORD_HEADER_SIZE = 24;
/** Segment format version this code writes and reads. */
export const WAL_FORMAT_VERSION = 1;
/** Magic at the start of every segment. */
export const SEGMENT_MAGIC = "BTRFWAL1";
/** Longest data a record can hold (its length field is a u32). */
export const MAX_DATA_LENGTH = 0xffff_ffff;

const SEGMENT_NAME_REGEXP = /^(\d{20})\.wal$/;

/**
 * Name of the segment whose first record has index `firstIndex`.
 *
 * @param firstIndex Index of the first record.
 * @returns e.g. `00000000000000000001.wal`.
 */
export function segmentFileName(firstIndex: number): string {
  return `${String(firstIndex).padStart(20, "0")}.wal`;
}

/**
 * Parses a segment file name.
 *
 * @param name A directory entry.
 * @returns The first index it names, or -1 if it is not a segment name.
 */
export function parseSegmentFileName(name: string): number {
  const m = SEGMENT_NAME_REGEXP.exec(name);
  if (m === null) return -1;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : -1;
}

/**
 * Encodes a segment header.
 *
 * @param firstIndex Index of the segment's first record.
 * @returns {@linkcode SEGMENT_HEADER_SIZE} bytes.
 */
export function encodeSegmentHeader(firstIndex: number): Uint8Array {
  const b = new Uint8Array(SEGMENT_HEADER_SIZE);
  for (let i = 0; i < 8; i++) b[i] = SEGMENT_MAGIC.charCodeAt(i);
  writeU16(b, 8, WAL_FORMAT_VERSION);
  writeU64(b, 16, firstIndex);
  writeU32(b, 28, crc32(b.subarray(0, 28)));
  return b;
}

/**
 * Decodes and checks a segment header.
 *
 * @param b The first bytes of the file (all of them if fewer than a header).
 * @param path File path, for errors.
 * @returns The index of the segment's first record.
 * @throws {WalCorruptError} On a short header, bad magic, bad CRC or unknown version.
 */
export function decodeSegmentHeader(b: Uint8Array, path: string): number {
  if (b.length < SEGMENT_HEADER_SIZE) throw new WalCorruptError(path, 0, "short segment header");
  for (let i = 0; i < 8; i++) {
    if (b[i] !== SEGMENT_MAGIC.charCodeAt(i)) throw new WalCorruptError(path, 0, "bad magic");
  }
  if (readU32(b, 28) !== crc32(b.subarray(0, 28))) {
    throw new WalCorruptError(path, 0, "segment header checksum mismatch");
  }
  const version = readU16(b, 8);
  if (version !== WAL_FORMAT_VERSION) {
    throw new WalCorruptError(path, 0, `unsupported format version ${version}`);
  }
  const first = readU64(b, 16);
  if (first < 1) throw new WalCorruptError(path, 0, "bad first index in segment header");
  return first;
}

/**
 * Encodes one record at `off` (the caller sized `buf` with {@linkcode RECORD_HEADER_SIZE}
 * plus the data length).
 *
 * @param buf Destination.
 * @param off Record start.
 * @param index Raft index.
 * @param term Raft term.
 * @param data Entry data.
 * @returns The record size.
 */
export function encodeRecord(
  buf: Uint8Array,
  off: number,
  index: number,
  term: number,
  data: Uint8Array,
): number {
  const size = RECORD_HEADER_SIZE + data.length;
  writeU32(buf, off + 4, data.length);
  writeU64(buf, off + 8, index);
  writeU64(buf, off + 16, term);
  buf.set(data, off + RECORD_HEADER_SIZE);
  writeU32(buf, off, crc32(buf.subarray(off + 4, off + size)));
  return size;
}

/**
 * Data length field of the record at `off` (the header must be in `buf`).
 *
 * @param buf Bytes holding the record header.
 * @param off Record start.
 * @returns The data length.
 */
export function recordDataLength(buf: Uint8Array, off: number): number {
  return readU32(buf, off + 4);
}

/**
 * Index field of the record at `off`.
 *
 * @param buf Bytes holding the record header.
 * @param off Record start.
 * @returns The index, or -1 if it does not fit in 53 bits.
 */
export function recordIndex(buf: Uint8Array, off: number): number {
  return readU64(buf, off + 8);
}

/**
 * Term field of the record at `off`.
 *
 * @param buf Bytes holding the record header.
 * @param off Record start.
 * @returns The term, or -1 if it does not fit in 53 bits.
 */
export function recordTerm(buf: Uint8Array, off: number): number {
  return readU64(buf, off + 16);
}

/**
 * Checks the CRC of a whole record held in `buf`.
 *
 * @param buf Bytes holding the record.
 * @param off Record start.
 * @param size Record size (header plus data).
 * @returns Whether the stored CRC matches.
 */
export function recordCrcMatches(buf: Uint8Array, off: number, size: number): boolean {
  return readU32(buf, off) === crc32(buf.subarray(off + 4, off + size));
}
