/**
 * MULTI, EXEC and DISCARD. Their logic lives in the dispatcher, which owns
 * the session's queue and the proposer; these entries give them arity,
 * flags and a place in COMMAND.
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";

function connectionCommand(name: string): CommandSpec {
  return {
    name,
    arity: 1,
    kind: "admin",
    flags: ["noscript", "loading", "stale", "fast"],
    keys: [0, 0, 0],
    inMulti: true,
  };
}

/** The transaction commands. */
export const TRANSACTION_COMMANDS: CommandSpec[] = ["multi", "exec", "discard"].map(
  connectionCommand,
);
