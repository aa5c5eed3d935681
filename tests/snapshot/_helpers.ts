/**
 * Shared helpers for the snapshot tests.
 */

import zlib from "node:zlib";
import type { SnapshotRecord } from "../../lib/snapshot/mod.ts";
import { readStateFile } from "../../lib/snapshot/mod.ts";

const te = new TextEncoder();

/** UTF-8 bytes of a string. */
export function b(s: string): Uint8Array {
  return te.encode(s);
}

/** A temp directory removed when disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "snapshot_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A little-endian u64 of a safe integer. */
export function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}

/** The uncompressed BITRAFT1 bytes of records, built by hand (independent of the encoder). */
export function rawState(records: SnapshotRecord[]): Uint8Array {
  const parts: Uint8Array[] = [b("BITRAFT1")];
  for (const r of records) {
    parts.push(new Uint8Array([r.expiresAt === 0 ? 0 : 1]), u64(r.key.length), r.key);
    parts.push(u64(r.value.length), r.value);
    if (r.expiresAt !== 0) parts.push(u64(r.expiresAt));
  }
  return concat(parts);
}

/** gzip of bytes, as Go's gzip.Writer would produce (default level). */
export function gzip(data: Uint8Array): Uint8Array {
  return new Uint8Array(zlib.gzipSync(data));
}

/** Result of reading a state file to the end. */
export interface ReadOutcome {
  /** Records yielded (copied). */
  records: SnapshotRecord[];
  /** The error raised at the end, if any. */
  error?: unknown;
}

/** Reads a state file fully, keeping the records yielded before any error. */
export async function readAll(path: string): Promise<ReadOutcome> {
  const records: SnapshotRecord[] = [];
  try {
    for await (const r of readStateFile(path)) {
      records.push({ key: r.key.slice(), value: r.value.slice(), expiresAt: r.expiresAt });
    }
  } catch (error) {
    return { records, error };
  }
  return { records };
}

/** Hex of bytes, for readable assertion failures. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Records as comparable plain values (plain Uint8Array copies, whatever the source type). */
export function plain(records: SnapshotRecord[]): [Uint8Array, Uint8Array, number][] {
  return records.map((r) => [new Uint8Array(r.key), new Uint8Array(r.value), r.expiresAt]);
}
