/**
 * Size limits the decoder enforces on client input, with Redis's defaults.
 *
 * @module
 */

/** Default largest bulk string: 512 MiB (Redis `proto-max-bulk-len`). */
export const DEFAULT_MAX_BULK = 512 * 1024 * 1024;
/** Default longest inline line or `*`/`$` count line: 64 KiB (`PROTO_INLINE_MAX_SIZE`). */
export const DEFAULT_MAX_INLINE = 64 * 1024;
/** Default largest number of arguments in one multibulk command: 1M. */
export const DEFAULT_MAX_MULTIBULK = 1024 * 1024;

/** Limits for `RespDecoder`; every field is optional. */
export interface DecoderLimits {
  /**
   * Largest accepted bulk string, in bytes. A longer `$` length is
   * `invalid bulk length`.
   *
   * @default {536870912}
   */
  maxBulk?: number;
  /**
   * Longest inline line, and longest `*`/`$` count line, in bytes, before
   * its terminator arrives (`too big inline request`, `too big mbulk count
   * string`, `too big bulk count string`).
   *
   * @default {65536}
   */
  maxInline?: number;
  /**
   * Largest number of arguments in a multibulk command. A larger `*` count
   * is `invalid multibulk length`.
   *
   * @default {1048576}
   */
  maxMultibulk?: number;
}

/**
 * Applies the defaults and checks every limit.
 *
 * @param limits The caller's limits.
 * @returns All three limits, filled in.
 * @throws {RangeError} If a limit is not a positive safe integer.
 */
export function resolveLimits(limits: DecoderLimits = {}): Required<DecoderLimits> {
  const {
    maxBulk = DEFAULT_MAX_BULK,
    maxInline = DEFAULT_MAX_INLINE,
    maxMultibulk = DEFAULT_MAX_MULTIBULK,
  } = limits;
  check("maxBulk", maxBulk);
  check("maxInline", maxInline);
  check("maxMultibulk", maxMultibulk);
  return { maxBulk, maxInline, maxMultibulk };
}

function check(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create decoder: "${name}" must be a positive integer, got ${value}`,
    );
  }
}
