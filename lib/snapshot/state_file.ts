/**
 * Reading and writing `state.bin`: a gzip stream of the records described in
 * `record.ts`. Both directions stream through `node:zlib` in constant memory
 * and let the event loop run while they work.
 *
 * @module
 */

import zlib from "node:zlib";
import { Crc64 } from "./crc64.ts";
import { SnapshotCorruptError, SnapshotFormatError } from "./errors.ts";
import { encodeStateRecords, type SnapshotRecord } from "./record.ts";
import { type StateFormat, StateRecordParser } from "./record_parser.ts";
import { Inflater } from "./_inflater.ts";
import { waitDrain, writeAll, yieldToEventLoop } from "./_streams.ts";

/** Options for {@linkcode writeStateFile}. */
export interface WriteStateOptions {
  /**
   * gzip compression level, 0 (none) to 9 (best); -1 is zlib's default (6),
   * the same level Go's `gzip.NewWriter` uses.
   *
   * @default {-1}
   */
  level?: number;
  /**
   * Bytes of uncompressed records handed to gzip at a time.
   *
   * @default {262144}
   */
  chunkSize?: number;
  /**
   * Longest stretch of work, in ms, before the writer lets other tasks run.
   *
   * @default {10}
   */
  yieldEveryMs?: number;
}

/** What {@linkcode writeStateFile} wrote. */
export interface StateFileResult {
  /** Bytes in the file. */
  size: number;
  /** CRC-64 (Go `crc64.ECMA`) of the file bytes, base64 of the big-endian 8 bytes. */
  crc: string;
  /** Records written. */
  records: number;
}

const WRITE_CHUNK = 256 * 1024;
const READ_CHUNK = 256 * 1024;
const ZLIB_CHUNK = 64 * 1024;
const INFLATE_PIECE = 32 * 1024;

/** Bytes of state.bin written between two fdatasyncs. */
const SYNC_EVERY = 1 << 20;

/**
 * Writes records to a new `state.bin` (replacing any file at `path`), then
 * fsyncs it. The size and CRC returned are those of the bytes on disk.
 *
 * @example
 * ```ts
 * import { writeStateFile } from "./state_file.ts";
 *
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * const path = (await Deno.makeTempDir()) + "/state.bin";
 * const { size, crc } = await writeStateFile(path, [
 *   { key: bytes("a"), value: bytes("1"), expiresAt: 0 },
 *   { key: bytes("b"), value: bytes("2"), expiresAt: Date.now() + 60_000 },
 * ]);
 * ```
 *
 * @param path The file to write.
 * @param records The records, in key order; their bytes must not be
 * modified until the call has returned.
 * @param options Compression level and pacing.
 * @returns Size, CRC and record count of what was written.
 * @throws {RangeError} If a record or an option is invalid (the partial file is left behind).
 */
export async function writeStateFile(
  path: string,
  records: Iterable<SnapshotRecord> | AsyncIterable<SnapshotRecord>,
  options: WriteStateOptions = {},
): Promise<StateFileResult> {
  const { level = -1, chunkSize = WRITE_CHUNK, yieldEveryMs = 10 } = options;
  if (!Number.isInteger(level) || level < -1 || level > 9) {
    throw new RangeError(`Cannot write snapshot: level ${level} is not an integer in [-1, 9]`);
  }
  if (!(yieldEveryMs >= 0)) {
    throw new RangeError(`Cannot write snapshot: yieldEveryMs ${yieldEveryMs} is not >= 0`);
  }
  let count = 0;
  const counted = countRecords(records, () => count++);
  const chunks = encodeStateRecords(counted, { chunkSize });
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const gzip = zlib.createGzip({ level, chunkSize: ZLIB_CHUNK });
    const crc = new Crc64();
    let size = 0;
    // The consumer writes gzip output to the file; if it fails first, its
    // error is the one to report (the producer then sees a closed stream).
    let writeError: unknown;
    let aborted = false;
    const drained = (async () => {
      let unsynced = 0;
      for await (const chunk of gzip) {
        crc.update(chunk);
        size += chunk.length;
        await writeAll(file, chunk);
        // Flush as we go: one big flush at the end would queue the node's
        // log fsyncs behind it and stall its writes.
        unsynced += chunk.length;
        if (unsynced >= SYNC_EVERY) {
          unsynced = 0;
          await file.syncData();
        }
      }
    })().catch((e) => {
      if (!aborted) writeError = e;
      gzip.destroy();
    });
    try {
      let last = performance.now();
      for await (const chunk of chunks) {
        if (writeError !== undefined) throw writeError;
        if (!gzip.write(chunk)) await waitDrain(gzip);
        if (performance.now() - last >= yieldEveryMs) {
          await yieldToEventLoop();
          last = performance.now();
        }
      }
      if (writeError !== undefined) throw writeError;
      gzip.end();
    } catch (e) {
      aborted = writeError === undefined;
      gzip.destroy();
      await drained;
      throw writeError ?? e;
    }
    await drained;
    if (writeError !== undefined) throw writeError;
    await file.syncData();
    return { size, crc: crc.toBase64(), records: count };
  } finally {
    file.close();
  }
}

