/**
 * Command-line parsing for the `bitraft` program.
 *
 * ```ts
 * import { parseFlags } from "./mod.ts";
 * const config = parseFlags(["--bind", "127.0.0.1:7000", "--durability", "medium"]);
 * config.data; // "data"
 * ```
 *
 * @module
 */

export {
  type Config,
  FlagError,
  type Level,
  type LogLevel,
  parseFlags,
  parseSize,
  USAGE,
  VERSION,
} from "./flags.ts";
