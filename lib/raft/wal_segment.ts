/**
 * One segment file of the log: its descriptor, size and an in-memory table
 * of record offsets, so that any entry range is one positioned read.
 *
 * @module
 */

import fs from "node:fs";
import { preadFully, pwriteFully } from "../bitcask/data_file.ts";
import type { WalEntry } from "./wal_entry.ts";
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  RECORD_HEADER_SIZE,
  recordCrcMatches,
  recordDataLength,
  recordIndex,
  recordTerm,
  SEGMENT_HEADER_SIZE,
  segmentFileName,
} from "./wal_format.ts";
import { WalCorruptError } from "./wal_errors.ts";

/** An open segment. Records hold indexes `firstIndex .. firstIndex + count - 1`. */
export class WalSegment {
  /** Path of the file. */
  readonly path: string;
  /** Index of the first record (also in the file name and header). */
  readonly firstIndex: number;
  /** Open descriptor (read and write). */
  readonly fd: number;
  /** Bytes in the file, header included. */
  size: number;
  #offsets = new Float64Array(256);
  #count = 0;
  #pins = 0;
  #closeWanted = false;
  #closed = false;

  /**
   * Wraps an open file; use {@linkcode WalSegment.create} or {@linkcode WalSegment.open}.
   *
   * @param path Path.
   * @param fd Descriptor.
   * @param firstIndex Index of the first record.
   * @param size File size.
   */
  constructor(path: string, fd: number, firstIndex: number, size: number) {
    this.path = path;
    this.fd = fd;
    this.firstIndex = firstIndex;
    this.size = size;
  }

  /**
   * Creates a segment holding only its header, flushed to disk (the caller
   * fsyncs the directory).
   *
   * @param dir Log directory.
   * @param firstIndex Index of the first record it will hold.
   * @returns The open segment.
   */
  static create(dir: string, firstIndex: number): WalSegment {
    const path = `${dir}/${segmentFileName(firstIndex)}`;
    const fd = fs.openSync(path, "wx+");
    try {
      pwriteFully(fd, encodeSegmentHeader(firstIndex), 0);
      fs.fdatasyncSync(fd);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(path, { force: true });
      throw e;
    }
    return new WalSegment(path, fd, firstIndex, SEGMENT_HEADER_SIZE);
  }

  /**
   * Opens an existing segment and checks its header.
   *
   * @param path The file.
   * @param nameIndex First index its name gives.
   * @returns The open segment (no records known yet).
   * @throws {WalCorruptError} If the header is short, bad, or disagrees with the name.
   */
  static open(path: string, nameIndex: number): WalSegment {
    const fd = fs.openSync(path, "r+");
    try {
      const size = fs.fstatSync(fd).size;
      const b = new Uint8Array(SEGMENT_HEADER_SIZE);
      const n = preadFully(fd, b, 0, SEGMENT_HEADER_SIZE, 0);
      const first = decodeSegmentHeader(b.subarray(0, n), path);
      if (first !== nameIndex) {
        throw new WalCorruptError(path, 0, `header names first index ${first}`);
      }
      return new WalSegment(path, fd, first, size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Number of records. */
  get count(): number {
    return this.#count;
  }

  /** Index of the last record (`firstIndex - 1` when empty). */
  get lastIndex(): number {
    return this.firstIndex + this.#count - 1;
  }

  /**
   * File offset of a record.
   *
   * @param index Index in `[firstIndex, lastIndex + 1]` (the last gives the end of the records).
   * @returns Its offset.
   */
  offsetOf(index: number): number {
    const i = index - this.firstIndex;
    return i === this.#count ? this.size : this.#offsets[i];
  }

  /**
   * Registers the next record.
   *
   * @param offset Its offset; the segment size becomes its end.
   * @param end Offset just past it.
   */
  push(offset: number, end: number): void {
    if (this.#count === this.#offsets.length) {
      const grown = new Float64Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#offsets[this.#count++] = offset;
    this.size = end;
  }

  /**
   * Forgets the records at `index` and after (in memory; the caller cuts the file).
   *
   * @param index First index to forget, in `[firstIndex, lastIndex + 1]`.
   * @returns The new size: the offset where the file must be cut.
   */
  truncateFrom(index: number): number {
    this.size = this.offsetOf(index);
    this.#count = index - this.firstIndex;
    return this.size;
  }

  /**
   * Reads records `lo .. hi - 1` with one positioned read, checking each.
   *
   * @param lo First index (held by this segment).
   * @param hi One past the last index, at most `lastIndex + 1`.
   * @param out Receives the entries (their data are views of one buffer).
   * @throws {WalCorruptError} If a record changed on disk since it was checked.
   */
  read(lo: number, hi: number, out: WalEntry[]): void {
    const start = this.offsetOf(lo);
    const len = this.offsetOf(hi) - start;
    const buf = new Uint8Array(len);
    const n = preadFully(this.fd, buf, 0, len, start);
    if (n < len) throw new WalCorruptError(this.path, start + n, "segment shorter than expected");
    let off = 0;
    for (let i = lo; i < hi; i++) {
      const size = this.offsetOf(i + 1) - this.offsetOf(i);
      if (
        RECORD_HEADER_SIZE + recordDataLength(buf, off) !== size ||
        !recordCrcMatches(buf, off, size) || recordIndex(buf, off) !== i
      ) {
        throw new WalCorruptError(this.path, start + off, `record ${i} changed on disk`);
      }
      out.push({
        index: i,
        term: recordTerm(buf, off),
        data: buf.subarray(off + RECORD_HEADER_SIZE, off + size),
      });
      off += size;
    }
  }

  /** Keeps the descriptor open across an asynchronous fsync, even if `close()` is called. */
  pin(): void {
    this.#pins++;
  }

  /** Ends a {@linkcode pin}; closes the descriptor if `close()` was called meanwhile. */
  unpin(): void {
    this.#pins--;
    if (this.#pins === 0 && this.#closeWanted) this.#doClose();
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closeWanted;
  }

  /** Closes the descriptor (once no fsync uses it). */
  close(): void {
    this.#closeWanted = true;
    if (this.#pins === 0) this.#doClose();
  }

  #doClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      fs.closeSync(this.fd);
    } catch { /* already unusable: nothing to release */ }
  }
}
