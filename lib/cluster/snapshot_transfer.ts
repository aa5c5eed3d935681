/**
 * InstallSnapshot over the peer protocol. The leader streams its keyspace,
 * read from a point-in-time view of the store at its applied index, as an
 * uncompressed `BITRAFT1` record stream: `RAFTSNAPCHUNK <id> <seq> <bytes>`
 * commands on a connection of their own (a few in flight), then
 * `RAFTSNAPDONE <id> <snapshot message>`. The follower appends the chunks
 * to a file (never the whole snapshot in memory) and hands the message to
 * its Raft core; when the core asks for the snapshot to be installed, the
 * keyspace is replaced from that file. An install cut short by a crash is
 * redone from the same file at the next start (a marker says so), so the
 * store is never left half-replaced.
 *
 * @module
 */

import fs from "node:fs";
import type { BitcaskStore } from "../bitcask/mod.ts";
import { writeFileAtomicSync } from "../bitcask/fs_util.ts";
import { encodeMessages, type Message, type SnapshotMeta } from "../raft/mod.ts";
import {
  Crc64,
  encodeStateRecords,
  type SnapshotRecord,
  StateRecordParser,
} from "../snapshot/mod.ts";
import { PeerConnection, type PeerConnectionOptions } from "./peer_connection.ts";
import { command } from "./resp_command.ts";

/** Chunks in flight to a follower at once. */
const WINDOW = 4;
/** A transfer whose follower acknowledges nothing for this long is abandoned (ms). */
const STALL_MS = 30_000;
/** Bytes per chunk. */
const CHUNK = 256 * 1024;
/** Records per store batch while installing. */
const INSTALL_BATCH = 1000;
/** Name of the marker of an install in progress (in the raft directory). */
const MARKER = "installing";

/**
 * Streams a keyspace to `to` and hands it the snapshot message.
 *
 * @param to The follower.
 * @param records The keyspace in key order (a view: it must not change meanwhile).
 * @param msg The snapshot message (its meta describes the records).
 * @param options Connection options (password, TLS).
 * @throws {Error} If the follower refuses a chunk or the connection fails.
 */
