/**
 * The shape of a command in the command table. A handler never touches a
 * socket: it returns a reply value or throws a `ReplyError`.
 *
 * - `read` commands run against a {@linkcode Keyspace} (the live store at the
 *   local clock, or the transaction of an EXEC being applied).
 * - `write` commands run only when a replicated operation is applied, against
 *   a {@linkcode WritableKeyspace} at the time stamped in the operation; they
 *   must be deterministic (no clock, no randomness, no node-local state).
 *   Every write is checked once before it is proposed (`check`), so that a
 *   syntax error is answered without going through the log.
 * - `admin` commands act on the node or the connection (HELLO, CLIENT,
 *   SHUTDOWN, INFO, ...) and are not replicated.
 *
 * @module
 */

import type { Reply } from "../resp/mod.ts";
import type { CursorTable } from "./cursors.ts";
import type { Keyspace, WritableKeyspace } from "./keyspace.ts";
import type { Session } from "./session.ts";

/** How a command is executed. */
export type CommandKind = "read" | "write" | "admin";

/** Node-level services admin commands may use (implemented by the server). */
export interface ServerContext {
  /** The session of the calling connection. */
  readonly session: Session;
  /** Everything else the node offers admin commands. */
  readonly node: NodeServices;
}

/** What the node offers admin commands; see `lib/server/server.ts`. */
export interface NodeServices {
  /** Live keyspace at the local clock. */
  keyspace(): Keyspace;
  /** Replies to INFO [section]. */
  info(sections: string[]): string;
  /** All connected sessions (CLIENT LIST). */
  sessions(): Iterable<Session>;
  /** Value of a config parameter, for CONFIG GET. */
  config(): Map<string, string>;
  /** Starts a clean shutdown (after the reply is written). */
  shutdown(): void;
  /** Flushes the store to disk and records the save time (SAVE/BGSAVE). */
  save(): Promise<void>;
  /** Unix seconds of the last save. */
  lastSave(): number;
  /** Starts a Bitcask merge (BGREWRITEAOF). */
  merge(): void;
  /** Number of nodes holding every write acknowledged so far (WAIT). */
  wait(numReplicas: number, timeoutMs: number): Promise<number>;
  /** The command table (COMMAND). */
  commands(): Map<string, CommandSpec>;
  /** The configured password, or null. */
  password(): string | null;
  /** Raft commands (RAFT*); absent on a node without clustering. */
  cluster?: ClusterServices;
}

/** What the RAFT* commands ask of the node. */
export interface ClusterServices {
  /** RAFTMSG: Raft messages from a peer (an encoded batch). */
  receive(batch: Uint8Array): Reply;
  /** RAFTPROPOSE: a write forwarded by a follower (only the leader runs it). */
  propose(protocol: 2 | 3, op: Uint8Array): Promise<Reply>;
  /** RAFTADDPEER. */
  addPeer(addr: string): Promise<Reply>;
  /** RAFTREMOVEPEER. */
  removePeer(addr: string): Promise<Reply>;
  /** RAFTREMOVED leader: the leader says this node was removed from the cluster. */
  removed(by: string): Reply;
  /** RAFTSNAPCHUNK: a piece of a snapshot the leader streams to this node. */
  snapshotChunk(id: string, seq: number, bytes: Uint8Array): Reply;
  /** RAFTSNAPDONE: the end of that stream, with the snapshot message. */
  snapshotDone(id: string, message: Uint8Array, size: number, crc: string): Promise<Reply>;
  /** RAFTSHRINKLOG: compacts the log now. */
  shrinkLog(): Promise<Reply>;
  /** RAFTSNAPSHOT: takes a snapshot now. */
  snapshot(): Promise<Reply>;
  /** RAFTTRANSFER [addr]. */
  transfer(addr: string | null): Promise<Reply>;
  /** RAFTLEADER: the leader's address, or null. */
  leader(): string | null;
  /** RAFTSTATE: Leader, Follower, Candidate, Learner or Shutdown. */
  state(): string;
  /** RAFTSTATS: key/value pairs. */
  stats(): [string, string][];
  /** RAFTPEERS: address and state of every member. */
  peers(): [string, string][];
}

/** A command table entry. */
export interface CommandSpec {
  /** Lowercase name. */
  name: string;
  /** Redis arity: n = exactly n arguments (name included), -n = at least n. */
  arity: number;
  /** Execution kind. */
  kind: CommandKind;
  /** Redis command flags reported by COMMAND INFO. */
  flags: string[];
  /** First key argument, last key argument (-1 = last), step; 0,0,0 if none. */
  keys: [number, number, number];
  /** Read handler. */
  read?: (ks: Keyspace, args: Uint8Array[], ctx: ReadContext) => Reply;
  /** Checks a write's arguments before it is proposed (throws ReplyError). */
  check?: (args: Uint8Array[]) => void;
  /** Applies a write (deterministic). */
  apply?: (ks: WritableKeyspace, args: Uint8Array[]) => Reply;
  /** Admin handler. */
  admin?: (args: Uint8Array[], ctx: ServerContext) => Reply | Promise<Reply>;
  /** Allowed before AUTH. */
  noAuth?: boolean;
  /** Allowed while queuing inside MULTI (runs at once: EXEC, DISCARD, ...). */
  inMulti?: boolean;
  /** Has subcommands (CLIENT LIST shows `cmd=name|sub`). */
  subcommands?: boolean;
}

/** Extra context of read handlers. */
export interface ReadContext {
  /** The node's SCAN cursors. */
  cursors?: CursorTable;
}

/**
 * Checks argument count against a Redis arity.
 *
 * @param spec The command.
 * @param argc Number of arguments including the name.
 * @returns Whether the count is acceptable.
 */
export function arityOk(spec: CommandSpec, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}
