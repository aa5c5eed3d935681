/**
 * CRC-64 as Go's `hash/crc64` computes it with the `crc64.ECMA` table, which
 * is CRC-64/XZ: reflected polynomial 0xC96C5795D7870F42, initial value and
 * final xor all ones. `meta.json` stores it as base64 of the 8 big-endian
 * bytes. The inner loop is table-driven (slicing by 8) over two 32-bit halves,
 * so it allocates nothing and uses no BigInt.
 *
 * @module
 */

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

/** 8 tables of 256 entries, low and high halves kept apart. */
const TABLE_LO = new Int32Array(8 * 256);
const TABLE_HI = new Int32Array(8 * 256);

function buildTables(): void {
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const odd = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = hi >>> 1;
      if (odd) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    TABLE_LO[i] = lo;
    TABLE_HI[i] = hi;
  }
  for (let t = 1; t < 8; t++) {
    for (let i = 0; i < 256; i++) {
      const lo = TABLE_LO[(t - 1) * 256 + i];
      const hi = TABLE_HI[(t - 1) * 256 + i];
      const j = lo & 0xff;
      TABLE_LO[t * 256 + i] = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[j];
      TABLE_HI[t * 256 + i] = (hi >>> 8) ^ TABLE_HI[j];
    }
  }
}
buildTables();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * An incremental CRC-64/XZ (Go `crc64.ECMA`) computation.
 *
 * @example Checksum data that arrives in parts
 * ```ts
 * import { Crc64 } from "./crc64.ts";
 *
 * const crc = new Crc64();
 * crc.update(new TextEncoder().encode("1234"));
 * crc.update(new TextEncoder().encode("56789"));
 * crc.value; // 0x995dc9bbdf1939fan
 * crc.toBase64(); // "mV3Ju98ZOfo="
 * ```
 */
export class Crc64 {
  // The running register, not inverted (Go keeps ^crc between calls).
  #lo = -1;
  #hi = -1;

  /**
   * Feeds more bytes.
   *
   * @param data The next bytes of the input.
   * @returns This object, for chaining.
   */
  update(data: Uint8Array): this {
    let lo = this.#lo;
    let hi = this.#hi;
    const n = data.length;
    let i = 0;
    if (LITTLE_ENDIAN && n >= 64) {
      // Bytes up to a 4-byte boundary, then 8 bytes at a time as two words.
      const base = data.byteOffset;
      for (; ((base + i) & 3) !== 0; i++) {
        const j = (lo ^ data[i]) & 0xff;
        lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[j];
        hi = (hi >>> 8) ^ TABLE_HI[j];
      }
      const pairs = (n - i) >>> 3;
      const words = new Int32Array(data.buffer, base + i, pairs * 2);
      for (let w = 0; w < words.length; w += 2) {
        const a = lo ^ words[w];
        const b = hi ^ words[w + 1];
        const i7 = 1792 + (a & 0xff);
        const i6 = 1536 + ((a >>> 8) & 0xff);
        const i5 = 1280 + ((a >>> 16) & 0xff);
        const i4 = 1024 + (a >>> 24);
        const i3 = 768 + (b & 0xff);
        const i2 = 512 + ((b >>> 8) & 0xff);
        const i1 = 256 + ((b >>> 16) & 0xff);
        const i0 = b >>> 24;
        lo = TABLE_LO[i7] ^ TABLE_LO[i6] ^ TABLE_LO[i5] ^ TABLE_LO[i4] ^
          TABLE_LO[i3] ^ TABLE_LO[i2] ^ TABLE_LO[i1] ^ TABLE_LO[i0];
        hi = TABLE_HI[i7] ^ TABLE_HI[i6] ^ TABLE_HI[i5] ^ TABLE_HI[i4] ^
          TABLE_HI[i3] ^ TABLE_HI[i2] ^ TABLE_HI[i1] ^ TABLE_HI[i0];
      }
      i += pairs * 8;
    }
    for (; i < n; i++) {
      const j = (lo ^ data[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[j];
      hi = (hi >>> 8) ^ TABLE_HI[j];
    }
    this.#lo = lo;
    this.#hi = hi;
    return this;
  }

  /** The checksum of everything fed so far, as Go's `crc64.Checksum` returns it. */
  get value(): bigint {
    return (BigInt(~this.#hi >>> 0) << 32n) | BigInt(~this.#lo >>> 0);
  }

  /**
   * The checksum as 8 big-endian bytes.
   *
   * @returns A new 8-byte array.
   */
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.#hi >>> 0);
    view.setUint32(4, ~this.#lo >>> 0);
    return out;
  }

  /**
   * The checksum as `meta.json` stores it: base64 of the 8 big-endian bytes.
   *
   * @returns 12 base64 characters.
   */
  toBase64(): string {
    return bytesToBase64(this.digest());
  }
}

/**
 * CRC-64/XZ (Go `crc64.Checksum(data, crc64.MakeTable(crc64.ECMA))`) of
 * `data` in one call.
 *
 * @example
 * ```ts
 * import { crc64 } from "./crc64.ts";
 *
 * crc64(new TextEncoder().encode("123456789")); // 0x995dc9bbdf1939fan
 * ```
 *
 * @param data The bytes.
 * @returns The unsigned 64-bit checksum.
 */
export function crc64(data: Uint8Array): bigint {
  return new Crc64().update(data).value;
}

/**
 * Formats a CRC-64 value the way `meta.json` stores it: base64 of the 8
 * big-endian bytes (Go's `json.Marshal` of a `[]byte`).
 *
 * @example
 * ```ts
 * import { formatCrc64 } from "./crc64.ts";
 *
 * formatCrc64(0x995dc9bbdf1939fan); // "mV3Ju98ZOfo="
 * ```
 *
 * @param value An unsigned 64-bit value.
 * @returns 12 base64 characters.
 * @throws {RangeError} If `value` does not fit in 64 unsigned bits.
 */
export function formatCrc64(value: bigint): string {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError(`Cannot format CRC-64: ${value} is not an unsigned 64-bit value`);
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return bytesToBase64(out);
}

/**
 * Parses the `meta.json` form of a CRC-64 (base64 of 8 big-endian bytes).
 *
 * @example
 * ```ts
 * import { parseCrc64 } from "./crc64.ts";
 *
 * parseCrc64("mV3Ju98ZOfo="); // 0x995dc9bbdf1939fan
 * parseCrc64("nope"); // null
 * ```
 *
 * @param text The base64 text.
 * @returns The value, or null if `text` is not canonical base64 of exactly 8 bytes.
 */
export function parseCrc64(text: string): bigint | null {
  if (!/^[A-Za-z0-9+/]{11}=$/.test(text)) return null;
  const bin = atob(text);
  const bytes = new Uint8Array(8);
  for (let i = 0; i < 8; i++) bytes[i] = bin.charCodeAt(i);
  if (bytesToBase64(bytes) !== text) return null;
  return new DataView(bytes.buffer).getBigUint64(0);
}

function bytesToBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
