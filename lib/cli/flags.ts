/**
 * Command-line flags of the `bitraft` program: parsing, defaults and
 * validation, with no side effects (main.ts reads `Deno.args` and acts).
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The program version. */
export const VERSION = "0.1.0";

/** Consistency and durability levels. */
export type Level = "low" | "medium" | "high";

/** Log levels, as Redis names them. */
export type LogLevel = "debug" | "verbose" | "notice" | "warning" | "silent";

/** A validated configuration. */
export interface Config {
  /** What to do. */
  mode: "serve" | "help" | "version" | "parse-snapshot";
  /** Listen address, host:port. */
  bind: string;
  /** Address given to peers and clients. */
  advertise: string;
  /** Data directory. */
  data: string;
  /** Address of a cluster member to join, or null. */
  join: string | null;
  /** Read consistency. */
  consistency: Level;
  /** Write durability. */
  durability: Level;
  /** Followers answer -TRY instead of forwarding. */
  redirect: boolean;
  /** Password for clients and peers, or null. */
  auth: string | null;
  /** TLS certificate and key files, or null. */
  tls: { cert: string; key: string } | null;
  /** Bitcask data-file rotation size in bytes. */
  maxDatafileSize: number;
  /** Snapshot file to print as RESP, for mode parse-snapshot. */
  parseSnapshot: string | null;
  /** Snapshot file to start a new single-node cluster from, or null. */
  restore: string | null;
  /** Log level. */
  logLevel: LogLevel;
  /** Most clients connected at once. */
  maxClients: number;
  /** Longest bulk string a client may send (bytes). */
  maxBulkLen: number;
  /** Longest inline command line (bytes). */
  maxInlineLen: number;
  /** Most elements in one multibulk command. */
  maxMultibulkLen: number;
  /** Most reply bytes waiting for one client before it is disconnected. */
  maxClientOutput: number;
  /** Milliseconds per Raft tick. */
  raftTickMs: number;
  /** Election timeout in ticks. */
  electionTicks: number;
  /** Applied entries between automatic snapshot files (0: none). */
  snapshotEntries: number;
  /** Applied entries between log compactions. */
  compactEntries: number;
  /** Log entries kept behind the compaction point when the node has peers. */
  trailingLogs: number;
  /** Snapshot files kept. */
  snapshotsKept: number;
  /** Size of a Raft log segment file in bytes. */
  logSegmentSize: number;
}

/** The usage text printed by --help and after a bad flag. */
export const USAGE = `Usage: bitraft [options]

  -b, --bind addr              listen address (default 127.0.0.1:4920)
      --advertise addr         address given to peers and clients (default: --bind)
  -d, --data dir               data directory (default data)
  -j, --join addr              join the cluster that addr belongs to
      --consistency level      low | medium | high (default high)
      --durability level       low | medium | high (default high)
      --redirect               followers answer -TRY addr instead of forwarding
      --auth password          require AUTH from clients and peers
      --tls-cert file          serve TLS with this certificate (needs --tls-key)
      --tls-key file           private key for --tls-cert
      --max-datafile-size n    Bitcask file rotation size, bytes or with kb/mb/gb (default 64mb)
      --parse-snapshot file    print a snapshot as RESP commands and exit
      --restore file           start a new one-node cluster whose keyspace is this snapshot
                               (state.bin or a snapshot directory; the data dir must be empty)
      --log-level level        debug | verbose | notice | warning | silent (default notice)
      --max-clients n          most clients connected at once (default 10000)
      --max-bulk-len n         longest bulk string accepted (default 512mb)
      --max-inline-len n       longest inline command (default 64kb)
      --max-multibulk-len n    most arguments in one command (default 1048576)
      --max-client-output n    most unsent reply bytes per client before it is dropped (default 1gb)
      --raft-tick ms           Raft clock tick; heartbeats go out every tick (default 100)
      --election-ticks n       election timeout in ticks, randomized up to twice (default 10)
      --snapshot-entries n     write a snapshot file every n applied entries, at most once a
                               minute; 0: only on request (default 100000)
      --compact-entries n      compact the log every n applied entries (default 20000)
      --trailing-logs n        entries kept behind the compaction point with peers (default 5000)
      --snapshots-kept n       snapshot files kept in <data>/snapshots (default 2)
      --log-segment-size n     Raft log segment file size; compaction deletes whole segments
                               (default 64mb)
  -V, --version                print the version and exit
  -h, --help                   print this help and exit
`;

/** A flag or value the user got wrong; main.ts prints it with the usage and exits 2. */
export class FlagError extends Error {
  /**
   * Creates the error.
   *
   * @param message One line naming the flag and what is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

const LEVELS: readonly string[] = ["low", "medium", "high"];
const LOG_LEVELS: readonly string[] = ["debug", "verbose", "notice", "warning", "silent"];

/**
 * Checks a `host:port` address (IPv6 hosts in brackets).
 *
 * @param flag The flag, for the error.
 * @param addr The address.
 * @returns The address.
 * @throws {FlagError} If it is not host:port with a port in 1..65535.
 */
export function checkAddress(flag: string, addr: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new FlagError(`invalid address for --${flag}: '${addr}' (want host:port)`);
  }
  return addr;
}

