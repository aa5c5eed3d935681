/**
 * The TCP listener: accepts clients (up to `maxClients`), gives each a
 * session and a connection loop, and closes them all on `close()`.
 *
 * @module
 */

import type { Dispatcher } from "./dispatch.ts";
import { type ConnectionLimits, serveConnection, writeAll } from "./connection.ts";
import { Session } from "./session.ts";

/** Options of {@linkcode RedisServer}. */
export interface ServerOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port (0: any free port). */
  port: number;
  /** Most clients connected at once. @default {10000} */
  maxClients?: number;
  /** Per-connection limits. */
  limits?: ConnectionLimits;
  /** Whether clients must AUTH first. */
  requireAuth: boolean;
  /** Called when a client sent SHUTDOWN (after its reply is written). */
  onShutdown: () => void;
  /** Log sink. */
  log: (msg: string) => void;
}

/** Accepts and serves Redis clients. */
export class RedisServer {
  #listener: Deno.TcpListener | null = null;
  #dispatcher: Dispatcher;
  #opts: ServerOptions;
  #conns = new Map<Deno.Conn, Session>();
  #loops = new Set<Promise<void>>();
  #accepting: Promise<void> | null = null;
  /** Connections accepted since start. */
  connectionsReceived = 0;
  /** Connections refused because of maxClients. */
  rejectedConnections = 0;

  /**
   * Creates the server (call {@linkcode listen} to start).
   *
   * @param dispatcher Runs commands.
   * @param options Address, limits, hooks.
   */
  constructor(dispatcher: Dispatcher, options: ServerOptions) {
    this.#dispatcher = dispatcher;
    this.#opts = options;
  }

  /** The address listened on. */
  get addr(): Deno.NetAddr {
    return (this.#listener as Deno.TcpListener).addr;
  }

  /** Sessions of the connected clients. */
  sessions(): Iterable<Session> {
    return this.#conns.values();
  }

  /**
   * Starts listening.
   *
   * @throws {Deno.errors.AddrInUse} If the port is taken.
   */
  listen(): void {
    this.#listener = Deno.listen({ hostname: this.#opts.hostname, port: this.#opts.port });
    this.#accepting = this.#acceptLoop(this.#listener);
  }

  /** Stops accepting, closes every connection and waits for their loops. */
  async close(): Promise<void> {
    try {
      this.#listener?.close();
    } catch { /* already closed */ }
    await this.#accepting;
    for (const conn of this.#conns.keys()) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await Promise.allSettled([...this.#loops]);
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    const maxClients = this.#opts.maxClients ?? 10_000;
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      this.connectionsReceived++;
      if (this.#conns.size >= maxClients) {
        this.rejectedConnections++;
        writeAll(conn, new TextEncoder().encode("-ERR max number of clients reached\r\n"))
          .catch(() => {})
          .finally(() => {
            try {
              conn.close();
            } catch { /* gone */ }
          });
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch { /* not fatal */ }
      const remote = conn.remoteAddr as Deno.NetAddr;
      const local = conn.localAddr as Deno.NetAddr;
      const session = new Session(
        `${remote.hostname}:${remote.port}`,
        `${local.hostname}:${local.port}`,
        !this.#opts.requireAuth,
      );
      this.#conns.set(conn, session);
      const loop = serveConnection(conn, session, this.#dispatcher, {
        limits: this.#opts.limits ?? {},
        onShutdown: this.#opts.onShutdown,
        log: this.#opts.log,
      }).finally(() => {
        this.#conns.delete(conn);
        this.#loops.delete(loop);
      });
      this.#loops.add(loop);
    }
  }
}
