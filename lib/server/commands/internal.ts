/**
 * Commands only the node itself proposes (names start with "__", so clients
 * cannot call them and COMMAND does not list them).
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { writeCommand } from "./spec.ts";

/** Name of the active-expiry operation: `__expire key [key ...]`. */
export const EXPIRE_SWEEP = "__expire";

/** The internal commands. */
export const INTERNAL_COMMANDS: CommandSpec[] = [
  // Deletes the keys that have expired at the operation's time; the
  // leader picks candidates, every node checks them against that time.
  writeCommand(EXPIRE_SWEEP, -2, [1, -1, 1], (ks, a) => {
    let n = 0;
    for (let i = 1; i < a.length; i++) {
      if (ks.stat(a[i]) === undefined) {
        ks.delete(a[i]);
        n++;
      }
    }
    return n;
  }),
];
