/**
 * A byte-bounded cache of values by record location. A location (file id
 * and offset) always holds the same bytes, since files are append-only and
 * ids are never reused, so entries never need invalidating: a superseded
 * record is simply no longer asked for and ages out. Eviction is LRU,
 * refreshing an entry only once it has aged past half the cache, which
 * keeps hits cheap.
 *
 * @module
 */

const TWO_32 = 0x1_0000_0000;

interface Entry {
  value: Uint8Array;
  tick: number;
}

/** Location-keyed value cache. */
export class ValueCache {
  #map = new Map<number, Entry>();
  #bytes = 0;
  #max: number;
  #tick = 0;
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
    const key = fileId * TWO_32 + offset;
    const e = this.#map.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (this.#tick - e.tick > this.#map.size / 2) {
      this.#map.delete(key);
      e.tick = ++this.#tick;
      this.#map.set(key, e);
    }
    return e.value;
  }

  /**
   * Stores a record's value.
   *
   * @param fileId Data file id.
   * @param offset Record offset.
   * @param value The value (kept, not copied).
   */
  set(fileId: number, offset: number, value: Uint8Array): void {
    if (value.length * 4 > this.#max) return;
    const key = fileId * TWO_32 + offset;
    const old = this.#map.get(key);
    if (old !== undefined) this.#bytes -= old.value.byteLength;
    this.#map.set(key, { value, tick: ++this.#tick });
    this.#bytes += value.byteLength;
    for (const [k, e] of this.#map) {
      if (this.#bytes <= this.#max) break;
      this.#map.delete(k);
      this.#bytes -= e.value.byteLength;
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
