/**
 * Integer parsing straight from bytes, with the rules of Redis's `string2ll`.
 *
 * @module
 */

const ZERO = 48;
const ONE = 49;
const NINE = 57;
const MINUS = 45;
/** `string2ll` rejects strings of `LONG_STR_SIZE` (21) bytes or more. */
const MAX_CHARS = 20;
/** Up to 15 digits the running sum is exact. */
const MAX_EXACT_DIGITS = 15;
const INT64_MAX_DIGITS = "9223372036854775807";
const INT64_MIN_DIGITS = "9223372036854775808";

/**
 * Parses `bytes[start..end)` as a signed 64-bit decimal integer exactly as
 * Redis's `string2ll` does: an optional `-`, then either the single digit
 * `0` or a digit 1-9 followed by digits. No `+`, no spaces, no leading zeros,
 * no `-0`, and the value must fit in an int64.
 *
 * Values beyond 2^53 come back as the nearest double: enough to compare
 * them with a limit, not to do arithmetic on them.
 *
 * @example Parse a bulk length
 * ```ts
 * import { parseInteger } from "./parse_integer.ts";
 *
 * const line = new Uint8Array([0x24, 0x31, 0x32]); // "$12"
 * parseInteger(line, 1, line.length); // 12
 * parseInteger(line, 0, line.length); // NaN
 * ```
 *
 * @param bytes The buffer.
 * @param start First byte of the number.
 * @param end One past its last byte.
 * @returns The value, or `NaN` when the bytes are not a valid integer.
 */
export function parseInteger(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > MAX_CHARS) return NaN;
  let i = start;
  let c = bytes[i];
  if (len === 1 && c === ZERO) return 0;
  const negative = c === MINUS;
  if (negative) {
    if (len === 1) return NaN;
    c = bytes[++i];
  }
  if (c < ONE || c > NINE) return NaN;
  const digitsStart = i;
  let value = c - ZERO;
  for (i++; i < end; i++) {
    const d = bytes[i] - ZERO;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  const digits = end - digitsStart;
  if (digits > MAX_EXACT_DIGITS) {
    if (digits > INT64_MAX_DIGITS.length) return NaN;
    if (
      digits === INT64_MAX_DIGITS.length &&
      !fitsInt64(bytes, digitsStart, negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS)
    ) {
      return NaN;
    }
    // The running sum may have rounded more than once: round the text once.
    value = Number(
      String.fromCharCode.apply(null, bytes.subarray(digitsStart, end) as unknown as number[]),
    );
  }
  return negative ? -value : value;
}

/** Compares 19 digits with the int64 bound, byte by byte. */
function fitsInt64(bytes: Uint8Array, start: number, bound: string): boolean {
  for (let k = 0; k < bound.length; k++) {
    const d = bytes[start + k];
    const b = bound.charCodeAt(k);
    if (d !== b) return d < b;
  }
  return true;
}
