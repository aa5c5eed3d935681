/**
 * An outbound RESP connection to another node, kept open: it connects (and
 * reconnects with backoff), authenticates when the cluster has a password,
 * pipelines commands and matches each reply to its command in order. Used
 * for Raft messages (replies ignored) and for forwarding client commands to
 * the leader (replies relayed).
 *
 * @module
 */

import { command } from "./resp_command.ts";
import { replyEnd } from "../resp/mod.ts";

/** Options of a {@linkcode PeerConnection}. */
export interface PeerConnectionOptions {
  /** Cluster password (sent with AUTH first), or null. */
  password: string | null;
  /** Connect with TLS, trusting these CA certificates (PEM), or null for plain TCP. */
  tlsCa: string[] | null;
  /** Most bytes waiting to be written before new commands are refused. */
  maxQueued: number;
  /** Log sink. */
  log: (msg: string) => void;
  /**
   * Only `post` is used: the connection turns replies off (CLIENT REPLY
   * OFF), so the peer spends nothing answering and nothing is read back.
   */
  postOnly?: boolean;
}

interface Pending {
  resolve: ((reply: Uint8Array) => void) | null;
  reject: ((e: Error) => void) | null;
}

/** Raised for commands that could not be delivered (the peer may or may not have run them). */
export class PeerUnavailableError extends Error {
  /** Whether the command may have reached the peer. */
  readonly maybeDelivered: boolean;

  /**
   * Creates the error.
   *
   * @param message Why.
   * @param maybeDelivered Whether the peer may have run the command.
   */
  constructor(message: string, maybeDelivered: boolean) {
    super(message);
    this.name = "PeerUnavailableError";
    this.maybeDelivered = maybeDelivered;
  }
}

const BACKOFF_MIN = 50;
const BACKOFF_MAX = 1000;

/** One kept-open connection to a peer. */
export class PeerConnection {
  readonly addr: string;
  #opts: PeerConnectionOptions;
  #conn: Deno.Conn | null = null;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  /** Commands written or queued, waiting for their reply, in order. */
  #pending: Pending[] = [];
  /** How many of #pending have been written to the socket. */
  #written = 0;
  /** How many commands in #queue expect a reply. */
  #queueTracked = 0;
  #wake: (() => void) | null = null;
  #closed = false;
  #running: Promise<void>;
  #connectedOnce = false;
  /** Whether the connection is up right now. */
  connected = false;

  /**
   * Starts connecting in the background.
   *
   * @param addr host:port of the peer.
   * @param options Password, TLS, limits.
   */
  constructor(addr: string, options: PeerConnectionOptions) {
    this.addr = addr;
    this.#opts = options;
    this.#running = this.#run();
  }

