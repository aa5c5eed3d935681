/**
 * Bitcask engine benchmark: put, get, open (with and without hint files),
 * keydir memory and merge throughput on N keys of 16 bytes with 100-byte
 * values. The raw pwrite/pread loop over the same records runs in the same
 * process as the baseline, so the ratio engine/raw says what the engine adds
 * on top of the system calls on this (noisy) machine.
 *
 * Usage: deno run -A bench/bitcask.ts [--keys 1000000] [--reps 3]
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { BitcaskStore } from "../lib/bitcask/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { keys: { type: "string", default: "1000000" }, reps: { type: "string", default: "3" } },
});
const N = Number(values.keys);
const REPS = Number(values.reps);
const KEY = 16;
const VALUE = 100;
const quiet = { logger: () => {}, autoMerge: false };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

// Keys "key:NNNNNNNNNNNN" (16 bytes) in a random order, values 100 bytes.
const keys: Uint8Array[] = [];
{
  const order = Array.from({ length: N }, (_, i) => i);
  const r = rng(42);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order) keys.push(new TextEncoder().encode("key:" + String(i).padStart(12, "0")));
}
const value = new Uint8Array(VALUE).fill(120);
const lookups = Array.from({ length: N }, (_, i) => keys[(i * 7919) % N]);

function rawBaseline(dir: string): { write: number; read: number } {
  const rec = 29 + KEY + VALUE;
  const path = `${dir}/raw.bin`;
  const fd = fs.openSync(path, "w+");
  const buf = new Uint8Array(rec);
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    buf.set(keys[i], 29);
    fs.writeSync(fd, buf, 0, rec, i * rec);
  }
  const write = N / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < N; i++) {
    const b = new Uint8Array(rec);
    fs.readSync(fd, b, 0, rec, ((i * 7919) % N) * rec);
  }
  const read = N / ((performance.now() - t) / 1000);
  fs.closeSync(fd);
  fs.rmSync(path);
  return { write, read };
}

async function openInChild(
  dir: string,
): Promise<{ ms: number; keys: number; bytes: number; hintsRebuilt: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL("./bitcask_open.ts", import.meta.url).pathname,
      dir,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("open child failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const root = await Deno.makeTempDir({ prefix: "bitcask_bench_" });
try {
  const puts: number[] = [];
  const gets: number[] = [];
  const rawW: number[] = [];
  const rawR: number[] = [];
  let dir = "";
  for (let rep = 0; rep < REPS; rep++) {
    const raw = rawBaseline(root);
    rawW.push(raw.write);
    rawR.push(raw.read);
    if (dir) await Deno.remove(dir, { recursive: true });
    dir = `${root}/store${rep}`;
    const store = await BitcaskStore.open(dir, quiet);
    let t = performance.now();
    for (let i = 0; i < N; i++) store.put(keys[i], value);
    puts.push(N / ((performance.now() - t) / 1000));
    t = performance.now();
    for (let i = 0; i < N; i++) store.get(lookups[i]);
    gets.push(N / ((performance.now() - t) / 1000));
    await store.close();
  }

  // open: hints for every immutable file are written by close/the worker; wait for them.
  await new Promise((r) => setTimeout(r, 200));
  const withHints: number[] = [];
  let mem = 0;
  let opened = 0;
  for (let rep = 0; rep < REPS + 2; rep++) {
    const r = await openInChild(dir);
    withHints.push(r.ms);
    mem = r.bytes / r.keys;
    opened = r.keys;
  }
  const withoutHints: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.endsWith(".hint")) Deno.removeSync(`${dir}/${e.name}`);
    }
    const r = await openInChild(dir);
    withoutHints.push(r.ms);
  }

  // merge: overwrite half the keys, then merge everything.
  const store = await BitcaskStore.open(dir, quiet);
  for (let i = 0; i < N; i += 2) store.put(keys[i], value);
  const before = store.stats().totalBytes;
  const t = performance.now();
  const m = await store.merge();
  const mergeMs = performance.now() - t;
  await store.close();

  const k = (x: number) => `${Math.round(x / 1000)}k/s`;
  console.log(
    `Bitcask engine, ${N} keys of ${KEY} bytes, ${VALUE}-byte values, median of ${REPS} (Deno ${Deno.version.deno})`,
  );
  console.log(`| metric | result | target | baseline in the same run |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| put (no fsync) | ${k(median(puts))} | >= 200k/s | raw pwrite of the same records ${
      k(median(rawW))
    } (engine ${(median(puts) / median(rawW)).toFixed(2)}x) |`,
  );
  console.log(
    `| get (random) | ${k(median(gets))} | >= 400k/s | raw pread of the same records ${
      k(median(rawR))
    } (engine ${(median(gets) / median(rawR)).toFixed(2)}x) |`,
  );
  console.log(
    `| open with hints | ${
      (median(withHints) / 1000).toFixed(2)
    } s (${opened} keys, median of ${withHints.length}) | <= 1.5 s | |`,
  );
  console.log(
    `| open without hints (scan + rebuild) | ${(median(withoutHints) / 1000).toFixed(2)} s | | |`,
  );
  console.log(
    `| keydir memory | ${mem.toFixed(0)} B/key, ${
      (mem - KEY).toFixed(0)
    } B beyond the key | <= 120 B beyond the key | |`,
  );
  console.log(
    `| merge | ${(before / 1e6 / (mergeMs / 1000)).toFixed(0)} MB/s of input, ${
      k(m.records / (mergeMs / 1000))
    } records (${m.inputs} files, ${(before / 1e6).toFixed(0)} MB -> ${
      (m.bytesAfter / 1e6).toFixed(0)
    } MB in ${(mergeMs / 1000).toFixed(2)} s) | | |`,
  );
} finally {
  await Deno.remove(root, { recursive: true });
}
