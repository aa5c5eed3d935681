/**
 * The active file's write path: records are encoded into an in-memory
 * buffer and written with one `pwrite` when the buffer fills, when the
 * current task ends (a microtask), or when someone needs them on disk
 * (`flush()`: before a sync, a rotation, a read of a buffered record, or
 * close). Many writes in one turn of the event loop cost one system call.
 *
 * A failed write poisons the writer: the keydir already points at the lost
 * records, so every later write, sync or read through the store fails with
 * the same error until the store is reopened.
 *
 * @module
 */

import fs from "node:fs";
import { crc32, writeU32 } from "./bytes.ts";
import { type DataFile, pwriteFully } from "./data_file.ts";
import { FLAG_MORE, RECORD_HEADER_SIZE, sealRecord, writeRecordHeader } from "./record.ts";

/** A record to append. */
export interface PendingRecord {
  /** Record type (without the batch flag). */
  type: number;
  /** Key bytes. */
  key: Uint8Array;
  /** Value bytes (empty for deletes). */
  value: Uint8Array;
  /** Expiry (Unix ms), 0 for none. */
  expiresAt: number;
  /** Total record size. */
  size: number;
}

const BUFFER = 256 * 1024;
/** Records bigger than this bypass the buffer. */
const DIRECT = 64 * 1024;

/** Buffered appender for the active data file. */
export class RecordWriter {
  #file: DataFile;
  #buf = new Uint8Array(BUFFER);
  #len = 0;
  /** Bytes of the file that are on disk (the rest is in the buffer). */
  #disk: number;
  #scheduled = false;
  #failure: Error | null = null;

  /**
   * Starts writing at the end of `file`.
   *
   * @param file The active data file (everything in it is on disk).
   */
  constructor(file: DataFile) {
    this.#file = file;
    this.#disk = file.size;
  }

  /** The error that poisoned the writer, if any. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** The file being written. */
  get file(): DataFile {
    return this.#file;
  }

  /**
   * Switches to a new file; the caller flushed the old one.
   *
   * @param file The new active file.
   */
  switchTo(file: DataFile): void {
    this.#file = file;
    this.#disk = file.size;
  }

  /**
   * Appends records as one atomic batch: every record but the last carries
   * the batch flag, so recovery drops a batch that did not fully land.
   *
   * @param recs The records.
   * @param index Raft index stored in each record.
   * @returns File offset of the first record.
   */
  append(recs: PendingRecord[], index: number): number {
    this.#checkHealthy();
    const file = this.#file;
    const base = file.size;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i];
      const type = i < recs.length - 1 ? r.type | FLAG_MORE : r.type;
      if (r.size > DIRECT) {
        this.flush();
        this.#guard(() => this.#writeDirect(r, type, index));
      } else {
        if (this.#len + r.size > BUFFER) this.flush();
        const buf = this.#buf;
        const o = this.#len;
        writeRecordHeader(buf, o, type, r.expiresAt, index, r.key.length, r.value.length);
        buf.set(r.key, o + RECORD_HEADER_SIZE);
        buf.set(r.value, o + RECORD_HEADER_SIZE + r.key.length);
        sealRecord(buf, o, r.size);
        this.#len = o + r.size;
      }
      file.size += r.size;
    }
    if (index > file.maxIndex) file.maxIndex = index;
    if (this.#len > 0 && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        if (this.#failure === null) {
          try {
            this.flush();
          } catch { /* the failure is kept and reported to the next caller */ }
        }
      });
    }
    return base;
  }

  /**
   * Makes sure the bytes before `end` are written to the file.
   *
   * @param end File offset.
   */
  flushTo(end: number): void {
    if (end > this.#disk) this.flush();
  }

  /** Writes the buffer to the file. */
  flush(): void {
    this.#checkHealthy();
    if (this.#len === 0) return;
    this.#guard(() => {
      pwriteFully(this.#file.fd, this.#buf.subarray(0, this.#len), this.#disk);
      this.#disk += this.#len;
      this.#len = 0;
    });
  }

  #writeDirect(r: PendingRecord, type: number, index: number): void {
    const head = new Uint8Array(RECORD_HEADER_SIZE + r.key.length);
    writeRecordHeader(head, 0, type, r.expiresAt, index, r.key.length, r.value.length);
    head.set(r.key, RECORD_HEADER_SIZE);
    writeU32(head, 0, crc32(r.value, crc32(head.subarray(4))));
    pwriteFully(this.#file.fd, head, this.#disk);
    pwriteFully(this.#file.fd, r.value, this.#disk + head.length);
    this.#disk += r.size;
  }

  #guard(write: () => void): void {
    try {
      write();
    } catch (e) {
      this.#failure = e as Error;
      try {
        fs.ftruncateSync(this.#file.fd, this.#disk); // no partial record for a later one to follow
      } catch { /* the torn tail is cut at the next open */ }
      throw e;
    }
  }

  #checkHealthy(): void {
    if (this.#failure !== null) throw this.#failure;
  }
}
