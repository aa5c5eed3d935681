/**
 * `--restore FILE`: a brand-new one-node cluster whose keyspace is a
 * snapshot. The records go through the normal write path (as `SET key
 * value [PXAT ms]` in transactions of up to 1,000 keys), so they are in the
 * Raft log like any write and nodes that join later get them.
 *
 * @module
 */

import fs from "node:fs";
import { readStateFile } from "../snapshot/mod.ts";
import type { Proposer } from "../server/dispatch.ts";
import { ReplyError } from "../resp/mod.ts";

const TE = new TextEncoder();
const SET = TE.encode("SET");
const PXAT = TE.encode("PXAT");
const GROUP = 1000;

/**
 * Whether a data directory holds nothing but possibly its lock file.
 *
 * @param dir The data directory.
 * @returns True when it is missing or empty.
 */
export function isEmptyDataDir(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return true;
  }
  return names.every((n) => n === "LOCK");
}

/**
 * Writes every record of a snapshot through `proposer`.
 *
 * @param path `state.bin`, or a snapshot directory holding one.
 * @param proposer The node's write path (this node must lead).
 * @returns How many keys were restored.
 * @throws {Error} With the reason if the file is damaged or a write fails
 *   (the keys before the damage are restored).
 */
export async function restoreSnapshot(path: string, proposer: Proposer): Promise<number> {
  const file = fs.statSync(path).isDirectory() ? `${path}/state.bin` : path;
  let restored = 0;
  let group: Uint8Array[][] = [];
  const flush = async () => {
    if (group.length === 0) return;
    const cmds = group;
    group = [];
    const reply = await proposer.propose({ transaction: true, cmds }).reply;
    if (reply instanceof ReplyError) throw new Error(reply.message);
    if (Array.isArray(reply)) {
      const failed = reply.find((r) => r instanceof ReplyError);
      if (failed instanceof ReplyError) throw new Error(failed.message);
    }
    restored += cmds.length;
  };
  for await (const batch of readStateFile(file).batches()) {
    for (const r of batch) {
      group.push(
        r.expiresAt > 0
          ? [SET, r.key, r.value, PXAT, TE.encode(String(r.expiresAt))]
          : [SET, r.key, r.value],
      );
      if (group.length >= GROUP) await flush();
    }
  }
  await flush();
  return restored;
}
