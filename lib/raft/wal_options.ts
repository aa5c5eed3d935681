/**
 * Options of `Wal.open`, their defaults and their validation.
 *
 * @module
 */

const KIB = 1024;
const MIB = 1024 * KIB;

/** Receives the log's repairs (torn tails cut, leftovers removed) and errors. */
export type WalLogger = (level: "info" | "warn" | "error", message: string) => void;

/** Options for `Wal.open`. */
export interface WalOptions {
  /**
   * Start a new segment before the current one grows past this many bytes
   * (a record bigger than this gets a segment of its own). In [4 KiB, 1 GiB].
   * @default {67108864} (64 MiB)
   */
  segmentSize?: number;
  /**
   * Bytes of recently appended entries (record size: data plus 24) kept in
   * memory, so that `entries()` serves them without a disk read. 0 disables
   * the cache. In [0, 1 GiB].
   * @default {4194304} (4 MiB)
   */
  cacheSize?: number;
  /**
   * Receives repairs and errors.
   * @default Warnings and errors to the console.
   */
  logger?: WalLogger;
}

/** Options with every default applied. */
export type ResolvedWalOptions = Required<WalOptions>;

function defaultLogger(level: "info" | "warn" | "error", message: string): void {
  if (level !== "info") console.error(`wal ${level}: ${message}`);
}

function check(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot open write-ahead log: option "${name}" must be a number in [${min}, ${max}], got ${value}`,
    );
  }
  return Math.floor(value);
}

/**
 * Applies defaults and checks every option.
 *
 * @param o The caller's options.
 * @returns Complete options.
 * @throws {RangeError} Naming the first bad option.
 * @throws {TypeError} If `logger` is not a function.
 */
export function resolveWalOptions(o: WalOptions): ResolvedWalOptions {
  const { segmentSize = 64 * MIB, cacheSize = 4 * MIB, logger = defaultLogger } = o;
  if (typeof logger !== "function") {
    throw new TypeError('Cannot open write-ahead log: option "logger" must be a function');
  }
  return {
    segmentSize: check("segmentSize", segmentSize, 4 * KIB, 1024 * MIB),
    cacheSize: check("cacheSize", cacheSize, 0, 1024 * MIB),
    logger,
  };
}
