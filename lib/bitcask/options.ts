/**
 * Options of `BitcaskStore.open`, their defaults and their validation.
 *
 * @module
 */

import type { Logger } from "./loader.ts";

const MIB = 1024 * 1024;

/** Longest string V8 can hold; keys live in memory as strings, so they cannot be longer. */
export const RUNTIME_MAX_KEY = 2 ** 29 - 24;

/** Options for {@linkcode BitcaskStore.open}. */
export interface BitcaskOptions {
  /**
   * Rotate the active data file before it grows past this many bytes (a
   * single record bigger than this gets a file of its own). At most 2 GiB.
   * @default {67108864} (64 MiB)
   */
  maxFileSize?: number;
  /**
   * Longest key accepted, in bytes (capped at 536,870,888, the longest
   * string the JS runtime can hold).
   * @default {536870912} (512 MiB, like Redis)
   */
  maxKeySize?: number;
  /**
   * Longest value accepted, in bytes.
   * @default {536870912} (512 MiB, like Redis)
   */
  maxValueSize?: number;
  /**
   * Start merges by themselves when dead bytes pass both thresholds below.
   * @default {true}
   */
  autoMerge?: boolean;
  /**
   * Share of dead bytes (superseded records and tombstones) in all data
   * files that triggers a merge.
   * @default {0.5}
   */
  mergeDeadRatio?: number;
  /**
   * Minimum dead bytes before a merge is triggered automatically.
   * @default {33554432} (32 MiB)
   */
  mergeMinDeadBytes?: number;
  /**
   * Longest stretch a merge works before yielding to the event loop, in ms.
   * @default {4}
   */
  mergeStepMs?: number;
  /**
   * Bytes of recently read values kept in memory (values up to 64 KiB), so
   * hot keys cost no system call. 0 disables the cache.
   * @default {33554432} (32 MiB)
   */
  valueCacheSize?: number;
  /**
   * Build hint files for rotated data files on a worker thread (false:
   * synchronously, which stalls the caller while the file is scanned).
   * @default {true}
   */
  hintWorker?: boolean;
  /**
   * Receives repairs and background errors.
   * @default Warnings and errors to the console.
   */
  logger?: Logger;
}

/** Options with every default applied. */
export type ResolvedOptions = Required<BitcaskOptions>;

function defaultLogger(level: "info" | "warn" | "error", message: string): void {
  if (level !== "info") console.error(`bitcask ${level}: ${message}`);
}

function check(name: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot open store: option "${name}" must be a number in [${min}, ${max}], got ${value}`,
    );
  }
  return value;
}

/**
 * Applies defaults and checks every option.
 *
 * @param o The caller's options.
 * @returns Complete options.
 * @throws {RangeError} Naming the first bad option.
 */
export function resolveOptions(o: BitcaskOptions): ResolvedOptions {
  const {
    maxFileSize = 64 * MIB,
    maxKeySize = 512 * MIB,
    maxValueSize = 512 * MIB,
    autoMerge = true,
    mergeDeadRatio = 0.5,
    mergeMinDeadBytes = 32 * MIB,
    mergeStepMs = 4,
    hintWorker = true,
    valueCacheSize = 32 * MIB,
    logger = defaultLogger,
  } = o;
  return {
    maxFileSize: Math.floor(check("maxFileSize", maxFileSize, 1024, 2 * 1024 * MIB)),
    maxKeySize: Math.min(RUNTIME_MAX_KEY, Math.floor(check("maxKeySize", maxKeySize, 0, 2 ** 32))),
    maxValueSize: Math.floor(check("maxValueSize", maxValueSize, 0, 2 ** 31)),
    autoMerge: Boolean(autoMerge),
    mergeDeadRatio: check("mergeDeadRatio", mergeDeadRatio, 0, 1),
    mergeMinDeadBytes: check("mergeMinDeadBytes", mergeMinDeadBytes, 0, Number.MAX_SAFE_INTEGER),
    mergeStepMs: check("mergeStepMs", mergeStepMs, 0.1, 1000),
    hintWorker: Boolean(hintWorker),
    valueCacheSize: check("valueCacheSize", valueCacheSize, 0, Number.MAX_SAFE_INTEGER),
    logger,
  };
}
