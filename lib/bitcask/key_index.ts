/**
 * The point-lookup half of the keydir: an open-addressing hash table (linear
 * probing, backward-shift deletion) from binary-string key to record
 * location, kept in typed arrays so that a million keys cost a few dozen
 * bytes each and no JS `Map` size limit applies.
 *
 * @module
 */

/** A record location. */
export interface Location {
  /** Data file id. */
  fileId: number;
  /** Offset of the record in that file. */
  offset: number;
  /** Record size in bytes. */
  size: number;
  /** Expiry in Unix ms, 0 for none. */
  expiresAt: number;
}

/**
 * Creates a zeroed {@linkcode Location} to reuse as an out-parameter.
 *
 * @returns A new location.
 */
export function newLocation(): Location {
  return { fileId: 0, offset: 0, size: 0, expiresAt: 0 };
}

/**
 * Hashes a string's char codes (FNV-1a style with a murmur finalizer).
 *
 * @param s The string.
 * @returns A 32-bit hash.
 */
export function hashKey(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/**
 * {@linkcode hashKey} of the binary string of `b`, computed from the bytes.
 *
 * @param b Key bytes.
 * @returns The same hash as `hashKey(bytesToBinary(b))`.
 */
export function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5 ^ b.length;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

function sameKey(s: string, b: Uint8Array): boolean {
  if (s.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (s.charCodeAt(i) !== b[i]) return false;
  return true;
}

const TWO_32 = 0x1_0000_0000;
const W = 3;

/**
 * Hash table of key -> location.
 *
 * @example
 * ```ts
 * import { KeyIndex, newLocation } from "./key_index.ts";
 * const ix = new KeyIndex();
 * ix.set("k", 1, 32, 40, 0);
 * const loc = newLocation();
 * ix.get("k", loc); // true; loc.offset === 32
 * ```
 */
export class KeyIndex {
  /** Two ints per bucket: slot + 1 (0 = empty) and the key's hash. */
  #table: Int32Array;
  #mask: number;
  #keys: (string | undefined)[] = [];
  /** Per slot: fileId * 2^32 + offset, size, expiry. */
  #locs: Float64Array;
  #free: number[] = [];
  #next = 0;
  #size = 0;

  /**
   * Creates an index sized for `expected` keys.
   *
   * @param expected Keys to make room for up front.
   */
  constructor(expected = 0) {
    let buckets = 16;
    while (buckets * 0.6 < expected) buckets *= 2;
    this.#table = new Int32Array(2 * buckets);
    this.#mask = buckets - 1;
    this.#locs = new Float64Array(W * Math.max(16, expected));
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Approximate bytes held by the typed arrays and the key-pointer array. */
  get bytes(): number {
    return this.#table.byteLength + this.#locs.byteLength + 8 * this.#keys.length;
  }

  /** Bucket holding `key`, or -1 - (the empty bucket where it would go). */
  #find(key: string, h: number): number {
    const table = this.#table;
    const mask = this.#mask;
    let b = h & mask;
    for (;;) {
      const s = table[2 * b];
      if (s === 0) return -1 - b;
      if (table[2 * b + 1] === h && this.#keys[s - 1] === key) return b;
      b = (b + 1) & mask;
    }
  }

  /**
   * Looks a key up.
   *
   * @param key The key.
   * @param out Filled with the location when found.
   * @returns Whether the key exists.
   */
  get(key: string, out: Location): boolean {
    const b = this.#find(key, hashKey(key));
    if (b < 0) return false;
    this.#read(this.#table[2 * b] - 1, out);
    return true;
  }

  /**
   * Looks a key up by its bytes, without making a string of them.
   *
   * @param key Key bytes.
   * @param out Filled with the location when found.
   * @returns Whether the key exists.
   */
  getBytes(key: Uint8Array, out: Location): boolean {
    const h = hashBytes(key);
    const table = this.#table;
    const mask = this.#mask;
    let b = h & mask;
    for (;;) {
      const s = table[2 * b];
      if (s === 0) return false;
      if (table[2 * b + 1] === h && sameKey(this.#keys[s - 1] as string, key)) {
        this.#read(s - 1, out);
        return true;
      }
      b = (b + 1) & mask;
    }
  }

  /**
   * Tells whether a key exists.
   *
   * @param key The key.
   * @returns Whether it exists.
   */
  has(key: string): boolean {
    return this.#find(key, hashKey(key)) >= 0;
  }

  /**
   * Inserts or replaces a key's location.
   *
   * @param key The key.
   * @param fileId Data file id (< 2^21).
   * @param offset Record offset (< 2^32).
   * @param size Record size.
   * @param expiresAt Expiry in Unix ms, 0 for none.
   * @param prev Filled with the previous location when the key existed.
   * @returns Whether the key existed.
   */
  set(
    key: string,
    fileId: number,
    offset: number,
    size: number,
    expiresAt: number,
    prev?: Location,
  ): boolean {
    const h = hashKey(key);
    const b = this.#find(key, h);
    let slot: number;
    if (b >= 0) {
      slot = this.#table[2 * b] - 1;
      if (prev !== undefined) this.#read(slot, prev);
    } else {
      slot = this.#allocSlot();
      this.#keys[slot] = key;
      this.#table[2 * (-1 - b)] = slot + 1;
      this.#table[2 * (-1 - b) + 1] = h;
      this.#size++;
      if (this.#size > (this.#mask + 1) * 0.7) this.#grow();
    }
    const locs = this.#locs;
    locs[W * slot] = fileId * TWO_32 + offset;
    locs[W * slot + 1] = size;
    locs[W * slot + 2] = expiresAt;
    return b >= 0;
  }

  /**
   * Adds a key known to be absent (bulk loading): no lookup first.
   *
   * @param key The key.
   * @param fileId Data file id.
   * @param offset Record offset.
   * @param size Record size.
   * @param expiresAt Expiry (Unix ms), 0 for none.
   */
  insertNew(key: string, fileId: number, offset: number, size: number, expiresAt: number): void {
    const h = hashKey(key);
    const table = this.#table;
    const mask = this.#mask;
    let b = h & mask;
    while (table[2 * b] !== 0) b = (b + 1) & mask;
    const slot = this.#allocSlot();
    this.#keys[slot] = key;
    table[2 * b] = slot + 1;
    table[2 * b + 1] = h;
    const locs = this.#locs;
    locs[W * slot] = fileId * TWO_32 + offset;
    locs[W * slot + 1] = size;
    locs[W * slot + 2] = expiresAt;
    if (++this.#size > (mask + 1) * 0.7) this.#grow();
  }

  /**
   * Removes a key.
   *
   * @param key The key.
   * @param prev Filled with the removed location.
   * @returns Whether the key existed.
   */
  delete(key: string, prev?: Location): boolean {
    let b = this.#find(key, hashKey(key));
    if (b < 0) return false;
    const table = this.#table;
    const mask = this.#mask;
    const slot = table[2 * b] - 1;
    if (prev !== undefined) this.#read(slot, prev);
    this.#keys[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
    // Backward-shift deletion keeps probe chains unbroken without tombstones.
    let j = b;
    for (;;) {
      j = (j + 1) & mask;
      if (table[2 * j] === 0) break;
      const home = table[2 * j + 1] & mask;
      if (((j - home) & mask) >= ((j - b) & mask)) {
        table[2 * b] = table[2 * j];
        table[2 * b + 1] = table[2 * j + 1];
        b = j;
      }
    }
    table[2 * b] = 0;
    return true;
  }

  #read(slot: number, out: Location): void {
    const locs = this.#locs;
    const packed = locs[W * slot];
    const offset = packed % TWO_32;
    out.fileId = (packed - offset) / TWO_32;
    out.offset = offset;
    out.size = locs[W * slot + 1];
    out.expiresAt = locs[W * slot + 2];
  }

  #allocSlot(): number {
    const f = this.#free.pop();
    if (f !== undefined) return f;
    const slot = this.#next++;
    if (W * slot >= this.#locs.length) {
      const locs = new Float64Array(W * Math.ceil(slot * 1.5));
      locs.set(this.#locs);
      this.#locs = locs;
    }
    return slot;
  }

  #grow(): void {
    const buckets = 2 * (this.#mask + 1);
    const table = new Int32Array(2 * buckets);
    const mask = buckets - 1;
    const old = this.#table;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue;
      let b = old[i + 1] & mask;
      while (table[2 * b] !== 0) b = (b + 1) & mask;
      table[2 * b] = old[i];
      table[2 * b + 1] = old[i + 1];
    }
    this.#table = table;
    this.#mask = mask;
  }
}
