/**
 * Opening a store directory: find the data files, read each one's hint (or
 * scan it, CRC-checking every record), truncate a torn tail of the active
 * file, and merge the per-file, key-sorted entries into the keydir in one
 * linear pass (newest rank wins, tombstones drop the key).
 *
 * @module
 */

import fs from "node:fs";
import {
  DataFile,
  dataFileName,
  FILE_HEADER_SIZE,
  FLAG_CLEARED,
  FLAG_MERGED,
  hintFileName,
} from "./data_file.ts";
import { CorruptRecordError } from "./errors.ts";
import { collectEntries, type FileEntries } from "./file_entries.ts";
import { fsyncDirSync, writeFileAtomicSync } from "./fs_util.ts";
import { ExpirySet } from "./expiry_set.ts";
import { decodeHint, encodeHint } from "./hint_file.ts";
import { KeyDir } from "./keydir.ts";
import { TYPE_DELETE } from "./record.ts";

/** Receives the loader's and the store's log lines. */
export type Logger = (level: "info" | "warn" | "error", message: string) => void;

/** Everything `BitcaskStore` needs after opening a directory. */
export interface LoadedStore {
  /** Every data file by id. */
  files: Map<number, DataFile>;
  /** The file new records go to. */
  active: DataFile;
  /** The keydir. */
  keydir: KeyDir;
  /** The keys that have an expiry. */
  expiring: ExpirySet;
  /** Highest Raft index found. */
  lastIndex: number;
  /** Next free file id. */
  nextId: number;
  /** Bytes cut from a torn tail. */
  truncatedBytes: number;
  /** Hint files that had to be (re)built. */
  hintsBuilt: number;
}

const DATA_RE = /^(\d{9})\.data$/;
const HINT_RE = /^(\d{9})\.hint$/;

/**
 * Compares data files by replay order.
 *
 * @param a A file.
 * @param b Another file.
 * @returns Negative when `a` replays first.
 */
export function byRank(a: DataFile, b: DataFile): number {
  return a.rank - b.rank || a.id - b.id;
}

/**
 * Opens the files of a store directory and rebuilds the keydir.
 *
 * @param dir The directory (already locked by the caller).
 * @param log Where to report repairs.
 * @returns The loaded state.
 * @throws {CorruptRecordError} When a record outside the torn tail is bad.
 */
