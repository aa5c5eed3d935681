/**
 * The reply encoder: server-to-client RESP2/RESP3 written into one reusable
 * growable buffer.
 *
 * @module
 */

import { formatDouble } from "./format_double.ts";
import { utf8Length, writeUtf8 } from "./utf8.ts";

const CR = 13;
const LF = 10;
const SPACE = 32;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;
const DOLLAR = 36;
const STAR = 42;
const PERCENT = 37;
const TILDE = 126;
const COMMA = 44;
const EQUALS = 61;
const ZERO = 48;
/** Room for a type byte, a 64-bit integer with its sign, and CRLF. */
const HEADER_ROOM = 24;
const INITIAL_CAPACITY = 16 * 1024;
/** `take()` drops a buffer grown past this size, so one huge reply is not kept. */
const RETAINED_CAPACITY = 1024 * 1024;
const EMPTY = new Uint8Array(0);

function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const RESP2_NULL = ascii("$-1\r\n");
const RESP2_NULL_ARRAY = ascii("*-1\r\n");
const RESP3_NULL = ascii("_\r\n");
const RESP2_TRUE = ascii(":1\r\n");
const RESP2_FALSE = ascii(":0\r\n");
const RESP3_TRUE = ascii("#t\r\n");
const RESP3_FALSE = ascii("#f\r\n");

/**
 * Appends replies, in RESP2 or RESP3, to one buffer that is reused from
 * reply batch to reply batch: encode everything a pipeline produced, then
 * `take()` the bytes and write them to the socket at once.
 *
 * Methods that have no RESP2 form fall back to what Redis 7 sends a RESP2
 * client: maps become flat arrays, sets arrays, doubles bulk strings,
 * booleans integers, verbatim strings bulk strings, nulls `$-1`/`*-1`.
 *
 * @example Encode a pipeline's replies
 * ```ts
 * import { RespEncoder } from "./encoder.ts";
 *
 * const enc = new RespEncoder();
 * enc.simple("OK");
 * enc.arrayHeader(2);
 * enc.bulkString("a");
 * enc.null();
 * enc.take(); // "+OK\r\n*2\r\n$1\r\na\r\n$-1\r\n" as bytes
 * ```
 */
export class RespEncoder {
  /**
   * The protocol version of the client (`HELLO 3` switches to 3).
   *
   * @default {2}
   */
  protocol: 2 | 3 = 2;

  #buf: Uint8Array = EMPTY;
  #len = 0;

  /** Bytes encoded since the last `take()`. */
  get length(): number {
    return this.#len;
  }

