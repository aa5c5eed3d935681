/**
 * Online merge (compaction). The active file is rotated, so every existing
 * record is in an immutable file; those files are the inputs. The merge
 * walks the keys in order (an O(1) clone of the key tree) and, in time
 * slices that yield to the event loop, copies each record the live keydir
 * still points at in an input to new output files. After each chunk is
 * written it moves the key with a compare-and-swap, so a key that a writer
 * changed in the meantime keeps its new place. Outputs are written under a
 * temporary name, flushed and renamed, each with a hint (already sorted,
 * since keys come in order). They rank with the newest input, so on reopen
 * they replay after the inputs and before anything written later. Only then
 * are the inputs retired; the store deletes them once no snapshot still
 * reads them. Tombstones are dropped: every older record is in an input.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import fs from "node:fs";
import { bytesToBinary } from "./bytes.ts";
import {
  DataFile,
  dataFileName,
  FILE_HEADER_SIZE,
  FLAG_MERGED,
  hintFileName,
  preadFully,
  pwriteFully,
} from "./data_file.ts";
import { CorruptRecordError } from "./errors.ts";
import { fdatasync, fsyncDir, writeFileAtomic } from "./fs_util.ts";
import { HintWriter } from "./hint_file.ts";
import type { KeyDir } from "./keydir.ts";
import { newLocation } from "./key_index.ts";
import { byRank, type Logger } from "./loader.ts";
import {
  decodeRecordHeader,
  FLAG_MORE,
  newRecordHeader,
  RECORD_HEADER_SIZE,
  recordCrcMatches,
  sealRecord,
} from "./record.ts";

/** What the merge needs from the store. */
export interface MergeHost {
  /** Store directory. */
  readonly dir: string;
  /** Output files rotate at this size. */
  readonly maxFileSize: number;
  /** The live keydir. */
  readonly keydir: KeyDir;
  /** Every data file by id (outputs are added here). */
  readonly files: Map<number, DataFile>;
  /** The current active file. */
  readonly active: DataFile;
  /** Highest applied Raft index. */
  readonly lastIndex: number;
  /** True once the store is closing: the merge stops. */
  readonly closing: boolean;
  /** Changes when the store is cleared: the merge stops and drops its outputs. */
  readonly epoch: number;
  /** Log sink. */
  readonly log: Logger;
  /** Makes the active file immutable and starts a new one. */
  rotate(): void;
  /** Hands out a new file id. */
  allocId(): number;
  /** Marks inputs as merged; the store deletes them when safe. */
  retire(files: DataFile[]): void;
}

/** Outcome of a merge. */
export interface MergeResult {
  /** Input files merged. */
  inputs: number;
  /** Output files written. */
  outputs: number;
  /** Bytes in the input files. */
  bytesBefore: number;
  /** Bytes in the output files. */
  bytesAfter: number;
  /** Records copied. */
  records: number;
  /** Wall time in ms. */
  ms: number;
}

/** Tuning for {@linkcode runMerge}. */
export interface MergeOptions {
  /** Longest stretch of work between yields to the event loop, in ms. */
  stepMs: number;
}

const CHUNK = 1 << 20;

interface Output {
  file: DataFile;
  hint: HintWriter;
}

/**
 * Merges every immutable file of the store.
 *
 * @param host The store's internals.
 * @param options Time slicing.
 * @returns What was merged.
 * @throws {CorruptRecordError} If an input record is bad (inputs are kept).
 */
