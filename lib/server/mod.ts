/**
 * The Redis-compatible server: listener, connections, the command table and
 * the dispatcher that runs commands (reads at once, writes through a
 * proposer).
 *
 * ```ts ignore
 * import { commandTable, Dispatcher, RedisServer } from "./mod.ts";
 * const dispatcher = new Dispatcher({ table: commandTable(), store, proposer, node, cursors, log });
 * const server = new RedisServer(dispatcher, { hostname: "127.0.0.1", port: 4920, ... });
 * server.listen();
 * ```
 *
 * @module
 */

export { commandTable, REDIS_VERSION } from "./commands/mod.ts";
export type { CommandKind, CommandSpec, NodeServices, ServerContext } from "./command.ts";
export { CursorTable } from "./cursors.ts";
export { Dispatcher, type Proposal, type Proposer, type Slot } from "./dispatch.ts";
export { type Keyspace, LiveKeyspace, type WritableKeyspace } from "./keyspace.ts";
export { decodeOperation, encodeOperation, type Operation } from "./operation.ts";
export { RedisServer, type ServerOptions } from "./server.ts";
export { Session } from "./session.ts";
export { Tx } from "./tx.ts";
export { globMatch, literalKey, literalPrefix } from "./glob.ts";
