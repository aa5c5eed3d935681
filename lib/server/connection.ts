/**
 * One client connection: read, decode the complete commands, run them in
 * batches, write the replies.
 *
 * Memory per connection stays bounded whatever the client does:
 *
 * - replies are written out once `min(1 MiB, maxOutput)` bytes are
 *   pending, and the connection reads nothing more until they are
 *   written, so a client that does not read its replies only stalls
 *   itself;
 * - a batch's replies exist at once (the dispatcher computes them together),
 *   so the batch size adapts: it starts small, doubles while replies are
 *   small and shrinks so that a batch's replies come to about 1 MiB;
 * - one reply larger than `maxOutput` closes the connection.
 *
 * Before AUTH, commands run one at a time, so that an AUTH lifts the
 * decoder's tighter unauthenticated limits for the commands that follow it
 * in the same pipeline, as in Redis.
 *
 * @module
 */

import {
  type DecoderLimits,
  RespDecoder,
  RespEncoder,
  RespProtocolError,
  writeReply,
} from "../resp/mod.ts";
import type { Dispatcher, Slot } from "./dispatch.ts";
import type { Session } from "./session.ts";

/** Limits applied to each connection. */
export interface ConnectionLimits extends DecoderLimits {
  /**
   * Largest reply a client may be sent, which is also the most reply
   * bytes waiting for it: a larger one closes the connection.
   *
   * @default {1 GiB}
   */
  maxOutput?: number;
}

/** Options of {@linkcode serveConnection}. */
export interface ConnectionOptions {
  /** Protocol and output limits. */
  limits: ConnectionLimits;
  /** Called after the reply to SHUTDOWN is written. */
  onShutdown: () => void;
  /** Log sink for client trouble. */
  log: (msg: string) => void;
}

/** Reply bytes written out at once, and aimed at per batch. */
const FLUSH_AT = 1 << 20;
/** Most commands per batch. */
const MAX_BATCH = 1024;
const READ_SIZE = 64 * 1024;

/**
 * Writes all of `bytes`.
 *
 * @param conn The connection.
 * @param bytes What to write.
 */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await conn.write(bytes.subarray(done));
}

/**
 * Serves a connection until the client leaves, QUITs, breaks the protocol
 * or the connection is closed from outside.
 *
 * @param conn The connection.
 * @param session Its session.
 * @param dispatcher Runs commands.
 * @param options Limits, and what to do on SHUTDOWN.
 * @returns Resolves when the connection is closed.
 */
export function serveConnection(
  conn: Deno.Conn,
  session: Session,
  dispatcher: Dispatcher,
  options: ConnectionOptions,
): Promise<void> {
  return new ClientConnection(conn, session, dispatcher, options).serve();
}

/** How many commands the next batch may hold, from the reply sizes seen so far. */
class BatchSize {
  #size = 1;

  /** The current size. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adapts to a batch's replies.
   *
   * @param commands Commands in the batch.
   * @param bytes Their reply bytes.
   */
  record(commands: number, bytes: number): void {
    if (bytes > FLUSH_AT) {
      this.#size = Math.max(1, Math.floor(commands * FLUSH_AT / bytes));
    } else if (commands >= this.#size && bytes * 2 <= FLUSH_AT) {
      this.#size = Math.min(MAX_BATCH, this.#size * 2);
    }
  }
}

/** Thrown inside the loop when a reply is too large for the client. */
class OutputLimitError extends Error {}

/** The serving loop of one connection. */
class ClientConnection {
  #conn: Deno.Conn;
  #session: Session;
  #dispatcher: Dispatcher;
  #opts: ConnectionOptions;
  #decoder: RespDecoder;
  #enc = new RespEncoder();
  #batch = new BatchSize();
  #maxOutput: number;
  #flushAt: number;

  constructor(conn: Deno.Conn, session: Session, dispatcher: Dispatcher, opts: ConnectionOptions) {
    this.#conn = conn;
    this.#session = session;
    this.#dispatcher = dispatcher;
    this.#opts = opts;
    this.#decoder = new RespDecoder(opts.limits);
    this.#maxOutput = opts.limits.maxOutput ?? 1024 ** 3;
    this.#flushAt = Math.min(FLUSH_AT, this.#maxOutput);
  }

  async serve(): Promise<void> {
    const buf = new Uint8Array(READ_SIZE);
    try {
      for (;;) {
        this.#decoder.authenticated = this.#session.authenticated;
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#decoder.push(buf.subarray(0, n));
        const open = await this.#runDecoded();
        await this.#flush();
        if (this.#session.shutdownAfterReply) this.#opts.onShutdown();
        if (!open) break;
      }
    } catch (e) {
      this.#report(e);
    } finally {
      try {
        this.#conn.close();
      } catch { /* already closed */ }
    }
  }

  /**
   * Runs every complete command the decoder holds, batch by batch.
   *
   * @returns Whether the connection stays open.
   */
  async #runDecoded(): Promise<boolean> {
    for (;;) {
      const limit = this.#session.authenticated ? this.#batch.size : 1;
      const { cmds, error } = this.#decode(limit);
      const slots = cmds.length > 0 ? this.#dispatcher.run(this.#session, cmds) : [];
      const bytes = await this.#reply(slots);
      this.#batch.record(cmds.length, bytes);
      this.#decoder.authenticated = this.#session.authenticated;
      if (error !== null) {
        this.#enc.protocol = this.#session.protocol;
        this.#enc.error(`ERR Protocol error: ${error.message}`);
        return false;
      }
      if (this.#session.closeAfterReply || this.#session.shutdownAfterReply) return false;
      if (cmds.length < limit) return true;
    }
  }

  /** Decodes up to `limit` commands, stopping at a protocol error. */
  #decode(limit: number): { cmds: Uint8Array[][]; error: RespProtocolError | null } {
    const cmds: Uint8Array[][] = [];
    try {
      while (cmds.length < limit) {
        const argv = this.#decoder.next();
        if (argv === null) break;
        cmds.push(argv);
      }
    } catch (e) {
      if (!(e instanceof RespProtocolError)) throw e;
      return { cmds, error: e };
    }
    return { cmds, error: null };
  }

  /**
   * Encodes a batch's replies in order, writing them out as they pile up.
   *
   * @returns The batch's reply bytes.
   * @throws {OutputLimitError} When one reply is larger than `maxOutput`.
   */
  async #reply(slots: Slot[]): Promise<number> {
    const enc = this.#enc;
    let bytes = 0;
    for (const slot of slots) {
      const reply = slot.reply instanceof Promise ? await slot.reply : slot.reply;
      if (slot.silent === true) continue;
      const before = enc.length;
      enc.protocol = slot.protocol;
      writeReply(enc, reply);
      const size = enc.length - before;
      bytes += size;
      if (size > this.#maxOutput) {
        throw new OutputLimitError(`reply exceeds ${this.#maxOutput} bytes`);
      }
      if (enc.length >= this.#flushAt) await this.#flush();
    }
    return bytes;
  }

  /** Writes the pending replies. */
  async #flush(): Promise<void> {
    if (this.#enc.length > 0) await writeAll(this.#conn, this.#enc.take());
  }

  #report(e: unknown): void {
    if (e instanceof OutputLimitError) {
      this.#opts.log(`closing client ${this.#session.addr}: ${e.message}`);
    } else if (
      !(e instanceof Deno.errors.BadResource || e instanceof Deno.errors.ConnectionReset ||
        e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.Interrupted)
    ) {
      this.#opts.log(`client ${this.#session.addr}: ${(e as Error).message}`);
    }
  }
}
