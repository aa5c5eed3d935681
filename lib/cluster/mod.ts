/**
 * The node: data directory, write path, state machine, active expiry and
 * the Redis server, wired together.
 *
 * ```ts ignore
 * import { BitraftNode } from "./mod.ts";
 * const node = await BitraftNode.start({ data: "data", bind: "127.0.0.1:4920" });
 * // ... serve until:
 * await node.shutdown();
 * ```
 *
 * @module
 */

export { BitraftNode, type NodeOptions, NodeStartError } from "./node.ts";
export { StateMachine } from "./state_machine.ts";
export { createLogger, type Logger } from "./logger.ts";
