/**
 * Runs the commands a connection sent in one read, in order, and returns
 * one reply slot per command (a value, or a promise for writes).
 *
 * Ordering: a read that follows a write of the same connection must see
 * that write, and must not see a later one of that connection. So such a
 * read is attached to the pending write's proposal and runs synchronously
 * right after the write is applied (before any later entry); reads with no
 * pending write before them run at once. Writes are proposed as they come,
 * so a pipeline of writes shares one log append and one fsync.
 *
 * @module
 */

import type { BitcaskStore } from "../bitcask/mod.ts";
import { OK, QUEUED, type Reply, ReplyError } from "../resp/mod.ts";
import { ascii } from "./args.ts";

const PRECEDING_FAILED = "ERR the preceding write failed";
import { arityOk, type CommandSpec, type NodeServices, type ReadContext } from "./command.ts";
import { CommandLookup } from "./command_lookup.ts";
import type { CursorTable } from "./cursors.ts";
import { LiveKeyspace } from "./keyspace.ts";
import type { Session } from "./session.ts";

/** A write on its way through the log. */
export interface Proposal {
  /** The reply computed when the operation is applied. */
  readonly reply: Promise<Reply>;
  /**
   * Runs `fn` synchronously right after the operation is applied (before
   * any later entry), or with `false` if it failed and will not be.
   */
  afterApply(fn: (applied: boolean) => void): void;
  /**
   * False when `afterApply` may run after later entries were applied too
   * (a write forwarded to the leader): then the connection's next write
   * waits until the reads attached to this one have run. Default true.
   */
  readonly ordered?: boolean;
}

/** Turns operations into replicated, durable, applied log entries. */
export interface Proposer {
  /**
   * Proposes an operation; the time is stamped by the proposer.
   *
   * @param op The commands, whether they form a MULTI/EXEC transaction, and
   *   the client's protocol (for replies relayed from another node).
   * @returns The proposal.
   */
  propose(op: { transaction: boolean; cmds: Uint8Array[][]; protocol?: 2 | 3 }): Proposal;
}

/** Decides when a read may run (the `--consistency` level). */
export interface ReadGate {
  /**
   * Called once per batch of reads.
   *
   * @returns Null when reads may run now; otherwise a promise for null (run
   *   them now) or the error to answer them with.
   */
  barrier(): Promise<ReplyError | null> | null;
}

/** A proposal made once `before` settles (a write queued behind a read barrier). */
function deferredProposal(before: Promise<unknown>, make: () => Proposal): Proposal {
  const real = before.then(make, make);
  return {
    reply: real.then((p) => p.reply),
    afterApply: (fn) => void real.then((p) => p.afterApply(fn)),
    ordered: false,
  };
}

/** One reply in a batch, with the protocol it is to be encoded in. */
export interface Slot {
  /** The reply, or a promise for it. */
  reply: Reply | Promise<Reply>;
  /** RESP version of the session when the command ran. */
  protocol: 2 | 3;
  /** Not to be sent (CLIENT REPLY OFF or SKIP); still awaited, in order. */
  silent?: boolean;
}

/** What the dispatcher works with. */
export interface DispatcherDeps {
  /** The command table. */
  table: Map<string, CommandSpec>;
  /** The store, for reads. */
  store: BitcaskStore;
  /** Where writes go. */
  proposer: Proposer;
  /** Node services for admin commands. */
  node: NodeServices;
  /** SCAN cursors. */
  cursors: CursorTable;
  /** Called for unexpected errors (bugs, I/O). */
  log: (message: string) => void;
  /** The read consistency gate; absent = reads run at once. */
  reads?: ReadGate;
}

/**
 * Builds Redis's unknown-command error.
 *
 * @param argv The command.
 * @returns The error.
 */
export function unknownCommand(argv: Uint8Array[]): ReplyError {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${ascii(argv[i]).slice(0, 128 - args.length)}' `;
  }
  return new ReplyError(
    `ERR unknown command '${ascii(argv[0]).slice(0, 128)}', with args beginning with: ${args}`,
  );
}

