/**
 * Small deterministic building blocks of the Raft simulator: a seeded PRNG
 * (sfc32, seeded through splitmix32) and a binary min-heap of timed events.
 *
 * @module
 */

/** A seeded pseudo-random number generator (sfc32). */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * Creates a generator.
   *
   * @param seed Any 32-bit integer.
   */
  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** @returns A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** @returns A number in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /**
   * @param n Exclusive upper bound (> 0).
   * @returns An integer in [0, n).
   */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * @param lo Lowest value.
   * @param hi Highest value (inclusive).
   * @returns An integer in [lo, hi].
   */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /**
   * @param p Probability in [0, 1].
   * @returns True with probability p.
   */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /**
   * @param items A non-empty array.
   * @returns One of its items.
   */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /**
   * Picks a key by weight.
   *
   * @param weights Key to weight (>= 0); at least one positive.
   * @returns The key picked.
   */
  weighted<K extends string>(weights: Record<K, number>): K {
    let total = 0;
    for (const k in weights) total += weights[k];
    let x = this.next() * total;
    let last: K | null = null;
    for (const k in weights) {
      if (weights[k] <= 0) continue;
      last = k;
      x -= weights[k];
      if (x < 0) return k;
    }
    return last as K;
  }

  /**
   * A shuffled copy.
   *
   * @param items The items.
   * @returns A new array in random order.
   */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** @returns An independent generator seeded from this one. */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

interface Slot<T> {
  time: number;
  seq: number;
  item: T;
}

/** A min-heap of items ordered by (time, insertion order). */
export class EventQueue<T> {
  #heap: Slot<T>[] = [];
  #seq = 0;

  /** Number of queued items. */
  get size(): number {
    return this.#heap.length;
  }

  /** Time of the earliest item (Infinity when empty). */
  peekTime(): number {
    return this.#heap.length > 0 ? this.#heap[0].time : Infinity;
  }

  /**
   * Queues an item.
   *
   * @param time When it fires.
   * @param item The item.
   */
  push(time: number, item: T): void {
    const h = this.#heap;
    const slot = { time, seq: this.#seq++, item };
    let i = h.length;
    h.push(slot);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(slot, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = slot;
  }

  /** @returns The earliest item with its time, or undefined. */
  pop(): { time: number; item: T } | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as Slot<T>;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r], h[l]) ? r : l;
        if (!less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return { time: top.time, item: top.item };
  }
}

function less<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
