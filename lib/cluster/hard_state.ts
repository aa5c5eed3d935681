/**
 * The node's persisted Raft state besides the log: current term, vote, how
 * the node came to be in a cluster (it bootstrapped one, or joined one), and
 * where its log was compacted.
 * Written atomically (temp file, fsync, rename, fsync of the directory)
 * before any message that depends on it is sent; a CRC guards it.
 *
 * @module
 */

import fs from "node:fs";
import { crc32 } from "../bitcask/bytes.ts";
import { writeFileAtomicSync } from "../bitcask/fs_util.ts";
import type { NodeId, SnapshotMeta } from "../raft/mod.ts";

/** What the file holds. */
export interface NodeState {
  /** Current term. */
  term: number;
  /** Vote in that term. */
  vote: NodeId | null;
  /** How the node entered a cluster: it started one, joined one, or not yet. */
  origin: "bootstrap" | "join" | null;
  /**
   * Where the log was last compacted: the last entry dropped, its term and
   * the configuration then (the log no longer holds the entries that set
   * it). Written before the entries are dropped. Null: never compacted.
   */
  compacted: SnapshotMeta | null;
}

const NAME = "raftstate";

/**
 * Reads the state file.
 *
 * @param dir The raft directory.
 * @returns The state, or null when there is no file yet.
 * @throws {Error} If the file exists but is damaged.
 */
export function readNodeState(dir: string): NodeState | null {
  let text: string;
  try {
    text = fs.readFileSync(`${dir}/${NAME}`, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return null;
    throw e;
  }
  const nl = text.indexOf("\n");
  const body = text.slice(0, nl);
  const sum = text.slice(nl + 1).trim();
  if (nl < 0 || crc32(new TextEncoder().encode(body)).toString(16) !== sum) {
    throw new Error(`${dir}/${NAME} is damaged (checksum mismatch)`);
  }
  const s = JSON.parse(body);
  return { term: s.term, vote: s.vote, origin: s.origin, compacted: s.compacted ?? null };
}

/**
 * Writes the state file durably.
 *
 * @param dir The raft directory.
 * @param state The state.
 */
export function writeNodeState(dir: string, state: NodeState): void {
  const body = JSON.stringify(state);
  const sum = crc32(new TextEncoder().encode(body)).toString(16);
  writeFileAtomicSync(dir, NAME, new TextEncoder().encode(`${body}\n${sum}\n`));
}
