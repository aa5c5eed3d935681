/**
 * `--parse-snapshot`: prints a `state.bin` as RESP `SET` commands, ready
 * for `redis-cli --pipe`. Streams in constant memory with large buffered
 * writes that wait for the output to accept them.
 *
 * @module
 */

import { ChunkBuilder, decimalDigits } from "./_chunks.ts";
import { type ByteWriter, writeAll } from "./_streams.ts";
import type { SnapshotRecord } from "./record.ts";
import type { StateFormat } from "./record_parser.ts";
import { readStateFile } from "./state_file.ts";

/** Options for {@linkcode writeSnapshotAsResp}. */
export interface WriteRespOptions {
  /**
   * Bytes collected before each write to `out`.
   *
   * @default {262144}
   */
  bufferSize?: number;
  /** Called a few times a second while reading, and once at the end. */
  onProgress?: (progress: RespProgress) => void;
  /**
   * Minimum ms between two `onProgress` calls.
   *
   * @default {250}
   */
  progressEveryMs?: number;
}

/** Where {@linkcode writeSnapshotAsResp} is. */
export interface RespProgress {
  /** Records written so far. */
  records: number;
  /** Compressed bytes read from the file. */
  bytesRead: number;
  /** Size of the file. */
  fileSize: number;
  /** True on the final call. */
  done: boolean;
}

/** What {@linkcode writeSnapshotAsResp} did. */
export interface RespResult {
  /** Commands written. */
  records: number;
  /** Legacy records skipped (key without the `k` prefix). */
  skipped: number;
  /** The layout of the file. */
  format: StateFormat | null;
  /** Bytes written to `out`. */
  bytesWritten: number;
}

const enc = (s: string) => new TextEncoder().encode(s);
const SET3 = enc("*3\r\n$3\r\nSET\r\n$");
const SET5 = enc("*5\r\n$3\r\nSET\r\n$");
const CRLF = enc("\r\n");
const CRLF_BULK = enc("\r\n$");
const PXAT = enc("$4\r\nPXAT\r\n$");

/**
 * Writes every record of a `state.bin` (or of a snapshot directory) to
 * `out` as `SET key value [PXAT ms]` in RESP. On damage, every record read
 * before it has been written when the error is thrown.
 *
 * @example
 * ```ts ignore
 * import { writeSnapshotAsResp } from "./parse.ts";
 *
 * await writeSnapshotAsResp("data/snapshots/1-17-1795626748798", Deno.stdout);
 * ```
 *
 * @param path A `state.bin`, or a directory holding one.
 * @param out Where the RESP goes.
 * @param options Buffer size and progress reporting.
 * @returns Counts.
 * @throws {SnapshotFormatError} If the file is truncated or malformed.
 * @throws {Deno.errors.NotFound} If there is no such file.
 */
export async function writeSnapshotAsResp(
  path: string,
  out: ByteWriter,
  options: WriteRespOptions = {},
): Promise<RespResult> {
  const { bufferSize = 256 * 1024, onProgress, progressEveryMs = 250 } = options;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 64) {
    throw new RangeError(`Cannot write RESP: bufferSize ${bufferSize} is not an integer >= 64`);
  }
  let stat = await Deno.stat(path);
  if (stat.isDirectory) {
    path = `${path}/state.bin`;
    stat = await Deno.stat(path);
  }
  const reader = readStateFile(path);
  const buf = new ChunkBuilder(bufferSize);
  let bytesWritten = 0;
  const flush = async (all: boolean) => {
    for (const chunk of buf.take(all)) {
      await writeAll(out, chunk);
      bytesWritten += chunk.length;
    }
  };
  let nextReport = performance.now() + progressEveryMs;
  const report = (done: boolean) => {
    onProgress?.({
      records: reader.records,
      bytesRead: reader.bytesRead,
      fileSize: stat.size,
      done,
    });
  };
  let failure: unknown;
  try {
    for await (const batch of reader.batches()) {
      for (const rec of batch) {
        encodeSet(buf, rec);
        if (buf.readyBytes >= bufferSize) await flush(false);
      }
      if (onProgress && performance.now() >= nextReport) {
        report(false);
        nextReport = performance.now() + progressEveryMs;
      }
    }
  } catch (e) {
    failure = e;
  }
  await flush(true);
  report(true);
  if (failure !== undefined) throw failure;
  return { records: reader.records, skipped: reader.skipped, format: reader.format, bytesWritten };
}