/** Executes commands for sessions. */
export class Dispatcher {
  #d: DispatcherDeps;
  #commands: CommandLookup;
  #pending: Proposal | null = null;
  #ks: LiveKeyspace | null = null;
  #inRun = false;
  /** Reads attached to an unordered pending write: later writes wait for them. */
  #attached: Promise<unknown> | null = null;
  /** This batch's read barrier: undefined = not asked yet, null = none needed. */
  #barrier: Promise<ReplyError | null> | null | undefined = undefined;
  #readCtx: ReadContext;
  /** Commands run since start (INFO). */
  commandsProcessed = 0;

  /**
   * Creates a dispatcher.
   *
   * @param deps Table, store, proposer, node services.
   */
  constructor(deps: DispatcherDeps) {
    this.#d = deps;
    this.#commands = new CommandLookup(deps.table);
    this.#readCtx = { cursors: deps.cursors };
  }

  /**
   * Runs a batch of commands for a session.
   *
   * @param session The connection's session.
   * @param cmds The commands, in arrival order.
   * @returns One slot per command, in order.
   */
  run(session: Session, cmds: Uint8Array[][]): Slot[] {
    const slots: Slot[] = [];
    this.#pending = null;
    this.#ks = null;
    this.#barrier = undefined;
    this.#attached = null;
    this.#inRun = true;
    for (const argv of cmds) {
      // After QUIT or SHUTDOWN nothing more is run (Redis: CLOSE_AFTER_REPLY).
      if (session.closeAfterReply || session.shutdownAfterReply) break;
      this.commandsProcessed++;
      let reply: Reply | Promise<Reply>;
      try {
        reply = this.#one(session, argv);
      } catch (e) {
        reply = this.#asError(e);
      }
      slots.push({ reply, protocol: session.protocol, silent: this.#silence(session) });
    }
    session.lastCommandAt = Date.now();
    this.#pending = null;
    this.#ks = null;
    this.#barrier = undefined;
    this.#attached = null;
    this.#inRun = false;
    return slots;
  }

  /** Whether the reply of the command just run is suppressed (CLIENT REPLY). */
  #silence(session: Session): boolean {
    if (session.replyMode === "on") {
      if (!session.skipNextReply) return false;
      session.skipNextReply = false;
      return true;
    }
    if (session.replyMode === "skip") {
      // CLIENT REPLY SKIP itself is silent, and so is the next command.
      session.replyMode = "on";
      session.skipNextReply = true;
    }
    return true;
  }

  #one(session: Session, argv: Uint8Array[]): Reply | Promise<Reply> {
    const spec = this.#commands.get(argv[0]);
    const fail = (e: ReplyError) => {
      if (spec?.name === "exec") {
        // Redis: an EXEC rejected before it runs discards the transaction.
        session.multi = null;
        session.multiFailed = false;
        return new ReplyError(
          `EXECABORT Transaction discarded because of: ${e.message.replace(/^ERR /, "")}`,
        );
      }
      if (session.multi !== null) session.multiFailed = true;
      return e;
    };
    if (spec === undefined || spec.name.startsWith("__")) return fail(unknownCommand(argv));
    session.lastCommand = spec.subcommands && argv.length > 1
      ? `${spec.name}|${ascii(argv[1]).toLowerCase()}`
      : spec.name;
    if (!arityOk(spec, argv.length)) {
      return fail(new ReplyError(`ERR wrong number of arguments for '${spec.name}' command`));
    }
    if (!session.authenticated && !spec.noAuth) {
      return fail(new ReplyError("NOAUTH Authentication required."));
    }
    if (session.multi !== null && !spec.inMulti) {
      if (spec.kind === "admin") {
        return fail(new ReplyError(`ERR Command not allowed inside a transaction`));
      }
      session.multi.push(argv.map((a) => a.slice()));
      return QUEUED;
    }
    switch (spec.kind) {
      case "read":
        return this.#gatedRead(() => this.#readOne(spec, argv));
      case "write": {
        spec.check?.(argv);
        const p = this.#propose({ transaction: false, cmds: [argv], protocol: session.protocol });
        this.#pending = p;
        return p.reply;
      }
      default:
        return this.#admin(spec, session, argv);
    }
  }

