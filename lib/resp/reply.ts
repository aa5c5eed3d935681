/**
 * Reply values that command handlers return, and {@linkcode writeReply},
 * which encodes them. Plain JS values cover the common cases:
 *
 * | value | RESP2 | RESP3 |
 * |---|---|---|
 * | `null` | `$-1` | `_` |
 * | integer `number`, `bigint` | `:n` | `:n` |
 * | `string` (UTF-8) or `Uint8Array` | `$len` bulk | `$len` bulk |
 * | `Reply[]` | `*n` array | `*n` array |
 * | {@linkcode Simple} | `+text` | `+text` |
 * | {@linkcode ReplyError} | `-message` | `-message` |
 * | {@linkcode Double} | bulk string | `,x` |
 * | {@linkcode RespMap} | flat `*2n` array | `%n` |
 * | {@linkcode RespSet} | `*n` array | `~n` |
 * | {@linkcode RespBoolean} | `:1`/`:0` | `#t`/`#f` |
 * | {@linkcode Verbatim} | bulk string | `=len` |
 * | {@linkcode NULL_ARRAY} | `*-1` | `_` |
 *
 * @module
 */

import type { RespEncoder } from "./encoder.ts";

/** A status reply, written `+text`. */
export class Simple {
  /**
   * Creates a status reply.
   *
   * @param text The status, e.g. `OK` (no CR or LF).
   */
  constructor(readonly text: string) {}
}

/** The `+OK` reply. */
export const OK: Simple = Object.freeze(new Simple("OK"));
/** The `+QUEUED` reply (a command queued inside MULTI). */
export const QUEUED: Simple = Object.freeze(new Simple("QUEUED"));
/** The `+PONG` reply. */
export const PONG: Simple = Object.freeze(new Simple("PONG"));

/**
 * An error reply, written `-message`. Handlers may return it or throw it.
 * The message starts with the error code, as Redis sends it.
 */
export class ReplyError extends Error {
  /**
   * Creates an error reply.
   *
   * @param message The code and text, e.g. `ERR syntax error` or
   * `WRONGTYPE Operation against a key holding the wrong kind of value`.
   */
  constructor(message: string) {
    super(message);
    this.name = "ReplyError";
  }
}

/** A double reply: `,x` in RESP3, a bulk string in RESP2. */
export class Double {
  /**
   * Creates a double reply.
   *
   * @param value The number (any double, including infinities and NaN).
   */
  constructor(readonly value: number) {}
}

/** A map reply: `%n` in RESP3, a flat key/value array in RESP2. */
export class RespMap {
  /**
   * Creates a map reply.
   *
   * @param entries The key/value pairs, in reply order.
   */
  constructor(readonly entries: [Reply, Reply][]) {}
}

/** A set reply: `~n` in RESP3, an array in RESP2. */
export class RespSet {
  /**
   * Creates a set reply.
   *
   * @param members The members, in reply order.
   */
  constructor(readonly members: Reply[]) {}
}

/** A boolean reply: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2. */
export class RespBoolean {
  /**
   * Creates a boolean reply.
   *
   * @param value The value.
   */
  constructor(readonly value: boolean) {}
}

/** A verbatim string reply: `=len` with a format in RESP3, a bulk string in RESP2. */
export class Verbatim {
  /**
   * Creates a verbatim string reply.
   *
   * @param format Three ASCII characters: `txt` or `mkd`.
   * @param text The text.
   */
  constructor(readonly format: string, readonly text: string) {}
}

/**
 * A reply already encoded as RESP (e.g. relayed from another node), written
 * byte for byte. It must be encoded in the protocol the client speaks.
 */
export class RawReply {
  /**
   * Wraps encoded bytes.
   *
   * @param bytes One complete RESP reply.
   */
  constructor(readonly bytes: Uint8Array) {}
}

/** The null array reply: `*-1` in RESP2, `_` in RESP3 (EXEC after a failed WATCH, ...). */
export const NULL_ARRAY: unique symbol = Symbol("NULL_ARRAY");

/** Everything a command handler can reply with. */
export type Reply =
  | null
  | number
  | bigint
  | string
  | Uint8Array
  | Simple
  | ReplyError
  | Double
  | RespMap
  | RespSet
  | RespBoolean
  | Verbatim
  | RawReply
  | typeof NULL_ARRAY
  | Reply[];

/**
 * Encodes a reply (recursively for arrays, maps and sets) in the encoder's
 * protocol.
 *
 * @example Write a nested reply
 * ```ts
 * import { RespEncoder } from "./encoder.ts";
 * import { OK, writeReply } from "./reply.ts";
 *
 * const enc = new RespEncoder();
 * writeReply(enc, [OK, 1, "a", null]);
 * enc.take(); // "*4\r\n+OK\r\n:1\r\n$1\r\na\r\n$-1\r\n" as bytes
 * ```
 *
 * @param enc Where to write.
 * @param reply The value.
 * @throws {TypeError} If a number is not an integer, or a value is not a
 * {@linkcode Reply}.
 */
export function writeReply(enc: RespEncoder, reply: Reply): void {
  switch (typeof reply) {
    case "string":
      enc.bulkString(reply);
      return;
    case "number":
      if (!Number.isInteger(reply)) {
        throw new TypeError(
          `Cannot write reply: ${reply} is not an integer (use Double for a double reply)`,
        );
      }
      enc.integer(reply);
      return;
    case "bigint":
      enc.integer(reply);
      return;
    case "symbol":
      if (reply === NULL_ARRAY) {
        enc.nullArray();
        return;
      }
      break;
    case "object":
      if (reply === null) {
        enc.null();
        return;
      }
      if (reply instanceof Uint8Array) {
        enc.bulk(reply);
        return;
      }
      if (Array.isArray(reply)) {
        enc.arrayHeader(reply.length);
        for (let i = 0; i < reply.length; i++) writeReply(enc, reply[i]);
        return;
      }
      if (reply instanceof Simple) {
        enc.simple(reply.text);
        return;
      }
      if (reply instanceof ReplyError) {
        enc.error(reply.message);
        return;
      }
      if (reply instanceof RespMap) {
        enc.mapHeader(reply.entries.length);
        for (const [key, value] of reply.entries) {
          writeReply(enc, key);
          writeReply(enc, value);
        }
        return;
      }
      if (reply instanceof Double) {
        enc.double(reply.value);
        return;
      }
      if (reply instanceof RespSet) {
        enc.setHeader(reply.members.length);
        for (let i = 0; i < reply.members.length; i++) writeReply(enc, reply.members[i]);
        return;
      }
      if (reply instanceof RespBoolean) {
        enc.boolean(reply.value);
        return;
      }
      if (reply instanceof Verbatim) {
        enc.verbatim(reply.format, reply.text);
        return;
      }
      if (reply instanceof RawReply) {
        enc.raw(reply.bytes);
        return;
      }
      break;
  }
  throw new TypeError(`Cannot write reply: unsupported value ${describe(reply)}`);
}

function describe(value: unknown): string {
  if (typeof value !== "object" || value === null) return `of type ${typeof value}`;
  return `of class ${value.constructor?.name ?? "Object"}`;
}
