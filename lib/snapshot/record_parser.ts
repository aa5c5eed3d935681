/**
 * `StateRecordParser`: turns the uncompressed bytes of a `state.bin`, fed in
 * chunks of any size, into records. Pure (no I/O), constant memory besides
 * the record being assembled; a field split across chunks is collected as
 * pieces and joined once, so huge values cost no quadratic copying.
 *
 * @module
 */

import { SnapshotFormatError } from "./errors.ts";
import {
  MAX_FIELD_LENGTH,
  RECORD_EXPIRING,
  RECORD_PLAIN,
  type SnapshotRecord,
  STATE_MAGIC,
} from "./record.ts";

/** The layout of a state file: `bitraft1` (with header) or the older Finn/kvnode `legacy`. */
export type StateFormat = "bitraft1" | "legacy";

const HEADER = 0;
const TYPE = 1;
const KEY_LENGTH = 2;
const KEY = 3;
const VALUE_LENGTH = 4;
const VALUE = 5;
const EXPIRY = 6;

const TWO_32 = 0x1_0000_0000;
const EMPTY = new Uint8Array(0);
const LEGACY_PREFIX = 0x6b; // "k"

/**
 * Incremental parser for the record stream inside `state.bin`. The first 8
 * bytes decide the layout: `BITRAFT1` is the current one; anything else is
 * the legacy Finn/kvnode layout, whose keys carry a `k` prefix that is
 * removed. Legacy records whose key is empty or does not start with `k`
 * (kvnode-internal keys) are skipped and counted in {@linkcode skipped},
 * as Finn's own `--parse-snapshot` does.
 *
 * Records returned may share memory with the chunks pushed in; chunks must
 * not be modified afterwards.
 *
 * @example
 * ```ts
 * import { StateRecordParser } from "./record_parser.ts";
 *
 * const parser = new StateRecordParser();
 * parser.push(new TextEncoder().encode("BITRAFT1\x00\x01\x00\x00\x00\x00\x00\x00\x00a"));
 * parser.next(); // null: the record is incomplete
 * parser.push(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 98]));
 * parser.next(); // { key: "a", value: "b", expiresAt: 0 } (as bytes)
 * parser.finish(); // throws SnapshotFormatError if the stream stopped mid-record
 * ```
 */
export class StateRecordParser {
  #buf: Uint8Array = EMPTY;
  #pos = 0;
  #state = HEADER;
  #format: StateFormat | null = null;
  // Fixed-size field being read: where its bytes are once complete.
  #scratch = new Uint8Array(8);
  #have = 0;
  #fieldBuf: Uint8Array = EMPTY;
  #fieldOff = 0;
  // Variable-size field being read.
  #need = 0;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  // Record being built.
  #type = RECORD_PLAIN;
  #key: Uint8Array = EMPTY;
  #value: Uint8Array = EMPTY;
  #records = 0;
  #skipped = 0;
  #offset = 0;
  #recordStart = 0;

  /** The layout, once the first 8 bytes have been seen. */
  get format(): StateFormat | null {
    return this.#format;
  }

  /** Complete records parsed so far, skipped legacy records included. */
  get records(): number {
    return this.#records;
  }

  /** Legacy records skipped because their key does not start with `k`. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Uncompressed bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Feeds the next chunk. Call only after {@linkcode next} returned null.
   *
   * @param chunk The next bytes of the stream.
   * @throws {Error} If the previous chunk was not fully consumed.
   */
  push(chunk: Uint8Array): void {
    if (this.#pos < this.#buf.length) {
      throw new Error("Cannot push a chunk: the previous one is not consumed (call next() first)");
    }
    this.#buf = chunk;
    this.#pos = 0;
  }

