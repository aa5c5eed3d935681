/**
 * A replicated write: the commands to run, and the time the leader stamped
 * on them (expiry and relative TTLs are computed from it, never from a
 * local clock). Encoded as the data of a log entry:
 *
 * `u8 version | u8 flags (bit 0: a MULTI/EXEC transaction) | u64 time |
 *  u32 command count | per command: u32 argc | per argument: u32 length, bytes`
 *
 * @module
 */

import { readU32, readU64, writeU32, writeU64 } from "../bitcask/bytes.ts";

/** A decoded operation. */
export interface Operation {
  /** Leader-stamped time, Unix ms. */
  time: number;
  /** Whether this is a MULTI/EXEC transaction (the reply is an array). */
  transaction: boolean;
  /** The commands, each its argument vector (name first). */
  cmds: Uint8Array[][];
}

const VERSION = 1;

/**
 * Size of an operation's encoding.
 *
 * @param op The operation.
 * @returns Bytes.
 */
export function operationSize(op: Operation): number {
  let size = 14;
  for (const argv of op.cmds) {
    size += 4;
    for (const a of argv) size += 4 + a.length;
  }
  return size;
}

/**
 * Encodes an operation into `b` at `off` (copies every argument).
 *
 * @param op The operation.
 * @param b Destination with {@linkcode operationSize} bytes free at `off`.
 * @param off Where to write.
 * @returns The offset just past the encoding.
 */
export function encodeOperationInto(op: Operation, b: Uint8Array, off: number): number {
  b[off] = VERSION;
  b[off + 1] = op.transaction ? 1 : 0;
  writeU64(b, off + 2, op.time);
  writeU32(b, off + 10, op.cmds.length);
  let o = off + 14;
  for (const argv of op.cmds) {
    writeU32(b, o, argv.length);
    o += 4;
    for (const a of argv) {
      writeU32(b, o, a.length);
      b.set(a, o + 4);
      o += 4 + a.length;
    }
  }
  return o;
}

/**
 * Encodes an operation (copies every argument).
 *
 * @param op The operation.
 * @returns The bytes.
 */
export function encodeOperation(op: Operation): Uint8Array {
  const b = new Uint8Array(operationSize(op));
  encodeOperationInto(op, b, 0);
  return b;
}

/**
 * Decodes an operation; arguments are views into `b`.
 *
 * @param b The bytes.
 * @returns The operation.
 * @throws {RangeError} If the bytes are not an operation.
 */
export function decodeOperation(b: Uint8Array): Operation {
  const bad = () => new RangeError("Cannot decode operation: malformed bytes");
  if (b.length < 14 || b[0] !== VERSION) throw bad();
  const time = readU64(b, 2);
  const count = readU32(b, 10);
  const cmds: Uint8Array[][] = [];
  let o = 14;
  for (let i = 0; i < count; i++) {
    if (o + 4 > b.length) throw bad();
    const argc = readU32(b, o);
    o += 4;
    const argv: Uint8Array[] = [];
    for (let j = 0; j < argc; j++) {
      if (o + 4 > b.length) throw bad();
      const len = readU32(b, o);
      if (o + 4 + len > b.length) throw bad();
      argv.push(b.subarray(o + 4, o + 4 + len));
      o += 4 + len;
    }
    cmds.push(argv);
  }
  if (o !== b.length || time < 0) throw bad();
  return { time, transaction: (b[1] & 1) !== 0, cmds };
}
