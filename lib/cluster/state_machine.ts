/**
 * The deterministic apply function: runs a log entry's operation against
 * the store at the operation's stamped time and commits its writes as one
 * atomic batch carrying the entry's index. It reads nothing else: no clock,
 * no randomness, no node-local state, so every node applying the same log
 * ends with the same keyspace.
 *
 * @module
 */

import type { BitcaskStore } from "../bitcask/mod.ts";
import { type Reply, ReplyError } from "../resp/mod.ts";
import { ascii } from "../server/args.ts";
import { arityOk, type CommandSpec } from "../server/command.ts";
import { CommandLookup } from "../server/command_lookup.ts";
import type { CursorTable } from "../server/cursors.ts";
import { decodeOperation, type Operation } from "../server/operation.ts";
import { Tx } from "../server/tx.ts";

/** Applies log entries to the store. */
export class StateMachine {
  #store: BitcaskStore;
  #cursors: CursorTable;
  #commands: CommandLookup;
  /** Index of the last entry applied. */
  appliedIndex: number;
  /** Largest operation time applied (ms): new operations are stamped no earlier. */
  lastTime = 0;
  /** How many applied entries cleared the keyspace (FLUSHDB): the log can then shrink. */
  clears = 0;

  /**
   * Creates the state machine.
   *
   * @param store The store (its lastIndex() is where applying resumes).
   * @param table The command table.
   * @param cursors SCAN cursors, for reads inside transactions.
   */
  constructor(store: BitcaskStore, table: Map<string, CommandSpec>, cursors: CursorTable) {
    this.#store = store;
    this.#cursors = cursors;
    this.#commands = new CommandLookup(table);
    this.appliedIndex = store.lastIndex();
  }

  /**
   * Applies one entry.
   *
   * @param index The entry's index.
   * @param data The encoded operation.
   * @returns The reply for the client that proposed it.
   * @throws Whatever the store throws on an I/O failure (the node must stop).
   */
  apply(index: number, data: Uint8Array): Reply {
    return this.applyOperation(index, decodeOperation(data));
  }

  /**
   * Applies one entry given its decoded operation.
   *
   * @param index The entry's index.
   * @param op The operation.
   * @returns The reply for the client that proposed it.
   */
  applyOperation(index: number, op: Operation): Reply {
    if (op.time > this.lastTime) this.lastTime = op.time;
    const tx = new Tx(this.#store, op.time);
    const replies = op.cmds.map((argv) => this.#run(tx, argv));
    if (tx.dirty) tx.commit(index);
    if (tx.cleared) this.clears++;
    this.appliedIndex = index;
    return op.transaction ? replies : replies[0];
  }

  #run(tx: Tx, argv: Uint8Array[]): Reply {
    const spec = this.#commands.get(argv[0]);
    if (spec !== undefined && !arityOk(spec, argv.length)) {
      return new ReplyError(`ERR wrong number of arguments for '${spec.name}' command`);
    }
    try {
      if (spec?.apply) return spec.apply(tx, argv);
      if (spec?.read) return spec.read(tx, argv, { cursors: this.#cursors });
      return new ReplyError(`ERR command '${ascii(argv[0])}' cannot run in a transaction`);
    } catch (e) {
      if (e instanceof ReplyError) return e;
      throw e;
    }
  }
}
