/**
 * The command table: every command bitraft serves, by lowercase name.
 *
 * ```ts
 * import { commandTable } from "./mod.ts";
 * const table = commandTable();
 * table.get("get")?.arity; // 2
 * ```
 *
 * @module
 */

import type { CommandSpec } from "../command.ts";
import { EXPIRE_COMMANDS } from "./expire.ts";
import { KEY_COMMANDS } from "./keys.ts";
import { SERVER_COMMANDS } from "./server.ts";
import { STRING_COMMANDS } from "./strings.ts";
import { TRANSACTION_COMMANDS } from "./transaction.ts";
import { INTERNAL_COMMANDS } from "./internal.ts";
import { RAFT_COMMANDS } from "./raft.ts";

export { REDIS_VERSION } from "./server.ts";

/**
 * Builds the command table.
 *
 * @returns Lowercase name -> spec.
 * @throws {Error} On a duplicate name (a programming error).
 */
export function commandTable(): Map<string, CommandSpec> {
  const table = new Map<string, CommandSpec>();
  for (
    const spec of [
      ...STRING_COMMANDS,
      ...KEY_COMMANDS,
      ...EXPIRE_COMMANDS,
      ...SERVER_COMMANDS,
      ...TRANSACTION_COMMANDS,
      ...INTERNAL_COMMANDS,
      ...RAFT_COMMANDS,
    ]
  ) {
    if (table.has(spec.name)) {
      throw new Error(`Cannot build command table: duplicate '${spec.name}'`);
    }
    table.set(spec.name, spec);
  }
  return table;
}
