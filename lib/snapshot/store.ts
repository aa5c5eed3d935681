/**
 * `SnapshotStore`: the snapshot directory of a node.
 *
 * ```
 * <dir>/<term>-<index>-<unixms>/meta.json   see meta.ts
 * <dir>/<term>-<index>-<unixms>/state.bin   see state_file.ts
 * ```
 *
 * A snapshot is written into `<id>.tmp/` (files fsynced), renamed into place
 * (directory fsynced), and only then counts; leftover `.tmp` directories
 * are removed on open. The newest `retain` snapshots are kept.
 *
 * @module
 */

import { Crc64 } from "./crc64.ts";
import { SnapshotBusyError, SnapshotCorruptError } from "./errors.ts";
import {
  formatSnapshotMeta,
  type SnapshotConf,
  snapshotId,
  type SnapshotInfo,
  validateSnapshotMeta,
} from "./meta.ts";
import type { SnapshotRecord } from "./record.ts";
import { readStateFile, type StateFileReader, writeStateFile } from "./state_file.ts";
import { writeAll } from "./_streams.ts";

/** Options for {@linkcode SnapshotStore.open}. */
export interface SnapshotStoreOptions {
  /**
   * How many snapshots to keep; older ones are deleted after each create.
   *
   * @default {2}
   */
  retain?: number;
  /**
   * Receives one line per notable event (damaged snapshot skipped, leftover
   * removed, old snapshot reaped).
   *
   * @default {() => {}}
   */
  log?: (message: string) => void;
  /**
   * gzip level of `state.bin` (-1 is zlib's default, 6).
   *
   * @default {-1}
   */
  level?: number;
}

/** What {@linkcode SnapshotStore.create} needs besides the records. */
export interface SnapshotMetaInput {
  /** Last Raft index the records include. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Cluster configuration as of `index`. */
  conf: SnapshotConf;
}

const TMP_SUFFIX = ".tmp";

/**
 * The snapshots of one node, newest first.
 *
 * @example
 * ```ts
 * import { SnapshotStore } from "./store.ts";
 *
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * const store = await SnapshotStore.open(await Deno.makeTempDir(), { retain: 2 });
 * const info = await store.create(
 *   { index: 17, term: 1, conf: { voters: ["127.0.0.1:4920"], learners: [] } },
 *   [{ key: bytes("a"), value: bytes("1"), expiresAt: 0 }],
 * );
 * store.latest()?.id === info.id; // true
 * await store.verify(info);
 * for await (const rec of store.records(info)) console.log(rec.key, rec.value);
 * ```
 */
export class SnapshotStore {
  #dir: string;
  #retain: number;
  #log: (message: string) => void;
  #level: number;
  #busy = false;
  #reported = new Set<string>();

  private constructor(dir: string, retain: number, log: (m: string) => void, level: number) {
    this.#dir = dir;
    this.#retain = retain;
    this.#log = log;
    this.#level = level;
  }

