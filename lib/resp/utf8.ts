/**
 * UTF-8 encoding of JS strings without a `TextEncoder` call for short
 * strings (a `charCodeAt` loop is several times faster for those).
 *
 * @module
 */

/** Strings longer than this are written with `TextEncoder.encodeInto`. */
const NATIVE_THRESHOLD = 256;
const encoder = new TextEncoder();

/**
 * Counts the bytes of the UTF-8 encoding of `s`, as `TextEncoder` produces
 * it (a lone surrogate becomes U+FFFD, three bytes).
 *
 * @param s The string.
 * @returns Its length in UTF-8 bytes.
 */
export function utf8Length(s: string): number {
  const n = s.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      len += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(s.charCodeAt(i + 1))) {
      len += 2; // four bytes for two UTF-16 units
      i++;
    } else {
      len += 2;
    }
  }
  return len;
}

/**
 * Writes the UTF-8 encoding of `s` into `buf` at `off`.
 *
 * @param s The string.
 * @param buf Destination with room for `utf8Length(s)` bytes after `off`.
 * @param off Where to start writing.
 * @returns The number of bytes written.
 */
export function writeUtf8(s: string, buf: Uint8Array, off: number): number {
  const n = s.length;
  if (n > NATIVE_THRESHOLD) {
    return encoder.encodeInto(s, off === 0 ? buf : buf.subarray(off)).written;
  }
  let w = off;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[w++] = c;
    } else if (c < 0x800) {
      buf[w++] = 0xc0 | (c >> 6);
      buf[w++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && isLowSurrogate(next)) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[w++] = 0xf0 | (c >> 18);
          buf[w++] = 0x80 | ((c >> 12) & 0x3f);
          buf[w++] = 0x80 | ((c >> 6) & 0x3f);
          buf[w++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd; // lone surrogate
      }
      buf[w++] = 0xe0 | (c >> 12);
      buf[w++] = 0x80 | ((c >> 6) & 0x3f);
      buf[w++] = 0x80 | (c & 0x3f);
    }
  }
  return w - off;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
