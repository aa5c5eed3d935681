/**
 * Log lines in Redis's format (`pid:M 25 Nov 2026 18:08:00.123 * message`)
 * on stderr, filtered by level.
 *
 * @module
 */

import type { LogLevel } from "../cli/mod.ts";

/** A logger. */
export interface Logger {
  /** Detailed diagnostics (debug). */
  debug(msg: string): void;
  /** Less important events (verbose). */
  verbose(msg: string): void;
  /** Normal events (notice). */
  notice(msg: string): void;
  /** Problems (warning). */
  warn(msg: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, silent: 4 };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${
      p(d.getUTCMilliseconds(), 3)
    }`;
}

/**
 * Creates a logger.
 *
 * @param level Lowest level written.
 * @param sink Where lines go (default: stderr).
 * @returns The logger.
 */
export function createLogger(
  level: LogLevel,
  sink: (line: string) => void = (l) => console.error(l),
): Logger {
  const min = RANK[level];
  const write = (rank: number, mark: string, msg: string) => {
    if (rank >= min) sink(`${Deno.pid}:M ${stamp(new Date())} ${mark} ${msg}`);
  };
  return {
    debug: (m) => write(0, ".", m),
    verbose: (m) => write(1, "-", m),
    notice: (m) => write(2, "*", m),
    warn: (m) => write(3, "#", m),
  };
}