export function loadStore(dir: string, log: Logger): LoadedStore {
  const names = fs.readdirSync(dir);
  const dataIds: number[] = [];
  const hintIds = new Set<number>();
  for (const name of names) {
    let m = DATA_RE.exec(name);
    if (m) {
      dataIds.push(Number(m[1]));
      continue;
    }
    m = HINT_RE.exec(name);
    if (m) {
      hintIds.add(Number(m[1]));
    } else if (name.endsWith(".tmp") || name.endsWith(".merging")) {
      fs.rmSync(`${dir}/${name}`, { force: true });
      log("info", `removed unfinished file ${name}`);
    }
  }
  dataIds.sort((a, b) => a - b);

  const files = new Map<number, DataFile>();
  const opened: DataFile[] = [];
  try {
    for (const id of dataIds) {
      const path = `${dir}/${dataFileName(id)}`;
      try {
        opened.push(DataFile.open(path));
      } catch (e) {
        // A file whose creation was cut short: the newest one, no bigger than a header.
        const last = id === dataIds[dataIds.length - 1];
        if (e instanceof CorruptRecordError && last && fs.statSync(path).size <= FILE_HEADER_SIZE) {
          fs.rmSync(path);
          log("warn", `removed data file ${dataFileName(id)} with a torn header`);
          continue;
        }
        throw e;
      }
    }
    for (const f of opened) {
      if (f.id !== Number(DATA_RE.exec(f.path.slice(dir.length + 1))?.[1])) {
        throw new CorruptRecordError(f.path, 0, `header names file id ${f.id}`);
      }
      files.set(f.id, f);
    }
    for (const id of hintIds) {
      if (!files.has(id)) fs.rmSync(`${dir}/${hintFileName(id)}`, { force: true });
    }

    let order = [...files.values()].sort(byRank);
    // Files ranked before the newest "cleared" marker are dead: remove them.
    let cleared = -1;
    order.forEach((f, i) => {
      if (f.flags & FLAG_CLEARED) cleared = i;
    });
    if (cleared > 0) {
      for (const f of order.slice(0, cleared)) {
        fs.rmSync(`${dir}/${hintFileName(f.id)}`, { force: true });
        fs.rmSync(f.path);
        f.close();
        files.delete(f.id);
        opened.splice(opened.indexOf(f), 1);
        log("info", `removed ${dataFileName(f.id)}, cleared by ${dataFileName(order[cleared].id)}`);
      }
      order = order.slice(cleared);
    }
    let active: DataFile | undefined;
    for (const f of order) if ((f.flags & FLAG_MERGED) === 0) active = f;
    let nextId = (dataIds[dataIds.length - 1] ?? 0) + 1;
    if (active === undefined) {
      const base = order.reduce((m, f) => Math.max(m, f.baseIndex), 0);
      active = DataFile.create(`${dir}/${dataFileName(nextId)}`, {
        id: nextId,
        rank: nextId,
        flags: 0,
        baseIndex: base,
      });
      fsyncDirSync(dir);
      nextId++;
      files.set(active.id, active);
      order.push(active);
    }

    let truncatedBytes = 0;
    let hintsBuilt = 0;
    const streams: FileEntries[] = [];
    for (const f of order) {
      let entries: FileEntries | null = null;
      if (f === active) {
        const r = collectEntries(f, f.path, f.baseIndex, true);
        if (r.tornReason !== null) {
          truncatedBytes += f.size - r.end;
          log(
            "warn",
            `truncated torn tail of ${dataFileName(f.id)}: ${
              f.size - r.end
            } bytes at offset ${r.end} (${r.tornReason})`,
          );
          fs.ftruncateSync(f.fd, r.end);
          fs.fdatasyncSync(f.fd);
          f.size = r.end;
        }
        entries = r.entries;
      } else {
        if (hintIds.has(f.id)) {
          const hpath = `${dir}/${hintFileName(f.id)}`;
          // A plain Uint8Array: subarray() on a node Buffer is several times slower.
          const got = decodeHint(Deno.readFileSync(hpath), hpath, f.id, f.size);
          if (typeof got === "string") log("warn", `ignoring hint ${hintFileName(f.id)}: ${got}`);
          else entries = got;
        }
        if (entries === null) {
          entries = collectEntries(f, f.path, f.baseIndex, false).entries;
          writeFileAtomicSync(dir, hintFileName(f.id), encodeHint(f, entries, f.size));
          hintsBuilt++;
        }
        f.hasHint = true;
      }
      f.maxIndex = Math.max(f.maxIndex, entries.maxIndex);
      streams.push(entries);
    }

    const expiring = new ExpirySet();
    const keydir = mergeStreams(order, streams, expiring);
    const lastIndex = order.reduce((m, f) => Math.max(m, f.maxIndex), 0);
    return { files, active, keydir, expiring, lastIndex, nextId, truncatedBytes, hintsBuilt };
  } catch (e) {
    for (const f of opened) f.close();
    throw e;
  }
}

/**
 * K-way merge of key-sorted streams; for equal keys the stream later in
 * `order` wins. Counts live bytes per file.
 */
function mergeStreams(order: DataFile[], streams: FileEntries[], expiring: ExpirySet): KeyDir {
  const total = streams.reduce((s, e) => s + e.count, 0);
  const keys: string[] = [];
  const locs = new Float64Array(4 * Math.max(1, total));
  const pos = new Array<number>(streams.length).fill(0);
  // Binary heap of stream numbers, by (current key asc, stream desc).
  const heap: number[] = [];
  const less = (a: number, b: number): boolean => {
    const ka = streams[a].keys[pos[a]];
    const kb = streams[b].keys[pos[b]];
    return ka < kb || (ka === kb && a > b);
  };
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let s = 0; s < streams.length; s++) {
    if (streams[s].count > 0) {
      heap.push(s);
      up(heap.length - 1);
    }
  }
  let n = 0;
  while (heap.length > 0) {
    const s = heap[0];
    const e = streams[s];
    const i = pos[s];
    const key = e.keys[i];
    if (e.types[i] !== TYPE_DELETE) {
      const f = order[s];
      keys.push(key);
      locs[4 * n] = f.id;
      locs[4 * n + 1] = e.locs[3 * i];
      locs[4 * n + 2] = e.locs[3 * i + 1];
      locs[4 * n + 3] = e.locs[3 * i + 2];
      if (e.locs[3 * i + 2] !== 0) expiring.add(key);
      f.liveBytes += e.locs[3 * i + 1];
      n++;
    }
    // Advance every stream positioned on this key.
    while (heap.length > 0) {
      const t = heap[0];
      if (streams[t].keys[pos[t]] !== key) break;
      pos[t]++;
      if (pos[t] < streams[t].count) {
        down(0);
      } else {
        const last = heap.pop() as number;
        if (heap.length > 0) {
          heap[0] = last;
          down(0);
        }
      }
    }
  }
  return KeyDir.fromSorted(keys, locs, n);
}
