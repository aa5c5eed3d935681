/**
 * `Wal`: the segmented write-ahead log that holds Raft log entries (see
 * `mod.ts` for an example, `wal_format.ts` for the file format).
 *
 * Appends are synchronous, one `pwrite` per call (two or more only when the
 * call crosses into a new segment); durability comes from `sync()`, an
 * asynchronous `fdatasync` that runs off the main thread and that callers
 * arriving while one runs share (group commit). Reads are one positioned
 * read per segment touched, through an in-memory offset table, and the
 * newest entries are served from memory.
 *
 * @module
 */

import fs from "node:fs";
import { pwriteFully } from "../bitcask/data_file.ts";
import { fdatasync, fsyncDirSync } from "../bitcask/fs_util.ts";
import { WalCache } from "./wal_cache.ts";
import type { WalEntry } from "./wal_entry.ts";
import { WalClosedError, WalLockedError } from "./wal_errors.ts";
import { encodeRecord, MAX_DATA_LENGTH, RECORD_HEADER_SIZE } from "./wal_format.ts";
import { GroupCommit } from "./wal_group_commit.ts";
import { writeMeta } from "./wal_meta.ts";
import { type ResolvedWalOptions, resolveWalOptions, type WalOptions } from "./wal_options.ts";
import { recoverWal } from "./wal_recover.ts";
import { WalSegment } from "./wal_segment.ts";
import type { WalTerms } from "./wal_terms.ts";

/** Figures returned by {@linkcode Wal.stats}. */
export interface WalStats {
  /** Segment files. */
  segments: number;
  /** Bytes in all segment files, headers included. */
  bytes: number;
  /** First index held (`lastIndex + 1` when empty). */
  firstIndex: number;
  /** Last index (at least the compaction index). */
  lastIndex: number;
  /** Compaction point: index of the last dropped entry (0 if none). */
  compactedIndex: number;
  /** Entries served from memory by `entries()`. */
  cachedEntries: number;
  /** Bytes of a torn tail cut when the log was opened. */
  truncatedBytes: number;
}

/** Name of the lock file inside the log directory. */
export const LOCK_FILE_NAME = "wal.lock";

/** A segmented, CRC-checked, crash-safe log of Raft entries in one directory. */
export class Wal {
  readonly #dir: string;
  readonly #opts: ResolvedWalOptions;
  readonly #lock: Deno.FsFile;
  #segments: WalSegment[];
  #snapIndex: number;
  #snapTerm: number;
  #lastIndex: number;
  readonly #terms: WalTerms;
  readonly #cache: WalCache;
  readonly #truncatedBytes: number;
  #failure: Error | null = null;
  #closing = false;
  #closed: Promise<void> | null = null;
  /** Bumped by every change to the files; `sync()` makes a generation durable. */
  #gen = 0;
  readonly #commit = new GroupCommit(
    () => this.#gen,
    () => this.#flush(),
    () => {
      if (this.#failure !== null) throw this.#failure;
    },
  );

  private constructor(dir: string, opts: ResolvedWalOptions, lock: Deno.FsFile) {
    this.#dir = dir;
    this.#opts = opts;
    this.#lock = lock;
    const r = recoverWal(dir, opts.logger);
    this.#segments = r.segments;
    this.#snapIndex = r.meta.index;
    this.#snapTerm = r.meta.term;
    this.#lastIndex = r.lastIndex;
    this.#terms = r.terms;
    this.#truncatedBytes = r.truncatedBytes;
    this.#cache = new WalCache(opts.cacheSize, r.lastIndex + 1);
  }

