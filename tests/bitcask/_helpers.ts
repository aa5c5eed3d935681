import { BitcaskStore } from "../../lib/bitcask/mod.ts";
import { DataFile } from "../../lib/bitcask/data_file.ts";
import type { BitcaskOptions } from "../../lib/bitcask/mod.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/** UTF-8 bytes of a string. */
export function b(s: string): Uint8Array {
  return te.encode(s);
}

/** String of UTF-8 bytes (or undefined). */
export function s(v: Uint8Array | undefined): string | undefined {
  return v === undefined ? undefined : td.decode(v);
}

/** Log lines captured from a store. */
export type LogLines = string[];

/** Options for quiet stores in tests; log lines land in `logs`. */
export function quiet(logs: LogLines = [], extra: BitcaskOptions = {}): BitcaskOptions {
  return { logger: (level, msg) => logs.push(`${level}: ${msg}`), hintWorker: false, ...extra };
}

/** A temp directory removed when disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "bitcask_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Opens a quiet store (no worker, logs captured). */
export function openStore(dir: string, options: BitcaskOptions = quiet()): Promise<BitcaskStore> {
  return BitcaskStore.open(dir, options);
}

/** Sorted names in a directory. */
export function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Sum of the sizes of the data files in a directory. */
export function dataBytes(dir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    if (e.name.endsWith(".data")) n += Deno.statSync(`${dir}/${e.name}`).size;
  }
  return n;
}

/** Creates data file 1 (rank 1) in `dir`; close it when done. */
export function newDataFile(dir: string, baseIndex = 0): DataFile {
  return DataFile.create(`${dir}/000000001.data`, { id: 1, rank: 1, flags: 0, baseIndex });
}