  /**
   * Opens (creating it if needed) a snapshot directory and removes
   * unfinished `.tmp` snapshots left by a crash.
   *
   * @param dir The directory, e.g. `<data>/snapshots`.
   * @param options Retention and logging.
   * @returns The store.
   * @throws {RangeError} If `retain` is not an integer >= 1.
   */
  static async open(dir: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    const { retain = 2, log = () => {}, level = -1 } = options;
    if (!Number.isSafeInteger(retain) || retain < 1) {
      throw new RangeError(`Cannot open snapshot store: retain ${retain} is not an integer >= 1`);
    }
    await Deno.mkdir(dir, { recursive: true });
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory && entry.name.endsWith(TMP_SUFFIX)) {
        await Deno.remove(`${dir}/${entry.name}`, { recursive: true });
        log(`removed unfinished snapshot ${entry.name}`);
      }
    }
    return new SnapshotStore(dir, retain, log, level);
  }

  /** The directory holding the snapshots. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Lists the usable snapshots: `meta.json` valid, `state.bin` present with
   * the recorded size (the CRC is checked by {@linkcode verify} and while
   * reading {@linkcode records}). Damaged ones are skipped and logged once.
   *
   * @returns Snapshots, newest (highest index, then term, then time) first.
   */
  list(): SnapshotInfo[] {
    const found: SnapshotInfo[] = [];
    for (const entry of Deno.readDirSync(this.#dir)) {
      if (!entry.isDirectory || entry.name.endsWith(TMP_SUFFIX)) continue;
      const info = this.#load(`${this.#dir}/${entry.name}`);
      if (info) found.push(info);
    }
    return found.sort((a, b) => b.index - a.index || b.term - a.term || b.time - a.time);
  }

  /**
   * The newest usable snapshot.
   *
   * @returns It, or null if there is none.
   */
  latest(): SnapshotInfo | null {
    return this.list()[0] ?? null;
  }

  /**
   * Writes a new snapshot, then deletes all but the newest `retain` ones
   * (never the one just written). One create runs at a time.
   *
   * @param meta Index, term and configuration the records correspond to.
   * @param records The keyspace, in key order.
   * @returns The new snapshot.
   * @throws {SnapshotBusyError} If another create is still running.
   * @throws {RangeError} If `index` or `term` is not an integer >= 0, or a record is invalid.
   */
  async create(
    meta: SnapshotMetaInput,
    records: Iterable<SnapshotRecord> | AsyncIterable<SnapshotRecord>,
  ): Promise<SnapshotInfo> {
    if (this.#busy) throw new SnapshotBusyError();
    this.#busy = true;
    try {
      const { index, term } = meta;
      for (const [name, v] of [["index", index], ["term", term]] as const) {
        if (!Number.isSafeInteger(v) || v < 0) {
          throw new RangeError(`Cannot create snapshot: ${name} ${v} is not an integer >= 0`);
        }
      }
      const conf = { voters: [...meta.conf.voters], learners: [...meta.conf.learners] };
      let time = Date.now();
      while (exists(`${this.#dir}/${snapshotId(term, index, time)}`)) time++;
      const id = snapshotId(term, index, time);
      const dir = `${this.#dir}/${id}`;
      const tmp = dir + TMP_SUFFIX;
      await Deno.mkdir(tmp);
      let info: SnapshotInfo;
      try {
        const state = await writeStateFile(`${tmp}/state.bin`, records, { level: this.#level });
        info = { id, dir, index, term, size: state.size, crc: state.crc, conf, time };
        await writeFileSynced(
          `${tmp}/meta.json`,
          new TextEncoder().encode(formatSnapshotMeta(info)),
        );
        await fsyncDir(tmp);
        await Deno.rename(tmp, dir);
        await fsyncDir(this.#dir);
      } catch (e) {
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
        throw e;
      }
      await this.#reap(id);
      return info;
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Re-reads `state.bin` and checks its size and CRC against `meta.json`.
   *
   * @param info The snapshot.
   * @throws {SnapshotCorruptError} On a mismatch or a missing file.
   */
  async verify(info: SnapshotInfo): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.statePath(info), { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new SnapshotCorruptError(info.id, "state.bin is missing");
      }
      throw e;
    }
    const crc = new Crc64();
    let size = 0;
    try {
      const buf = new Uint8Array(1 << 20);
      for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
        crc.update(buf.subarray(0, n));
        size += n;
      }
    } finally {
      file.close();
    }
    if (size !== info.size) {
      throw new SnapshotCorruptError(
        info.id,
        `state.bin has ${size} bytes, meta.json says ${info.size}`,
      );
    }
    if (crc.toBase64() !== info.crc) {
      throw new SnapshotCorruptError(
        info.id,
        `state.bin has CRC ${crc.toBase64()}, meta.json says ${info.crc}`,
      );
    }
  }

  /**
   * Streams a snapshot's records. Size and CRC are checked along the way: a
   * mismatch raises {@linkcode SnapshotCorruptError} after the last record.
   *
   * @param info The snapshot.
   * @returns A reader (iterate it once).
   */
  records(info: SnapshotInfo): StateFileReader {
    return readStateFile(this.statePath(info), {
      expect: { id: info.id, size: info.size, crc: info.crc },
    });
  }

  /**
   * Path of a snapshot's `state.bin`.
   *
   * @param info The snapshot.
   * @returns The path.
   */
  statePath(info: SnapshotInfo): string {
    return `${info.dir}/state.bin`;
  }

  #load(dir: string): SnapshotInfo | null {
    try {
      const text = Deno.readTextFileSync(`${dir}/meta.json`);
      const info = validateSnapshotMeta(JSON.parse(text), dir);
      const st = Deno.statSync(`${dir}/state.bin`);
      if (!st.isFile || st.size !== info.size) {
        throw new Error(`state.bin has ${st.size} bytes, meta.json says ${info.size}`);
      }
      return info;
    } catch (e) {
      if (!this.#reported.has(dir)) {
        this.#reported.add(dir);
        const reason = e instanceof Error ? e.message : String(e);
        this.#log(`ignoring damaged snapshot ${dir}: ${reason}`);
      }
      return null;
    }
  }

  async #reap(keep: string): Promise<void> {
    const old = this.list().filter((s) => s.id !== keep).slice(this.#retain - 1);
    for (const s of old) {
      try {
        await Deno.remove(s.dir, { recursive: true });
        this.#log(`removed old snapshot ${s.id}`);
      } catch (e) {
        this.#log(`cannot remove old snapshot ${s.id}: ${(e as Error).message}`);
      }
    }
    if (old.length > 0) await fsyncDir(this.#dir).catch(() => {});
  }
}

function exists(path: string): boolean {
  for (const p of [path, path + TMP_SUFFIX]) {
    try {
      Deno.lstatSync(p);
      return true;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return false;
}

async function writeFileSynced(path: string, data: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, data);
    await file.syncData();
  } finally {
    file.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const file = await Deno.open(dir, { read: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}