/**
 * Parses a byte size: digits with an optional k, kb, m, mb, g or gb suffix
 * (powers of 1024, case-insensitive).
 *
 * @param flag The flag, for the error.
 * @param text The size.
 * @returns The size in bytes.
 * @throws {FlagError} If it is not a size.
 */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+)\s*(k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (!m) throw new FlagError(`invalid size for --${flag}: '${text}'`);
  const unit = (m[2] ?? "").toLowerCase()[0];
  const mult = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

function positive(flag: string, text: string, size: boolean): number {
  const n = size ? parseSize(flag, text) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new FlagError(
      `invalid value for --${flag}: '${text}' (want a positive ${size ? "size" : "integer"})`,
    );
  }
  return n;
}

function segmentSize(text: string): number {
  const n = parseSize("log-segment-size", text);
  if (n < 4096 || n > 1024 ** 3) {
    throw new FlagError(`invalid size for --log-segment-size: '${text}' (want 4kb to 1gb)`);
  }
  return n;
}

function pick<T extends string>(flag: string, value: string, allowed: readonly string[]): T {
  if (!allowed.includes(value)) {
    throw new FlagError(`invalid value for --${flag}: '${value}' (want ${allowed.join(", ")})`);
  }
  return value as T;
}

/**
 * Parses and validates command-line arguments.
 *
 * @param argv The arguments (without the program name).
 * @returns The configuration.
 * @throws {FlagError} On an unknown flag, a missing value or a bad value.
 */
export function parseFlags(argv: string[]): Config {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        bind: { type: "string", short: "b", default: "127.0.0.1:4920" },
        advertise: { type: "string" },
        data: { type: "string", short: "d", default: "data" },
        join: { type: "string", short: "j" },
        consistency: { type: "string", default: "high" },
        durability: { type: "string", default: "high" },
        redirect: { type: "boolean", default: false },
        auth: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "max-datafile-size": { type: "string", default: "64mb" },
        "parse-snapshot": { type: "string" },
        restore: { type: "string" },
        "log-level": { type: "string", default: "notice" },
        "max-clients": { type: "string", default: "10000" },
        "max-bulk-len": { type: "string", default: "512mb" },
        "max-inline-len": { type: "string", default: "64kb" },
        "max-multibulk-len": { type: "string", default: "1048576" },
        "max-client-output": { type: "string", default: "1gb" },
        "raft-tick": { type: "string", default: "100" },
        "election-ticks": { type: "string", default: "10" },
        "snapshot-entries": { type: "string", default: "100000" },
        "compact-entries": { type: "string", default: "20000" },
        "trailing-logs": { type: "string", default: "5000" },
        "snapshots-kept": { type: "string", default: "2" },
        "log-segment-size": { type: "string", default: "64mb" },
        version: { type: "boolean", short: "V", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    throw new FlagError((e as Error).message.split("\n")[0]);
  }
  const bind = checkAddress("bind", values.bind);
  const advertise = values.advertise === undefined
    ? bind
    : checkAddress("advertise", values.advertise);
  const join = values.join === undefined ? null : checkAddress("join", values.join);
  if (values.data === "") throw new FlagError("invalid value for --data: ''");
  if (values.restore !== undefined && join !== null) {
    throw new FlagError("--restore starts a new cluster: it cannot be combined with --join");
  }
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    throw new FlagError("--tls-cert and --tls-key must be given together");
  }
  const maxDatafileSize = parseSize("max-datafile-size", values["max-datafile-size"]);
  if (maxDatafileSize < 1024 || maxDatafileSize > 2 * 1024 ** 3) {
    throw new FlagError(
      `invalid size for --max-datafile-size: '${values["max-datafile-size"]}' (want 1kb to 2gb)`,
    );
  }
  const mode = values.help
    ? "help"
    : values.version
    ? "version"
    : values["parse-snapshot"] !== undefined
    ? "parse-snapshot"
    : "serve";
  return {
    mode,
    bind,
    advertise,
    data: values.data,
    join,
    consistency: pick<Level>("consistency", values.consistency, LEVELS),
    durability: pick<Level>("durability", values.durability, LEVELS),
    redirect: values.redirect,
    auth: values.auth ?? null,
    tls: values["tls-cert"] === undefined
      ? null
      : { cert: values["tls-cert"], key: values["tls-key"] as string },
    maxDatafileSize,
    parseSnapshot: values["parse-snapshot"] ?? null,
    restore: values.restore ?? null,
    logLevel: pick<LogLevel>("log-level", values["log-level"], LOG_LEVELS),
    maxClients: positive("max-clients", values["max-clients"], false),
    maxBulkLen: positive("max-bulk-len", values["max-bulk-len"], true),
    maxInlineLen: positive("max-inline-len", values["max-inline-len"], true),
    maxMultibulkLen: positive("max-multibulk-len", values["max-multibulk-len"], false),
    maxClientOutput: positive("max-client-output", values["max-client-output"], true),
    raftTickMs: positive("raft-tick", values["raft-tick"], false),
    electionTicks: Math.max(3, positive("election-ticks", values["election-ticks"], false)),
    snapshotEntries: values["snapshot-entries"] === "0"
      ? 0
      : positive("snapshot-entries", values["snapshot-entries"], false),
    compactEntries: positive("compact-entries", values["compact-entries"], false),
    trailingLogs: values["trailing-logs"] === "0"
      ? 0
      : positive("trailing-logs", values["trailing-logs"], false),
    snapshotsKept: positive("snapshots-kept", values["snapshots-kept"], false),
    logSegmentSize: segmentSize(values["log-segment-size"]),
  };
}
