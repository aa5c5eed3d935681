/**
 * Small constructors for command-table entries.
 *
 * @module
 */

import type { Reply } from "../../resp/mod.ts";
import type { CommandSpec, ReadContext, ServerContext } from "../command.ts";
import type { Keyspace, WritableKeyspace } from "../keyspace.ts";

type Keys = [number, number, number];

/**
 * A read command.
 *
 * @param name Lowercase name.
 * @param arity Redis arity.
 * @param keys Key positions.
 * @param read The handler.
 * @param flags Extra COMMAND INFO flags.
 * @returns The entry.
 */
export function readCommand(
  name: string,
  arity: number,
  keys: Keys,
  read: (ks: Keyspace, args: Uint8Array[], ctx: ReadContext) => Reply,
  flags: string[] = ["fast"],
): CommandSpec {
  return { name, arity, kind: "read", flags: ["readonly", ...flags], keys, read };
}

/**
 * A write command.
 *
 * @param name Lowercase name.
 * @param arity Redis arity.
 * @param keys Key positions.
 * @param apply The deterministic handler.
 * @param check Argument checks run before proposing (default: none).
 * @param flags Extra COMMAND INFO flags.
 * @returns The entry.
 */
export function writeCommand(
  name: string,
  arity: number,
  keys: Keys,
  apply: (ks: WritableKeyspace, args: Uint8Array[]) => Reply,
  check?: (args: Uint8Array[]) => void,
  flags: string[] = ["denyoom"],
): CommandSpec {
  return { name, arity, kind: "write", flags: ["write", ...flags], keys, apply, check };
}

/**
 * An admin/connection command.
 *
 * @param name Lowercase name.
 * @param arity Redis arity.
 * @param admin The handler.
 * @param extra Flags and options.
 * @returns The entry.
 */
export function adminCommand(
  name: string,
  arity: number,
  admin: (args: Uint8Array[], ctx: ServerContext) => Reply | Promise<Reply>,
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return { name, arity, kind: "admin", flags: ["admin"], keys: [0, 0, 0], admin, ...extra };
}
