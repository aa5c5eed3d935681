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
  /** slot + 1 per bucket, 0 = empty. */
  #table: Int32Array;
  #mask: number;
  #keys: (string | undefined)[] = [];
  #hashes: Int32Array;
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
    let cap = 16;
    while (cap * 0.6 < expected) cap *= 2;
    this.#table = new Int32Array(cap);
    this.#mask = cap - 1;
    const slots = Math.max(16, expected);
    this.#hashes = new Int32Array(slots);
    this.#locs = new Float64Array(W * slots);
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** Approximate bytes held by the typed arrays and the key-pointer array. */
  get bytes(): number {
    return this.#table.byteLength + this.#hashes.byteLength + this.#locs.byteLength +
      8 * this.#keys.length;
  }

  #find(key: string, h: number): number {
    const table = this.#table;
    const mask = this.#mask;
    let b = h & mask;
    for (;;) {
      const s = table[b];
      if (s === 0) return -1 - b;
      if (this.#hashes[s - 1] === h && this.#keys[s - 1] === key) return b;
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
    this.#read(this.#table[b] - 1, out);
    return true;
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
      slot = this.#table[b] - 1;
      if (prev !== undefined) this.#read(slot, prev);
    } else {
      slot = this.#allocSlot();
      this.#keys[slot] = key;
      this.#hashes[slot] = h;
      this.#table[-1 - b] = slot + 1;
      this.#size++;
      if (this.#size > this.#table.length * 0.7) this.#grow();
    }
    const locs = this.#locs;
    locs[W * slot] = fileId * TWO_32 + offset;
    locs[W * slot + 1] = size;
    locs[W * slot + 2] = expiresAt;
    return b >= 0;
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
    const slot = table[b] - 1;
    if (prev !== undefined) this.#read(slot, prev);
    this.#keys[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
    // Backward-shift deletion keeps probe chains unbroken without tombstones.
    let j = b;
    for (;;) {
      j = (j + 1) & mask;
      const s = table[j];
      if (s === 0) break;
      const home = this.#hashes[s - 1] & mask;
      if (((j - home) & mask) >= ((j - b) & mask)) {
        table[b] = s;
        b = j;
      }
    }
    table[b] = 0;
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
    if (slot >= this.#hashes.length) {
      const cap = Math.ceil(this.#hashes.length * 1.5);
      const hashes = new Int32Array(cap);
      hashes.set(this.#hashes);
      this.#hashes = hashes;
      const locs = new Float64Array(W * cap);
      locs.set(this.#locs);
      this.#locs = locs;
    }
    return slot;
  }

  #grow(): void {
    const cap = this.#table.length * 2;
    const table = new Int32Array(cap);
    const mask = cap - 1;
    const old = this.#table;
    for (let i = 0; i < old.length; i++) {
      const s = old[i];
      if (s === 0) continue;
      let b = this.#hashes[s - 1] & mask;
      while (table[b] !== 0) b = (b + 1) & mask;
      table[b] = s;
    }
    this.#table = table;
    this.#mask = mask;
  }
}
