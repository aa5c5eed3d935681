/**
 * The keys that have an expiry, in a dense array with an index map, so that
 * an active-expiry cycle can sample them at random in O(1) each (the way
 * Redis samples its `expires` dictionary).
 *
 * @module
 */

/**
 * A set of keys with O(1) add, remove and random sampling.
 *
 * @example
 * ```ts
 * import { ExpirySet } from "./expiry_set.ts";
 * const s = new ExpirySet();
 * s.add("a");
 * s.sample(Math.random); // "a"
 * ```
 */
export class ExpirySet {
  #keys: string[] = [];
  #pos = new Map<string, number>();

  /** Number of keys. */
  get size(): number {
    return this.#keys.length;
  }

  /**
   * Adds a key (no-op if present).
   *
   * @param key Binary-string key.
   */
  add(key: string): void {
    if (this.#pos.has(key)) return;
    this.#pos.set(key, this.#keys.length);
    this.#keys.push(key);
  }

  /**
   * Removes a key (no-op if absent).
   *
   * @param key Binary-string key.
   */
  remove(key: string): void {
    const i = this.#pos.get(key);
    if (i === undefined) return;
    const last = this.#keys.pop() as string;
    this.#pos.delete(key);
    if (i < this.#keys.length) {
      this.#keys[i] = last;
      this.#pos.set(last, i);
    }
  }

  /**
   * Picks a key at random.
   *
   * @param random Source of numbers in [0, 1).
   * @returns A key, or undefined when empty.
   */
  sample(random: () => number): string | undefined {
    if (this.#keys.length === 0) return undefined;
    return this.#keys[Math.floor(random() * this.#keys.length)];
  }

  /** Removes every key. */
  clear(): void {
    this.#keys = [];
    this.#pos.clear();
  }
}
