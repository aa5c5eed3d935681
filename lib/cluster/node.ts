/**
 * A bitraft node: the data directory (lock, Bitcask store, write-ahead
 * log), the state machine, the write path, active expiry and the Redis
 * server, started and stopped in the right order.
 *
 * @module
 */

import fs from "node:fs";
import { BitcaskStore } from "../bitcask/mod.ts";
import { type Level, type LogLevel, VERSION } from "../cli/mod.ts";
import { Wal } from "../raft/mod.ts";
import type { CommandSpec, NodeServices } from "../server/command.ts";
import { commandTable, REDIS_VERSION } from "../server/commands/mod.ts";
import { CursorTable } from "../server/cursors.ts";
import { Dispatcher } from "../server/dispatch.ts";
import { LiveKeyspace } from "../server/keyspace.ts";
import { RedisServer } from "../server/server.ts";
import type { ConnectionLimits } from "../server/connection.ts";
import { ExpiryCycle } from "./expiry.ts";
import { LocalLog } from "./local_log.ts";
import { createLogger, type Logger } from "./logger.ts";
import { StateMachine } from "./state_machine.ts";

/** Options of {@linkcode BitraftNode.start}. */
export interface NodeOptions {
  /** Data directory. */
  data: string;
  /** Listen address, host:port. */
  bind: string;
  /** Write durability. @default {"high"} */
  durability?: Level;
  /** Bitcask data-file rotation size. */
  maxDatafileSize?: number;
  /** Password for AUTH, or null. */
  auth?: string | null;
  /** Log level. @default {"notice"} */
  logLevel?: LogLevel;
  /** Most clients at once. @default {10000} */
  maxClients?: number;
  /** Per-connection protocol and output limits. */
  limits?: ConnectionLimits;
  /** Serve TLS: certificate and key file paths, or null. */
  tls?: { cert: string; key: string } | null;
}

/** The node's own startup failure (data dir locked, port in use, ...). */
export class NodeStartError extends Error {
  /**
   * Creates the error.
   *
   * @param message One line saying why.
   */
  constructor(message: string) {
    super(message);
    this.name = "NodeStartError";
  }
}

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i).replace(/^\[|\]$/g, ""), Number(addr.slice(i + 1))];
}

type ResolvedNodeOptions = Required<Omit<NodeOptions, "limits" | "tls">> & {
  limits: ConnectionLimits;
  tls: { cert: string; key: string } | null;
};

