/**
 * Parsing command arguments the way Redis does: integers by `string2ll`
 * rules, option names case-insensitively, all straight from the argument
 * bytes. (Floats, for INCRBYFLOAT, are in `commands/long_double.ts`.)
 *
 * @module
 */

import { bytesToBinary } from "../bitcask/bytes.ts";
import { ReplyError } from "../resp/mod.ts";

/** `ERR value is not an integer or out of range`. */
export const NOT_INTEGER = "ERR value is not an integer or out of range";
/** `ERR value is not a valid float`. */
export const NOT_FLOAT = "ERR value is not a valid float";
/** `ERR syntax error`. */
export const SYNTAX = "ERR syntax error";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses a 64-bit signed integer with Redis `string2ll` rules: optional
 * `-`, digits, no `+`, no spaces, no leading zeros (except "0").
 *
 * @param b The bytes.
 * @returns The value, or null when the bytes are not such an integer.
 */
export function parseInt64(b: Uint8Array): bigint | null {
  const n = b.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  const neg = b[0] === 0x2d;
  if (neg) {
    i = 1;
    if (n === 1) return null;
  }
  if (b[i] === 0x30) return n === i + 1 && !neg ? 0n : null;
  let small = 0;
  for (let j = i; j < n; j++) {
    const c = b[j] - 0x30;
    if (c < 0 || c > 9) return null;
    small = small * 10 + c;
  }
  if (small <= Number.MAX_SAFE_INTEGER) return BigInt(neg ? -small : small);
  let v = 0n;
  for (let j = i; j < n; j++) v = v * 10n + BigInt(b[j] - 0x30);
  if (neg) v = -v;
  if (v > INT64_MAX || v < INT64_MIN) return null;
  return v;
}

/**
 * Parses an integer that must fit in a JS safe integer (counts, offsets,
 * TTLs); same syntax as {@linkcode parseInt64}.
 *
 * @param b The bytes.
 * @returns The value, or null when not an integer or not safe.
 */
export function parseSafeInt(b: Uint8Array): number | null {
  const v = parseInt64(b);
  if (v === null || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    return null;
  }
  return Number(v);
}

/**
 * Like {@linkcode parseSafeInt} but throws `ERR value is not an integer or out of range`.
 *
 * @param b The bytes.
 * @returns The value.
 * @throws {ReplyError} When not an integer.
 */
export function intArg(b: Uint8Array): number {
  const v = parseSafeInt(b);
  if (v === null) throw new ReplyError(NOT_INTEGER);
  return v;
}

/**
 * Parses a 32-bit signed integer argument like Redis's `getIntFromObjectOrReply`
 * (database indexes).
 *
 * @param b The bytes.
 * @returns The value.
 * @throws {ReplyError} When not an integer, or outside the 32-bit range.
 */
export function int32Arg(b: Uint8Array): number {
  const v = parseInt64(b);
  if (v === null) throw new ReplyError(NOT_INTEGER);
  if (v < -2147483648n || v > 2147483647n) {
    throw new ReplyError(
      "ERR value is out of range, value must between -2147483648 and 2147483647",
    );
  }
  return Number(v);
}

/**
 * Parses a 64-bit signed integer argument (`getLongLongFromObjectOrReply`).
 *
 * @param b The bytes.
 * @returns The value.
 * @throws {ReplyError} `ERR value is not an integer or out of range`.
 */
export function int64Arg(b: Uint8Array): bigint {
  const v = parseInt64(b);
  if (v === null) throw new ReplyError(NOT_INTEGER);
  return v;
}

/**
 * The bytes as a string of char codes (for ASCII option names and numbers).
 *
 * @param b The bytes.
 * @returns One char per byte.
 */
export function ascii(b: Uint8Array): string {
  return bytesToBinary(b);
}

/**
 * Compares an argument with a lowercase ASCII word, ignoring case.
 *
 * @param b The argument.
 * @param word Lowercase word.
 * @returns Whether they are equal.
 */
export function isWord(b: Uint8Array, word: string): boolean {
  if (b.length !== word.length) return false;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Lowercases an ASCII argument (command and option names).
 *
 * @param b The argument.
 * @returns Lowercase text (non-ASCII bytes kept as char codes).
 */
export function lower(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    s += String.fromCharCode(c);
  }
  return s;
}

const te = new TextEncoder();

/**
 * UTF-8 bytes of a string.
 *
 * @param s The string.
 * @returns Its bytes.
 */
export function utf8(s: string): Uint8Array {
  return te.encode(s);
}

/**
 * Bytes of an ASCII (or binary) string, one per char.
 *
 * @param s The string.
 * @returns Its bytes.
 */
export function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * Bytes of the decimal form of an integer.
 *
 * @param n The integer.
 * @returns ASCII digits.
 */
export function intBytes(n: number | bigint): Uint8Array {
  return asciiBytes(String(n));
}
