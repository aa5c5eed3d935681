/**
 * Building a hint file for an immutable data file, and the small job queue
 * that does it on a worker thread so the sort never stalls the event loop.
 *
 * @module
 */

import fs from "node:fs";
import {
  DATA_MAGIC,
  dataFileName,
  decodeFileHeader,
  FILE_HEADER_SIZE,
  hintFileName,
  preadFully,
} from "./data_file.ts";
import { collectEntries } from "./file_entries.ts";
import { writeFileAtomicSync } from "./fs_util.ts";
import { encodeHint } from "./hint_file.ts";

/**
 * Scans an immutable data file (CRC-checking every record) and writes its
 * hint file atomically.
 *
 * @param dir Store directory.
 * @param id Data file id.
 * @returns Number of entries written.
 * @throws {CorruptRecordError} If the data file has a bad record.
 */
export function buildHintFileSync(dir: string, id: number): number {
  const path = `${dir}/${dataFileName(id)}`;
  const fd = fs.openSync(path, "r");
  try {
    const size = fs.fstatSync(fd).size;
    const hb = new Uint8Array(FILE_HEADER_SIZE);
    const header = decodeFileHeader(
      DATA_MAGIC,
      hb.subarray(0, preadFully(fd, hb, 0, FILE_HEADER_SIZE, 0)),
      path,
    );
    const { entries } = collectEntries({ fd, size }, path, header.baseIndex, false);
    writeFileAtomicSync(dir, hintFileName(id), encodeHint(header, entries, size));
    return entries.count;
  } finally {
    fs.closeSync(fd);
  }
}

/** A request to the hint worker. */
export interface HintJob {
  /** Store directory. */
  dir: string;
  /** Data file id. */
  id: number;
}

/** The hint worker's answer. */
export interface HintJobResult {
  /** Data file id. */
  id: number;
  /** Null on success, else the error message. */
  error: string | null;
}

/**
 * Runs hint builds one at a time on a worker thread (or inline when workers
 * are disabled, e.g. for tests of the synchronous path).
 */
export class HintBuilder {
  #worker: Worker | null = null;
  #useWorker: boolean;
  #waiting = new Map<number, (r: HintJobResult) => void>();

  /**
   * Creates the builder; the worker starts on first use.
   *
   * @param useWorker Whether to build on a worker thread.
   */
  constructor(useWorker: boolean) {
    this.#useWorker = useWorker;
  }

  /**
   * Builds the hint for a data file.
   *
   * @param dir Store directory.
   * @param id Data file id.
   * @returns The outcome (never rejects).
   */
  build(dir: string, id: number): Promise<HintJobResult> {
    if (!this.#useWorker) {
      try {
        buildHintFileSync(dir, id);
        return Promise.resolve({ id, error: null });
      } catch (e) {
        return Promise.resolve({ id, error: (e as Error).message });
      }
    }
    if (this.#worker === null) {
      const w = new Worker(new URL("./hint_worker.ts", import.meta.url).href, { type: "module" });
      w.onmessage = (ev: MessageEvent<HintJobResult>) => {
        const done = this.#waiting.get(ev.data.id);
        this.#waiting.delete(ev.data.id);
        done?.(ev.data);
      };
      w.onerror = (ev: ErrorEvent) => {
        ev.preventDefault();
        this.#failAll(ev.message);
      };
      this.#worker = w;
    }
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      (this.#worker as Worker).postMessage({ dir, id } satisfies HintJob);
    });
  }

  /** Stops the worker; pending builds resolve with an error. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#failAll("hint builder closed");
  }

  #failAll(message: string): void {
    for (const [id, done] of this.#waiting) done({ id, error: message });
    this.#waiting.clear();
  }
}