/** A running node. */
export class BitraftNode {
  #opts: ResolvedNodeOptions;
  #log: Logger;
  #lock: Deno.FsFile;
  #store: BitcaskStore;
  #wal: Wal;
  #table: Map<string, CommandSpec>;
  #localLog: LocalLog;
  #dispatcher: Dispatcher;
  #server: RedisServer;
  #expiry: ExpiryCycle;
  #startedAt = Date.now();
  #lastSave = Math.floor(Date.now() / 1000);
  #stopping: Promise<void> | null = null;
  #done!: () => void;
  /** Resolves once the node has shut down. */
  readonly finished: Promise<void> = new Promise((r) => (this.#done = r));

  private constructor(
    opts: ResolvedNodeOptions,
    log: Logger,
    lock: Deno.FsFile,
    store: BitcaskStore,
    wal: Wal,
  ) {
    this.#opts = opts;
    this.#log = log;
    this.#lock = lock;
    this.#store = store;
    this.#wal = wal;
    this.#table = commandTable();
    const cursors = new CursorTable();
    const sm = new StateMachine(store, this.#table, cursors);
    this.#replay(sm);
    this.#localLog = new LocalLog(wal, sm, store, {
      durability: opts.durability,
      log,
      onFatal: (e) => {
        log.warn(`stopping: ${e.message}`);
        this.shutdown().catch(() => {});
      },
    });
    this.#dispatcher = new Dispatcher({
      table: this.#table,
      store,
      proposer: this.#localLog,
      node: this.#services(),
      cursors,
      log: (m) => log.warn(m),
    });
    const [hostname, port] = splitHostPort(opts.bind);
    this.#server = new RedisServer(this.#dispatcher, {
      hostname,
      port,
      maxClients: opts.maxClients,
      limits: opts.limits,
      tls: opts.tls === null ? undefined : opts.tls,
      requireAuth: opts.auth !== null,
      onShutdown: () => {
        log.notice("SHUTDOWN requested by a client");
        this.shutdown().catch(() => {});
      },
      log: (m) => log.verbose(m),
    });
    this.#expiry = new ExpiryCycle(store, this.#localLog);
  }

  /**
   * Opens the data directory, replays the log and starts serving.
   *
   * @param options Address, data directory, durability, limits.
   * @returns The running node.
   * @throws {NodeStartError} With a one-line reason when it cannot start.
   */
  static async start(options: NodeOptions): Promise<BitraftNode> {
    const opts: ResolvedNodeOptions = {
      durability: "high",
      maxDatafileSize: 64 * 1024 * 1024,
      auth: null,
      logLevel: "notice",
      maxClients: 10_000,
      limits: {},
      tls: null,
      ...options,
    };
    if (opts.tls !== null) {
      try {
        opts.tls = {
          cert: Deno.readTextFileSync(opts.tls.cert),
          key: Deno.readTextFileSync(opts.tls.key),
        };
      } catch (e) {
        throw new NodeStartError(`cannot read TLS certificate or key: ${(e as Error).message}`);
      }
    }
    const log = createLogger(opts.logLevel);
    fs.mkdirSync(opts.data, { recursive: true });
    const lock = Deno.openSync(`${opts.data}/LOCK`, { read: true, write: true, create: true });
    if (!lock.tryLockSync(true)) {
      lock.close();
      throw new NodeStartError(`data directory '${opts.data}' is in use by another process`);
    }
    let store: BitcaskStore | null = null;
    let wal: Wal | null = null;
    try {
      const quiet = (level: "info" | "warn" | "error", m: string) =>
        level === "info" ? log.verbose(m) : log.warn(m);
      store = await BitcaskStore.open(`${opts.data}/bitcask`, {
        maxFileSize: opts.maxDatafileSize,
        logger: quiet,
      });
      wal = await Wal.open(`${opts.data}/raft`, { logger: quiet });
      const node = new BitraftNode(opts, log, lock, store, wal);
      try {
        node.#server.listen();
      } catch (e) {
        await node.#closeStorage();
        if (e instanceof Deno.errors.AddrInUse) {
          throw new NodeStartError(`address ${opts.bind} is already in use`);
        }
        throw new NodeStartError(`cannot listen on ${opts.bind}: ${(e as Error).message}`);
      }
      node.#expiry.start();
      log.notice(
        `bitraft ${VERSION} ready: ${store.size} keys, serving ${opts.bind} (data '${opts.data}', durability ${opts.durability})`,
      );
      return node;
    } catch (e) {
      if (e instanceof NodeStartError) throw e;
      await wal?.close().catch(() => {});
      await store?.close().catch(() => {});
      lock.close();
      throw new NodeStartError(
        `cannot open data directory '${opts.data}': ${(e as Error).message}`,
      );
    }
  }

  /** The address the server listens on. */
  get address(): Deno.NetAddr {
    return this.#server.addr;
  }

  /**
   * Stops cleanly: no new clients, pending writes applied, data synced,
   * files closed, lock released.
   *
   * @returns Resolves when stopped.
   */
  shutdown(): Promise<void> {
    if (this.#stopping !== null) return this.#stopping;
    this.#stopping = (async () => {
      this.#log.notice("shutting down");
      await this.#server.close();
      await this.#expiry.stop();
      await this.#localLog.drain();
      this.#localLog.close();
      await this.#closeStorage();
      this.#log.notice("bye");
      this.#done();
    })();
    return this.#stopping;
  }

  /** Applies the WAL entries the store does not hold yet. */
  #replay(sm: StateMachine): void {
    const wal = this.#wal;
    const have = this.#store.lastIndex();
    if (wal.lastIndex < have) {
      // The log lost a tail the store already applied (durability low/medium): skip ahead.
      wal.compact(have);
    }
    let next = have + 1;
    if (next < wal.firstIndex && next <= wal.lastIndex) {
      throw new Error(
        `log entries ${next}..${
          wal.firstIndex - 1
        } are missing (store at ${have}, log from ${wal.firstIndex})`,
      );
    }
    next = Math.max(next, wal.firstIndex);
    const end = wal.lastIndex + 1;
    let replayed = 0;
    while (next < end) {
      for (const e of wal.entries(next, Math.min(end, next + 10_000), 64 << 20)) {
        sm.apply(e.index, e.data);
        next = e.index + 1;
        replayed++;
      }
    }
    sm.appliedIndex = Math.max(sm.appliedIndex, wal.lastIndex);
    if (replayed > 0) this.#log.notice(`replayed ${replayed} log entries`);
  }

  async #closeStorage(): Promise<void> {
    try {
      await this.#wal.close();
    } finally {
      try {
        await this.#store.close();
      } finally {
        this.#lock.close();
      }
    }
  }

  #services(): NodeServices {
    return {
      keyspace: () => new LiveKeyspace(this.#store, Date.now()),
      info: (sections) => this.#info(sections),
      sessions: () => this.#server.sessions(),
      config: () => this.#config(),
      shutdown: () => void this.shutdown(),
      save: async () => {
        await this.#wal.sync();
        await this.#store.sync();
        this.#lastSave = Math.floor(Date.now() / 1000);
      },
      lastSave: () => this.#lastSave,
      merge: () => {
        this.#store.merge().catch((e) => this.#log.warn(`merge failed: ${e.message}`));
      },
      wait: () => Promise.resolve(1),
      commands: () => this.#table,
      password: () => this.#opts.auth,
    };
  }

  #config(): Map<string, string> {
    const [host, port] = splitHostPort(this.#opts.bind);
    const fsync = { high: "always", medium: "everysec", low: "no" }[this.#opts.durability];
    return new Map([
      ["bind", host],
      ["port", String(port)],
      ["dir", this.#opts.data],
      ["appendonly", "yes"],
      ["appendfsync", fsync],
      ["save", ""],
      ["databases", "1"],
      ["maxmemory", "0"],
      ["maxmemory-policy", "noeviction"],
      ["maxclients", String(this.#server.maxClients)],
      ["timeout", "0"],
      ["tcp-keepalive", "300"],
      ["proto-max-bulk-len", String(this.#opts.limits.maxBulk ?? 512 * 1024 * 1024)],
      ["client-query-buffer-limit", String(1024 * 1024 * 1024)],
      ["requirepass", this.#opts.auth === null ? "" : "********"],
      ["cluster-enabled", "no"],
      ["bitraft-durability", this.#opts.durability],
      ["bitraft-max-datafile-size", String(this.#opts.maxDatafileSize)],
    ]);
  }

  #info(sections: string[]): string {
    const want = new Set(
      sections.length === 0 || sections.includes("default") ? ["default"] : sections,
    );
    const all = want.has("all") || want.has("everything");
    const show = (name: string) =>
      all || want.has(name) || (want.has("default") && name !== "commandstats");
    const mem = Deno.memoryUsage();
    const st = this.#store.stats();
    const [, port] = splitHostPort(this.#opts.bind);
    const uptime = Math.floor((Date.now() - this.#startedAt) / 1000);
    const out: string[] = [];
    const section = (name: string, fields: [string, string | number][]) => {
      if (!show(name.toLowerCase())) return;
      out.push(`# ${name}`, ...fields.map(([k, v]) => `${k}:${v}`), "");
    };
    section("Server", [
      ["redis_version", REDIS_VERSION],
      ["bitraft_version", VERSION],
      ["redis_mode", "standalone"],
      ["os", `${Deno.build.os} ${Deno.build.arch}`],
      ["arch_bits", 64],
      ["process_id", Deno.pid],
      ["tcp_port", port],
      ["uptime_in_seconds", uptime],
      ["uptime_in_days", Math.floor(uptime / 86400)],
      ["executable", Deno.execPath()],
    ]);
    section("Clients", [
      ["connected_clients", [...this.#server.sessions()].length],
      ["maxclients", this.#server.maxClients],
      ["blocked_clients", 0],
    ]);
    section("Memory", [
      ["used_memory", mem.heapUsed + mem.external],
      ["used_memory_human", `${((mem.heapUsed + mem.external) / 1048576).toFixed(2)}M`],
      ["used_memory_rss", mem.rss],
      ["maxmemory", 0],
      ["maxmemory_policy", "noeviction"],
    ]);
    section("Persistence", [
      ["loading", 0],
      ["rdb_last_save_time", this.#lastSave],
      ["aof_enabled", 1],
      ["bitcask_files", st.files],
      ["bitcask_live_bytes", st.liveBytes],
      ["bitcask_dead_bytes", st.deadBytes],
      ["bitcask_merges", st.merges],
      ["bitcask_merging", st.merging ? 1 : 0],
      ["wal_first_index", this.#wal.firstIndex],
      ["wal_last_index", this.#wal.lastIndex],
      ["applied_index", this.#localLog.appliedIndex],
    ]);
    section("Stats", [
      ["total_connections_received", this.#server.connectionsReceived],
      ["total_commands_processed", this.#dispatcher.commandsProcessed],
      ["rejected_connections", this.#server.rejectedConnections],
      ["expired_keys", this.#expiry.expiredKeys],
    ]);
    section("Replication", [["role", "master"], ["connected_slaves", 0]]);
    section(
      "Keyspace",
      this.#store.size > 0
        ? [["db0", `keys=${this.#store.size},expires=${this.#store.expiringCount},avg_ttl=0`]]
        : [],
    );
    return out.join("\r\n");
  }
}
