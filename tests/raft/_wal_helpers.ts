import { Wal, type WalEntry, type WalOptions } from "../../lib/raft/mod.ts";
import { encodeRecord, RECORD_HEADER_SIZE } from "../../lib/raft/wal_format.ts";

/** A temp directory removed when disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "wal_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Deterministic payload of the entry at `index` (0 to 299 bytes), salted by `salt`. */
export function payload(index: number, salt = 0): Uint8Array {
  const len = (Math.imul(index ^ salt, 0x9e3779b1) >>> 0) % 300;
  const out = new Uint8Array(len);
  for (let k = 0; k < len; k++) out[k] = (index * 7 + k * 31 + salt) & 0xff;
  return out;
}

/** Entries `from .. to` (inclusive) with deterministic payloads. */
export function makeEntries(
  from: number,
  to: number,
  term: number | ((index: number) => number) = 1,
  salt = 0,
): WalEntry[] {
  const out: WalEntry[] = [];
  for (let i = from; i <= to; i++) {
    out.push({ index: i, term: typeof term === "number" ? term : term(i), data: payload(i, salt) });
  }
  return out;
}

/** Log lines captured from a log. */
export type LogLines = string[];

/** Options for quiet logs in tests; log lines land in `logs`. */
export function quiet(logs: LogLines = [], extra: WalOptions = {}): WalOptions {
  return { logger: (level, msg) => logs.push(`${level}: ${msg}`), ...extra };
}

/** Opens a quiet log with small segments. */
export function openWal(dir: string, extra: WalOptions = {}, logs: LogLines = []): Promise<Wal> {
  return Wal.open(dir, quiet(logs, { segmentSize: 4096, ...extra }));
}

/** Sorted segment file names in a directory. */
export function segmentNames(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".wal")).sort();
}

/** Sorted names in a directory. */
export function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** One encoded record. */
export function encodedRecord(index: number, term: number, data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(RECORD_HEADER_SIZE + data.length);
  encodeRecord(buf, 0, index, term, data);
  return buf;
}

/** Appends raw bytes to a file. */
export function appendBytes(path: string, bytes: Uint8Array): void {
  const f = Deno.openSync(path, { append: true });
  try {
    f.writeSync(bytes);
  } finally {
    f.close();
  }
}

/** Flips every bit of the byte at `offset` in a file. */
export function flipByte(path: string, offset: number): void {
  const b = Deno.readFileSync(path);
  b[offset] ^= 0xff;
  Deno.writeFileSync(path, b);
}

/**
 * Offsets of the records in a segment file, walking record lengths
 * (no CRC checks).
 */
export function recordOffsets(path: string): number[] {
  const b = Deno.readFileSync(path);
  const out: number[] = [];
  let p = 32;
  while (p + RECORD_HEADER_SIZE <= b.length) {
    out.push(p);
    const len = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    p += RECORD_HEADER_SIZE + len;
  }
  return out;
}

/** Plain copies of entries, for deepEqual against expectations. */
export function plain(entries: WalEntry[]): { index: number; term: number; data: number[] }[] {
  return entries.map((e) => ({ index: e.index, term: e.term, data: [...e.data] }));
}

/** Term of entry `index` in the crash test's log. */
export function crashTerm(index: number): number {
  return 1 + Math.floor(index / 700);
}