function countRecords(
  records: Iterable<SnapshotRecord> | AsyncIterable<SnapshotRecord>,
  tick: () => void,
): Iterable<SnapshotRecord> | AsyncIterable<SnapshotRecord> {
  if (Symbol.iterator in records) {
    return (function* () {
      for (const r of records) {
        tick();
        yield r;
      }
    })();
  }
  return (async function* () {
    for await (const r of records) {
      tick();
      yield r;
    }
  })();
}

/** Options for {@linkcode readStateFile}. */
export interface ReadStateOptions {
  /**
   * Size and CRC the file must have (from `meta.json`). They are checked as
   * the file is read; a mismatch raises {@linkcode SnapshotCorruptError} at
   * the end, after the records.
   */
  expect?: { id: string; size: number; crc: string };
  /**
   * Longest stretch of work, in ms, before the reader lets other tasks run.
   *
   * @default {10}
   */
  yieldEveryMs?: number;
}

/**
 * A streaming reader of a `state.bin`: iterate it to get the records in
 * file order. Every complete record before any damage is yielded; then a
 * {@linkcode SnapshotFormatError} says what is wrong and where. The
 * counters can be read while iterating (for progress displays).
 *
 * @example
 * ```ts ignore
 * const reader = readStateFile("data/snapshots/1-17-1795626748798/state.bin");
 * for await (const { key, value, expiresAt } of reader) console.log(key, value, expiresAt);
 * reader.format; // "bitraft1" or "legacy"
 * ```
 */
export class StateFileReader implements AsyncIterable<SnapshotRecord> {
  #path: string;
  #expect: ReadStateOptions["expect"];
  #yieldEveryMs: number;
  #parser = new StateRecordParser();
  #bytesRead = 0;
  #yielded = 0;
  #used = false;

  /**
   * Use {@linkcode readStateFile}.
   *
   * @param path The file.
   * @param options Expected size and CRC.
   */
  constructor(path: string, options: ReadStateOptions = {}) {
    this.#path = path;
    this.#expect = options.expect;
    this.#yieldEveryMs = options.yieldEveryMs ?? 10;
  }

  /** The layout, once known. */
  get format(): StateFormat | null {
    return this.#parser.format;
  }

  /** Records handed out so far (counted a batch at a time). */
  get records(): number {
    return this.#yielded;
  }

  /** Legacy records skipped because their key does not start with `k`. */
  get skipped(): number {
    return this.#parser.skipped;
  }

  /** Compressed bytes read from the file so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Uncompressed bytes parsed so far. */
  get offset(): number {
    return this.#parser.offset;
  }

