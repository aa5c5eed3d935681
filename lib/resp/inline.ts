/**
 * Splitting an inline (telnet-style) command line into arguments, with the
 * rules of Redis's `sdssplitargs`.
 *
 * @module
 */

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const LOWER_X = 120;

/** C `isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`. */
function isSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

/** Value of a hex digit (either case), or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The byte a backslash escape inside double quotes stands for. */
function escapedByte(c: number): number {
  switch (c) {
    case 110: // n
      return LF;
    case 114: // r
      return CR;
    case 116: // t
      return TAB;
    case 98: // b
      return 8;
    case 97: // a
      return 7;
    default:
      return c;
  }
}

/**
 * Splits `bytes[start..end)` (one line, without its line ending) into
 * arguments exactly like Redis's `sdssplitargs`:
 *
 * - arguments are separated by whitespace (leading blanks are any C
 *   `isspace` byte; an unquoted argument ends at space, tab, CR or LF);
 * - `"..."` supports `\n \r \t \b \a`, `\xHH` (two hex digits, either case)
 *   and `\<any byte>` for that byte; an incomplete `\x` escape drops the
 *   backslash and keeps the rest, as Redis does;
 * - `'...'` supports only `\'`;
 * - quotes may start in the middle of an argument (`a"b c"` is `ab c`), but a
 *   closing quote must be followed by whitespace or the end of the line.
 *
 * Unlike Redis (which works on C strings), a NUL byte is an ordinary byte.
 *
 * The arguments are decoded **in place**: the bytes of the range are
 * overwritten and the returned arrays are views into `bytes`.
 *
 * @example Split a line
 * ```ts
 * import { splitInlineArgs } from "./inline.ts";
 *
 * const line = new TextEncoder().encode(`set "a b" 'c\\'d'`);
 * splitInlineArgs(line, 0, line.length); // ["set", "a b", "c'd"] as bytes
 * ```
 *
 * @param bytes Buffer holding the line; the line's bytes are overwritten.
 * @param start First byte of the line.
 * @param end One past its last byte.
 * @returns The arguments (empty for a blank line), or `null` when the
 * quotes are unbalanced (`unbalanced quotes in request`).
 */
export function splitInlineArgs(
  bytes: Uint8Array,
  start: number,
  end: number,
): Uint8Array[] | null {
  const args: Uint8Array[] = [];
  let p = start;
  // Write cursor: decoding never produces more bytes than it reads, so w <= p.
  let w = start;
  for (;;) {
    while (p < end && isSpace(bytes[p])) p++;
    if (p >= end) return args;
    const tokenStart = w;
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done;) {
      if (p >= end) {
        if (inDouble || inSingle) return null; // unterminated quotes
        break;
      }
      const c = bytes[p];
      if (inDouble) {
        if (c === BACKSLASH && p + 1 < end) {
          const h = p + 3 < end && bytes[p + 1] === LOWER_X ? hexValue(bytes[p + 2]) : -1;
          const l = h >= 0 ? hexValue(bytes[p + 3]) : -1;
          if (l >= 0) {
            bytes[w++] = h * 16 + l;
            p += 3;
          } else {
            bytes[w++] = escapedByte(bytes[++p]);
          }
        } else if (c === DQUOTE) {
          if (p + 1 < end && !isSpace(bytes[p + 1])) return null;
          done = true;
        } else {
          bytes[w++] = c;
        }
      } else if (inSingle) {
        if (c === BACKSLASH && p + 1 < end && bytes[p + 1] === SQUOTE) {
          bytes[w++] = SQUOTE;
          p++;
        } else if (c === SQUOTE) {
          if (p + 1 < end && !isSpace(bytes[p + 1])) return null;
          done = true;
        } else {
          bytes[w++] = c;
        }
      } else if (c === SPACE || c === LF || c === CR || c === TAB) {
        done = true;
      } else if (c === DQUOTE) {
        inDouble = true;
      } else if (c === SQUOTE) {
        inSingle = true;
      } else {
        bytes[w++] = c;
      }
      p++;
    }
    args.push(bytes.subarray(tokenStart, w));
  }
}