  /**
   * Opens (creating it if needed) the log in `dir` and takes its lock.
   * Recovery cuts a torn tail of the newest segment (logging a warning) and
   * removes leftovers; any other damage is an error.
   *
   * @param dir The log directory.
   * @param options Segment size, cache size, logger.
   * @returns The open log.
   * @throws {WalCorruptError} On a bad header, a gap between segments, or a bad record
   *   anywhere but a torn tail.
   * @throws {WalLockedError} If another process or handle has the directory open.
   * @throws {RangeError} On a bad option.
   */
  static open(dir: string, options: WalOptions = {}): Promise<Wal> {
    try {
      const opts = resolveWalOptions(options);
      fs.mkdirSync(dir, { recursive: true });
      const lock = Deno.openSync(`${dir}/${LOCK_FILE_NAME}`, {
        read: true,
        write: true,
        create: true,
      });
      if (!lock.tryLockSync(true)) {
        lock.close();
        throw new WalLockedError(dir);
      }
      try {
        return Promise.resolve(new Wal(dir, opts, lock));
      } catch (e) {
        lock.close();
        throw e;
      }
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The log directory. */
  get dir(): string {
    return this.#dir;
  }

  /** First index held; `lastIndex + 1` when the log is empty. */
  get firstIndex(): number {
    return this.#snapIndex + 1;
  }

  /** Last index: 0 if nothing was ever written; never below the compaction index. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /**
   * Term of an entry the log holds, or of the compaction point.
   *
   * @param index `firstIndex - 1 <= index <= lastIndex` (term(0) is 0 before any compaction).
   * @returns The term, or undefined for an index outside that range.
   * @throws {WalClosedError} After `close()`.
   * @throws The error that poisoned the log, after a failed write.
   */
  term(index: number): number | undefined {
    this.#checkUsable();
    if (index === this.#snapIndex) return this.#snapTerm;
    if (!Number.isInteger(index) || index < this.#snapIndex || index > this.#lastIndex) {
      return undefined;
    }
    return this.#terms.get(index);
  }

  /**
   * Appends entries after the last one, synchronously: one write system call
   * per call, more only when the batch crosses into a new segment. The
   * entries are durable once a later {@linkcode sync} resolves.
   *
   * @param entries Entries with contiguous indexes starting at `lastIndex + 1` and terms
   *   that never decrease (nor fall below the term of the last entry). Their data is
   *   copied; an empty array does nothing.
   * @throws {RangeError} On a wrong index, a decreasing term, or data too long; nothing
   *   is written.
   * @throws {TypeError} On an entry that is not `{index, term, data: Uint8Array}`.
   * @throws {WalClosedError} After `close()`.
   * @throws The write error, now and on every later call, if writing failed.
   */
  append(entries: WalEntry[]): void {
    this.#checkUsable();
    const n = entries.length;
    if (n === 0) return;
    let prevTerm = this.#lastTerm();
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      if (e === null || typeof e !== "object" || !(e.data instanceof Uint8Array)) {
        throw new TypeError(`Cannot append entry: item ${i} is not {index, term, data}`);
      }
      const want = this.#lastIndex + 1 + i;
      if (e.index !== want) {
        throw new RangeError(`Cannot append entry: index must be ${want}, got ${e.index}`);
      }
      if (!Number.isSafeInteger(e.term) || e.term < prevTerm) {
        throw new RangeError(
          `Cannot append entry ${e.index}: term must be an integer of at least ${prevTerm}, got ${e.term}`,
        );
      }
      if (e.data.length > MAX_DATA_LENGTH) {
        throw new RangeError(
          `Cannot append entry ${e.index}: data of ${e.data.length} bytes exceeds ${MAX_DATA_LENGTH}`,
        );
      }
      prevTerm = e.term;
    }
    this.#gen++;
    const limit = this.#opts.segmentSize;
    let i = 0;
    while (i < n) {
      let seg = this.#segments[this.#segments.length - 1];
      const firstSize = RECORD_HEADER_SIZE + entries[i].data.length;
      if (seg === undefined || (seg.count > 0 && seg.size + firstSize > limit)) {
        seg = this.#rotate();
      }
      // Take entries while they fit (at least one: a big record gets a segment of its own).
      let j = i + 1;
      let bytes = firstSize;
      while (j < n) {
        const size = RECORD_HEADER_SIZE + entries[j].data.length;
        if (seg.size + bytes + size > limit) break;
        bytes += size;
        j++;
      }
      this.#writeRecords(seg, entries, i, j, bytes);
      i = j;
    }
  }

  /**
   * Makes everything appended so far durable (`fdatasync` of the newest
   * segment, off the main thread; older segments were flushed when they were
   * rotated). Callers arriving while an fsync runs share the next one.
   *
   * @returns Resolves once durable.
   * @throws {WalClosedError} After `close()` (as a rejection).
   * @throws The fsync error (as a rejection); it poisons the log.
   */
  sync(): Promise<void> {
    try {
      this.#checkUsable();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#commit.sync();
  }

  /**
   * Reads entries `lo <= index < hi`: the first one always, then as many as
   * fit in `maxBytes` (each counted as its data length plus 24). One
   * positioned read per segment touched; recent entries come from memory.
   * The returned entries and their data must be treated as read-only.
   *
   * @param lo First index, at least `firstIndex`.
   * @param hi One past the last index, at most `lastIndex + 1`.
   * @param maxBytes Byte budget after the first entry.
   * @returns The entries, in order (empty only when `lo === hi`).
   * @throws {RangeError} If `lo < firstIndex`, `hi > lastIndex + 1` or `lo > hi`.
   * @throws {WalCorruptError} If a record read from disk fails its checksum.
   * @throws {WalClosedError} After `close()`.
   */
  entries(lo: number, hi: number, maxBytes = Infinity): WalEntry[] {
    this.#checkUsable();
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) {
      throw new RangeError(`Cannot read entries: bad range [${lo}, ${hi})`);
    }
    if (typeof maxBytes !== "number" || Number.isNaN(maxBytes)) {
      throw new RangeError(`Cannot read entries: maxBytes must be a number, got ${maxBytes}`);
    }
    if (lo < this.firstIndex) {
      throw new RangeError(
        `Cannot read entries: index ${lo} is compacted, the first index is ${this.firstIndex}`,
      );
    }
    if (hi > this.#lastIndex + 1) {
      throw new RangeError(
        `Cannot read entries: range end ${hi} is past the last index ${this.#lastIndex}`,
      );
    }
    const out: WalEntry[] = [];
    let budget = maxBytes;
    let i = lo;
    const cache = this.#cache;
    while (i < hi) {
      if (i >= cache.first) {
        for (; i < hi; i++) {
          const e = cache.get(i);
          const size = RECORD_HEADER_SIZE + e.data.length;
          if (out.length > 0 && size > budget) return out;
          budget -= size;
          out.push(e);
        }
        return out;
      }
      const seg = this.#segmentOf(i);
      const end = Math.min(hi, seg.lastIndex + 1, cache.first);
      // Choose the records first (sizes come from the offset table), then read them at once.
      let j = i;
      let stop = false;
      while (j < end) {
        const size = seg.offsetOf(j + 1) - seg.offsetOf(j);
        if ((out.length > 0 || j > i) && size > budget) {
          stop = true;
          break;
        }
        budget -= size;
        j++;
      }
      if (j > i) seg.read(i, j, out);
      if (stop) return out;
      i = j;
    }
    return out;
  }

  /**
   * Drops the entries at `index` and after (a Raft log conflict): later
   * segments are deleted (newest first), the one holding `index` is cut
   * there and flushed, and the directory is flushed.
   *
   * @param index `firstIndex <= index <= lastIndex + 1` (the latter does nothing).
   * @throws {RangeError} For an index outside that range.
   * @throws {WalClosedError} After `close()`.
   * @throws The I/O error, now and on every later call, if it failed.
   */
  truncateFrom(index: number): void {
    this.#checkUsable();
    if (!Number.isInteger(index) || index < this.firstIndex || index > this.#lastIndex + 1) {
      throw new RangeError(
        `Cannot truncate log: index must be in [${this.firstIndex}, ${
          this.#lastIndex + 1
        }], got ${index}`,
      );
    }
    if (index === this.#lastIndex + 1) return;
    this.#gen++;
    this.#guard(() => {
      const segs = this.#segments;
      let removed = false;
      while (segs[segs.length - 1].firstIndex > index) {
        const s = segs.pop() as WalSegment;
        fs.rmSync(s.path);
        s.close();
        removed = true;
      }
      const seg = segs[segs.length - 1];
      this.#lastIndex = index - 1;
      this.#terms.truncateFrom(index);
      this.#cache.truncateFrom(index);
      fs.ftruncateSync(seg.fd, seg.truncateFrom(index));
      fs.fdatasyncSync(seg.fd);
      if (removed) fsyncDirSync(this.#dir);
    });
  }

  /**
   * Drops the entries up to `upTo` (after a snapshot that covers them): the
   * compaction point (`upTo` and its term) is written durably to `wal.meta`,
   * then whole segments ending at or before it are deleted. Entries after it
   * stay readable. `upTo` may be past `lastIndex` when a snapshot from the
   * leader replaces the whole log; `term` is then required and the next
   * append must be `upTo + 1`. Compacting at or below the current compaction
   * point does nothing.
   *
   * @param upTo Last index to drop.
   * @param term Term of `upTo`: optional when the log holds `upTo` (it must then match).
   * @throws {RangeError} On a bad index, a missing term, or a term that disagrees with the log.
   * @throws {WalClosedError} After `close()`.
   * @throws The I/O error, now and on every later call, if it failed.
   */
  compact(upTo: number, term?: number): void {
    this.#checkUsable();
    if (!Number.isSafeInteger(upTo) || upTo < 0) {
      throw new RangeError(`Cannot compact log: index must be a non-negative integer, got ${upTo}`);
    }
    if (term !== undefined && (!Number.isSafeInteger(term) || term < 0)) {
      throw new RangeError(`Cannot compact log: term must be a non-negative integer, got ${term}`);
    }
    if (upTo <= this.#snapIndex) return;
    let t: number;
    if (upTo <= this.#lastIndex) {
      t = this.#terms.get(upTo);
      if (term !== undefined && term !== t) {
        throw new RangeError(
          `Cannot compact log: entry ${upTo} has term ${t}, not ${term}; truncate it first`,
        );
      }
    } else {
      if (term === undefined) {
        throw new RangeError(
          `Cannot compact log: index ${upTo} is past the last index ${this.#lastIndex}, a term is needed`,
        );
      }
      t = term;
    }
    this.#gen++;
    this.#guard(() => {
      writeMeta(this.#dir, { index: upTo, term: t });
      this.#snapIndex = upTo;
      this.#snapTerm = t;
      if (upTo >= this.#lastIndex) {
        this.#lastIndex = upTo;
        this.#terms.clear();
      } else {
        this.#terms.dropBefore(upTo + 1);
      }
      this.#cache.dropThrough(upTo);
      let removed = false;
      const segs = this.#segments;
      while (segs.length > 0 && segs[0].firstIndex <= upTo && segs[0].lastIndex <= upTo) {
        const s = segs.shift() as WalSegment;
        fs.rmSync(s.path);
        s.close();
        removed = true;
      }
      if (removed) fsyncDirSync(this.#dir);
    });
  }

  /**
   * Flushes what was appended (unless the log is poisoned), closes the files
   * and releases the lock. Later calls fail with {@linkcode WalClosedError}.
   *
   * @returns Resolves once closed.
   */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      try {
        await this.#commit.settled();
        const seg = this.#segments[this.#segments.length - 1];
        if (this.#failure === null && seg !== undefined && this.#commit.synced < this.#gen) {
          fs.fdatasyncSync(seg.fd);
        }
      } finally {
        for (const s of this.#segments) s.close();
        this.#segments = [];
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

  /**
   * Figures about the log.
   *
   * @returns Segment count, bytes, index range, compaction point, cache use.
   */
  stats(): WalStats {
    let bytes = 0;
    for (const s of this.#segments) bytes += s.size;
    return {
      segments: this.#segments.length,
      bytes,
      firstIndex: this.firstIndex,
      lastIndex: this.#lastIndex,
      compactedIndex: this.#snapIndex,
      cachedEntries: this.#cache.count,
      truncatedBytes: this.#truncatedBytes,
    };
  }

  #lastTerm(): number {
    return this.#lastIndex === this.#snapIndex ? this.#snapTerm : this.#terms.lastTerm;
  }

  #checkUsable(): void {
    if (this.#closing) throw new WalClosedError();
    if (this.#failure !== null) throw this.#failure;
  }

  /** Runs file operations; a failure poisons the log. */
  #guard(op: () => void): void {
    try {
      op();
    } catch (e) {
      this.#failure = e as Error;
      throw e;
    }
  }

  /** Flushes the newest segment and starts a new one for index `lastIndex + 1`. */
  #rotate(): WalSegment {
    let seg: WalSegment | undefined;
    this.#guard(() => {
      const prev = this.#segments[this.#segments.length - 1];
      if (prev !== undefined) fs.fdatasyncSync(prev.fd);
      seg = WalSegment.create(this.#dir, this.#lastIndex + 1);
      this.#segments.push(seg);
      fsyncDirSync(this.#dir);
    });
    return seg as WalSegment;
  }

  #writeRecords(
    seg: WalSegment,
    entries: WalEntry[],
    from: number,
    to: number,
    bytes: number,
  ): void {
    const buf = new Uint8Array(bytes);
    let off = 0;
    for (let k = from; k < to; k++) {
      const e = entries[k];
      off += encodeRecord(buf, off, e.index, e.term, e.data);
    }
    const base = seg.size;
    try {
      pwriteFully(seg.fd, buf, base);
    } catch (e) {
      this.#failure = e as Error;
      try {
        fs.ftruncateSync(seg.fd, base); // no partial record for a later one to follow
      } catch { /* the torn tail is cut at the next open */ }
      throw e;
    }
    off = 0;
    for (let k = from; k < to; k++) {
      const e = entries[k];
      const size = RECORD_HEADER_SIZE + e.data.length;
      seg.push(base + off, base + off + size);
      this.#terms.push(e.index, e.term);
      this.#cache.push({
        index: e.index,
        term: e.term,
        data: buf.subarray(off + RECORD_HEADER_SIZE, off + size),
      });
      off += size;
    }
    this.#lastIndex = entries[to - 1].index;
  }

  /** The segment holding `index` (which the log holds). */
  #segmentOf(index: number): WalSegment {
    const segs = this.#segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segs[mid].firstIndex <= index) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo];
  }

  /** Flushes the newest segment (older ones were flushed when rotated). */
  async #flush(): Promise<void> {
    const seg = this.#segments[this.#segments.length - 1];
    if (seg === undefined) return;
    seg.pin();
    try {
      await fdatasync(seg.fd);
    } catch (e) {
      // A segment deleted meanwhile (truncated or compacted away) needs no flush.
      if (!seg.closed) {
        this.#failure ??= e as Error;
        throw e;
      }
    } finally {
      seg.unpin();
    }
  }
}
