/**
 * Turning Redis expiry arguments (EX, PX, EXAT, PXAT and the EXPIRE family)
 * into an absolute Unix-ms time, with Redis 7's checks and error texts.
 *
 * @module
 */

import { ReplyError } from "../resp/mod.ts";
import { NOT_INTEGER, parseInt64 } from "./args.ts";

/** Units of an expiry argument. */
export type ExpireUnit = "ex" | "px" | "exat" | "pxat";

const MAX_MS = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Computes the absolute expiry (Unix ms) of `EX|PX|EXAT|PXAT value`.
 *
 * @param value The argument.
 * @param unit Its unit.
 * @param now The operation's time.
 * @param command Lowercase command name, for the error text.
 * @returns Unix ms (> 0).
 * @throws {ReplyError} `ERR value is not an integer or out of range` or
 *   `ERR invalid expire time in '<command>' command`.
 */
export function absoluteExpiry(
  value: Uint8Array,
  unit: ExpireUnit,
  now: number,
  command: string,
): number {
  const v = parseInt64(value);
  if (v === null) throw new ReplyError(NOT_INTEGER);
  const invalid = new ReplyError(`ERR invalid expire time in '${command}' command`);
  if (v <= 0n) throw invalid;
  let ms = unit === "ex" || unit === "exat" ? v * 1000n : v;
  if (unit === "ex" || unit === "px") ms += BigInt(now);
  if (ms > MAX_MS) throw invalid;
  return Number(ms);
}

/**
 * Computes the absolute expiry of the EXPIRE family, where zero and
 * negative values are allowed (they delete the key).
 *
 * @param value The argument.
 * @param unit Its unit.
 * @param now The operation's time.
 * @param command Lowercase command name, for the error text.
 * @returns Unix ms (may be in the past, or <= 0).
 * @throws {ReplyError} On a non-integer or an overflow.
 */
export function expireCommandTime(
  value: Uint8Array,
  unit: ExpireUnit,
  now: number,
  command: string,
): number {
  const v = parseInt64(value);
  if (v === null) throw new ReplyError(NOT_INTEGER);
  let ms = unit === "ex" || unit === "exat" ? v * 1000n : v;
  if (unit === "ex" || unit === "px") ms += BigInt(now);
  if (ms > MAX_MS || ms < -MAX_MS) {
    throw new ReplyError(`ERR invalid expire time in '${command}' command`);
  }
  return Number(ms);
}
