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
import { type ConfState, type NodeId, Wal } from "../raft/mod.ts";
import type { CommandSpec, NodeServices } from "../server/command.ts";
import { commandTable, REDIS_VERSION } from "../server/commands/mod.ts";
import { CursorTable } from "../server/cursors.ts";
import { Dispatcher } from "../server/dispatch.ts";
import { LiveKeyspace } from "../server/keyspace.ts";
import { RedisServer } from "../server/server.ts";
import { type SnapshotRecord, SnapshotStore } from "../snapshot/mod.ts";
import type { ConnectionLimits } from "../server/connection.ts";
import { ExpiryCycle } from "./expiry.ts";
import { ClusterProposer } from "./forwarder.ts";
import { readNodeState, writeNodeState } from "./hard_state.ts";
import { joinCluster } from "./join.ts";
import { isEmptyDataDir, restoreSnapshot } from "./restore.ts";
import { createLogger, type Logger } from "./logger.ts";
import { RaftDriver } from "./raft_driver.ts";
import { RaftService } from "./raft_service.ts";
import { ConsistencyGate } from "./read_gate.ts";
import {
  clearInstallMarker,
  installKeyspace,
  readInstallMarker,
  sendSnapshot,
  SnapshotReceiver,
  writeInstallMarker,
} from "./snapshot_transfer.ts";
import { Snapshotter } from "./snapshotter.ts";
import { StateMachine } from "./state_machine.ts";
import { Transport } from "./transport.ts";

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
  /** Address given to peers and clients (the node's id). @default {bind} */
  advertise?: string | null;
  /** A member of the cluster to join, or null. */
  join?: string | null;
  /** Read consistency. @default {"high"} */
  consistency?: Level;
  /** Followers answer `-TRY leader` instead of forwarding. */
  redirect?: boolean;
  /** Milliseconds per Raft tick. @default {100} */
  tickMs?: number;
  /** Election timeout in ticks (randomized up to twice that). @default {10} */
  electionTicks?: number;
  /** Start a new one-node cluster from this snapshot (the data dir must be empty). */
  restore?: string | null;
  /** Applied entries between automatic snapshot files (0: none). @default {100000} */
  snapshotEntries?: number;
  /** Applied entries between log compactions. @default {20000} */
  compactEntries?: number;
  /** Log entries kept behind the compaction point when there are peers. @default {5000} */
  trailingLogs?: number;
  /** Snapshot files kept. @default {2} */
  snapshotsKept?: number;
  /** Raft log segment file size in bytes. @default {64 MiB} */
  logSegmentSize?: number;
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

/**
 * Redoes a snapshot install that a crash cut short: the keyspace from the
 * received file, then the log reset to start after the snapshot.
 */
async function finishInstall(
  raftDir: string,
  store: BitcaskStore,
  wal: Wal,
  log: Logger,
): Promise<void> {
  const marker = readInstallMarker(raftDir);
  if (marker === null) return;
  const { meta } = marker;
  log.notice(`finishing the install of the snapshot at index ${meta.index}`);
  await installKeyspace(store, marker.path, meta.index);
  const saved = readNodeState(raftDir);
  writeNodeState(raftDir, {
    term: Math.max(saved?.term ?? 0, meta.term),
    vote: saved !== null && saved.term >= meta.term ? saved.vote : null,
    origin: saved?.origin ?? "join",
    compacted: meta,
  });
  if (wal.lastIndex >= wal.firstIndex) wal.truncateFrom(wal.firstIndex);
  wal.compact(meta.index, meta.term);
  clearInstallMarker(raftDir, marker);
}

function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i).replace(/^\[|\]$/g, ""), Number(addr.slice(i + 1))];
}

type ResolvedNodeOptions = Required<Omit<NodeOptions, "limits" | "tls" | "advertise">> & {
  limits: ConnectionLimits;
  tls: { cert: string; key: string } | null;
  advertise: string;
};