  /**
   * Returns the bytes encoded since the last `take()` and starts over.
   *
   * @returns A view of the encoder's buffer, valid until the next write to
   * the encoder.
   */
  take(): Uint8Array {
    const out = this.#buf.subarray(0, this.#len);
    this.#len = 0;
    if (this.#buf.length > RETAINED_CAPACITY) this.#buf = EMPTY;
    return out;
  }

  /**
   * Appends bytes that are already RESP (for example a reply relayed from
   * another node).
   *
   * @param bytes The encoded reply.
   */
  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /**
   * Appends a status reply `+s`. CR and LF cannot appear in it: leading and
   * trailing ones are dropped and inner ones become spaces.
   *
   * @param s The status text, e.g. `OK`.
   */
  simple(s: string): void {
    this.#line(PLUS, s);
  }

  /**
   * Appends an error reply `-s`, with CR and LF removed as Redis does
   * (leading and trailing ones dropped, inner ones turned into spaces).
   *
   * @param s The message with its error code, e.g. `ERR syntax error`.
   */
  error(s: string): void {
    this.#line(MINUS, s);
  }

  /**
   * Appends an integer reply `:n`.
   *
   * @param n The value: an integer number or a bigint.
   * @throws {TypeError} If `n` is a number that is not an integer.
   */
  integer(n: number | bigint): void {
    if (typeof n === "number") {
      if (Number.isSafeInteger(n)) {
        this.#header(COLON, n);
        return;
      }
      if (!Number.isInteger(n)) {
        throw new TypeError(`Cannot encode integer: ${n} is not an integer`);
      }
      n = BigInt(n);
    }
    const s = n.toString();
    this.#reserve(s.length + 3);
    const buf = this.#buf;
    let len = this.#len;
    buf[len++] = COLON;
    for (let i = 0; i < s.length; i++) buf[len++] = s.charCodeAt(i);
    buf[len++] = CR;
    buf[len++] = LF;
    this.#len = len;
  }

  /**
   * Appends a bulk string `$len` followed by the bytes.
   *
   * @param b The bytes (copied).
   */
  bulk(b: Uint8Array): void {
    const n = b.length;
    this.#reserve(n + HEADER_ROOM);
    this.#header(DOLLAR, n);
    this.#buf.set(b, this.#len);
    this.#crlfAt(this.#len + n);
  }

  /**
   * Appends a bulk string holding the UTF-8 encoding of `s`.
   *
   * @param s The text.
   */
  bulkString(s: string): void {
    const n = s.length;
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    const bytes = i === n ? n : utf8Length(s);
    this.#reserve(bytes + HEADER_ROOM);
    this.#header(DOLLAR, bytes);
    this.#crlfAt(this.#len + writeUtf8(s, this.#buf, this.#len));
  }

  /** Appends a null: `$-1` in RESP2, `_` in RESP3. */
  null(): void {
    this.raw(this.protocol === 3 ? RESP3_NULL : RESP2_NULL);
  }

  /** Appends a null array: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    this.raw(this.protocol === 3 ? RESP3_NULL : RESP2_NULL_ARRAY);
  }

  /**
   * Appends an array header `*n`; the caller then appends `n` elements.
   *
   * @param n Number of elements.
   * @throws {RangeError} If `n` is not a non-negative integer.
   */
  arrayHeader(n: number): void {
    checkCount(n);
    this.#header(STAR, n);
  }

  /**
   * Appends a map header: `%n` in RESP3, `*2n` in RESP2; the caller then
   * appends `n` key/value pairs.
   *
   * @param n Number of pairs.
   * @throws {RangeError} If `n` is not a non-negative integer.
   */
  mapHeader(n: number): void {
    checkCount(n);
    if (this.protocol === 3) this.#header(PERCENT, n);
    else this.#header(STAR, n * 2);
  }

  /**
   * Appends a set header: `~n` in RESP3, `*n` in RESP2; the caller then
   * appends `n` members.
   *
   * @param n Number of members.
   * @throws {RangeError} If `n` is not a non-negative integer.
   */
  setHeader(n: number): void {
    checkCount(n);
    this.#header(this.protocol === 3 ? TILDE : STAR, n);
  }

  /**
   * Appends a double: `,x` in RESP3, a bulk string in RESP2, formatted as
   * Redis 7 does (`3.14`, `1e+21`, `inf`, `-inf`, `nan`).
   *
   * @param x The value.
   */
  double(x: number): void {
    const s = formatDouble(x);
    if (this.protocol !== 3) {
      this.bulkString(s);
      return;
    }
    this.#reserve(s.length + 3);
    const buf = this.#buf;
    let len = this.#len;
    buf[len++] = COMMA;
    for (let i = 0; i < s.length; i++) buf[len++] = s.charCodeAt(i);
    this.#crlfAt(len);
  }

  /**
   * Appends a boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
   *
   * @param b The value.
   */
  boolean(b: boolean): void {
    if (this.protocol === 3) this.raw(b ? RESP3_TRUE : RESP3_FALSE);
    else this.raw(b ? RESP2_TRUE : RESP2_FALSE);
  }

  /**
   * Appends a verbatim string: `=len` then `fmt:text` in RESP3, a bulk
   * string of `text` in RESP2.
   *
   * @param format Three ASCII characters, e.g. `txt` or `mkd`.
   * @param text The text (UTF-8 encoded).
   * @throws {RangeError} If `format` is not three printable ASCII characters.
   */
  verbatim(format: string, text: string): void {
    if (format.length !== 3 || !isPrintable(format)) {
      throw new RangeError(
        `Cannot encode verbatim string: format "${format}" is not 3 printable ASCII characters`,
      );
    }
    if (this.protocol !== 3) {
      this.bulkString(text);
      return;
    }
    const n = utf8Length(text);
    this.#reserve(n + 4 + HEADER_ROOM);
    this.#header(EQUALS, n + 4);
    const buf = this.#buf;
    const len = this.#len;
    buf[len] = format.charCodeAt(0);
    buf[len + 1] = format.charCodeAt(1);
    buf[len + 2] = format.charCodeAt(2);
    buf[len + 3] = COLON;
    this.#crlfAt(len + 4 + writeUtf8(text, buf, len + 4));
  }

  /** Writes `<type><n>\r\n` for a safe integer `n`. */
  #header(type: number, n: number): void {
    this.#reserve(HEADER_ROOM);
    const buf = this.#buf;
    let len = this.#len;
    buf[len++] = type;
    if (n < 0) {
      buf[len++] = MINUS;
      n = -n;
    }
    if (n < 10) {
      buf[len++] = ZERO + n;
    } else {
      let digits = 2;
      for (let p = 100; p <= n; p *= 10) digits++;
      let i = len + digits;
      len = i;
      while (n >= 10) {
        const q = Math.floor(n / 10);
        buf[--i] = ZERO + (n - q * 10);
        n = q;
      }
      buf[--i] = ZERO + n;
    }
    buf[len++] = CR;
    buf[len++] = LF;
    this.#len = len;
  }

  /** Writes a status or error line, keeping CR and LF out of it. */
  #line(type: number, s: string): void {
    let from = 0;
    let to = s.length;
    while (from < to && isCrLf(s.charCodeAt(from))) from++;
    while (to > from && isCrLf(s.charCodeAt(to - 1))) to--;
    if (from > 0 || to < s.length) s = s.slice(from, to);
    const n = utf8Length(s);
    this.#reserve(n + 3);
    const buf = this.#buf;
    const start = this.#len + 1;
    buf[start - 1] = type;
    const end = start + writeUtf8(s, buf, start);
    for (let i = start; i < end; i++) {
      // UTF-8 continuation bytes are >= 0x80, so this never splits a character.
      if (buf[i] === CR || buf[i] === LF) buf[i] = SPACE;
    }
    this.#crlfAt(end);
  }

  /** Writes CRLF at `at` (inside reserved room) and ends the output there. */
  #crlfAt(at: number): void {
    this.#buf[at] = CR;
    this.#buf[at + 1] = LF;
    this.#len = at + 2;
  }

  /** Makes room for `n` more bytes. */
  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(INITIAL_CAPACITY, this.#buf.length * 2, need));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}

/** Throws unless `n` can be the count of an aggregate. */
function checkCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Cannot encode aggregate header: ${n} is not a valid count`);
  }
}

function isCrLf(c: number): boolean {
  return c === CR || c === LF;
}

function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}
