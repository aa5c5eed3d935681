/**
 * Terms of the entries a log holds, as runs: Raft terms never decrease
 * along a log, so one (first index, term) pair per term change answers
 * `term(index)` with a binary search in a few bytes per term.
 *
 * @module
 */

/** Run-length map from entry index to term, for a contiguous range of indexes. */
export class WalTerms {
  #starts: number[] = [];
  #terms: number[] = [];

  /** Number of runs (distinct consecutive terms). */
  get runs(): number {
    return this.#starts.length;
  }

  /** Term of the newest entry pushed, or 0 if none. */
  get lastTerm(): number {
    const n = this.#terms.length;
    return n === 0 ? 0 : this.#terms[n - 1];
  }

  /**
   * Records the term of the next entry. The caller guarantees that indexes
   * are pushed in order and terms never decrease.
   *
   * @param index The entry's index.
   * @param term Its term.
   */
  push(index: number, term: number): void {
    const n = this.#terms.length;
    if (n > 0 && this.#terms[n - 1] === term) return;
    this.#starts.push(index);
    this.#terms.push(term);
  }

  /**
   * Term of an entry that was pushed and not dropped since.
   *
   * @param index The entry's index.
   * @returns Its term (0 if no run starts at or before `index`).
   */
  get(index: number): number {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= index) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.#terms[found];
  }

  /**
   * Forgets the entries at `index` and after.
   *
   * @param index First index to forget.
   */
  truncateFrom(index: number): void {
    while (this.#starts.length > 0 && this.#starts[this.#starts.length - 1] >= index) {
      this.#starts.pop();
      this.#terms.pop();
    }
  }

  /**
   * Forgets runs that end before `index` (the run holding `index` stays).
   *
   * @param index First index still needed.
   */
  dropBefore(index: number): void {
    let n = 0;
    while (n + 1 < this.#starts.length && this.#starts[n + 1] <= index) n++;
    if (n > 0) {
      this.#starts.splice(0, n);
      this.#terms.splice(0, n);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.#starts = [];
    this.#terms = [];
  }
}
