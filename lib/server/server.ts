/**
 * The TCP listener: accepts clients (up to `maxClients`), gives each a
 * session and a connection loop, and closes them all on `close()`.
 *
 * @module
 */

import type { Dispatcher } from "./dispatch.ts";
import { type ConnectionLimits, serveConnection, writeAll } from "./connection.ts";
import { Session } from "./session.ts";

const ACCEPT_RETRY_MIN_MS = 10;
const ACCEPT_RETRY_MAX_MS = 1000;
const MAX_CLIENTS_REACHED = new TextEncoder().encode("-ERR max number of clients reached\r\n");
/**
 * File descriptors kept free for the store and the log (data files, log
 * segments, merges) when the open-file limit caps the number of clients.
 */
const RESERVED_FDS = 64;

/**
 * How many clients the process's open-file limit leaves room for, keeping
 * the descriptors open now and {@linkcode RESERVED_FDS} more free, as Redis
 * lowers `maxclients` to fit its limit. Linux only (Infinity elsewhere).
 */
function clientsAllowedByFdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/self/limits"));
    if (m === null) return Infinity;
    let open = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) open++;
    return Number(m[1]) - open - RESERVED_FDS;
  } catch {
    return Infinity;
  }
}

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
  /** Serve TLS with this certificate and key (PEM text). */
  tls?: { cert: string; key: string };
  /** Whether clients must AUTH first. */
  requireAuth: boolean;
  /** Called when a client sent SHUTDOWN (after its reply is written). */
  onShutdown: () => void;
  /** Log sink. */
  log: (msg: string) => void;
}

/** Accepts and serves Redis clients. */
export class RedisServer {
  #listener: Deno.Listener<Deno.Conn, Deno.NetAddr> | null = null;
  #dispatcher: Dispatcher;
  #opts: ServerOptions;
  #conns = new Map<Deno.Conn, Session>();
  #loops = new Set<Promise<void>>();
  #accepting: Promise<void> | null = null;
  #closing = false;
  #maxClients: number;
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
    this.#maxClients = options.maxClients ?? 10_000;
  }

  /**
   * Most clients served at once: `maxClients`, lowered by {@linkcode listen}
   * when the open-file limit would not allow that many.
   */
  get maxClients(): number {
    return this.#maxClients;
  }

  /** The address listened on. */
  get addr(): Deno.NetAddr {
    return (this.#listener as Deno.Listener<Deno.Conn, Deno.NetAddr>).addr;
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
    const allowed = Math.max(1, clientsAllowedByFdLimit());
    if (allowed < this.#maxClients) {
      this.#opts.log(
        `maxclients lowered from ${this.#maxClients} to ${allowed} to fit the open-file limit`,
      );
      this.#maxClients = allowed;
    }
    const { hostname, port, tls } = this.#opts;
    this.#listener = tls === undefined
      ? Deno.listen({ hostname, port })
      : Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key });
    this.#accepting = this.#acceptLoop(this.#listener);
  }

  /** Stops accepting, closes every connection and waits for their loops. */
  async close(): Promise<void> {
    this.#closing = true;
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

  /**
   * The next connection, or null once the listener is closed. Other accept
   * failures (out of file descriptors, a connection aborted before it was
   * accepted) are transient: logged, then retried after a growing pause.
   */
  async #accept(listener: Deno.Listener<Deno.Conn, Deno.NetAddr>): Promise<Deno.Conn | null> {
    for (let pause = ACCEPT_RETRY_MIN_MS;; pause = Math.min(pause * 2, ACCEPT_RETRY_MAX_MS)) {
      try {
        return await listener.accept();
      } catch (e) {
        if (
          this.#closing || e instanceof Deno.errors.BadResource ||
          e instanceof Deno.errors.Interrupted
        ) {
          return null;
        }
        this.#opts.log(`cannot accept a client: ${(e as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  async #acceptLoop(listener: Deno.Listener<Deno.Conn, Deno.NetAddr>): Promise<void> {
    for (;;) {
      const conn = await this.#accept(listener);
      if (conn === null) return;
      this.connectionsReceived++;
      if (this.#conns.size >= this.#maxClients) {
        this.rejectedConnections++;
        writeAll(conn, MAX_CLIENTS_REACHED)
          .catch(() => {})
          .finally(() => {
            try {
              conn.close();
            } catch { /* gone */ }
          });
        continue;
      }
      try {
        (conn as Deno.TcpConn).setNoDelay?.(true);
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
