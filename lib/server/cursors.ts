/**
 * SCAN cursors. The keyspace is walked in key order, so a cursor stands for
 * the last key a SCAN call returned; clients expect a number, so the node
 * hands out numeric ids and remembers the key behind each (the newest
 * 100,000; an older or unknown cursor is "ERR invalid cursor").
 *
 * @module
 */

const LIMIT = 100_000;

/** Maps numeric cursor strings to the key each scan stopped at. */
export class CursorTable {
  #keys = new Map<string, Uint8Array>();
  #next = 1 + Math.floor(Math.random() * 1_000_000);

  /**
   * Remembers a key and returns its cursor.
   *
   * @param key The last key returned.
   * @returns A decimal cursor (never "0").
   */
  save(key: Uint8Array): string {
    const id = String(this.#next++);
    this.#keys.set(id, key.slice());
    if (this.#keys.size > LIMIT) this.#keys.delete(this.#keys.keys().next().value as string);
    return id;
  }

  /**
   * Looks a cursor up.
   *
   * @param cursor The cursor string.
   * @returns null for "0" (start), the key, or undefined when unknown.
   */
  load(cursor: string): Uint8Array | null | undefined {
    if (cursor === "0") return null;
    return this.#keys.get(cursor);
  }
}
