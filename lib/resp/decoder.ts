/**
 * The incremental decoder for client-to-server traffic (commands), with the
 * rules of Redis 7's `processMultibulkBuffer` and `processInlineBuffer`.
 *
 * @module
 */

import { RespProtocolError } from "./errors.ts";
import { splitInlineArgs } from "./inline.ts";
import { type DecoderLimits, resolveLimits } from "./limits.ts";
import { parseInteger } from "./parse_integer.ts";

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const ZERO = 48;
const ONE = 49;
const NINE = 57;
/** Longest count the fast path parses: exact in a double. */
const QUICK_DIGITS = 15;
/** First allocation; the buffer doubles from here as needed. */
const INITIAL_CAPACITY = 16 * 1024;
/** Above this capacity the buffer is replaced by a small one once it is nearly empty. */
const RETAINED_CAPACITY = 1024 * 1024;
/** Redis 7's limits for clients that have not authenticated yet. */
const UNAUTHENTICATED_MULTIBULK = 10;
const UNAUTHENTICATED_BULK = 16384;
const EMPTY = new Uint8Array(0);

/**
 * Turns the bytes a client sends into commands (arrays of arguments).
 *
 * Feed it with {@linkcode RespDecoder.push} as bytes arrive and call
 * {@linkcode RespDecoder.next} until it returns `null`. Both request forms
 * are accepted, exactly as Redis 7 accepts them:
 *
 * - multibulk: `*<n>\r\n` then n times `$<len>\r\n<len bytes>\r\n`; a count
 *   of zero or less is an empty command, skipped silently;
 * - inline: any line not starting with `*`, split like `redis-cli` input
 *   (whitespace, `"..."` with escapes, `'...'`); blank lines are skipped.
 *
 * As in Redis, a count line ends at its first `\r` and the byte after it is
 * not checked, and the two bytes after a bulk payload are skipped unchecked.
 *
 * Bad input throws a {@linkcode RespProtocolError} whose message is Redis's
 * (`invalid bulk length`, ...). The decoder then stays failed: `next()`
 * throws the same error again and `push()` ignores its input.
 *
 * The argument arrays returned by `next()` are views into the decoder's
 * buffer: they are valid until the next `push()`. Copy an argument to keep
 * it longer.
 *
 * @example Decode two pipelined commands
 * ```ts
 * import { RespDecoder } from "./decoder.ts";
 *
 * const decoder = new RespDecoder();
 * decoder.push(new TextEncoder().encode("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n"));
 * decoder.next(); // [GET, k] as Uint8Arrays
 * decoder.next(); // [PING]
 * decoder.next(); // null: more bytes needed
 * ```
 */
export class RespDecoder {
  /**
   * Whether the client has authenticated. While `false`, Redis 7's tighter
   * limits apply: more than 10 arguments is `unauthenticated multibulk
   * length`, a bulk longer than 16384 bytes is `unauthenticated bulk
   * length`.
   *
   * @default {true}
   */
  authenticated = true;

  #maxBulk: number;
  #maxInline: number;
  #maxMultibulk: number;

  #buf: Uint8Array = EMPTY;
  /** Start of the command being decoded: bytes before it are free. */
  #start = 0;
  /** Parse position (start of the next line or bulk payload). */
  #pos = 0;
  /** End of the buffered bytes. */
  #end = 0;
  /** Stream offset of `#buf[0]`. */
  #base = 0;
  /** Bytes after `#pos` already searched for a line terminator. */
  #scanned = 0;

  /** Bulks still expected by the current multibulk command (0: none open). */
  #argsLeft = 0;
  /** Length of the bulk whose payload is awaited, or -1 before its `$` line. */
  #bulkLen = -1;
  /** Arguments of the current multibulk command read so far (views into `#buf`). */
  #args: Uint8Array[] = [];
  /** Where `#quickLength` found the CR. */
  #lineEnd = 0;

  #error: RespProtocolError | null = null;

  /**
   * Creates a decoder.
   *
   * @param limits Size limits; Redis's defaults for those left out.
   * @throws {RangeError} If a limit is not a positive integer.
   */
  constructor(limits?: DecoderLimits) {
    const { maxBulk, maxInline, maxMultibulk } = resolveLimits(limits);
    this.#maxBulk = maxBulk;
    this.#maxInline = maxInline;
    this.#maxMultibulk = maxMultibulk;
  }

