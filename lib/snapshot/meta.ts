/**
 * `meta.json`: what a snapshot directory says about its `state.bin`.
 *
 * ```json
 * {"ID":"3-1200-1795626748798","Index":1200,"Term":3,
 *  "Conf":{"voters":["10.0.0.1:4920"],"learners":[]},
 *  "Size":5912,"CRC":"cW6Qlff0w6Y=","Time":1795626748798}
 * ```
 *
 * `ID` is `<term>-<index>-<unix ms>` and names the directory; `Size` and
 * `CRC` (CRC-64/ECMA, base64 of the big-endian bytes) describe `state.bin`.
 *
 * @module
 */

import { parseCrc64 } from "./crc64.ts";

/** The cluster configuration a snapshot includes: node addresses by role. */
export interface SnapshotConf {
  /** Voting members. */
  voters: string[];
  /** Non-voting members. */
  learners: string[];
}

/** A snapshot as its `meta.json` describes it, plus where it lives. */
export interface SnapshotInfo {
  /** `<term>-<index>-<unix ms>`, the directory name. */
  id: string;
  /** The snapshot directory. */
  dir: string;
  /** Last Raft index the snapshot includes. */
  index: number;
  /** Term of that entry. */
  term: number;
  /** Bytes in `state.bin`. */
  size: number;
  /** CRC-64 of `state.bin`, base64 of the big-endian 8 bytes. */
  crc: string;
  /** Cluster configuration as of `index`. */
  conf: SnapshotConf;
  /** When the snapshot was taken (Unix ms). */
  time: number;
}

const ID_REGEXP = /^(0|[1-9]\d*)-(0|[1-9]\d*)-(0|[1-9]\d*)$/;

/**
 * Formats a snapshot id.
 *
 * @example
 * ```ts
 * import { snapshotId } from "./meta.ts";
 *
 * snapshotId(3, 1200, 1795626748798); // "3-1200-1795626748798"
 * ```
 *
 * @param term The term.
 * @param index The index.
 * @param time Unix ms.
 * @returns The id.
 */
export function snapshotId(term: number, index: number, time: number): string {
  return `${term}-${index}-${time}`;
}

/**
 * Serialises the `meta.json` of a snapshot.
 *
 * @example
 * ```ts
 * import { formatSnapshotMeta } from "./meta.ts";
 *
 * formatSnapshotMeta({
 *   id: "1-5-1000", dir: "/d/1-5-1000", index: 5, term: 1, size: 20, crc: "AAAAAAAAAAA=",
 *   conf: { voters: ["127.0.0.1:4920"], learners: [] }, time: 1000,
 * }); // '{"ID":"1-5-1000","Index":5,...}\n'
 * ```
 *
 * @param info The snapshot.
 * @returns The JSON text, one line.
 */
export function formatSnapshotMeta(info: SnapshotInfo): string {
  return JSON.stringify({
    ID: info.id,
    Index: info.index,
    Term: info.term,
    Conf: { voters: info.conf.voters, learners: info.conf.learners },
    Size: info.size,
    CRC: info.crc,
    Time: info.time,
  }) + "\n";
}

/**
 * Checks a parsed `meta.json` strictly and converts it: every field present
 * with the right type, integers non-negative and safe, `CRC` canonical
 * base64 of 8 bytes, `ID` well formed, agreeing with `Term`, `Index` and
 * `Time`, and equal to the directory name. Unknown fields are ignored.
 *
 * @example
 * ```ts
 * import { validateSnapshotMeta } from "./meta.ts";
 *
 * const meta = {
 *   ID: "1-5-1000", Index: 5, Term: 1, Size: 20, CRC: "AAAAAAAAAAA=", Time: 1000,
 *   Conf: { voters: ["127.0.0.1:4920"], learners: [] },
 * };
 * validateSnapshotMeta(meta, "/d/1-5-1000").index; // 5
 * ```
 *
 * @param meta The value `JSON.parse` returned.
 * @param dir The snapshot directory (its last path element must be the id).
 * @returns The snapshot info.
 * @throws {TypeError} Naming the first field that is wrong.
 */
export function validateSnapshotMeta(meta: unknown, dir: string): SnapshotInfo {
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw new TypeError("Cannot read meta.json: it is not a JSON object");
  }
  const m = meta as Record<string, unknown>;
  const index = integer(m, "Index");
  const term = integer(m, "Term");
  const size = integer(m, "Size");
  const time = integer(m, "Time");
  const id = m.ID;
  if (typeof id !== "string" || !ID_REGEXP.test(id)) {
    throw new TypeError(`Cannot read meta.json: ID ${show(id)} is not "<term>-<index>-<unixms>"`);
  }
  if (id !== snapshotId(term, index, time)) {
    throw new TypeError(
      `Cannot read meta.json: ID "${id}" does not match Term ${term}, Index ${index}, Time ${time}`,
    );
  }
  const name = dir.replace(/\/+$/, "").split("/").pop();
  if (name !== id) {
    throw new TypeError(`Cannot read meta.json: ID "${id}" does not match directory "${name}"`);
  }
  const crc = m.CRC;
  if (typeof crc !== "string" || parseCrc64(crc) === null) {
    throw new TypeError(`Cannot read meta.json: CRC ${show(crc)} is not base64 of 8 bytes`);
  }
  const conf = m.Conf;
  if (typeof conf !== "object" || conf === null || Array.isArray(conf)) {
    throw new TypeError("Cannot read meta.json: Conf is not an object");
  }
  const voters = addresses(conf as Record<string, unknown>, "voters");
  const learners = addresses(conf as Record<string, unknown>, "learners");
  return { id, dir, index, term, size, crc, conf: { voters, learners }, time };
}

function integer(m: Record<string, unknown>, field: string): number {
  const v = m[field];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new TypeError(`Cannot read meta.json: ${field} ${show(v)} is not an integer >= 0`);
  }
  return v;
}

function addresses(conf: Record<string, unknown>, field: string): string[] {
  const v = conf[field];
  if (!Array.isArray(v) || !v.every((a) => typeof a === "string" && a.length > 0)) {
    throw new TypeError(`Cannot read meta.json: Conf.${field} is not an array of addresses`);
  }
  return [...v];
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}...` : s;
}
