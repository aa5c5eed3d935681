/**
 * Child of bench/bitcask.ts: opens a store in a fresh process and reports
 * the open time and the memory the keydir takes, as JSON on stdout.
 * Run with --v8-flags=--expose-gc.
 */
import { BitcaskStore } from "../lib/bitcask/mod.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const dir = Deno.args[0];
gc();
gc();
const before = Deno.memoryUsage();
const t0 = performance.now();
const store = await BitcaskStore.open(dir, { autoMerge: false, logger: () => {} });
const ms = performance.now() - t0;
gc();
gc();
const after = Deno.memoryUsage();
const keys = store.size;
const bytes = after.heapUsed + after.external - before.heapUsed - before.external;
const stats = store.stats();
await store.close();
console.log(JSON.stringify({ ms, keys, bytes, hintsRebuilt: stats.hintsRebuilt, rss: after.rss }));
