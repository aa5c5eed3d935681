/**
 * `wal.meta`: the log's compaction point (the index and term of the last
 * entry dropped by `compact()`), written atomically (temp file, fsync,
 * rename, fsync of the directory) before any segment is deleted.
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 8 | magic `BTRFWALM` |
 * | 8 | 2 | format version (1) |
 * | 10 | 6 | reserved (0) |
 * | 16 | 8 | compaction index |
 * | 24 | 8 | compaction term |
 * | 32 | 4 | reserved (0) |
 * | 36 | 4 | CRC-32 of bytes 0..36 |
 *
 * @module
 */

import fs from "node:fs";
import {
  crc32,
  readU16,
  readU32,
  readU64,
  writeU16,
  writeU32,
  writeU64,
} from "../bitcask/bytes.ts";
import { writeFileAtomicSync } from "../bitcask/fs_util.ts";
import { WalCorruptError } from "./wal_errors.ts";
import { WAL_FORMAT_VERSION } from "./wal_format.ts";

/** Name of the meta file inside the log directory. */
export const META_FILE_NAME = "wal.meta";
/** Size of the meta file. */
export const META_SIZE = 40;
const META_MAGIC = "BTRFWALM";

/** The compaction point: every entry up to `index` is gone; `term` was its term. */
export interface WalMeta {
  /** Index of the last compacted entry (0: nothing compacted). */
  index: number;
  /** Term of that entry (0 when `index` is 0). */
  term: number;
}

/**
 * Encodes the meta file.
 *
 * @param meta The compaction point.
 * @returns {@linkcode META_SIZE} bytes.
 */
export function encodeMeta(meta: WalMeta): Uint8Array {
  const b = new Uint8Array(META_SIZE);
  for (let i = 0; i < 8; i++) b[i] = META_MAGIC.charCodeAt(i);
  writeU16(b, 8, WAL_FORMAT_VERSION);
  writeU64(b, 16, meta.index);
  writeU64(b, 24, meta.term);
  writeU32(b, 36, crc32(b.subarray(0, 36)));
  return b;
}

/**
 * Decodes and checks the meta file.
 *
 * @param b The file's bytes.
 * @param path Its path, for errors.
 * @returns The compaction point.
 * @throws {WalCorruptError} On a wrong size, bad magic, bad CRC or unknown version.
 */
export function decodeMeta(b: Uint8Array, path: string): WalMeta {
  if (b.length !== META_SIZE) throw new WalCorruptError(path, 0, `meta file of ${b.length} bytes`);
  for (let i = 0; i < 8; i++) {
    if (b[i] !== META_MAGIC.charCodeAt(i)) throw new WalCorruptError(path, 0, "bad magic");
  }
  if (readU32(b, 36) !== crc32(b.subarray(0, 36))) {
    throw new WalCorruptError(path, 0, "meta checksum mismatch");
  }
  const version = readU16(b, 8);
  if (version !== WAL_FORMAT_VERSION) {
    throw new WalCorruptError(path, 0, `unsupported format version ${version}`);
  }
  const index = readU64(b, 16);
  const term = readU64(b, 24);
  if (index < 0 || term < 0) throw new WalCorruptError(path, 16, "compaction point out of range");
  return { index, term };
}

/**
 * Reads `<dir>/wal.meta`.
 *
 * @param dir The log directory.
 * @returns The compaction point ({index: 0, term: 0} if there is no meta file).
 * @throws {WalCorruptError} If the file is damaged.
 */
export function readMeta(dir: string): WalMeta {
  const path = `${dir}/${META_FILE_NAME}`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(path));
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return { index: 0, term: 0 };
    throw e;
  }
  return decodeMeta(bytes, path);
}

/**
 * Replaces `<dir>/wal.meta` atomically and durably.
 *
 * @param dir The log directory.
 * @param meta The new compaction point.
 */
export function writeMeta(dir: string, meta: WalMeta): void {
  writeFileAtomicSync(dir, META_FILE_NAME, encodeMeta(meta));
}
