/**
 * Private: a gunzip driven one piece at a time. Each `write()` resolves with
 * the output of that piece once zlib has processed it, so output that came
 * before an error is never lost (a Node stream that fails drops the data it
 * still buffers, and Deno's zlib also drops the output of writes queued
 * before `end()` when the end fails).
 *
 * @module
 */

import zlib from "node:zlib";

/** Incremental gunzip with per-write output and a sticky error. */
export class Inflater {
  #gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  #out: Uint8Array[] = [];
  #error: unknown = undefined;
  #ended = false;
  #wake: (() => void) | null = null;

  /** Creates the inflater. */
  constructor() {
    const g = this.#gunzip;
    g.on("data", (chunk: Uint8Array) => this.#out.push(chunk));
    g.on("error", (e: unknown) => {
      this.#error ??= e;
      this.#notify();
    });
    g.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    g.on("close", () => this.#notify());
  }

  /** The zlib error, once one happened (the stream is then dead). */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Decompresses the next piece of input.
   *
   * @param chunk Compressed bytes (not modified until the promise settles).
   * @returns The output produced so far (possibly none); check {@linkcode error} after.
   */
  async write(chunk: Uint8Array): Promise<Uint8Array[]> {
    if (this.#error === undefined && !this.#gunzip.destroyed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#gunzip.write(chunk, () => resolve());
      });
      this.#wake = null;
    }
    return this.#take();
  }

  /**
   * Declares the end of the input and waits for the last output.
   *
   * @returns The remaining output; check {@linkcode error} after.
   */
  async end(): Promise<Uint8Array[]> {
    if (this.#error === undefined && !this.#gunzip.destroyed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#gunzip.end();
        if (this.#ended) resolve();
      });
      this.#wake = null;
    }
    return this.#take();
  }

  /** Releases zlib's resources. */
  destroy(): void {
    this.#gunzip.destroy();
  }

  #take(): Uint8Array[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