/** A running node. */
export class BitraftNode {
  #opts: ResolvedNodeOptions;
  #log: Logger;
  #lock: Deno.FsFile;
  #store: BitcaskStore;
  #wal: Wal;
  #table: Map<string, CommandSpec>;
  #id: NodeId;
  #sm: StateMachine;
  #driver: RaftDriver;
  #transport: Transport;
  #proposer: ClusterProposer;
  #service: RaftService;
  #lastStamp = 0;
  #removed = false;
  #autoSnapshotAt = { index: 0, time: 0 };
  #dispatcher: Dispatcher;
  #server: RedisServer;
  #expiry: ExpiryCycle;
  #startedAt = Date.now();
  #snapshotter: Snapshotter;
  #receiver: SnapshotReceiver;
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
    snapshots: SnapshotStore,
  ) {
    this.#opts = opts;
    this.#log = log;
    this.#lock = lock;
    this.#store = store;
    this.#wal = wal;
    this.#table = commandTable();
    this.#id = opts.advertise;
    const cursors = new CursorTable();
    const sm = new StateMachine(store, this.#table, cursors);
    this.#sm = sm;
    const raftDir = `${opts.data}/raft`;
    const saved = readNodeState(raftDir);
    if (wal.lastIndex < store.lastIndex()) {
      // The log lost a tail the store already applied (durability low/medium).
      log.warn(`log ends at ${wal.lastIndex} but the store holds ${store.lastIndex()}`);
      wal.compact(store.lastIndex(), Math.max(saved?.term ?? 0, 1));
    }
    const term = Math.max(saved?.term ?? 0, wal.lastIndex > 0 ? wal.term(wal.lastIndex) ?? 0 : 0);
    // A fresh node bootstraps a one-node cluster unless told to join one.
    const hasData = wal.lastIndex > 0 || store.lastIndex() > 0;
    const origin = saved?.origin ?? (hasData || opts.join === null ? "bootstrap" : null);
    let compacted = saved?.compacted ?? null;
    const alone = compacted?.conf.learners.length === 0 && compacted.conf.voters.length === 1;
    if (compacted !== null && alone && compacted.conf.voters[0] !== this.#id) {
      // A one-node cluster follows its node to a new address (the data
      // directory is locked: nobody else can be that member).
      log.notice(`this node's address changed from ${compacted.conf.voters[0]} to ${this.#id}`);
      compacted = { ...compacted, conf: { voters: [this.#id], learners: [] } };
    }
    if (compacted !== null && wal.firstIndex <= compacted.index) {
      wal.compact(compacted.index, compacted.term); // finish a compaction cut short
    }
    if (
      saved === null || saved.origin !== origin || saved.term !== term ||
      saved.compacted !== compacted
    ) {
      writeNodeState(raftDir, {
        term,
        vote: saved?.term === term ? saved.vote : null,
        origin,
        compacted,
      });
    }
    const initialConf: ConfState = origin === "bootstrap"
      ? { voters: [this.#id], learners: [] }
      : { voters: [], learners: [] };
    const peerOptions = {
      password: opts.auth,
      tlsCa: opts.tls === null ? null : [opts.tls.cert],
      maxQueued: 256 << 20,
      log: (m: string) => log.verbose(m),
    };
    this.#transport = new Transport(
      this.#id,
      peerOptions,
      (to) => this.#driver.core.reportUnreachable(to),
    );
    this.#receiver = new SnapshotReceiver(`${opts.data}/incoming`);
    this.#driver = new RaftDriver({
      id: this.#id,
      dir: raftDir,
      wal,
      sm,
      initialConf,
      origin,
      term,
      vote: saved?.term === term ? saved.vote : null,
      compacted,
      applied: sm.appliedIndex,
      durability: opts.durability,
      tickMs: opts.tickMs,
      electionTicks: opts.electionTicks,
      send: (msgs) => this.#transport.send(msgs),
      onChange: () => {
        const c = this.#driver.core.conf;
        this.#transport.retain([...c.voters, ...c.learners]);
      },
      onFatal: (e) => {
        log.warn(`stopping: ${e.message}`);
        this.shutdown().catch(() => {});
      },
      log,
      syncStore: async () => {
        const upTo = store.lastIndex();
        await store.sync();
        return upTo;
      },
      sendSnapshot: async (m) => {
        // The keyspace as of the applied index, read from a point-in-time view.
        const view = store.snapshot();
        const index = sm.appliedIndex;
        const meta = {
          index,
          term: this.#driver.termOf(index),
          conf: this.#driver.core.confAt(index),
        };
        function* records(): Generator<SnapshotRecord> {
          for (const e of view.scan()) {
            yield { key: e.key, value: e.value as Uint8Array, expiresAt: e.expiresAt };
          }
        }
        try {
          await sendSnapshot(m.to, records(), { ...m, meta }, peerOptions);
        } finally {
          view.close();
        }
      },
      installSnapshot: async (meta) => {
        const path = this.#receiver.fileFor(meta);
        if (path === undefined) throw new Error(`no received snapshot at index ${meta.index}`);
        writeInstallMarker(raftDir, { path, meta });
        const n = await installKeyspace(store, path, meta.index);
        log.notice(`installed ${n} keys from the leader's snapshot at index ${meta.index}`);
      },
      compactEvery: opts.compactEntries,
      trailing: opts.trailingLogs,
      afterApply: (applied) => this.#autoSnapshot(applied),
      installed: (meta) => {
        const path = this.#receiver.fileFor(meta);
        if (path !== undefined) clearInstallMarker(raftDir, { path, meta });
      },
      onRemoved: () => {
        this.#removed = true;
        log.notice("shutting down: removed from the cluster");
        this.shutdown().catch(() => {});
      },
    });
    this.#proposer = new ClusterProposer({
      driver: this.#driver,
      transport: this.#transport,
      redirect: opts.redirect,
      now: () => {
        const t = Math.max(Date.now(), this.#lastStamp, sm.lastTime);
        this.#lastStamp = t;
        return t;
      },
    });
    this.#service = new RaftService({
      driver: this.#driver,
      transport: this.#transport,
      proposer: this.#proposer,
      redirect: opts.redirect,
      takeSnapshot: () => this.#snapshotter.take(),
      shrinkLog: () => this.#driver.compactNow(),
      receiver: this.#receiver,
      onRemoved: (by) => {
        log.notice(`shutting down: ${by} removed this node from the cluster`);
        this.shutdown().catch(() => {});
      },
    });
    this.#dispatcher = new Dispatcher({
      table: this.#table,
      store,
      proposer: this.#proposer,
      node: this.#services(),
      cursors,
      log: (m) => log.warn(m),
      reads: new ConsistencyGate(this.#driver, opts.consistency, opts.redirect),
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
    this.#expiry = new ExpiryCycle(store, this.#proposer, 100, () => this.#driver.isLeader);
    this.#snapshotter = new Snapshotter(store, snapshots, this.#driver);
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
      join: null,
      consistency: "high",
      redirect: false,
      tickMs: 100,
      electionTicks: 10,
      restore: null,
      snapshotEntries: 100_000,
      compactEntries: 20_000,
      trailingLogs: 5_000,
      snapshotsKept: 2,
      logSegmentSize: 64 << 20,
      ...options,
      advertise: options.advertise ?? options.bind,
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
    if (opts.restore !== null) {
      if (!isEmptyDataDir(opts.data)) {
        throw new NodeStartError(
          `--restore needs an empty data directory; '${opts.data}' already holds data`,
        );
      }
      if (!fs.existsSync(opts.restore)) {
        throw new NodeStartError(`cannot restore: '${opts.restore}' does not exist`);
      }
    }
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
      wal = await Wal.open(`${opts.data}/raft`, {
        logger: quiet,
        segmentSize: opts.logSegmentSize,
      });
      await finishInstall(`${opts.data}/raft`, store, wal, log);
      const snapshots = await SnapshotStore.open(`${opts.data}/snapshots`, {
        retain: opts.snapshotsKept,
        log: (m) => log.notice(m),
      });
      const node = new BitraftNode(opts, log, lock, store, wal, snapshots);
      node.#driver.start();
      if (opts.restore !== null) {
        // Before clients are let in: they never see a half-restored keyspace.
        try {
          if (await node.#driver.waitForLeader(10_000) !== node.#id) {
            throw new Error("this node did not become leader");
          }
          log.notice(`restoring the keyspace from ${opts.restore}`);
          const n = await restoreSnapshot(opts.restore, node.#proposer);
          log.notice(`restored ${n} keys from ${opts.restore}`);
        } catch (e) {
          await node.shutdown();
          throw new NodeStartError(`cannot restore ${opts.restore}: ${(e as Error).message}`);
        }
      }
      try {
        node.#server.listen();
      } catch (e) {
        await node.shutdown();
        if (e instanceof Deno.errors.AddrInUse) {
          throw new NodeStartError(`address ${opts.bind} is already in use`);
        }
        throw new NodeStartError(`cannot listen on ${opts.bind}: ${(e as Error).message}`);
      }
      node.#expiry.start();
      log.notice(
        `bitraft ${VERSION} ready: ${store.size} keys, serving ${opts.bind} as ${opts.advertise} (data '${opts.data}', durability ${opts.durability}, consistency ${opts.consistency})`,
      );
      if (opts.join !== null) {
        if (node.#driver.origin !== null) {
          log.notice(`already in a cluster: --join ${opts.join} ignored`);
        } else {
          try {
            await joinCluster(opts.join, node.#id, {
              password: opts.auth,
              tlsCa: opts.tls === null ? null : [opts.tls.cert],
              log,
            });
            node.#driver.setOrigin("join");
            log.notice(`joined the cluster of ${opts.join}`);
          } catch (e) {
            await node.shutdown();
            throw new NodeStartError(`cannot join ${opts.join}: ${(e as Error).message}`);
          }
        }
      }
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
      try {
        // Clients are cut off first; their pending replies are settled by
        // stopping the driver (a forwarded write may wait for an entry this
        // node will never apply).
        const closing = this.#server.close();
        await this.#expiry.stop();
        await this.#driver.drain(2000);
        // A leader hands over first, so the others need not wait out an election.
        const conf = this.#driver.core.conf;
        if (this.#driver.isLeader && conf.voters.length > 1 && !this.#removed) {
          const err = await this.#driver.transfer(null);
          if (err !== null) this.#log.verbose(`no hand-over before shutdown: ${err.message}`);
        }
        await this.#driver.stop();
        await this.#transport.close();
        await closing;
        await this.#snapshotter.settle();
        this.#receiver.close();
        await this.#closeStorage();
        this.#log.notice("bye");
      } catch (e) {
        this.#log.warn(`shutdown: ${(e as Error).message}`);
      } finally {
        this.#done();
      }
    })();
    return this.#stopping;
  }

  /** Writes a snapshot file every `snapshotEntries` applied entries, at most once a minute. */
  #autoSnapshot(applied: number): void {
    const every = this.#opts.snapshotEntries;
    const last = this.#autoSnapshotAt;
    if (every === 0 || this.#snapshotter === undefined || this.#driver.installing) return;
    if (last.index === 0) last.index = this.#snapshotter.latest?.index ?? applied;
    if (applied - last.index < every || Date.now() - last.time < 60_000) return;
    this.#autoSnapshotAt = { index: applied, time: Date.now() };
    this.#snapshotter.take().catch((e) => this.#log.warn(`snapshot failed: ${e.message}`));
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
        await this.#snapshotter.take();
      },
      lastSave: () => this.#snapshotter.lastSave,
      merge: () => {
        this.#store.merge().catch((e) => this.#log.warn(`merge failed: ${e.message}`));
      },
      wait: (n, timeout) => this.#service.wait(n, timeout),
      cluster: this.#service,
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
      ["bitraft-consistency", this.#opts.consistency],
      ["bitraft-advertise", this.#opts.advertise],
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
      ["rdb_last_save_time", this.#snapshotter.lastSave],
      ["aof_enabled", 1],
      ["bitcask_files", st.files],
      ["bitcask_live_bytes", st.liveBytes],
      ["bitcask_dead_bytes", st.deadBytes],
      ["bitcask_merges", st.merges],
      ["bitcask_merging", st.merging ? 1 : 0],
      ["wal_first_index", this.#wal.firstIndex],
      ["wal_last_index", this.#wal.lastIndex],
      ["applied_index", this.#driver.appliedIndex],
    ]);
    section("Stats", [
      ["total_connections_received", this.#server.connectionsReceived],
      ["total_commands_processed", this.#dispatcher.commandsProcessed],
      ["rejected_connections", this.#server.rejectedConnections],
      ["expired_keys", this.#expiry.expiredKeys],
    ]);
    const core = this.#driver.core;
    const conf = core.conf;
    const others = [...conf.voters, ...conf.learners].filter((id) => id !== this.#id);
    const leader = this.#driver.leader;
    section("Replication", [
      ["role", this.#driver.isLeader ? "master" : "slave"],
      ...(this.#driver.isLeader || leader === null ? [] : (() => {
        const [h, p] = splitHostPort(leader);
        return [["master_host", h], ["master_port", p], [
          "master_link_status",
          Date.now() - this.#driver.lastContact < 2 * this.#driver.electionTimeoutMs
            ? "up"
            : "down",
        ]] as [string, string | number][];
      })()),
      ["connected_slaves", this.#driver.isLeader ? others.length : 0],
      ...others.map((id, i): [string, string] => {
        const [h, p] = splitHostPort(id);
        const pr = core.progressOf(id);
        return [
          `slave${i}`,
          `ip=${h},port=${p},state=${pr?.state ?? "unknown"},offset=${pr?.match ?? 0}`,
        ];
      }).filter(() => this.#driver.isLeader),
      ["master_repl_offset", core.committed],
    ]);
    section("Raft", this.#service.stats());
    section(
      "Keyspace",
      this.#store.size > 0
        ? [["db0", `keys=${this.#store.size},expires=${this.#store.expiringCount},avg_ttl=0`]]
        : [],
    );
    return out.join("\r\n");
  }
}
