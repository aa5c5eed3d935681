/**
 * The write path of a single node (a one-voter Raft group): operations
 * proposed in the same turn of the event loop, and all those that arrive
 * while an fsync is in flight, form a group; the group is appended to the
 * write-ahead log with one write, made durable with one fsync (durability
 * high; medium syncs once a second, low leaves it to the OS), then applied
 * in order, and only then does each client get its reply. The WAL is
 * compacted once the store has durably applied its entries.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { BitcaskStore } from "../bitcask/mod.ts";
import type { Level } from "../cli/mod.ts";
import type { Wal } from "../raft/mod.ts";
import { type Reply, ReplyError } from "../resp/mod.ts";
import type { Proposal, Proposer } from "../server/dispatch.ts";
import { encodeOperationInto, type Operation, operationSize } from "../server/operation.ts";
import type { WalEntry } from "../raft/mod.ts";
import type { Logger } from "./logger.ts";
import type { StateMachine } from "./state_machine.ts";

const COMPACT_EVERY = 20_000;
/** Term of entries written by a single node. */
export const SINGLE_NODE_TERM = 1;

class PendingProposal implements Proposal {
  readonly reply: Promise<Reply>;
  /** The operation; its arguments stay valid until the reply is delivered. */
  readonly op: Operation;
  resolve!: (r: Reply) => void;
  #hooks: ((applied: boolean) => void)[] | null = null;

  constructor(op: Operation) {
    this.op = op;
    this.reply = new Promise((r) => (this.resolve = r));
  }

  afterApply(fn: (applied: boolean) => void): void {
    (this.#hooks ??= []).push(fn);
  }

  finish(reply: Reply, applied: boolean): void {
    if (this.#hooks !== null) { for (const h of this.#hooks) h(applied); }
    this.resolve(reply);
  }
}

/** Encodes a group's operations into one buffer, as consecutive entries. */
function encodeGroup(group: PendingProposal[], first: number): WalEntry[] {
  let total = 0;
  for (const p of group) total += operationSize(p.op);
  const buf = new Uint8Array(total);
  const entries: WalEntry[] = [];
  let o = 0;
  for (let i = 0; i < group.length; i++) {
    const end = encodeOperationInto(group[i].op, buf, o);
    entries.push({ index: first + i, term: SINGLE_NODE_TERM, data: buf.subarray(o, end) });
    o = end;
  }
  return entries;
}

/** Options of {@linkcode LocalLog}. */
export interface LocalLogOptions {
  /** When writes reach the disk. */
  durability: Level;
  /** Log sink. */
  log: Logger;
  /** Called once if the log cannot go on (I/O failure): the node should stop. */
  onFatal: (e: Error) => void;
}

/** Single-node proposer over a WAL and the state machine. */
export class LocalLog implements Proposer {
  #wal: Wal;
  #sm: StateMachine;
  #store: BitcaskStore;
  #opts: LocalLogOptions;
  #queue: PendingProposal[] = [];
  #running: Promise<void> | null = null;
  #lastTime = 0;
  #failure: Error | null = null;
  #sinceCompact = 0;
  #clears = 0;
  #compacting = false;
  #syncTimer: ReturnType<typeof setInterval> | undefined;

  /**
   * Creates the log; entries already in the WAL must have been replayed.
   *
   * @param wal The write-ahead log.
   * @param sm The state machine.
   * @param store The store (synced before the WAL is compacted).
   * @param options Durability and hooks.
   */
  constructor(wal: Wal, sm: StateMachine, store: BitcaskStore, options: LocalLogOptions) {
    this.#wal = wal;
    this.#sm = sm;
    this.#store = store;
    this.#opts = options;
    if (options.durability === "medium") {
      this.#syncTimer = setInterval(() => {
        if (this.#failure === null) this.#wal.sync().catch((e) => this.#fail(e));
      }, 1000);
    }
  }

  /** Index of the last entry applied. */
  get appliedIndex(): number {
    return this.#sm.appliedIndex;
  }

  /**
   * Proposes an operation (see {@linkcode Proposer}).
   *
   * @param op The commands.
   * @returns The proposal.
   */
  propose(op: { transaction: boolean; cmds: Uint8Array[][] }): Proposal {
    const time = Math.max(Date.now(), this.#lastTime);
    this.#lastTime = time;
    const p = new PendingProposal({ time, transaction: op.transaction, cmds: op.cmds });
    if (this.#failure !== null) {
      p.finish(new ReplyError(`ERR write failed: ${this.#failure.message}`), false);
      return p;
    }
    this.#queue.push(p);
    if (this.#running === null) this.#running = this.#run();
    return p;
  }

  /** Resolves once every proposal made so far has been applied (or failed). */
  async drain(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  /** Stops the periodic sync. */
  close(): void {
    clearInterval(this.#syncTimer);
  }

  async #run(): Promise<void> {
    // Let everything proposed in this turn of the event loop join the group.
    await new Promise((r) => setImmediate(r));
    try {
      while (this.#queue.length > 0 && this.#failure === null) {
        const group = this.#queue;
        this.#queue = [];
        const first = this.#wal.lastIndex + 1;
        try {
          this.#wal.append(encodeGroup(group, first));
          if (this.#opts.durability === "high") await this.#wal.sync();
        } catch (e) {
          this.#fail(e as Error);
          for (const p of group) {
            p.finish(new ReplyError(`ERR write failed: ${(e as Error).message}`), false);
          }
          break;
        }
        for (let i = 0; i < group.length; i++) {
          let reply: Reply;
          try {
            reply = this.#sm.applyOperation(first + i, group[i].op);
          } catch (e) {
            this.#fail(e as Error);
            for (const p of group.slice(i)) {
              p.finish(new ReplyError(`ERR write failed: ${(e as Error).message}`), false);
            }
            return;
          }
          group[i].finish(reply, true);
        }
        this.#sinceCompact += group.length;
        // A FLUSHDB makes every earlier entry dead weight: drop it at once.
        if (this.#sinceCompact >= COMPACT_EVERY || this.#sm.clears !== this.#clears) {
          this.#clears = this.#sm.clears;
          this.#compact();
        }
      }
    } finally {
      for (const p of this.#queue.splice(0)) {
        p.finish(
          new ReplyError(`ERR write failed: ${this.#failure?.message ?? "log stopped"}`),
          false,
        );
      }
      this.#running = null;
    }
  }

  /** Drops WAL entries the store holds durably. */
  #compact(): void {
    if (this.#compacting) return;
    this.#compacting = true;
    this.#sinceCompact = 0;
    const upTo = this.#store.lastIndex();
    this.#store.sync()
      .then(() => {
        if (upTo >= this.#wal.firstIndex) this.#wal.compact(upTo);
      })
      .catch((e) => this.#opts.log.warn(`cannot compact the log: ${(e as Error).message}`))
      .finally(() => (this.#compacting = false));
  }

  #fail(e: Error): void {
    if (this.#failure !== null) return;
    this.#failure = e;
    this.#opts.log.warn(`write path failed: ${e.message}`);
    this.#opts.onFatal(e);
  }
}
