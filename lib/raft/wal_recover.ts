/**
 * Opening a log directory: remove leftovers, read the compaction point,
 * check segment headers and their chaining, CRC-check every record, cut a
 * torn tail of the newest segment, and drop segments the compaction point
 * covers.
 *
 * @module
 */

import fs from "node:fs";
import { fsyncDirSync } from "../bitcask/fs_util.ts";
import { WalCorruptError } from "./wal_errors.ts";
import { parseSegmentFileName, SEGMENT_HEADER_SIZE, segmentFileName } from "./wal_format.ts";
import { readMeta, type WalMeta } from "./wal_meta.ts";
import type { WalLogger } from "./wal_options.ts";
import { goodRecordAfter, scanSegment } from "./wal_scan.ts";
import { WalSegment } from "./wal_segment.ts";
import { WalTerms } from "./wal_terms.ts";

/** Everything `Wal` needs after opening a directory. */
export interface RecoveredWal {
  /** The compaction point. */
  meta: WalMeta;
  /** Open segments, oldest first, chained; the last one takes new records. */
  segments: WalSegment[];
  /** Terms of the entries after the compaction point. */
  terms: WalTerms;
  /** Index of the newest entry (at least the compaction index). */
  lastIndex: number;
  /** Bytes cut from a torn tail. */
  truncatedBytes: number;
}

/**
 * Opens the segments of a log directory and checks every record.
 *
 * @param dir The directory (it exists and the caller holds its lock).
 * @param log Where to report repairs.
 * @returns The recovered state.
 * @throws {WalCorruptError} On a bad header, a gap, or a bad record outside a torn tail.
 */
export function recoverWal(dir: string, log: WalLogger): RecoveredWal {
  let dirty = false;
  const firstIndexes: number[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(".tmp")) {
      fs.rmSync(`${dir}/${name}`, { force: true, recursive: true });
      log("info", `removed unfinished file ${name}`);
      dirty = true;
      continue;
    }
    const first = parseSegmentFileName(name);
    if (first >= 0) firstIndexes.push(first);
  }
  firstIndexes.sort((a, b) => a - b);
  const meta = readMeta(dir);

  let segments: WalSegment[] = [];
  try {
    for (let i = 0; i < firstIndexes.length; i++) {
      const name = segmentFileName(firstIndexes[i]);
      const path = `${dir}/${name}`;
      const newest = i === firstIndexes.length - 1;
      // The newest file, no bigger than a header: its creation was cut short and it holds nothing.
      if (newest && fs.statSync(path).size <= SEGMENT_HEADER_SIZE) {
        try {
          segments.push(WalSegment.open(path, firstIndexes[i]));
        } catch (e) {
          if (!(e instanceof WalCorruptError)) throw e;
          fs.rmSync(path);
          log("warn", `removed segment ${name} with a torn header (${e.message})`);
          dirty = true;
        }
        continue;
      }
      segments.push(WalSegment.open(path, firstIndexes[i]));
    }

    // Segments wholly at or below the compaction point go, oldest first (a
    // compaction cut short by a crash leaves some behind).
    while (segments.length > 1 && segments[1].firstIndex - 1 <= meta.index) {
      dropSegment(segments.shift() as WalSegment, log);
      dirty = true;
    }
    if (segments.length > 0 && segments[0].firstIndex > meta.index + 1) {
      throw new WalCorruptError(
        segments[0].path,
        0,
        `first index ${segments[0].firstIndex} leaves a gap after compaction point ${meta.index}`,
      );
    }

    const terms = new WalTerms();
    let prevTerm = 0;
    let truncatedBytes = 0;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (i > 0 && seg.firstIndex !== segments[i - 1].lastIndex + 1) {
        throw new WalCorruptError(
          seg.path,
          0,
          `first index ${seg.firstIndex} does not follow index ${
            segments[i - 1].lastIndex
          } of the previous segment`,
        );
      }
      const fileSize = seg.size;
      const out = scanSegment(seg, (index, term, offset) => {
        if (term < prevTerm || (index > meta.index && term < meta.term)) {
          throw new WalCorruptError(
            seg.path,
            offset,
            `record ${index} has term ${term}, lower than ${
              Math.max(prevTerm, meta.term)
            } before it`,
          );
        }
        prevTerm = term;
        if (index > meta.index) terms.push(index, term);
      });
      if (out.problem === null) continue;
      const last = i === segments.length - 1;
      if (!last || goodRecordAfter(seg, fileSize, out.end, seg.lastIndex + 1)) {
        throw new WalCorruptError(seg.path, out.end, out.problem);
      }
      const cut = fileSize - out.end;
      log(
        "warn",
        `truncated torn tail of ${seg.path}: ${cut} bytes at offset ${out.end} (${out.problem})`,
      );
      fs.ftruncateSync(seg.fd, out.end);
      fs.fdatasyncSync(seg.fd);
      seg.size = out.end;
      truncatedBytes += cut;
    }

    const tail = segments[segments.length - 1];
    if (tail !== undefined && tail.firstIndex <= meta.index && tail.lastIndex <= meta.index) {
      dropSegment(segments.pop() as WalSegment, log);
      dirty = true;
    }
    if (dirty) fsyncDirSync(dir);
    const lastIndex = segments.length > 0 ? segments[segments.length - 1].lastIndex : meta.index;
    return { meta, segments, terms, lastIndex, truncatedBytes };
  } catch (e) {
    for (const s of segments) s.close();
    segments = [];
    throw e;
  }
}

function dropSegment(seg: WalSegment, log: WalLogger): void {
  fs.rmSync(seg.path);
  seg.close();
  log("info", `removed compacted segment ${seg.path}`);
}
