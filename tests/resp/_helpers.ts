import { RespDecoder, RespProtocolError } from "../../lib/resp/mod.ts";

/** Bytes of a string with one byte per char (chars must be below 256). */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A string with one char per byte. */
export function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** Concatenates byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Encodes a command as a RESP multibulk. */
export function multibulk(args: Uint8Array[]): Uint8Array {
  const parts = [latin1(`*${args.length}\r\n`)];
  for (const a of args) parts.push(latin1(`$${a.length}\r\n`), a, latin1("\r\n"));
  return concat(parts);
}

/** Calls `next()` until it returns null; the arguments are copied. */
export function drain(decoder: RespDecoder): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let argv = decoder.next(); argv !== null; argv = decoder.next()) {
    out.push(argv.map((a) => a.slice()));
  }
  return out;
}

/** Pushes `input` in one chunk and returns the commands as latin1 strings. */
export function decodeText(input: string, decoder = new RespDecoder()): string[][] {
  decoder.push(latin1(input));
  return drain(decoder).map((argv) => argv.map(text));
}

/** What decoding a stream produced: the commands, then the error if any. */
export interface Outcome {
  commands: string[][];
  error: { message: string; offset: number } | null;
}

/**
 * Pushes `input` split at `cuts` (sorted positions), draining after every
 * push, and records the commands and the first error.
 */
export function decodeChunked(
  input: Uint8Array,
  cuts: number[],
  decoder: RespDecoder,
): Outcome {
  const commands: string[][] = [];
  const points = [...cuts, input.length];
  let from = 0;
  try {
    for (const to of points) {
      decoder.push(input.subarray(from, to));
      from = to;
      // Every next() consumes at least one byte or returns null: bounded.
      let guard = input.length + 2;
      for (let argv = decoder.next(); argv !== null; argv = decoder.next()) {
        commands.push(argv.map(text));
        if (--guard < 0) throw new Error("decoder does not make progress");
      }
    }
  } catch (e) {
    if (!(e instanceof RespProtocolError)) throw e;
    return { commands, error: { message: e.message, offset: e.offset } };
  }
  return { commands, error: null };
}
