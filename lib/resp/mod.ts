/**
 * RESP2/RESP3 codec: pure bytes <-> values, no I/O. {@linkcode RespDecoder}
 * turns client bytes into commands (multibulk and inline, with Redis 7's
 * rules, limits and error messages); {@linkcode RespEncoder} appends
 * replies to one reusable buffer; {@linkcode writeReply} encodes the plain
 * values command handlers return.
 *
 * ```ts
 * import { OK, RespDecoder, RespEncoder, RespProtocolError, writeReply } from "./mod.ts";
 *
 * const decoder = new RespDecoder();
 * const encoder = new RespEncoder();
 * decoder.push(new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nPING\r\n"));
 * try {
 *   for (let argv = decoder.next(); argv !== null; argv = decoder.next()) {
 *     writeReply(encoder, argv.length === 3 ? OK : [1, "two", null]);
 *   }
 * } catch (e) {
 *   if (!(e instanceof RespProtocolError)) throw e;
 *   encoder.error(`ERR Protocol error: ${e.message}`); // then close the connection
 * }
 * encoder.take(); // "+OK\r\n*3\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n" as bytes
 * ```
 *
 * @module
 */

export { RespDecoder } from "./decoder.ts";
export {
  type DecoderLimits,
  DEFAULT_MAX_BULK,
  DEFAULT_MAX_INLINE,
  DEFAULT_MAX_MULTIBULK,
} from "./limits.ts";
export { RespProtocolError } from "./errors.ts";
export { RespEncoder } from "./encoder.ts";
export {
  Double,
  NULL_ARRAY,
  OK,
  PONG,
  QUEUED,
  RawReply,
  type Reply,
  ReplyError,
  RespBoolean,
  RespMap,
  RespSet,
  Simple,
  Verbatim,
  writeReply,
} from "./reply.ts";
export { formatDouble } from "./format_double.ts";
export { parseInteger } from "./parse_integer.ts";
export { splitInlineArgs } from "./inline.ts";
export { replyEnd } from "./reply_scan.ts";