  /**
   * Parses the next complete record.
   *
   * @returns The record, or null when more bytes are needed.
   * @throws {SnapshotFormatError} If the bytes cannot be a valid state file.
   */
  next(): SnapshotRecord | null {
    if (this.#state === TYPE && this.#have === 0) {
      const rec = this.#nextWhole();
      if (rec !== undefined) return rec;
    }
    for (;;) {
      switch (this.#state) {
        case HEADER: {
          if (!this.#fixed(8)) return null;
          if (this.#isMagic()) {
            this.#format = "bitraft1";
            this.#state = TYPE;
          } else {
            this.#format = "legacy";
            this.#type = RECORD_PLAIN;
            this.#need = this.#length("key");
            this.#state = KEY;
          }
          break;
        }
        case TYPE: {
          this.#recordStart = this.#offset;
          if (!this.#fixed(1)) return null;
          const type = this.#fieldBuf[this.#fieldOff];
          if (type !== RECORD_PLAIN && type !== RECORD_EXPIRING) {
            throw this.#error(`has unknown type ${type}`);
          }
          this.#type = type;
          this.#state = KEY_LENGTH;
          break;
        }
        case KEY_LENGTH:
          if (this.#format === "legacy" && this.#have === 0) this.#recordStart = this.#offset;
          if (!this.#fixed(8)) return null;
          this.#need = this.#length("key");
          this.#state = KEY;
          break;
        case KEY: {
          const key = this.#bytes();
          if (key === undefined) return null;
          this.#key = key;
          this.#state = VALUE_LENGTH;
          break;
        }
        case VALUE_LENGTH:
          if (!this.#fixed(8)) return null;
          this.#need = this.#length("value");
          this.#state = VALUE;
          break;
        case VALUE: {
          const value = this.#bytes();
          if (value === undefined) return null;
          this.#value = value;
          if (this.#type === RECORD_EXPIRING) {
            this.#state = EXPIRY;
            break;
          }
          const rec = this.#emit(0);
          if (rec) return rec;
          break;
        }
        case EXPIRY: {
          if (!this.#fixed(8)) return null;
          const buf = this.#fieldBuf;
          const off = this.#fieldOff;
          const lo = readU32(buf, off);
          const hi = readU32(buf, off + 4) | 0;
          const ms = hi * TWO_32 + lo;
          if (hi < 0 || hi > 0x1f_ffff || ms === 0) {
            throw this.#error(`has an invalid expiry ${(BigInt(hi) << 32n) | BigInt(lo)}`);
          }
          const rec = this.#emit(ms);
          if (rec) return rec;
          break;
        }
      }
    }
  }

  /**
   * Declares the end of the stream.
   *
   * @throws {SnapshotFormatError} If it ends inside the header or a record.
   */
  finish(): void {
    const boundary = this.#format === "bitraft1" ? TYPE : KEY_LENGTH;
    if (this.#state === HEADER && this.#have === 0) {
      this.#format ??= "legacy"; // an empty stream is an empty legacy snapshot
      return;
    }
    if (this.#state === boundary && this.#have === 0) return;
    if (this.#state === HEADER) {
      throw new SnapshotFormatError(
        `the stream ends after ${this.#have} bytes, inside the header`,
        0,
        this.#offset,
      );
    }
    throw this.#error("is cut short: the stream ends inside it");
  }

  /**
   * Fast path for the current layout: a record lying whole in the current
   * chunk is read in one go. Undefined when it does not (or is invalid):
   * the state machine then takes over from the same position.
   */
  #nextWhole(): SnapshotRecord | undefined {
    const buf = this.#buf;
    const start = this.#pos;
    const end = buf.length;
    if (end - start < 18) return undefined;
    const type = buf[start];
    if (type !== RECORD_PLAIN && type !== RECORD_EXPIRING) return undefined;
    const klen = readU32(buf, start + 1);
    if (buf[start + 5] | buf[start + 6] | buf[start + 7] | buf[start + 8]) return undefined;
    const keyAt = start + 9;
    const vlenAt = keyAt + klen;
    if (klen > MAX_FIELD_LENGTH || vlenAt + 8 > end) return undefined;
    const vlen = readU32(buf, vlenAt);
    if (buf[vlenAt + 4] | buf[vlenAt + 5] | buf[vlenAt + 6] | buf[vlenAt + 7]) return undefined;
    const valueAt = vlenAt + 8;
    let next = valueAt + vlen;
    if (vlen > MAX_FIELD_LENGTH || next > end) return undefined;
    let expiresAt = 0;
    if (type === RECORD_EXPIRING) {
      if (next + 8 > end) return undefined;
      const hi = readU32(buf, next + 4);
      expiresAt = hi * TWO_32 + readU32(buf, next);
      if (hi > 0x1f_ffff || expiresAt === 0) return undefined;
      next += 8;
    }
    this.#pos = next;
    this.#offset += next - start;
    this.#records++;
    return {
      key: buf.subarray(keyAt, vlenAt),
      value: buf.subarray(valueAt, valueAt + vlen),
      expiresAt,
    };
  }

  #emit(expiresAt: number): SnapshotRecord | null {
    this.#records++;
    this.#state = this.#format === "bitraft1" ? TYPE : KEY_LENGTH;
    let key = this.#key;
    const value = this.#value;
    this.#key = this.#value = EMPTY;
    if (this.#format === "legacy") {
      if (key.length === 0 || key[0] !== LEGACY_PREFIX) {
        this.#skipped++;
        return null;
      }
      key = key.subarray(1);
    }
    return { key, value, expiresAt };
  }

  /** Collects `n` bytes of a fixed-size field into #fieldBuf/#fieldOff. */
  #fixed(n: number): boolean {
    const avail = this.#buf.length - this.#pos;
    if (this.#have === 0 && avail >= n) {
      this.#fieldBuf = this.#buf;
      this.#fieldOff = this.#pos;
      this.#pos += n;
      this.#offset += n;
      return true;
    }
    const take = Math.min(avail, n - this.#have);
    this.#scratch.set(this.#buf.subarray(this.#pos, this.#pos + take), this.#have);
    this.#have += take;
    this.#pos += take;
    this.#offset += take;
    if (this.#have < n) return false;
    this.#have = 0;
    this.#fieldBuf = this.#scratch;
    this.#fieldOff = 0;
    return true;
  }

  /** Collects #need bytes; undefined while incomplete. */
  #bytes(): Uint8Array | undefined {
    const need = this.#need;
    const avail = this.#buf.length - this.#pos;
    if (this.#partBytes === 0 && avail >= need) {
      const out = need === 0 ? EMPTY : this.#buf.subarray(this.#pos, this.#pos + need);
      this.#pos += need;
      this.#offset += need;
      return out;
    }
    const take = Math.min(avail, need - this.#partBytes);
    if (take > 0) {
      this.#parts.push(this.#buf.subarray(this.#pos, this.#pos + take));
      this.#partBytes += take;
      this.#pos += take;
      this.#offset += take;
    }
    if (this.#partBytes < need) return undefined;
    const out = new Uint8Array(need);
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    this.#parts = [];
    this.#partBytes = 0;
    return out;
  }

  #length(what: string): number {
    const lo = readU32(this.#fieldBuf, this.#fieldOff);
    const hi = readU32(this.#fieldBuf, this.#fieldOff + 4);
    if (hi !== 0 || lo > MAX_FIELD_LENGTH) {
      const n = (BigInt(hi) << 32n) | BigInt(lo);
      throw this.#error(`has an impossible ${what} length ${n} (limit ${MAX_FIELD_LENGTH})`);
    }
    return lo;
  }

  #isMagic(): boolean {
    for (let i = 0; i < 8; i++) {
      if (this.#fieldBuf[this.#fieldOff + i] !== STATE_MAGIC[i]) return false;
    }
    return true;
  }

  #error(what: string): SnapshotFormatError {
    return new SnapshotFormatError(
      `record ${this.#records + 1} at uncompressed byte ${this.#recordStart} ${what}`,
      this.#records,
      this.#offset,
    );
  }
}

function readU32(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}
