/**
 * A byte-bounded cache of values by record location. A location (file id
 * and offset) always holds the same bytes, since files are append-only and
 * ids are never reused, so entries never need invalidating: a superseded
 * record is simply no longer asked for and ages out.
 *
 * A value is admitted on its second read within a while (a small table of
 * recently missed locations is the doorkeeper), so a stream of one-off reads
 * does not churn the cache. Eviction is CLOCK (second chance): entries sit in a ring; a hit sets the
 * entry's reference bit; to make room the hand sweeps the ring, clearing
 * set bits and evicting the first entry whose bit is clear. Every operation
 * is O(1) amortised (a `Map` used as an LRU list is not: deleting from its
 * front leaves holes that later iterations walk over).
 *
 * @module
 */

const TWO_32 = 0x1_0000_0000;

/** Memory an entry holds: its whole buffer (a value is a view into its record) plus overhead. */
function cost(value: Uint8Array): number {
  return value.buffer.byteLength + 64;
}

/** Location-keyed value cache. */
export class ValueCache {
  /** Location -> ring slot. */
  #slots = new Map<number, number>();
  #keys: number[] = [];
  #values: (Uint8Array | null)[] = [];
  #ref: number[] = [];
  #free: number[] = [];
  #hand = 0;
  #bytes = 0;
  #max: number;
  /** Doorkeeper: a tag per hash bucket of recently missed locations. */
  #seen = new Int32Array(1 << 16);
  /** Hits since creation. */
  hits = 0;
  /** Misses since creation. */
  misses = 0;

  /**
   * Creates a cache.
   *
   * @param maxBytes Most value bytes held (0 disables the cache).
   */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Whether the cache holds anything at all (a size above 0). */
  get enabled(): boolean {
    return this.#max > 0;
  }

  /** Bytes of values held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Looks a record's value up.
   *
   * @param fileId Data file id.
   * @param offset Record offset.
   * @returns The value, or undefined.
   */
  get(fileId: number, offset: number): Uint8Array | undefined {
    if (this.#max === 0) return undefined;
    const slot = this.#slots.get(fileId * TWO_32 + offset);
    if (slot === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#ref[slot] = 1;
    return this.#values[slot] as Uint8Array;
  }

  /**
   * Tells whether a missed record should be cached: true on its second miss
   * in a while (the doorkeeper remembers the first).
   *
   * @param fileId Data file id.
   * @param offset Record offset.
   * @returns Whether to read it into a buffer of its own and {@linkcode set} it.
   */
  admit(fileId: number, offset: number): boolean {
    if (this.#max === 0) return false;
    const tag = (Math.imul(offset, 0x9e3779b1) ^ Math.imul(fileId + 1, 0x85ebca6b)) | 1;
    const b = (tag >>> 16) & (this.#seen.length - 1);
    if (this.#seen[b] === tag) return true;
    this.#seen[b] = tag;
    return false;
  }

  /**
   * Stores a record's value.
   *
   * @param fileId Data file id.
   * @param offset Record offset.
   * @param value The value (kept, not copied).
   */
  set(fileId: number, offset: number, value: Uint8Array): void {
    const size = cost(value);
    if (size * 4 > this.#max) return;
    const key = fileId * TWO_32 + offset;
    const old = this.#slots.get(key);
    if (old !== undefined) {
      this.#bytes += size - cost(this.#values[old] as Uint8Array);
      this.#values[old] = value;
      return;
    }
    while (this.#bytes + size > this.#max) this.#evictOne();
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#keys.length;
      this.#keys.push(key);
      this.#values.push(value);
      this.#ref.push(0);
    } else {
      this.#keys[slot] = key;
      this.#values[slot] = value;
      this.#ref[slot] = 0;
    }
    this.#slots.set(key, slot);
    this.#bytes += size;
  }

  /** Drops every entry. */
  clear(): void {
    this.#slots.clear();
    this.#keys = [];
    this.#values = [];
    this.#ref = [];
    this.#free = [];
    this.#hand = 0;
    this.#bytes = 0;
  }

  #evictOne(): void {
    const n = this.#keys.length;
    for (;;) {
      if (this.#hand >= n) this.#hand = 0;
      const slot = this.#hand++;
      const value = this.#values[slot];
      if (value === null) continue;
      if (this.#ref[slot] === 1) {
        this.#ref[slot] = 0;
        continue;
      }
      this.#slots.delete(this.#keys[slot]);
      this.#values[slot] = null;
      this.#free.push(slot);
      this.#bytes -= cost(value);
      return;
    }
  }
}
