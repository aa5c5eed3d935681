/**
 * Group commit: callers of `sync()` that arrive while a flush runs share
 * the next flush, so a burst of appends and syncs costs one or two fsyncs.
 *
 * Changes are counted as generations; a flush started at generation `g`
 * makes every change up to `g` durable.
 *
 * @module
 */

/** Coalesces flush requests. */
export class GroupCommit {
  readonly #current: () => number;
  readonly #flush: () => Promise<void>;
  readonly #check: () => void;
  #synced = 0;
  #running: Promise<void> | null = null;
  #runningGen = 0;
  #queued: Promise<void> | null = null;

  /**
   * Creates the coordinator.
   *
   * @param current Returns the generation of the latest change.
   * @param flush Makes every change made so far durable.
   * @param check Throws if a new flush must not start (the log is poisoned).
   */
  constructor(current: () => number, flush: () => Promise<void>, check: () => void) {
    this.#current = current;
    this.#flush = flush;
    this.#check = check;
  }

  /** Highest generation known to be durable. */
  get synced(): number {
    return this.#synced;
  }

  /**
   * Makes every change made so far durable, joining a flush that covers
   * them or queueing (at most) one that will.
   *
   * @returns Resolves once durable; rejects with the flush's error.
   */
  sync(): Promise<void> {
    const want = this.#current();
    if (this.#synced >= want) return Promise.resolve();
    if (this.#running === null) return this.#start();
    if (this.#runningGen >= want) return this.#running;
    if (this.#queued === null) {
      this.#queued = this.#running.catch(() => {}).then(() => {
        this.#queued = null;
        this.#check();
        return this.#start();
      });
    }
    return this.#queued;
  }

  /**
   * Waits for the running and queued flushes, ignoring their errors.
   *
   * @returns Resolves once no flush is pending.
   */
  async settled(): Promise<void> {
    await this.#running?.catch(() => {});
    await this.#queued?.catch(() => {});
  }

  #start(): Promise<void> {
    const gen = this.#current();
    if (this.#synced >= gen) return Promise.resolve();
    const run = this.#flush().then(() => {
      if (gen > this.#synced) this.#synced = gen;
    });
    this.#running = run;
    this.#runningGen = gen;
    const clear = () => {
      if (this.#running === run) this.#running = null;
    };
    run.then(clear, clear);
    return run;
  }
}