export async function runMerge(host: MergeHost, options: MergeOptions): Promise<MergeResult> {
  const t0 = performance.now();
  if (host.active.size > FILE_HEADER_SIZE) host.rotate();
  const inputs = [...host.files.values()]
    .filter((f) => f !== host.active && !f.retired)
    .sort(byRank);
  const result: MergeResult = {
    inputs: inputs.length,
    outputs: 0,
    bytesBefore: inputs.reduce((s, f) => s + f.size, 0),
    bytesAfter: 0,
    records: 0,
    ms: 0,
  };
  if (inputs.length === 0) return result;
  const inputIds = new Set(inputs.map((f) => f.id));
  const rank = inputs[inputs.length - 1].rank;
  const baseIndex = host.lastIndex;
  const { dir, keydir, epoch } = host;
  const checkpoint = () => {
    if (host.closing || host.epoch !== epoch) throw new MergeCancelled();
  };

  const outputs: Output[] = [];
  let out: Output | null = null;
  let chunk = new Uint8Array(CHUNK);
  let chunkLen = 0;
  // Per record in the chunk: key, source file, source offset, offset in chunk, size, expiry.
  const pendKeys: string[] = [];
  const pendNums: number[] = [];
  const header = newRecordHeader();
  const loc = newLocation();
  let rec = new Uint8Array(4096);

  const flush = () => {
    if (out === null || chunkLen === 0) return;
    const o = out;
    const base = o.file.size;
    pwriteFully(o.file.fd, chunk.subarray(0, chunkLen), base);
    o.file.size += chunkLen;
    chunkLen = 0;
    for (let i = 0; i < pendKeys.length; i++) {
      const j = 6 * i;
      const from = pendNums[j];
      const size = pendNums[j + 3];
      const newOff = base + pendNums[j + 2];
      o.hint.add(pendNums[j + 5], pendNums[j + 4], newOff, size, pendKeys[i]);
      if (keydir.compareAndMove(pendKeys[i], from, pendNums[j + 1], o.file.id, newOff)) {
        (host.files.get(from) as DataFile).liveBytes -= size;
        o.file.liveBytes += size;
      }
    }
    pendKeys.length = 0;
    pendNums.length = 0;
  };

  const finish = async (o: Output) => {
    await fdatasync(o.file.fd);
    const final = `${dir}/${dataFileName(o.file.id)}`;
    fs.renameSync(o.file.path, final);
    o.file.path = final;
    await writeFileAtomic(
      dir,
      hintFileName(o.file.id),
      o.hint.finish(o.file.maxIndex, o.file.size),
    );
    o.file.hasHint = true;
    await fsyncDir(dir);
  };

  const keys = keydir.keys();
  try {
    let sliceStart = performance.now();
    while (keys.next()) {
      const key = keys.key;
      if (!keydir.lookup(key, loc) || !inputIds.has(loc.fileId)) continue;
      const src = host.files.get(loc.fileId) as DataFile;
      const size = loc.size;
      if (rec.length < size) rec = new Uint8Array(Math.max(size, rec.length * 2));
      const got = preadFully(src.fd, rec, 0, size, loc.offset);
      const bad = got < size ? "truncated record" : decodeRecordHeader(rec, 0, header) ??
        (recordCrcMatches(rec, 0, size) ? null : "checksum mismatch");
      if (
        bad !== null ||
        bytesToBinary(rec, RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + header.keyLength) !== key
      ) {
        throw new CorruptRecordError(src.path, loc.offset, bad ?? "record holds another key");
      }
      if (rec[4] & FLAG_MORE) {
        // A copy stands alone, apart from the rest of its batch: clear the flag, re-seal.
        rec[4] &= ~FLAG_MORE;
        sealRecord(rec, 0, size);
      }

      if (
        out === null ||
        (out.file.size + chunkLen + size > host.maxFileSize &&
          out.file.size + chunkLen > FILE_HEADER_SIZE)
      ) {
        flush();
        if (out !== null) await finish(out);
        checkpoint();
        const id = host.allocId();
        const file = DataFile.create(`${dir}/${dataFileName(id)}.merging`, {
          id,
          rank,
          flags: FLAG_MERGED,
          baseIndex,
        });
        out = { file, hint: new HintWriter(file) };
        outputs.push(out);
        host.files.set(id, file);
      }
      if (chunkLen + size > chunk.length) {
        flush();
        if (size > chunk.length) chunk = new Uint8Array(size);
      }
      chunk.set(rec.subarray(0, size), chunkLen);
      pendKeys.push(key);
      pendNums.push(loc.fileId, loc.offset, chunkLen, size, loc.expiresAt, header.type);
      chunkLen += size;
      if (header.index > out.file.maxIndex) out.file.maxIndex = header.index;
      result.records++;

      if (performance.now() - sliceStart >= options.stepMs) {
        flush();
        await new Promise((r) => setImmediate(r));
        checkpoint();
        sliceStart = performance.now();
      }
    }
    flush();
    if (out !== null) await finish(out);
    checkpoint();
  } catch (e) {
    if (host.epoch !== epoch) {
      host.retire(outputs.map((o) => o.file)); // the store was cleared: the copies are dead
      return result;
    }
    flush();
    if (e instanceof MergeCancelled) return result;
    // Keep what was copied: the keydir may point into the outputs already.
    for (const o of outputs) {
      if (!o.file.hasHint) await finish(o).catch(() => {});
    }
    throw e;
  }
  host.retire(inputs);
  result.outputs = outputs.length;
  result.bytesAfter = outputs.reduce((s, o) => s + o.file.size, 0);
  result.ms = performance.now() - t0;
  return result;
}

/** Internal signal: the store closed while merging. */
class MergeCancelled extends Error {}