export async function sendSnapshot(
  to: string,
  records: Iterable<SnapshotRecord>,
  msg: Message,
  options: PeerConnectionOptions,
): Promise<void> {
  const id = `${msg.from}-${msg.term}-${Date.now()}`;
  const conn = new PeerConnection(to, { ...options, maxQueued: 64 << 20 });
  // Every request's failure is caught here (none may go unhandled); the
  // first one ends the transfer.
  let failure: Error | null = null;
  const settle = (p: Promise<Uint8Array>): Promise<void> =>
    p.then((r) => {
      progress = performance.now();
      if (r[0] !== 43 /* + */) throw new Error(new TextDecoder().decode(r).trim());
    }).catch((e) => {
      failure ??= e as Error;
    });
  // A follower that stops answering (paused, or its network gone quiet)
  // must not hold the transfer forever: without progress for a while, give up.
  let progress = performance.now();
  const watchdog = setInterval(() => {
    if (performance.now() - progress > STALL_MS) {
      failure ??= new Error(`no progress for ${STALL_MS / 1000} s`);
      conn.close().catch(() => {});
    }
  }, 1000);
  try {
    const inFlight: Promise<void>[] = [];
    const crc = new Crc64();
    let size = 0;
    let seq = 0;
    for await (const chunk of encodeStateRecords(records, { chunkSize: CHUNK })) {
      if (failure !== null) break;
      crc.update(chunk);
      size += chunk.length;
      inFlight.push(settle(conn.request(command(["RAFTSNAPCHUNK", id, String(seq++), chunk]))));
      if (inFlight.length >= WINDOW) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (failure === null) {
      const done = ["RAFTSNAPDONE", id, encodeMessages([msg]), String(size), crc.toBase64()];
      await settle(conn.request(command(done)));
    }
  } finally {
    clearInterval(watchdog);
    await conn.close();
  }
  if (failure !== null) throw failure;
}

/** Receives snapshot streams on a follower. */
export class SnapshotReceiver {
  #dir: string;
  #current: {
    id: string;
    seq: number;
    fd: number;
    path: string;
    size: number;
    crc: Crc64;
  } | null = null;
  /** Complete transfers by `<index>-<term>`: file paths. */
  #complete = new Map<string, string>();

  /**
   * Creates the receiver (and clears what an earlier run left behind; an
   * install that a crash cut short must have been finished first).
   *
   * @param dir Where to keep incoming snapshots.
   */
  constructor(dir: string) {
    this.#dir = dir;
    fs.mkdirSync(dir, { recursive: true });
    // An install cut short was finished before this runs: whatever is left is stale.
    for (const name of fs.readdirSync(dir)) fs.rmSync(`${dir}/${name}`, { force: true });
  }

  /**
   * One chunk of transfer `id` (sequence numbers start at 0; a new id
   * abandons the transfer before it).
   *
   * @param id Transfer id.
   * @param seq Chunk number.
   * @param bytes The chunk.
   * @returns Null when taken, or why not.
   */
  chunk(id: string, seq: number, bytes: Uint8Array): string | null {
    if (!/^[\w.:-]{1,200}$/.test(id)) return "bad transfer id";
    let cur = this.#current;
    if (seq === 0) {
      this.#abandon();
      const path = `${this.#dir}/recv-${id.replace(/[^\w.-]/g, "_")}.tmp`;
      cur = this.#current = {
        id,
        seq: 0,
        fd: fs.openSync(path, "w"),
        path,
        size: 0,
        crc: new Crc64(),
      };
    }
    if (cur === null || cur.id !== id || cur.seq !== seq) return "unexpected snapshot chunk";
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(cur.fd, bytes, done);
    cur.crc.update(bytes);
    cur.size += bytes.length;
    cur.seq++;
    return null;
  }

  /**
   * The end of transfer `id`: if size and CRC-64 match what the leader
   * sent, the file is kept for the snapshot `meta`.
   *
   * @param id Transfer id.
   * @param meta The snapshot the records are.
   * @param size Bytes the leader sent.
   * @param crc CRC-64 of them (base64 of the big-endian bytes).
   * @returns Null when complete, or why not.
   */
  finish(id: string, meta: SnapshotMeta, size: number, crc: string): string | null {
    const cur = this.#current;
    if (cur === null || cur.id !== id) return "unknown snapshot transfer";
    if (cur.size !== size || cur.crc.toBase64() !== crc) {
      this.#abandon();
      return `snapshot transfer damaged: got ${cur.size} bytes, CRC ${cur.crc.toBase64()}; ` +
        `sent ${size} bytes, CRC ${crc}`;
    }
    fs.fsyncSync(cur.fd);
    fs.closeSync(cur.fd);
    this.#current = null;
    const path = `${this.#dir}/snapshot-${meta.index}-${meta.term}.records`;
    fs.renameSync(cur.path, path);
    for (const [k, p] of this.#complete) {
      if (p !== path) fs.rmSync(p, { force: true });
      this.#complete.delete(k);
    }
    this.#complete.set(`${meta.index}-${meta.term}`, path);
    return null;
  }

  /**
   * Forgets a complete transfer (its file is removed).
   *
   * @param meta The snapshot.
   */
  discard(meta: SnapshotMeta): void {
    const key = `${meta.index}-${meta.term}`;
    const path = this.#complete.get(key);
    this.#complete.delete(key);
    if (path !== undefined) fs.rmSync(path, { force: true });
  }

  /**
   * The file of a complete transfer for `meta`.
   *
   * @param meta The snapshot.
   * @returns Its path, or undefined.
   */
  fileFor(meta: SnapshotMeta): string | undefined {
    return this.#complete.get(`${meta.index}-${meta.term}`);
  }

  /** Closes the transfer in progress, if any. */
  close(): void {
    this.#abandon();
  }

  #abandon(): void {
    if (this.#current === null) return;
    try {
      fs.closeSync(this.#current.fd);
    } catch { /* closed */ }
    fs.rmSync(this.#current.path, { force: true });
    this.#current = null;
  }
}

/** What the install marker records. */
export interface InstallMarker {
  /** The records file. */
  path: string;
  /** The snapshot. */
  meta: SnapshotMeta;
}

/**
 * Reads the marker of an install cut short, if any.
 *
 * @param raftDir The raft directory.
 * @returns The marker, or null.
 */
export function readInstallMarker(raftDir: string): InstallMarker | null {
  try {
    return JSON.parse(fs.readFileSync(`${raftDir}/${MARKER}`, "utf8")) as InstallMarker;
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw new Error(`${raftDir}/${MARKER} is damaged: ${(e as Error).message}`);
  }
}

/**
 * Writes the marker before the keyspace is touched.
 *
 * @param raftDir The raft directory.
 * @param marker What is being installed.
 */
export function writeInstallMarker(raftDir: string, marker: InstallMarker): void {
  writeFileAtomicSync(raftDir, MARKER, new TextEncoder().encode(JSON.stringify(marker)));
}

/**
 * Removes the marker (and the records file) once the install is durable.
 *
 * @param raftDir The raft directory.
 * @param marker The install that finished.
 */
export function clearInstallMarker(raftDir: string, marker: InstallMarker): void {
  fs.rmSync(`${raftDir}/${MARKER}`, { force: true });
  fs.rmSync(marker.path, { force: true });
}

/**
 * Replaces the store's whole keyspace with the records in `path`, all
 * carrying the snapshot's index; durable when it resolves.
 *
 * @param store The store.
 * @param path The records file (a `BITRAFT1` stream).
 * @param index The snapshot's index.
 * @throws {Error} If the file is damaged (the caller must not go on).
 */
export async function installKeyspace(
  store: BitcaskStore,
  path: string,
  index: number,
): Promise<number> {
  store.clear({ index });
  const parser = new StateRecordParser();
  const file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK);
  let n = 0;
  try {
    for (;;) {
      const got = await file.read(buf);
      if (got === null) break;
      parser.push(buf.slice(0, got));
      const ops = [];
      for (let r = parser.next(); r !== null; r = parser.next()) {
        ops.push({ type: "put" as const, key: r.key, value: r.value, expiresAt: r.expiresAt });
        if (ops.length >= INSTALL_BATCH) {
          store.batch(ops.splice(0), { index });
        }
      }
      if (ops.length > 0) store.batch(ops, { index });
      n = parser.records;
    }
    parser.finish();
  } finally {
    file.close();
  }
  await store.sync();
  return n;
}

/**
 * Reads a records file through the parser without keeping anything, so a
 * damaged transfer is refused before the keyspace is touched.
 *
 * @param path The file.
 * @throws {SnapshotFormatError} If it is damaged or cut short.
 */
export async function checkRecordsFile(path: string): Promise<void> {
  const parser = new StateRecordParser();
  const file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(CHUNK);
  try {
    for (;;) {
      const got = await file.read(buf);
      if (got === null) break;
      parser.push(buf.slice(0, got));
      while (parser.next() !== null) { /* only checking */ }
    }
    parser.finish();
  } finally {
    file.close();
  }
}