  /**
   * Bytes held: the command being decoded plus everything after it. A
   * fully decoded stream holds 0.
   */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Appends bytes received from the client. They are copied, so the caller
   * may reuse `chunk`. Invalidates the arguments returned by earlier
   * `next()` calls.
   *
   * @param chunk The bytes, in stream order.
   */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n === 0 || this.#error !== null) return;
    if (this.#start === this.#end) {
      // Nothing held: restart at the front of the buffer for free.
      this.#base += this.#end;
      this.#start = this.#pos = this.#end = 0;
    }
    const capacity = this.#buf.length;
    if (
      this.#end + n > capacity ||
      (capacity > RETAINED_CAPACITY && (this.#end - this.#start + n) * 4 <= RETAINED_CAPACITY)
    ) {
      this.#makeRoom(n);
    }
    this.#buf.set(chunk, this.#end);
    this.#end += n;
  }

  /**
   * Decodes the next complete command.
   *
   * @returns The command's arguments (never empty), valid until the next
   * `push()`, or `null` when more bytes are needed.
   * @throws {RespProtocolError} On bad input, and on every call after it.
   */
  next(): Uint8Array[] | null {
    if (this.#error !== null) throw this.#error;
    const buf = this.#buf;
    const end = this.#end;
    for (;;) {
      if (this.#argsLeft === 0) {
        const pos = this.#pos;
        this.#start = pos;
        if (pos >= end) return null;
        if (buf[pos] !== STAR) {
          const lf = this.#findLine(buf, pos, end, LF, "too big inline request");
          if (lf < 0) return null;
          const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
          const args = splitInlineArgs(buf, pos, lineEnd);
          if (args === null) throw this.#fail("unbalanced quotes in request", pos);
          this.#pos = this.#start = lf + 1;
          this.#scanned = 0;
          if (args.length === 0) continue;
          return args;
        }
        let count = this.#quickLength(buf, pos, end, STAR, this.#maxMultibulk);
        let cr = this.#lineEnd;
        if (count < 0) {
          cr = this.#findLine(buf, pos, end, CR, "too big mbulk count string");
          if (cr < 0) return null;
          count = parseInteger(buf, pos + 1, cr);
          if (!(count <= this.#maxMultibulk)) throw this.#fail("invalid multibulk length", pos);
          if (count > UNAUTHENTICATED_MULTIBULK && !this.authenticated) {
            throw this.#fail("unauthenticated multibulk length", pos);
          }
        }
        this.#pos = cr + 2;
        this.#scanned = 0;
        if (count <= 0) continue;
        this.#argsLeft = count;
      }

      const args = this.#args;
      while (this.#argsLeft > 0) {
        let pos = this.#pos;
        let len = this.#bulkLen;
        if (len < 0) {
          len = this.#quickLength(buf, pos, end, DOLLAR, this.#maxBulk);
          let cr = this.#lineEnd;
          if (len < 0) {
            cr = this.#findLine(buf, pos, end, CR, "too big bulk count string");
            if (cr < 0) return null;
            if (buf[pos] !== DOLLAR) {
              throw this.#fail(`expected '$', got '${String.fromCharCode(buf[pos])}'`, pos);
            }
            len = parseInteger(buf, pos + 1, cr);
            if (!(len >= 0 && len <= this.#maxBulk)) throw this.#fail("invalid bulk length", pos);
            if (len > UNAUTHENTICATED_BULK && !this.authenticated) {
              throw this.#fail("unauthenticated bulk length", pos);
            }
          }
          pos = this.#pos = cr + 2;
          this.#scanned = 0;
          this.#bulkLen = len;
        }
        if (end - pos < len + 2) return null;
        args.push(buf.subarray(pos, pos + len));
        this.#pos = pos + len + 2;
        this.#bulkLen = -1;
        this.#argsLeft--;
      }
      this.#args = [];
      this.#start = this.#pos;
      return args;
    }
  }

  /**
   * Fast path for the usual count line: `prefix`, 1 to 15 digits without a
   * leading zero, CR and one more byte, within every limit. Anything else
   * (including every error) is left to the general path.
   *
   * @returns The count (and its CR's index in `#lineEnd`), or -1.
   */
  #quickLength(buf: Uint8Array, pos: number, end: number, prefix: number, limit: number): number {
    // Bytes at or past `end` may be stale, but a line is only accepted when
    // its CR and the byte after it lie before `end`.
    if (buf[pos] !== prefix) return -1;
    let i = pos + 1;
    let c = buf[i];
    if (!(c >= ONE && c <= NINE)) return -1;
    let value = c - ZERO;
    const stop = Math.min(end, pos + QUICK_DIGITS + 1);
    for (i++; i < stop && (c = buf[i]) >= ZERO && c <= NINE; i++) value = value * 10 + c - ZERO;
    if (i + 1 >= end || buf[i] !== CR || i - pos > this.#maxInline || value > limit) return -1;
    if (
      !this.authenticated &&
      value > (prefix === STAR ? UNAUTHENTICATED_MULTIBULK : UNAUTHENTICATED_BULK)
    ) {
      return -1;
    }
    this.#lineEnd = i;
    return value;
  }

  /**
   * Finds the terminator of the line starting at `pos`. For a count line
   * (terminator CR) one more byte must follow it, as Redis requires.
   *
   * @returns The terminator's index, or -1 when more bytes are needed.
   * @throws {RespProtocolError} `tooBig` when the line is longer than
   * `maxInline` before its terminator.
   */
  #findLine(buf: Uint8Array, pos: number, end: number, terminator: number, tooBig: string): number {
    // The verdict does not depend on how the stream was chunked: Redis fails
    // once more than maxInline bytes sit in its buffer without a terminator,
    // which is what happens when the bytes arrive one at a time.
    const limit = Math.min(end, pos + this.#maxInline + 1);
    let i = pos + this.#scanned;
    while (i < limit && buf[i] !== terminator) i++;
    if (i === limit) {
      if (end - pos > this.#maxInline) throw this.#fail(tooBig, pos);
      this.#scanned = i - pos;
      return -1;
    }
    if (terminator === CR && i + 1 >= end) {
      this.#scanned = i - pos;
      return -1;
    }
    return i;
  }

  /** Records a protocol error (the decoder stays failed) and returns it. */
  #fail(message: string, pos: number): RespProtocolError {
    this.#error = new RespProtocolError(message, this.#base + pos);
    this.#argsLeft = 0;
    this.#args = [];
    return this.#error;
  }

  /**
   * Moves the held bytes to the front of the buffer, growing or shrinking it
   * so that `n` more bytes fit. Growth is geometric (amortised linear
   * copying), but never past what the bulk being read still needs.
   */
  #makeRoom(n: number): void {
    const capacity = this.#buf.length;
    const shift = this.#start;
    const live = this.#end - shift;
    const need = live + n;
    let size = capacity;
    if (need * 2 <= capacity) {
      if (capacity > RETAINED_CAPACITY && need * 4 <= RETAINED_CAPACITY) {
        size = Math.max(INITIAL_CAPACITY, need * 2);
      }
    } else {
      size = Math.max(INITIAL_CAPACITY, capacity * 2);
      if (this.#argsLeft > 0 && this.#bulkLen >= 0) {
        const bulkEnd = this.#pos + this.#bulkLen + 2 - shift;
        if (bulkEnd < size) size = bulkEnd;
      }
      if (size < need) size = need;
      if (size < capacity) size = capacity;
    }
    if (size !== capacity) {
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(shift, this.#end));
      this.#buf = next;
    } else if (shift > 0) {
      this.#buf.copyWithin(0, shift, this.#end);
    } else {
      return;
    }
    this.#base += shift;
    this.#start = 0;
    this.#pos -= shift;
    this.#end -= shift;
    // Pending arguments moved with the bytes (and must not pin an old buffer).
    const args = this.#args;
    for (let i = 0; i < args.length; i++) {
      const from = args[i].byteOffset - shift;
      args[i] = this.#buf.subarray(from, from + args[i].length);
    }
  }
}
