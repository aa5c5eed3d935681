/**
 * Data files: `NNNNNNNNN.data`, a 32-byte header followed by records.
 *
 * Header (little-endian):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 8 | magic `BTRFDATA` (hint files: `BTRFHINT`) |
 * | 8 | 2 | format version |
 * | 10 | 2 | flags (bit 0: written by a merge, bit 1: everything ranked before is cleared) |
 * | 12 | 4 | file id |
 * | 16 | 4 | rank: replay order (a merge output ranks with the newest file it replaced) |
 * | 20 | 8 | base Raft index: the store's applied index when the file was made |
 * | 28 | 4 | CRC-32 of bytes 0..28 |
 *
 * @module
 */

import fs from "node:fs";
import { crc32, readU16, readU32, readU64, writeU16, writeU32, writeU64 } from "./bytes.ts";
import { CorruptRecordError, UnsupportedFormatError } from "./errors.ts";

/** Size of the header at the start of every data and hint file. */
export const FILE_HEADER_SIZE = 32;
/** The on-disk format version this code writes and reads. */
export const FORMAT_VERSION = 1;
/** Header flag: the file was written by a merge. */
export const FLAG_MERGED = 1;
/** Header flag: the store was cleared when this file was made; every file ranked before it is dead. */
export const FLAG_CLEARED = 2;
/** Magic of data files. */
export const DATA_MAGIC = "BTRFDATA";
/** Magic of hint files. */
export const HINT_MAGIC = "BTRFHINT";

/** Decoded file header. */
export interface FileHeader {
  /** File id (also in the name). */
  id: number;
  /** Replay order. */
  rank: number;
  /** Header flags. */
  flags: number;
  /** Applied Raft index when the file was created. */
  baseIndex: number;
}

/**
 * Encodes a file header.
 *
 * @param magic {@linkcode DATA_MAGIC} or {@linkcode HINT_MAGIC}.
 * @param h The header fields.
 * @returns 32 bytes.
 */
export function encodeFileHeader(magic: string, h: FileHeader): Uint8Array {
  const b = new Uint8Array(FILE_HEADER_SIZE);
  for (let i = 0; i < 8; i++) b[i] = magic.charCodeAt(i);
  writeU16(b, 8, FORMAT_VERSION);
  writeU16(b, 10, h.flags);
  writeU32(b, 12, h.id);
  writeU32(b, 16, h.rank);
  writeU64(b, 20, h.baseIndex);
  writeU32(b, 28, crc32(b.subarray(0, 28)));
  return b;
}

/**
 * Decodes and checks a file header.
 *
 * @param magic Expected magic.
 * @param b At least 32 bytes from the start of the file.
 * @param path File path, for errors.
 * @returns The header.
 * @throws {CorruptRecordError} On a bad magic or CRC.
 * @throws {UnsupportedFormatError} On an unknown version.
 */
export function decodeFileHeader(magic: string, b: Uint8Array, path: string): FileHeader {
  if (b.length < FILE_HEADER_SIZE) throw new CorruptRecordError(path, 0, "short file header");
  for (let i = 0; i < 8; i++) {
    if (b[i] !== magic.charCodeAt(i)) throw new CorruptRecordError(path, 0, "bad magic");
  }
  if (readU32(b, 28) !== crc32(b.subarray(0, 28))) {
    throw new CorruptRecordError(path, 0, "file header checksum mismatch");
  }
  const version = readU16(b, 8);
  if (version !== FORMAT_VERSION) throw new UnsupportedFormatError(path, version);
  return {
    flags: readU16(b, 10),
    id: readU32(b, 12),
    rank: readU32(b, 16),
    baseIndex: readU64(b, 20),
  };
}

/**
 * Name of the data file with this id.
 *
 * @param id File id.
 * @returns e.g. `000000007.data`.
 */
export function dataFileName(id: number): string {
  return `${String(id).padStart(9, "0")}.data`;
}

/**
 * Name of the hint file for this id.
 *
 * @param id File id.
 * @returns e.g. `000000007.hint`.
 */
export function hintFileName(id: number): string {
  return `${String(id).padStart(9, "0")}.hint`;
}

/**
 * Reads exactly `len` bytes at `pos` (looping over short reads).
 *
 * @param fd File descriptor.
 * @param buf Destination.
 * @param off Offset in `buf`.
 * @param len Bytes to read.
 * @param pos File position.
 * @returns Bytes read; less than `len` only at end of file.
 */
export function preadFully(
  fd: number,
  buf: Uint8Array,
  off: number,
  len: number,
  pos: number,
): number {
  let done = 0;
  while (done < len) {
    const n = fs.readSync(fd, buf, off + done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Writes all of `buf` at `pos`.
 *
 * @param fd File descriptor.
 * @param buf Bytes to write.
 * @param pos File position.
 */
export function pwriteFully(fd: number, buf: Uint8Array, pos: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, pos + done);
  }
}

/** An open data file and its accounting. */
export class DataFile {
  /** File id. */
  readonly id: number;
  /** Replay order. */
  readonly rank: number;
  /** Header flags. */
  readonly flags: number;
  /** Applied Raft index when the file was made. */
  readonly baseIndex: number;
  /** Current path. */
  path: string;
  /** Open descriptor (read, and write for the active file). */
  readonly fd: number;
  /** Bytes in the file, header included. */
  size: number;
  /** Bytes of records the keydir points at. */
  liveBytes = 0;
  /** Highest Raft index of any record (at least `baseIndex`). */
  maxIndex: number;
  /** Whether a valid hint file exists. */
  hasHint = false;
  /** Set once a merge has copied this file's live records elsewhere. */
  retired = false;

  /**
   * Wraps an open file; use {@linkcode DataFile.create} or {@linkcode DataFile.open}.
   *
   * @param path Path.
   * @param fd Descriptor.
   * @param header Decoded header.
   * @param size File size.
   */
  constructor(path: string, fd: number, header: FileHeader, size: number) {
    this.path = path;
    this.fd = fd;
    this.id = header.id;
    this.rank = header.rank;
    this.flags = header.flags;
    this.baseIndex = header.baseIndex;
    this.maxIndex = header.baseIndex;
    this.size = size;
  }

  /** Bytes no longer referenced (superseded records, tombstones). */
  get deadBytes(): number {
    return this.size - FILE_HEADER_SIZE - this.liveBytes;
  }

  /**
   * Creates a new file holding only its header, flushed to disk.
   *
   * @param path Where to create it (must not exist).
   * @param header Header fields.
   * @returns The open file.
   */
  static create(path: string, header: FileHeader): DataFile {
    const fd = fs.openSync(path, "wx+");
    try {
      pwriteFully(fd, encodeFileHeader(DATA_MAGIC, header), 0);
      fs.fdatasyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new DataFile(path, fd, header, FILE_HEADER_SIZE);
  }

  /**
   * Opens an existing file and checks its header.
   *
   * @param path The file.
   * @returns The open file.
   * @throws {CorruptRecordError} If the header is missing or bad.
   */
  static open(path: string): DataFile {
    const fd = fs.openSync(path, "r+");
    try {
      const size = fs.fstatSync(fd).size;
      const b = new Uint8Array(FILE_HEADER_SIZE);
      const n = preadFully(fd, b, 0, FILE_HEADER_SIZE, 0);
      const header = decodeFileHeader(DATA_MAGIC, b.subarray(0, n), path);
      return new DataFile(path, fd, header, size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Closes the descriptor. */
  close(): void {
    fs.closeSync(this.fd);
  }
}
