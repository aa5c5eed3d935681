/**
 * Sequential, CRC-checked reading of the records in a data file, through a
 * read window so that small records cost no syscall each.
 *
 * @module
 */

import { FILE_HEADER_SIZE, preadFully } from "./data_file.ts";
import {
  decodeRecordHeader,
  FLAG_MORE,
  newRecordHeader,
  RECORD_HEADER_SIZE,
  recordCrcMatches,
  type RecordHeader,
  TYPE_DELETE,
  TYPE_PUT,
  TYPE_PUT_EXPIRING,
} from "./record.ts";

const WINDOW = 1 << 20;

/** What a scanner reads: an open file and its size. */
export interface ScanSource {
  /** Descriptor to pread from. */
  fd: number;
  /** Bytes in the file. */
  size: number;
}

/**
 * Reads records one by one. After `next()` returns true the record is in
 * `buf` at `[start, start + size)`; when it returns false, `problem` is null
 * at a clean end of file, or says why the record at `offset` is unreadable.
 */
export class RecordScanner {
  /** Decoded header of the current record. */
  readonly header: RecordHeader = newRecordHeader();
  /** File offset of the current record (or of the bad one). */
  offset: number;
  /** Size of the current record. */
  size = 0;
  /** Buffer holding the current record. */
  buf: Uint8Array = new Uint8Array(WINDOW);
  /** Start of the current record in `buf`. */
  start = 0;
  /** Why scanning stopped early, or null. */
  problem: string | null = null;

  #src: ScanSource;
  #bufPos = 0;
  #bufLen = 0;
  #next: number;

  /**
   * Starts a scan.
   *
   * @param src The file.
   * @param from Offset of the first record.
   */
  constructor(src: ScanSource, from = FILE_HEADER_SIZE) {
    this.#src = src;
    this.offset = from;
    this.#next = from;
  }

  /** Offset just past the last good record. */
  get end(): number {
    return this.#next;
  }

  /**
   * Reads the next record.
   *
   * @returns True when a good record was read.
   */
  next(): boolean {
    const pos = this.#next;
    this.offset = pos;
    this.problem = null;
    const fileSize = this.#src.size;
    if (pos >= fileSize) return false;
    const problem = this.#check(pos);
    if (problem !== null) {
      this.problem = problem;
      return false;
    }
    this.#next = pos + this.size;
    return true;
  }

  /**
   * Tells whether a complete record with a good CRC starts at `pos`; used to
   * tell a torn tail (nothing good after the damage) from corruption.
   *
   * @param pos File offset.
   * @returns Whether a good record starts there.
   */
  goodRecordAt(pos: number): boolean {
    if (pos + RECORD_HEADER_SIZE > this.#src.size) return false;
    this.#ensure(pos, 1);
    const t = this.buf[pos - this.#bufPos] & ~FLAG_MORE;
    if (t !== TYPE_PUT && t !== TYPE_DELETE && t !== TYPE_PUT_EXPIRING) return false;
    return this.#check(pos) === null;
  }

  #check(pos: number): string | null {
    const fileSize = this.#src.size;
    if (fileSize - pos < RECORD_HEADER_SIZE) return "truncated record header";
    this.#ensure(pos, RECORD_HEADER_SIZE);
    const h = this.header;
    const bad = decodeRecordHeader(this.buf, pos - this.#bufPos, h);
    if (bad !== null) return bad;
    const size = RECORD_HEADER_SIZE + h.keyLength + h.valueLength;
    if (pos + size > fileSize) return "truncated record";
    this.#ensure(pos, size);
    const start = pos - this.#bufPos;
    if (!recordCrcMatches(this.buf, start, size)) return "checksum mismatch";
    this.size = size;
    this.start = start;
    return null;
  }

  #ensure(pos: number, n: number): void {
    if (pos >= this.#bufPos && pos + n <= this.#bufPos + this.#bufLen) return;
    if (n > this.buf.length) this.buf = new Uint8Array(n);
    else if (this.buf.length > WINDOW && n <= WINDOW) this.buf = new Uint8Array(WINDOW);
    const want = Math.min(this.buf.length, this.#src.size - pos);
    this.#bufLen = preadFully(this.#src.fd, this.buf, 0, want, pos);
    this.#bufPos = pos;
  }
}