  /**
   * Reads the records one by one. A reader can be read once (either this
   * way or with {@linkcode batches}).
   *
   * @returns An iterator of records.
   * @throws {SnapshotFormatError} If the file is truncated or malformed.
   * @throws {SnapshotCorruptError} If `expect` was given and does not match.
   * @throws {Deno.errors.NotFound} If the file does not exist.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<SnapshotRecord> {
    for await (const batch of this.batches()) {
      for (const rec of batch) yield rec;
    }
  }

  /**
   * Reads the records in batches (those decoded from one chunk of the
   * file), which saves an `await` per record. On damage, the complete
   * records before it are yielded as a last batch before the error.
   *
   * @returns An iterator of non-empty batches, in file order.
   * @throws {SnapshotFormatError} If the file is truncated or malformed.
   * @throws {SnapshotCorruptError} If `expect` was given and does not match.
   * @throws {Deno.errors.NotFound} If the file does not exist.
   */
  async *batches(): AsyncGenerator<SnapshotRecord[]> {
    const parser = this.#parser;
    if (this.#used) throw new Error("Cannot read snapshot: this reader was already used");
    this.#used = true;
    const file = await Deno.open(this.#path, { read: true });
    const inflater = new Inflater();
    const crc = this.#expect ? new Crc64() : null;
    const readBuf = new Uint8Array(READ_CHUNK);
    let last = performance.now();
    try {
      for (let eof = false; !eof;) {
        const n = await file.read(readBuf);
        eof = n === null;
        const data = readBuf.subarray(0, n ?? 0);
        this.#bytesRead += data.length;
        crc?.update(data);
        // Small pieces bound the output held at once (gzip can expand 1000x).
        for (let at = 0; at < data.length || (eof && at === 0); at += INFLATE_PIECE) {
          const out = eof ? await inflater.end() : await inflater.write(
            data.subarray(at, at + INFLATE_PIECE),
          );
          const batch: SnapshotRecord[] = [];
          let failure: unknown;
          try {
            for (const chunk of out) {
              parser.push(chunk);
              for (let rec = parser.next(); rec !== null; rec = parser.next()) batch.push(rec);
            }
            if (inflater.error !== undefined) throw gzipError(inflater.error, parser);
            if (eof) parser.finish();
          } catch (e) {
            failure = e;
          }
          if (batch.length > 0) {
            this.#yielded += batch.length;
            yield batch;
          }
          if (failure !== undefined) throw failure;
          if (performance.now() - last >= this.#yieldEveryMs) {
            await yieldToEventLoop();
            last = performance.now();
          }
        }
      }
      this.#checkExpected(crc);
    } finally {
      inflater.destroy();
      file.close();
    }
  }

  #checkExpected(crc: Crc64 | null): void {
    const expect = this.#expect;
    if (!expect || !crc) return;
    if (this.#bytesRead !== expect.size) {
      throw new SnapshotCorruptError(
        expect.id,
        `state.bin has ${this.#bytesRead} bytes, meta.json says ${expect.size}`,
      );
    }
    if (crc.toBase64() !== expect.crc) {
      throw new SnapshotCorruptError(
        expect.id,
        `state.bin has CRC ${crc.toBase64()}, meta.json says ${expect.crc}`,
      );
    }
  }
}

/**
 * Opens a `state.bin` for streaming reads (the file is opened when the
 * iteration starts). Either layout is accepted: `BITRAFT1`, or the legacy
 * Finn/kvnode one (keys lose their `k` prefix; other records are skipped).
 *
 * @example
 * ```ts ignore
 * for await (const rec of readStateFile("state.bin")) console.log(rec.key.length);
 * ```
 *
 * @param path The file.
 * @param options Expected size and CRC.
 * @returns The reader.
 */
export function readStateFile(path: string, options?: ReadStateOptions): StateFileReader {
  return new StateFileReader(path, options);
}

function gzipError(e: unknown, parser: StateRecordParser): unknown {
  if (e instanceof SnapshotFormatError) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string" || !code.startsWith("Z_")) return e;
  const where = `after ${parser.records} complete records, at uncompressed byte ${parser.offset}`;
  const reason = code === "Z_BUF_ERROR"
    ? `the gzip stream ends early (truncated file) ${where}`
    : `the gzip data is damaged (${(e as Error).message}) ${where}`;
  return new SnapshotFormatError(reason, parser.records, parser.offset);
}