  #admin(spec: CommandSpec, session: Session, argv: Uint8Array[]): Reply | Promise<Reply> {
    switch (spec.name) {
      case "multi":
        if (session.multi !== null) throw new ReplyError("ERR MULTI calls can not be nested");
        session.multi = [];
        session.multiFailed = false;
        return OK;
      case "discard":
        if (session.multi === null) throw new ReplyError("ERR DISCARD without MULTI");
        session.multi = null;
        session.multiFailed = false;
        return OK;
      case "exec": {
        if (session.multi === null) throw new ReplyError("ERR EXEC without MULTI");
        const queued = session.multi;
        const failed = session.multiFailed;
        session.multi = null;
        session.multiFailed = false;
        if (failed) {
          throw new ReplyError("EXECABORT Transaction discarded because of previous errors.");
        }
        if (queued.every((a) => this.#commands.get(a[0])?.kind === "read")) {
          return this.#gatedRead(() =>
            queued.map((a) => this.#readOne(this.#commands.get(a[0]) as CommandSpec, a))
          );
        }
        const p = this.#propose({ transaction: true, cmds: queued, protocol: session.protocol });
        this.#pending = p;
        return p.reply;
      }
    }
    const reply = (spec.admin as NonNullable<CommandSpec["admin"]>)(argv, {
      session,
      node: this.#d.node,
    });
    return reply instanceof Promise ? reply.catch((e) => this.#asError(e)) : reply;
  }

  /**
   * Runs a read after the connection's pending write is applied, or once
   * the batch's consistency barrier is passed.
   */
  #gatedRead(read: () => Reply): Reply | Promise<Reply> {
    const pending = this.#pending;
    if (pending !== null) {
      // Applied after the read was asked for: at least as fresh as a barrier.
      const reply = new Promise<Reply>((resolve) => {
        pending.afterApply((ok) => resolve(ok ? read() : new ReplyError(PRECEDING_FAILED)));
      });
      if (pending.ordered === false) {
        this.#attached = this.#attached === null ? reply : Promise.all([this.#attached, reply]);
      }
      return reply;
    }
    if (this.#barrier === undefined) this.#barrier = this.#d.reads?.barrier() ?? null;
    if (this.#barrier === null) return read();
    return this.#barrier.then((err) => err ?? read());
  }

  /**
   * Proposes a write; once the earlier reads of this batch have run when
   * they could otherwise see it (behind a read barrier, or attached to an
   * unordered write).
   */
  #propose(op: { transaction: boolean; cmds: Uint8Array[][]; protocol: 2 | 3 }): Proposal {
    const barrier = this.#barrier;
    const attached = this.#attached;
    this.#attached = null;
    const waits = [barrier, attached].filter((b) => b !== undefined && b !== null);
    if (waits.length === 0) return this.#d.proposer.propose(op);
    const before = waits.length === 1 ? waits[0] as Promise<unknown> : Promise.all(waits);
    return deferredProposal(before, () => this.#d.proposer.propose(op));
  }

  /** Runs a read against the live store (one keyspace view per batch, or per write applied). */
  #readOne(spec: CommandSpec, argv: Uint8Array[]): Reply {
    try {
      // Within one batch, reads before any write share a keyspace view.
      let ks = this.#ks;
      if (ks === null || !this.#inRun || this.#pending !== null) {
        ks = new LiveKeyspace(this.#d.store, Date.now());
        if (this.#inRun && this.#pending === null) this.#ks = ks;
      }
      return (spec.read as NonNullable<CommandSpec["read"]>)(ks, argv, this.#readCtx);
    } catch (e) {
      return this.#asError(e);
    }
  }

  #asError(e: unknown): ReplyError {
    if (e instanceof ReplyError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    this.#d.log(`command failed: ${msg}`);
    return new ReplyError(`ERR ${msg}`);
  }
}
