/**
 * Small byte helpers shared by the on-disk formats: CRC-32, little-endian
 * 64-bit integers stored as two 32-bit halves (no BigInt on hot paths), and
 * the byte-string <-> "binary string" mapping used for in-memory keys.
 *
 * @module
 */

import zlib from "node:zlib";

const nativeCrc32 = zlib.crc32 as (data: Uint8Array, value?: number) => number;

/**
 * CRC-32 (IEEE, as zlib and Go's hash/crc32 compute it) of `bytes`.
 *
 * @param bytes The bytes to checksum.
 * @param seed A previous CRC to continue from (for data split into parts).
 * @returns The unsigned 32-bit checksum.
 */
export function crc32(bytes: Uint8Array, seed = 0): number {
  return nativeCrc32(bytes, seed) >>> 0;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Writes a non-negative safe integer as a little-endian u64.
 *
 * @param buf Destination.
 * @param off Offset of the 8 bytes.
 * @param value Integer in [0, 2^53).
 */
export function writeU64(buf: Uint8Array, off: number, value: number): void {
  const lo = value % TWO_32;
  const hi = (value - lo) / TWO_32;
  writeU32(buf, off, lo);
  writeU32(buf, off + 4, hi);
}

/**
 * Reads a little-endian u64 that must fit in a safe integer.
 *
 * @param buf Source.
 * @param off Offset of the 8 bytes.
 * @returns The value, or -1 if it does not fit in 53 bits.
 */
export function readU64(buf: Uint8Array, off: number): number {
  const lo = readU32(buf, off);
  const hi = readU32(buf, off + 4);
  if (hi > 0x1f_ffff) return -1;
  return hi * TWO_32 + lo;
}

/**
 * Writes a little-endian u32.
 *
 * @param buf Destination.
 * @param off Offset of the 4 bytes.
 * @param value Integer in [0, 2^32).
 */
export function writeU32(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value;
  buf[off + 1] = value >>> 8;
  buf[off + 2] = value >>> 16;
  buf[off + 3] = value >>> 24;
}

/**
 * Reads a little-endian u32.
 *
 * @param buf Source.
 * @param off Offset of the 4 bytes.
 * @returns The unsigned value.
 */
export function readU32(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

/**
 * Writes a little-endian u16.
 *
 * @param buf Destination.
 * @param off Offset of the 2 bytes.
 * @param value Integer in [0, 65536).
 */
export function writeU16(buf: Uint8Array, off: number, value: number): void {
  buf[off] = value;
  buf[off + 1] = value >>> 8;
}

/**
 * Reads a little-endian u16.
 *
 * @param buf Source.
 * @param off Offset of the 2 bytes.
 * @returns The unsigned value.
 */
export function readU16(buf: Uint8Array, off: number): number {
  return buf[off] | (buf[off + 1] << 8);
}

const CHUNK = 8192;

/**
 * Maps bytes to a "binary string" with one char (0-255) per byte. JS string
 * comparison on such strings orders exactly like a byte-wise comparison, and
 * V8 stores them one byte per char, so they make compact, ordered map keys.
 *
 * @param bytes The bytes (not retained).
 * @param start First byte.
 * @param end One past the last byte.
 * @returns The binary string.
 */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= CHUNK) {
    const part = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
    return String.fromCharCode.apply(null, part as unknown as number[]);
  }
  const parts: string[] = [];
  for (let i = start; i < end; i += CHUNK) {
    parts.push(
      String.fromCharCode.apply(
        null,
        bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

/**
 * Inverse of {@linkcode bytesToBinary}.
 *
 * @param s A binary string (every char code below 256).
 * @returns A new Uint8Array with one byte per char.
 */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Copies a binary string into `buf` at `off`, one byte per char.
 *
 * @param s A binary string.
 * @param buf Destination with room for `s.length` bytes.
 * @param off Where to start writing.
 */
export function writeBinary(s: string, buf: Uint8Array, off: number): void {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
}
