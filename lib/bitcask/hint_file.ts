/**
 * Hint files: `NNNNNNNNN.hint` next to an immutable data file, holding each
 * key's final state in that file (sorted by key) so that opening the store
 * reads keys without reading values.
 *
 * Layout: the 32-byte file header (magic `BTRFHINT`), then entries
 * `u8 type | u64 expiry | u32 offset | u32 size | u32 keylen | key`, then a
 * 24-byte trailer `u32 count | u64 maxIndex | u64 dataSize | u32 crc32`,
 * where the CRC covers every byte before it. A hint only counts if its CRC,
 * id and `dataSize` match its data file; otherwise the data file is scanned.
 *
 * @module
 */

import {
  bytesToBinary,
  crc32,
  readU32,
  readU64,
  writeBinary,
  writeU32,
  writeU64,
} from "./bytes.ts";
import {
  decodeFileHeader,
  encodeFileHeader,
  FILE_HEADER_SIZE,
  type FileHeader,
  HINT_MAGIC,
} from "./data_file.ts";
import type { FileEntries } from "./file_entries.ts";
import { RECORD_HEADER_SIZE, TYPE_DELETE, TYPE_PUT, TYPE_PUT_EXPIRING } from "./record.ts";

const ENTRY_HEADER = 21;
const TRAILER = 24;

/** Builds a hint file's bytes from entries added in key order. */
export class HintWriter {
  #buf: Uint8Array;
  #len: number;
  #count = 0;

  /**
   * Starts a hint for the data file described by `header`.
   *
   * @param header The data file's header fields.
   */
  constructor(header: FileHeader) {
    this.#buf = new Uint8Array(64 * 1024);
    this.#buf.set(encodeFileHeader(HINT_MAGIC, header));
    this.#len = FILE_HEADER_SIZE;
  }

  /** Entries added so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Appends an entry; keys must come in strictly increasing order.
   *
   * @param type Record type.
   * @param expiresAt Expiry (Unix ms), 0 for none.
   * @param offset Record offset in the data file.
   * @param size Record size.
   * @param key Binary-string key.
   */
  add(type: number, expiresAt: number, offset: number, size: number, key: string): void {
    this.#reserve(ENTRY_HEADER + key.length);
    const b = this.#buf;
    const o = this.#len;
    b[o] = type;
    writeU64(b, o + 1, expiresAt);
    writeU32(b, o + 9, offset);
    writeU32(b, o + 13, size);
    writeU32(b, o + 17, key.length);
    writeBinary(key, b, o + ENTRY_HEADER);
    this.#len = o + ENTRY_HEADER + key.length;
    this.#count++;
  }

  /**
   * Seals the hint.
   *
   * @param maxIndex Highest Raft index in the data file.
   * @param dataSize Size of the data file the hint describes.
   * @returns The complete file contents.
   */
  finish(maxIndex: number, dataSize: number): Uint8Array {
    this.#reserve(TRAILER);
    const b = this.#buf;
    const o = this.#len;
    writeU32(b, o, this.#count);
    writeU64(b, o + 4, maxIndex);
    writeU64(b, o + 12, dataSize);
    writeU32(b, o + 20, crc32(b.subarray(0, o + 20)));
    return b.subarray(0, o + TRAILER);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}

/**
 * Encodes a complete hint file from a file's entries.
 *
 * @param header The data file's header fields.
 * @param entries Its entries (sorted).
 * @param dataSize The data file's size.
 * @returns The hint file contents.
 */
export function encodeHint(header: FileHeader, entries: FileEntries, dataSize: number): Uint8Array {
  const w = new HintWriter(header);
  const l = entries.locs;
  for (let i = 0; i < entries.count; i++) {
    w.add(entries.types[i], l[3 * i + 2], l[3 * i], l[3 * i + 1], entries.keys[i]);
  }
  return w.finish(entries.maxIndex, dataSize);
}

/**
 * Decodes a hint file and checks it against its data file.
 *
 * @param bytes The hint file contents.
 * @param path Its path.
 * @param id The data file's id.
 * @param dataSize The data file's size.
 * @returns The entries, or a string saying why the hint cannot be used.
 */
export function decodeHint(
  bytes: Uint8Array,
  path: string,
  id: number,
  dataSize: number,
): FileEntries | string {
  if (bytes.length < FILE_HEADER_SIZE + TRAILER) return "too short";
  const t = bytes.length - TRAILER;
  if (readU32(bytes, t + 20) !== crc32(bytes.subarray(0, t + 20))) return "checksum mismatch";
  let header: FileHeader;
  try {
    header = decodeFileHeader(HINT_MAGIC, bytes, path);
  } catch (e) {
    return (e as Error).message;
  }
  if (header.id !== id) return `describes file ${header.id}, not ${id}`;
  if (readU64(bytes, t + 12) !== dataSize) return "data file size differs";
  const count = readU32(bytes, t);
  const maxIndex = readU64(bytes, t + 4);
  if (maxIndex < 0) return "bad max index";
  const keys: string[] = new Array(count);
  const types = new Uint8Array(count);
  const locs = new Float64Array(3 * count);
  let o = FILE_HEADER_SIZE;
  let prev: string | null = null;
  for (let i = 0; i < count; i++) {
    if (o + ENTRY_HEADER > t) return "entries overrun the trailer";
    const type = bytes[o];
    const expiresAt = readU64(bytes, o + 1);
    const offset = readU32(bytes, o + 9);
    const size = readU32(bytes, o + 13);
    const klen = readU32(bytes, o + 17);
    const ks = o + ENTRY_HEADER;
    if (ks + klen > t) return "entries overrun the trailer";
    if (type !== TYPE_PUT && type !== TYPE_DELETE && type !== TYPE_PUT_EXPIRING) {
      return "bad entry type";
    }
    if (
      expiresAt < 0 || offset < FILE_HEADER_SIZE || offset + size > dataSize ||
      size < RECORD_HEADER_SIZE + klen
    ) {
      return "entry out of range";
    }
    const key = bytesToBinary(bytes, ks, ks + klen);
    if (prev !== null && key <= prev) return "keys out of order";
    prev = key;
    keys[i] = key;
    types[i] = type;
    locs[3 * i] = offset;
    locs[3 * i + 1] = size;
    locs[3 * i + 2] = expiresAt;
    o = ks + klen;
  }
  if (o !== t) return "trailing bytes before the trailer";
  return { keys, types, locs, count, maxIndex: Math.max(maxIndex, header.baseIndex) };
}
