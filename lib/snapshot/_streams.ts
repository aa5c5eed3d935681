/**
 * Private: small helpers for driving Node streams from async code.
 *
 * @module
 */

import type { Writable } from "node:stream";

/**
 * Waits until a writable stream wants more data. Rejects if the stream
 * errors or closes first, so a producer never waits forever.
 *
 * @param stream The stream that returned false from `write()`.
 * @returns Resolves on `drain`.
 */
export function waitDrain(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = () => done();
    const onError = (err: unknown) => done(err);
    const onClose = () => done(new Error("Cannot write: the stream closed"));
    stream.on("drain", onDrain);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}

/**
 * Lets timers and I/O callbacks run (a macrotask turn, not just microtasks).
 *
 * @returns Resolves on the next turn of the event loop.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Anything with Deno's `write()` (a file, `Deno.stdout`). */
export interface ByteWriter {
  /** Writes some of `p`, returning how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/**
 * Writes all of `data` to a writer.
 *
 * @param w The writer.
 * @param data The bytes.
 */
export async function writeAll(w: ByteWriter, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}
