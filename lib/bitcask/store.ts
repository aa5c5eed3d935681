/**
 * `BitcaskStore`: the embedded key/value store (see `mod.ts` for an example).
 *
 * @module
 */

import fs from "node:fs";
import { binaryToBytes, bytesToBinary } from "./bytes.ts";
import {
  DataFile,
  dataFileName,
  FILE_HEADER_SIZE,
  FLAG_CLEARED,
  FLAG_MERGED,
  hintFileName,
} from "./data_file.ts";
import {
  KeyTooLargeError,
  StoreClosedError,
  StoreLockedError,
  ValueTooLargeError,
} from "./errors.ts";
import { fdatasync, fsyncDirSync } from "./fs_util.ts";
import { HintBuilder } from "./hint_build.ts";
import { ExpirySet } from "./expiry_set.ts";
import { KeyDir, type KeyDirView, newLocation } from "./keydir.ts";
import type { Location } from "./key_index.ts";
import { byRank, loadStore } from "./loader.ts";
import { type MergeHost, type MergeResult, runMerge } from "./merge.ts";
import { type BitcaskOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import {
  RECORD_HEADER_SIZE,
  recordSize,
  TYPE_DELETE,
  TYPE_PUT,
  TYPE_PUT_EXPIRING,
} from "./record.ts";
import { ValueReader } from "./reader.ts";
import { isExpired, type KeySource, type ScanEntry, type ScanOptions, scanSource } from "./scan.ts";
import { BitcaskSnapshot } from "./snapshot.ts";
import { ValueCache } from "./value_cache.ts";
import { type PendingRecord, RecordWriter } from "./writer.ts";

/** Options for {@linkcode BitcaskStore.put}. */
export interface PutOptions {
  /** Absolute expiry, Unix ms; 0 or omitted: never. */
  expiresAt?: number;
  /** Raft index of the entry that produced the write. @default {0} */
  index?: number;
}

/** Options for {@linkcode BitcaskStore.delete} and {@linkcode BitcaskStore.batch}. */
export interface WriteOptions {
  /** Raft index of the entry that produced the write. @default {0} */
  index?: number;
}

/** Options for reads: expiry is judged against the caller's clock. */
export interface ReadOptions {
  /** Current time (Unix ms); keys whose expiry is before it are absent. Omitted: no check. */
  now?: number;
}

/** One operation of {@linkcode BitcaskStore.batch}. */
export type BatchOp =
  | { type: "put"; key: Uint8Array; value: Uint8Array; expiresAt?: number }
  | { type: "delete"; key: Uint8Array };

/** What {@linkcode BitcaskStore.stat} tells about a key without reading its value. */
export interface KeyInfo {
  /** Expiry (Unix ms), 0 for none. */
  expiresAt: number;
  /** Length of the value in bytes. */
  valueSize: number;
}

/** Per-file numbers in {@linkcode StoreStats}. */
export interface DataFileStats {
  /** File id. */
  id: number;
  /** Replay rank. */
  rank: number;
  /** Bytes on disk. */
  size: number;
  /** Bytes the keydir points at. */
  liveBytes: number;
  /** Bytes of superseded records and tombstones. */
  deadBytes: number;
  /** Whether it has a valid hint file. */
  hint: boolean;
  /** Whether a merge wrote it. */
  merged: boolean;
  /** Whether it was merged away and waits for deletion. */
  retired: boolean;
  /** Whether new records go here. */
  active: boolean;
}

/** Numbers returned by {@linkcode BitcaskStore.stats}. */
export interface StoreStats {
  /** Keys in the keydir (expired ones not yet deleted included). */
  keys: number;
  /** Data files on disk. */
  files: number;
  /** Bytes of live records. */
  liveBytes: number;
  /** Bytes of dead records. */
  deadBytes: number;
  /** All data-file bytes. */
  totalBytes: number;
  /** Highest applied Raft index. */
  lastIndex: number;
  /** Whether a merge is running. */
  merging: boolean;
  /** Merges completed since open. */
  merges: number;
  /** Bytes cut from a torn tail at open. */
  truncatedBytes: number;
  /** Hint files built at open because they were missing or bad. */
  hintsRebuilt: number;
  /** Open snapshots. */
  snapshots: number;
  /** Value-cache hits since open. */
  cacheHits: number;
  /** Value-cache misses since open. */
  cacheMisses: number;
  /** Bytes in the value cache. */
  cacheBytes: number;
  /** Per data file. */
  dataFiles: DataFileStats[];
}

const EMPTY = new Uint8Array(0);
const MERGE_CHECK_EVERY = 256;

/**
 * A Bitcask key/value store in one directory. See `mod.ts` for an example.
 */
export class BitcaskStore {
  readonly #dir: string;
  readonly #opts: ResolvedOptions;
  readonly #lock: Deno.FsFile;
  readonly #files: Map<number, DataFile>;
  #active: DataFile;
  #keydir: KeyDir;
  #expiring: ExpirySet;
  /** Bumped by clear(); a merge started before it abandons its work. */
  #epoch = 0;
  #lastIndex: number;
  #nextId: number;
  readonly #truncatedBytes: number;
  readonly #hintsRebuilt: number;

  #closing = false;
  #closed: Promise<void> | null = null;
  readonly #hints: HintBuilder;
  readonly #hintJobs = new Set<Promise<void>>();
  #merge: Promise<MergeResult> | null = null;
  #merges = 0;
  #writesSinceCheck = 0;
  readonly #views = new Set<KeyDirView>();
  readonly #retiring: { files: DataFile[]; views: Set<KeyDirView> }[] = [];
  #syncRunning: Promise<void> | null = null;
  #syncQueued: Promise<void> | null = null;

  readonly #writer: RecordWriter;
  readonly #reader: ValueReader;
  readonly #cache: ValueCache;
  readonly #loc = newLocation();
  readonly #prev = newLocation();
  readonly #finalizer = new FinalizationRegistry<KeyDirView>((v) => this.#closeView(v));

  private constructor(dir: string, opts: ResolvedOptions, lock: Deno.FsFile) {
    this.#dir = dir;
    this.#opts = opts;
    this.#lock = lock;
    const loaded = loadStore(dir, opts.logger);
    this.#files = loaded.files;
    this.#active = loaded.active;
    this.#keydir = loaded.keydir;
    this.#expiring = loaded.expiring;
    this.#lastIndex = loaded.lastIndex;
    this.#nextId = loaded.nextId;
    this.#truncatedBytes = loaded.truncatedBytes;
    this.#hintsRebuilt = loaded.hintsBuilt;
    this.#hints = new HintBuilder(opts.hintWorker);
    this.#writer = new RecordWriter(this.#active);
    this.#cache = new ValueCache(opts.valueCacheSize);
    this.#reader = new ValueReader(this.#files, (loc) => {
      if (loc.fileId === this.#active.id) this.#writer.flushTo(loc.offset + loc.size);
    }, this.#cache);
  }

  /**
   * Opens (creating if needed) the store in `dir`, taking its lock.
   *
   * @param dir The store directory.
   * @param options Sizes, limits and merge policy.
   * @returns The open store.
   * @throws {StoreLockedError} If another process or handle has it open.
   * @throws {CorruptRecordError} If a record outside the torn tail is bad.
   * @throws {RangeError} On a bad option.
   */
  static open(dir: string, options: BitcaskOptions = {}): Promise<BitcaskStore> {
    try {
      const opts = resolveOptions(options);
      fs.mkdirSync(dir, { recursive: true });
      const lock = Deno.openSync(`${dir}/LOCK`, { read: true, write: true, create: true });
      if (!lock.tryLockSync(true)) {
        lock.close();
        throw new StoreLockedError(dir);
      }
      let store: BitcaskStore;
      try {
        store = new BitcaskStore(dir, opts, lock);
      } catch (e) {
        lock.close();
        throw e;
      }
      store.#maybeMerge();
      return Promise.resolve(store);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Number of keys (expired keys not yet deleted included). */
  get size(): number {
    return this.#keydir.size;
  }

  /** The store directory. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Highest Raft index of any write the store holds. After a restart, a
   * Raft node replays only the entries after it.
   *
   * @returns The index (0 if writes carried none).
   */
  lastIndex(): number {
    return this.#lastIndex;
  }

  /**
   * Reads a key's value.
   *
   * @param key The key.
   * @param options `now` to hide expired keys.
   * @returns The value, or undefined if absent (or expired). It may be shared
   *   with the read cache: treat it as read-only (`slice()` it to change it).
   * @throws {CorruptRecordError} If the record on disk is damaged.
   */
  get(key: Uint8Array, options?: ReadOptions): Uint8Array | undefined {
    this.#checkOpen();
    const loc = this.#loc;
    if (!this.#keydir.lookupBytes(key, loc) || isExpired(loc.expiresAt, options?.now)) {
      return undefined;
    }
    return this.#reader.read(key, loc);
  }

  /**
   * Tells whether a key exists.
   *
   * @param key The key.
   * @param options `now` to treat expired keys as absent.
   * @returns Whether it exists.
   */
  has(key: Uint8Array, options?: ReadOptions): boolean {
    return this.stat(key, options) !== undefined;
  }

  /**
   * Tells a key's expiry and value size without reading the value.
   *
   * @param key The key.
   * @param options `now` to treat expired keys as absent.
   * @returns The info, or undefined if absent.
   */
  stat(key: Uint8Array, options?: ReadOptions): KeyInfo | undefined {
    this.#checkOpen();
    const loc = this.#loc;
    if (!this.#keydir.lookupBytes(key, loc) || isExpired(loc.expiresAt, options?.now)) {
      return undefined;
    }
    return { expiresAt: loc.expiresAt, valueSize: loc.size - RECORD_HEADER_SIZE - key.length };
  }

  /**
   * Writes a key.
   *
   * @param key The key (any bytes, empty allowed).
   * @param value The value (any bytes, empty allowed).
   * @param options Expiry and Raft index.
   * @throws {KeyTooLargeError} / {ValueTooLargeError} Past a limit; nothing is written.
   */
  put(key: Uint8Array, value: Uint8Array, options: PutOptions = {}): void {
    this.#checkOpen();
    const index = checkIndex(options.index);
    const rec = this.#pending("put", key, value, options.expiresAt);
    const off = this.#append([rec], index);
    this.#applyPut(bytesToBinary(key), off, rec.size, rec.expiresAt);
    this.#afterWrite(index);
  }

  /**
   * Deletes a key (writes a tombstone if it exists).
   *
   * @param key The key.
   * @param options Raft index.
   * @returns Whether the key existed (expired or not).
   */
  delete(key: Uint8Array, options: WriteOptions = {}): boolean {
    this.#checkOpen();
    const index = checkIndex(options.index);
    const k = bytesToBinary(key);
    if (!this.#keydir.has(k)) return false;
    this.#append([this.#pending("delete", key, EMPTY, 0)], index);
    this.#applyDelete(k);
    this.#afterWrite(index);
    return true;
  }

  /**
   * Applies several writes atomically: after a crash either all of them are
   * there or none. Deletes of absent keys write nothing.
   *
   * @param ops Puts and deletes, applied in order.
   * @param options Raft index of the whole batch.
   * @returns Number of deletes that removed a key.
   * @throws {KeyTooLargeError} / {ValueTooLargeError} Past a limit; nothing is written.
   */
  batch(ops: BatchOp[], options: WriteOptions = {}): number {
    if (ops.length === 1 && ops[0].type === "put") {
      const op = ops[0];
      this.put(op.key, op.value, { expiresAt: op.expiresAt, index: options.index });
      return 0;
    }
    this.#checkOpen();
    const index = checkIndex(options.index);
    const recs: PendingRecord[] = [];
    const names: string[] = [];
    const present = new Map<string, boolean>();
    let deleted = 0;
    for (const op of ops) {
      if (op.type === "put") {
        recs.push(this.#pending("put", op.key, op.value, op.expiresAt));
        const k = bytesToBinary(op.key);
        names.push(k);
        present.set(k, true);
      } else {
        const rec = this.#pending("delete", op.key, EMPTY, 0);
        const k = bytesToBinary(op.key);
        if (present.get(k) ?? this.#keydir.has(k)) {
          recs.push(rec);
          names.push(k);
          present.set(k, false);
          deleted++;
        }
      }
    }
    if (recs.length === 0) return 0;
    let off = this.#append(recs, index);
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i];
      if (r.type === TYPE_DELETE) this.#applyDelete(names[i]);
      else this.#applyPut(names[i], off, r.size, r.expiresAt);
      off += r.size;
    }
    this.#afterWrite(index);
    return deleted;
  }

  /**
   * Removes every key at once: a new data file marked "cleared" makes all
   * older files dead (on reopen too), and they are deleted as soon as no
   * snapshot reads them. O(1) in the number of keys.
   *
   * @param options Raft index of the operation.
   * @returns Number of keys removed.
   */
  clear(options: WriteOptions = {}): number {
    this.#checkOpen();
    const index = checkIndex(options.index);
    const removed = this.#keydir.size;
    this.#writer.flush();
    if (index > this.#lastIndex) this.#lastIndex = index;
    this.#rotate(FLAG_CLEARED);
    this.#epoch++;
    this.#keydir = new KeyDir();
    this.#expiring = new ExpirySet();
    this.#cache.clear();
    this.#retire([...this.#files.values()].filter((f) => f !== this.#active && !f.retired));
    return removed;
  }

  /**
   * Picks keys that have an expiry, at random (repeats possible), for an
   * active-expiry cycle to check.
   *
   * @param count How many to pick.
   * @param random Source of numbers in [0, 1).
   * @returns Keys and their expiry times.
   */
  sampleExpiring(count: number, random: () => number): { key: Uint8Array; expiresAt: number }[] {
    this.#checkOpen();
    const out: { key: Uint8Array; expiresAt: number }[] = [];
    const loc = this.#loc;
    for (let i = 0; i < count; i++) {
      const k = this.#expiring.sample(random);
      if (k === undefined) break;
      if (this.#keydir.lookup(k, loc)) {
        out.push({ key: binaryToBytes(k), expiresAt: loc.expiresAt });
      }
    }
    return out;
  }

  /**
   * Picks a random key that has not expired.
   *
   * @param random Source of numbers in [0, 1).
   * @param options `now` to skip expired keys.
   * @returns A key, or undefined when there is none (or only expired ones were found).
   */
  randomKey(random: () => number, options?: ReadOptions): Uint8Array | undefined {
    this.#checkOpen();
    const loc = this.#loc;
    for (let i = 0; i < 100; i++) {
      const k = this.#keydir.randomKey(random);
      if (k === undefined) return undefined;
      if (this.#keydir.lookup(k, loc) && !isExpired(loc.expiresAt, options?.now)) {
        return binaryToBytes(k);
      }
    }
    return undefined;
  }

  /** Number of keys that have an expiry. */
  get expiringCount(): number {
    return this.#expiring.size;
  }

  /**
   * Walks keys in byte order. Keys written after the walk began are not
   * seen; keys deleted meanwhile are skipped; values are read when reached.
   * Use {@linkcode snapshot} for a point-in-time walk.
   *
   * @param options Start, direction, prefix, limit, expiry.
   * @returns A generator of entries.
   */
  scan(options: ScanOptions = {}): Generator<ScanEntry> {
    this.#checkOpen();
    const dir = this.#keydir;
    const src: KeySource = {
      lookup: (k, out) => dir.lookup(k, out),
      cursor: (o) => dir.keys(o),
    };
    return scanSource(src, options, (k, l) => this.#readValue(k, l), () => this.#checkOpen());
  }

  /**
   * Opens a point-in-time, read-only view that keeps seeing the store as it
   * is now while writes and merges go on. Close it when done.
   *
   * @returns The snapshot.
   */
  snapshot(): BitcaskSnapshot {
    this.#checkOpen();
    const view = this.#keydir.view();
    this.#views.add(view);
    const token = {};
    const snap = new BitcaskSnapshot(view, this.#lastIndex, {
      read: (k, l) => this.#readValue(k, l),
      checkOpen: () => this.#checkOpen(),
      release: () => {
        this.#finalizer.unregister(token);
        this.#closeView(view);
      },
    });
    this.#finalizer.register(snap, view, token);
    return snap;
  }

  /**
   * Flushes every write made so far to disk. Concurrent calls share fsyncs.
   *
   * @returns Resolves once the writes are durable.
   */
  sync(): Promise<void> {
    try {
      this.#checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#syncQueued !== null) return this.#syncQueued;
    if (this.#syncRunning !== null) {
      this.#syncQueued = this.#syncRunning.catch(() => {}).then(() => {
        this.#syncQueued = null;
        return this.#startSync();
      });
      return this.#syncQueued;
    }
    return this.#startSync();
  }

  /**
   * Merges the immutable data files now (or joins the running merge),
   * dropping dead records and reclaiming their space.
   *
   * @returns What was merged.
   */
  merge(): Promise<MergeResult> {
    try {
      this.#checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#merge !== null) return this.#merge;
    const p = runMerge(this.#mergeHost(), { stepMs: this.#opts.mergeStepMs })
      .then((r) => {
        this.#merges++;
        this.#opts.logger(
          "info",
          `merged ${r.inputs} files (${r.bytesBefore} bytes) into ${r.outputs} (${r.bytesAfter} bytes) in ${
            r.ms.toFixed(0)
          } ms`,
        );
        return r;
      })
      .finally(() => {
        this.#merge = null;
      });
    this.#merge = p;
    return p;
  }

  /**
   * Returns sizes and counters.
   *
   * @returns The stats.
   */
  stats(): StoreStats {
    const files = [...this.#files.values()].sort(byRank);
    let live = 0;
    let total = 0;
    for (const f of files) {
      live += f.liveBytes;
      total += f.size;
    }
    return {
      keys: this.#keydir.size,
      files: files.length,
      liveBytes: live,
      deadBytes: total - live - FILE_HEADER_SIZE * files.length,
      totalBytes: total,
      lastIndex: this.#lastIndex,
      merging: this.#merge !== null,
      merges: this.#merges,
      truncatedBytes: this.#truncatedBytes,
      hintsRebuilt: this.#hintsRebuilt,
      snapshots: this.#views.size,
      cacheHits: this.#cache.hits,
      cacheMisses: this.#cache.misses,
      cacheBytes: this.#cache.bytes,
      dataFiles: files.map((f) => ({
        id: f.id,
        rank: f.rank,
        size: f.size,
        liveBytes: f.liveBytes,
        deadBytes: f.deadBytes,
        hint: f.hasHint,
        merged: (f.flags & FLAG_MERGED) !== 0,
        retired: f.retired,
        active: f === this.#active,
      })),
    };
  }

  /**
   * Stops background work, flushes the active file and releases the lock.
   * Further calls fail with {@linkcode StoreClosedError}.
   *
   * @returns Resolves once closed.
   */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      try {
        if (this.#merge !== null) await this.#merge.catch(() => {});
        this.#hints.close();
        await Promise.allSettled([...this.#hintJobs]);
        await this.#syncRunning?.catch(() => {});
        await this.#syncQueued?.catch(() => {});
        if (this.#writer.failure === null) this.#writer.flush();
        fs.fdatasyncSync(this.#active.fd);
      } finally {
        for (const f of this.#files.values()) f.close();
        this.#files.clear();
        this.#lock.unlockSync();
        this.#lock.close();
      }
    })();
    return this.#closed;
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkOpen(): void {
    if (this.#closing) throw new StoreClosedError();
    const failure = this.#writer.failure;
    if (failure !== null) throw failure;
  }

  #pending(
    kind: "put" | "delete",
    key: Uint8Array,
    value: Uint8Array,
    expiresAt = 0,
  ): PendingRecord {
    if (!(key instanceof Uint8Array)) throw new TypeError("Cannot write: key must be a Uint8Array");
    if (!(value instanceof Uint8Array)) {
      throw new TypeError("Cannot write: value must be a Uint8Array");
    }
    if (kind === "put" && key.length > this.#opts.maxKeySize) {
      throw new KeyTooLargeError(key.length, this.#opts.maxKeySize);
    }
    if (value.length > this.#opts.maxValueSize) {
      throw new ValueTooLargeError(value.length, this.#opts.maxValueSize);
    }
    if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
      throw new RangeError(
        `Cannot write: expiresAt must be a non-negative integer, got ${expiresAt}`,
      );
    }
    const type = kind === "delete" ? TYPE_DELETE : expiresAt > 0 ? TYPE_PUT_EXPIRING : TYPE_PUT;
    return { type, key, value, expiresAt, size: recordSize(key.length, value.length) };
  }

  /** Appends records as one batch (rotating first if they do not fit); returns the first offset. */
  #append(recs: PendingRecord[], index: number): number {
    let total = 0;
    for (const r of recs) total += r.size;
    const size = this.#active.size;
    if (size > FILE_HEADER_SIZE && size + total > this.#opts.maxFileSize) this.#rotate();
    return this.#writer.append(recs, index);
  }

  #applyPut(k: string, off: number, size: number, expiresAt: number): void {
    const prev = this.#prev;
    const file = this.#active;
    if (this.#keydir.set(k, file.id, off, size, expiresAt, prev)) {
      (this.#files.get(prev.fileId) as DataFile).liveBytes -= prev.size;
      if (prev.expiresAt !== 0 && expiresAt === 0) this.#expiring.remove(k);
    }
    if (expiresAt !== 0) this.#expiring.add(k);
    file.liveBytes += size;
  }

  #applyDelete(k: string): void {
    const prev = this.#prev;
    if (this.#keydir.delete(k, prev)) {
      (this.#files.get(prev.fileId) as DataFile).liveBytes -= prev.size;
      if (prev.expiresAt !== 0) this.#expiring.remove(k);
    }
  }

  #afterWrite(index: number): void {
    if (index > this.#lastIndex) this.#lastIndex = index;
    if (++this.#writesSinceCheck >= MERGE_CHECK_EVERY) {
      this.#writesSinceCheck = 0;
      this.#maybeMerge();
    }
  }

  #readValue(k: string, loc: Location): Uint8Array {
    return this.#reader.read(k, loc);
  }

  #rotate(flags = 0): void {
    const old = this.#active;
    this.#writer.flush();
    fs.fdatasyncSync(old.fd); // an older file must be complete before a newer one exists
    const id = this.#nextId++;
    const file = DataFile.create(`${this.#dir}/${dataFileName(id)}`, {
      id,
      rank: id,
      flags,
      baseIndex: this.#lastIndex,
    });
    fsyncDirSync(this.#dir);
    this.#files.set(id, file);
    this.#active = file;
    this.#writer.switchTo(file);
    this.#scheduleHint(old);
  }

  #scheduleHint(file: DataFile): void {
    const job = this.#hints.build(this.#dir, file.id).then((r) => {
      if (!this.#files.has(file.id)) {
        fs.rmSync(`${this.#dir}/${hintFileName(file.id)}`, { force: true });
      } else if (r.error === null) {
        file.hasHint = true;
      } else if (!this.#closing) {
        this.#opts.logger("warn", `cannot build hint for ${dataFileName(file.id)}: ${r.error}`);
      }
    });
    this.#hintJobs.add(job);
    job.finally(() => this.#hintJobs.delete(job));
  }

  #maybeMerge(): void {
    const o = this.#opts;
    if (!o.autoMerge || this.#merge !== null || this.#closing) return;
    let total = 0;
    let dead = 0;
    for (const f of this.#files.values()) {
      if (f.retired) continue;
      total += f.size;
      dead += f.deadBytes;
    }
    if (dead < o.mergeMinDeadBytes || dead < o.mergeDeadRatio * total || dead === 0) return;
    this.merge().catch((e) => {
      if (!this.#closing) o.logger("error", `merge failed: ${(e as Error).message}`);
    });
  }

  #mergeHost(): MergeHost {
    // deno-lint-ignore no-this-alias
    const store = this;
    return {
      dir: this.#dir,
      maxFileSize: this.#opts.maxFileSize,
      get keydir() {
        return store.#keydir;
      },
      get epoch() {
        return store.#epoch;
      },
      files: this.#files,
      get active() {
        return store.#active;
      },
      get lastIndex() {
        return store.#lastIndex;
      },
      get closing() {
        return store.#closing;
      },
      log: this.#opts.logger,
      rotate: () => this.#rotate(),
      allocId: () => this.#nextId++,
      retire: (files) => this.#retire(files),
    };
  }

  #retire(all: DataFile[]): void {
    const files = all.filter((f) => !f.retired);
    for (const f of files) f.retired = true;
    this.#retiring.push({ files, views: new Set(this.#views) });
    this.#reap();
  }

  /** Deletes retired files that no open snapshot can still read. */
  #reap(): void {
    for (let i = 0; i < this.#retiring.length;) {
      const r = this.#retiring[i];
      for (const v of r.views) if (v.closed) r.views.delete(v);
      if (r.views.size > 0) {
        i++;
        continue;
      }
      this.#retiring.splice(i, 1);
      for (const f of r.files.sort(byRank)) {
        try {
          fs.rmSync(`${this.#dir}/${hintFileName(f.id)}`, { force: true });
          fs.rmSync(f.path, { force: true });
        } catch (e) {
          this.#opts.logger("error", `cannot delete ${f.path}: ${(e as Error).message}`);
        }
        f.close();
        this.#files.delete(f.id);
      }
    }
  }

  #closeView(view: KeyDirView): void {
    view.close();
    this.#views.delete(view);
    if (!this.#closing) this.#reap();
  }

  #startSync(): Promise<void> {
    try {
      this.#writer.flush();
    } catch (e) {
      return Promise.reject(e);
    }
    const p = fdatasync(this.#active.fd).finally(() => {
      if (this.#syncRunning === p) this.#syncRunning = null;
    });
    this.#syncRunning = p;
    return p;
  }
}

function checkIndex(index = 0): number {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`Cannot write: index must be a non-negative integer, got ${index}`);
  }
  return index;
}