/**
 * Appends one record as a RESP `SET` command.
 *
 * @param out The buffer.
 * @param rec The record.
 */
function encodeSet(out: ChunkBuilder, rec: SnapshotRecord): void {
  const { key, value, expiresAt } = rec;
  out.bytes(expiresAt === 0 ? SET3 : SET5);
  out.decimal(key.length);
  out.bytes(CRLF);
  out.bytes(key);
  out.bytes(CRLF_BULK);
  out.decimal(value.length);
  out.bytes(CRLF);
  out.bytes(value);
  out.bytes(CRLF);
  if (expiresAt !== 0) {
    out.bytes(PXAT);
    out.decimal(decimalDigits(expiresAt));
    out.bytes(CRLF);
    out.decimal(expiresAt);
    out.bytes(CRLF);
  }
}

/** The streams {@linkcode parseSnapshotCommand} uses. */
export interface ParseSnapshotIo {
  /** Where the RESP goes. */
  stdout: ByteWriter;
  /** Where the error line (and progress) goes. */
  stderr: ByteWriter;
  /** Show progress on stderr (only when it is a terminal). */
  progress: boolean;
}

/**
 * The `bitraft --parse-snapshot FILE` command: RESP on stdout; on failure,
 * what was read is written, then one line `bitraft: <reason>` on stderr.
 *
 * @example
 * ```ts ignore
 * import { parseSnapshotCommand } from "./parse.ts";
 *
 * const io = { stdout: Deno.stdout, stderr: Deno.stderr, progress: Deno.stderr.isTerminal() };
 * Deno.exit(await parseSnapshotCommand("state.bin", io));
 * ```
 *
 * @param path A `state.bin` or a snapshot directory.
 * @param io Output streams.
 * @returns The exit code: 0 on success, 1 on any error.
 */
export async function parseSnapshotCommand(path: string, io: ParseSnapshotIo): Promise<number> {
  const te = new TextEncoder();
  const line = (s: string) => writeAll(io.stderr, te.encode(s)).catch(() => {});
  let shown = false;
  let pending = Promise.resolve();
  const onProgress = io.progress
    ? (p: RespProgress) => {
      const text = p.done ? "" : progressLine(p);
      shown = !p.done;
      pending = pending.then(() => line(`\r\x1b[K${text}`));
    }
    : undefined;
  try {
    const r = await writeSnapshotAsResp(path, io.stdout, { onProgress });
    await pending;
    if (r.skipped > 0) {
      await line(
        `bitraft: warning: skipped ${r.skipped} legacy records whose key does not start with "k"\n`,
      );
    }
    return 0;
  } catch (e) {
    await pending;
    if (shown) await line("\r\x1b[K");
    await line(`bitraft: ${describe(e, path)}\n`);
    return 1;
  }
}

function progressLine(p: RespProgress): string {
  const mib = (n: number) => (n / (1024 * 1024)).toFixed(1);
  const pct = p.fileSize > 0 ? Math.floor((p.bytesRead / p.fileSize) * 100) : 100;
  return `parse-snapshot: ${p.records} records, ${mib(p.bytesRead)} of ${
    mib(p.fileSize)
  } MiB read (${pct}%)`;
}

function describe(e: unknown, path: string): string {
  if (e instanceof Deno.errors.NotFound) return `cannot open "${path}": no such file`;
  if (e instanceof Deno.errors.BrokenPipe) return "cannot write to stdout: broken pipe";
  if (e instanceof Error) return e.message.split("\n")[0];
  return String(e);
}
