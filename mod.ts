/**
 * bitraft: a Redis-compatible, Raft-replicated key/value store on Bitcask.
 * This module re-exports the public pieces.
 *
 * ```ts
 * import { BitcaskStore } from "./mod.ts";
 * const store = await BitcaskStore.open(await Deno.makeTempDir());
 * store.put(new Uint8Array([1]), new Uint8Array([2]));
 * await store.close();
 * ```
 *
 * @module
 */

export * from "./lib/bitcask/mod.ts";
export * from "./lib/cli/mod.ts";
