/**
 * Callbacks waiting for the applied index to reach a value, run in index
 * order as entries are applied.
 *
 * @module
 */

interface Waiter {
  index: number;
  fn: (ok: boolean) => void;
}

/** Waiters keyed by an index, released in order. */
export class WaitList {
  #list: Waiter[] = [];

  /** Number of waiters. */
  get size(): number {
    return this.#list.length;
  }

  /**
   * Adds a waiter.
   *
   * @param index Index to wait for.
   * @param fn Called with true once reached, false if the wait is abandoned.
   */
  add(index: number, fn: (ok: boolean) => void): void {
    const list = this.#list;
    let i = list.length;
    while (i > 0 && list[i - 1].index > index) i--;
    list.splice(i, 0, { index, fn });
  }

  /**
   * Releases every waiter at or below `index`.
   *
   * @param index The index reached.
   */
  reached(index: number): void {
    let n = 0;
    while (n < this.#list.length && this.#list[n].index <= index) n++;
    if (n === 0) return;
    const done = this.#list.splice(0, n);
    for (const w of done) w.fn(true);
  }

  /** Abandons every waiter. */
  failAll(): void {
    const all = this.#list;
    this.#list = [];
    for (const w of all) w.fn(false);
  }
}
