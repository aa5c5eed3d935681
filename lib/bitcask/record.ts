/**
 * The data-record format. Every record is:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | CRC-32 of bytes 4..end |
 * | 4 | 1 | type (1 put, 2 delete, 3 put-with-expiry), bit 7 = more records of this batch follow |
 * | 5 | 8 | expiry, Unix ms (0 = none) |
 * | 13 | 8 | Raft index that produced the record (0 = none) |
 * | 21 | 4 | key length |
 * | 25 | 4 | value length (always 0 for a delete) |
 * | 29 | k | key |
 * | 29+k | v | value |
 *
 * All integers are little-endian.
 *
 * @module
 */

import { crc32, readU32, readU64, writeU32, writeU64 } from "./bytes.ts";

/** Bytes before the key in every record. */
export const RECORD_HEADER_SIZE = 29;
/** A put without expiry. */
export const TYPE_PUT = 1;
/** A tombstone: the key is deleted. */
export const TYPE_DELETE = 2;
/** A put with an absolute expiry time. */
export const TYPE_PUT_EXPIRING = 3;
/** Type-byte flag: the next record belongs to the same atomic batch. */
export const FLAG_MORE = 0x80;
/** Largest key or value length the format can hold. */
export const FORMAT_MAX_LENGTH = 0xffff_ffff;

/**
 * Total on-disk size of a record.
 *
 * @param keyLength Key length in bytes.
 * @param valueLength Value length in bytes.
 * @returns Header plus key plus value.
 */
export function recordSize(keyLength: number, valueLength: number): number {
  return RECORD_HEADER_SIZE + keyLength + valueLength;
}

/**
 * Writes a record header (without CRC) at `off`.
 *
 * @param buf Destination with room for the header.
 * @param off Record start.
 * @param type Type byte, possibly with {@linkcode FLAG_MORE}.
 * @param expiresAt Expiry in Unix ms, 0 for none.
 * @param index Raft index, 0 for none.
 * @param keyLength Key length.
 * @param valueLength Value length.
 */
export function writeRecordHeader(
  buf: Uint8Array,
  off: number,
  type: number,
  expiresAt: number,
  index: number,
  keyLength: number,
  valueLength: number,
): void {
  buf[off + 4] = type;
  writeU64(buf, off + 5, expiresAt);
  writeU64(buf, off + 13, index);
  writeU32(buf, off + 21, keyLength);
  writeU32(buf, off + 25, valueLength);
}

/**
 * Computes and stores the CRC of a record laid out contiguously in `buf`.
 *
 * @param buf Buffer holding the whole record.
 * @param off Record start.
 * @param size Record size.
 */
export function sealRecord(buf: Uint8Array, off: number, size: number): void {
  writeU32(buf, off, crc32(buf.subarray(off + 4, off + size)));
}

/**
 * Checks the CRC of a record laid out contiguously in `buf`.
 *
 * @param buf Buffer holding the whole record.
 * @param off Record start.
 * @param size Record size.
 * @returns Whether the stored CRC matches.
 */
export function recordCrcMatches(buf: Uint8Array, off: number, size: number): boolean {
  return readU32(buf, off) === crc32(buf.subarray(off + 4, off + size));
}

/** The fields of a record header, as decoded by {@linkcode decodeRecordHeader}. */
export interface RecordHeader {
  /** Type without the batch flag. */
  type: number;
  /** Whether {@linkcode FLAG_MORE} was set. */
  more: boolean;
  /** Expiry in Unix ms, 0 for none. */
  expiresAt: number;
  /** Raft index. */
  index: number;
  /** Key length. */
  keyLength: number;
  /** Value length. */
  valueLength: number;
}

/**
 * Decodes and sanity-checks a record header.
 *
 * @param buf Buffer holding at least {@linkcode RECORD_HEADER_SIZE} bytes at `off`.
 * @param off Record start.
 * @param out Object to fill.
 * @returns `null` when the header is plausible, else what is wrong with it.
 */
export function decodeRecordHeader(
  buf: Uint8Array,
  off: number,
  out: RecordHeader,
): string | null {
  const typeByte = buf[off + 4];
  const type = typeByte & ~FLAG_MORE;
  if (type !== TYPE_PUT && type !== TYPE_DELETE && type !== TYPE_PUT_EXPIRING) {
    return `unknown record type ${typeByte}`;
  }
  const expiresAt = readU64(buf, off + 5);
  const index = readU64(buf, off + 13);
  if (expiresAt < 0 || index < 0) return "integer field out of range";
  const valueLength = readU32(buf, off + 25);
  if (type === TYPE_DELETE && valueLength !== 0) return "delete record with a value";
  if (type === TYPE_PUT_EXPIRING && expiresAt === 0) return "expiring record without expiry";
  out.type = type;
  out.more = (typeByte & FLAG_MORE) !== 0;
  out.expiresAt = type === TYPE_PUT_EXPIRING ? expiresAt : 0;
  out.index = index;
  out.keyLength = readU32(buf, off + 21);
  out.valueLength = valueLength;
  return null;
}

/**
 * Creates an empty {@linkcode RecordHeader} to reuse with {@linkcode decodeRecordHeader}.
 *
 * @returns A zeroed header object.
 */
export function newRecordHeader(): RecordHeader {
  return { type: 0, more: false, expiresAt: 0, index: 0, keyLength: 0, valueLength: 0 };
}