  /**
   * Queues a command whose reply does not matter.
   *
   * @param cmd An encoded RESP command.
   * @returns False if it was dropped (queue full or closed).
   */
  post(cmd: Uint8Array): boolean {
    if (this.#closed || this.#queuedBytes + cmd.length > this.#opts.maxQueued) return false;
    this.#enqueue(cmd, this.#opts.postOnly ? null : { resolve: null, reject: null });
    return true;
  }

  /**
   * Sends a command and resolves with its raw reply.
   *
   * @param cmd An encoded RESP command.
   * @returns The reply's bytes.
   * @throws {PeerUnavailableError} If the connection fails first.
   */
  request(cmd: Uint8Array): Promise<Uint8Array> {
    if (this.#opts.postOnly) throw new Error("request() on a post-only peer connection");
    if (this.#closed) return Promise.reject(new PeerUnavailableError("connection closed", false));
    if (this.#queuedBytes + cmd.length > this.#opts.maxQueued) {
      return Promise.reject(new PeerUnavailableError(`too much queued for ${this.addr}`, false));
    }
    return new Promise((resolve, reject) => this.#enqueue(cmd, { resolve, reject }));
  }

  /** Closes the connection; pending requests fail. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    try {
      this.#conn?.close();
    } catch { /* closed */ }
    await this.#running;
  }

  #enqueue(cmd: Uint8Array, p: Pending | null): void {
    this.#queue.push(cmd);
    this.#queuedBytes += cmd.length;
    if (p !== null) {
      this.#pending.push(p);
      this.#queueTracked++;
    }
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let backoff = BACKOFF_MIN;
    while (!this.#closed) {
      try {
        this.#conn = await this.#connect();
        this.connected = true;
        this.#connectedOnce = true;
        backoff = BACKOFF_MIN;
        await Promise.all([this.#writeLoop(this.#conn), this.#readLoop(this.#conn)]);
      } catch (e) {
        if (!this.#closed && this.#connectedOnce) {
          this.#opts.log(`peer ${this.addr}: ${(e as Error).message}`);
        }
      } finally {
        this.connected = false;
        try {
          this.#conn?.close();
        } catch { /* closed */ }
        this.#conn = null;
        this.#wake?.(); // lets the old write loop see the connection is gone
        this.#failPending();
      }
      if (this.#closed) break;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, BACKOFF_MAX);
    }
    this.#failPending();
  }

  async #connect(): Promise<Deno.Conn> {
    const i = this.addr.lastIndexOf(":");
    const hostname = this.addr.slice(0, i).replace(/^\[|\]$/g, "");
    const port = Number(this.addr.slice(i + 1));
    const conn = this.#opts.tlsCa === null
      ? await Deno.connect({ hostname, port })
      : await Deno.connectTls({ hostname, port, caCerts: this.#opts.tlsCa });
    try {
      (conn as Deno.TcpConn).setNoDelay?.(true);
    } catch { /* not fatal */ }
    if (this.#opts.postOnly) {
      // Ahead of anything queued (after AUTH): no replies on this connection.
      const off = command(["CLIENT", "REPLY", "OFF"]);
      this.#queue.unshift(off);
      this.#queuedBytes += off.length;
    }
    if (this.#opts.password !== null) {
      // AUTH goes first, ahead of anything queued.
      const auth = command(["AUTH", this.#opts.password]);
      this.#queue.unshift(auth);
      this.#queuedBytes += auth.length;
      this.#queueTracked++;
      this.#pending.unshift({
        resolve: (r) => {
          if (r[0] === 45) this.#opts.log(`peer ${this.addr} refused AUTH`);
        },
        reject: null,
      });
    }
    return conn;
  }

  async #writeLoop(conn: Deno.Conn): Promise<void> {
    while (!this.#closed && this.#conn === conn) {
      if (this.#queue.length === 0) {
        await new Promise<void>((r) => (this.#wake = r));
        this.#wake = null;
        continue;
      }
      const parts = this.#queue;
      this.#queue = [];
      this.#queuedBytes = 0;
      let total = 0;
      for (const p of parts) total += p.length;
      const buf = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        buf.set(p, o);
        o += p.length;
      }
      this.#written += this.#queueTracked;
      this.#queueTracked = 0;
      let done = 0;
      while (done < buf.length) done += await conn.write(buf.subarray(done));
    }
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    while (!this.#closed) {
      const n = await conn.read(chunk);
      if (n === null) throw new Error("connection closed by peer");
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(chunk.subarray(0, n), buf.length);
      buf = next;
      let at = 0;
      for (;;) {
        const end = replyEnd(buf, at);
        if (end < 0) break;
        const p = this.#pending.shift();
        this.#written = Math.max(0, this.#written - 1);
        p?.resolve?.(buf.slice(at, end));
        at = end;
      }
      buf = buf.slice(at);
    }
  }

  #failPending(): void {
    const pending = this.#pending;
    const written = this.#written;
    this.#pending = [];
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#written = 0;
    this.#queueTracked = 0;
    pending.forEach((p, i) => {
      p.reject?.(
        new PeerUnavailableError(`connection to ${this.addr} lost`, i < written),
      );
    });
  }
}
