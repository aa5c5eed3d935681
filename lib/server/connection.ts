/**
 * One client connection: read, decode every complete command, run them in
 * order, write all replies with one write. Replies are flushed early once
 * 1 MiB is pending, and the next read waits until everything is written,
 * so a client that does not read its replies only stalls itself. A single
 * batch whose unwritten replies pass `maxOutput` closes the connection.
 *
 * @module
 */

import {
  type DecoderLimits,
  RespDecoder,
  RespEncoder,
  RespProtocolError,
  writeReply,
} from "../resp/mod.ts";
import type { Dispatcher } from "./dispatch.ts";
import type { Session } from "./session.ts";

/** Limits applied to each connection. */
export interface ConnectionLimits extends DecoderLimits {
  /** Most reply bytes one connection may have waiting to be written. @default {1 GiB} */
  maxOutput?: number;
}

const FLUSH_AT = 1 << 20;
const MAX_BATCH = 1024;

/**
 * Writes all of `bytes`.
 *
 * @param conn The connection.
 * @param bytes What to write.
 */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await conn.write(bytes.subarray(done));
}

/**
 * Serves a connection until the client leaves, QUITs, breaks the protocol
 * or the connection is closed from outside.
 *
 * @param conn The connection.
 * @param session Its session.
 * @param dispatcher Runs commands.
 * @param options Limits, and what to do on SHUTDOWN.
 * @returns Resolves when the connection is closed.
 */
export async function serveConnection(
  conn: Deno.Conn,
  session: Session,
  dispatcher: Dispatcher,
  options: { limits: ConnectionLimits; onShutdown: () => void; log: (msg: string) => void },
): Promise<void> {
  const maxOutput = options.limits.maxOutput ?? 1024 ** 3;
  const decoder = new RespDecoder(options.limits);
  const enc = new RespEncoder();
  const buf = new Uint8Array(64 * 1024);
  let open = true;
  try {
    while (open) {
      decoder.authenticated = session.authenticated;
      const n = await conn.read(buf);
      if (n === null) break;
      decoder.push(buf.subarray(0, n));
      for (;;) {
        const cmds: Uint8Array[][] = [];
        let protocolError: RespProtocolError | null = null;
        try {
          while (cmds.length < MAX_BATCH) {
            const argv = decoder.next();
            if (argv === null) break;
            cmds.push(argv);
          }
        } catch (e) {
          if (!(e instanceof RespProtocolError)) throw e;
          protocolError = e;
        }
        for (const slot of dispatcher.run(session, cmds)) {
          const reply = slot.reply instanceof Promise ? await slot.reply : slot.reply;
          enc.protocol = slot.protocol;
          writeReply(enc, reply);
          if (enc.length > maxOutput) {
            options.log(`closing client ${session.addr}: reply exceeds ${maxOutput} bytes`);
            return;
          }
          if (enc.length >= FLUSH_AT) await writeAll(conn, enc.take());
        }
        decoder.authenticated = session.authenticated;
        if (protocolError !== null) {
          enc.protocol = session.protocol;
          enc.error(`ERR Protocol error: ${protocolError.message}`);
          open = false;
          break;
        }
        if (session.closeAfterReply || session.shutdownAfterReply) {
          open = false;
          break;
        }
        if (cmds.length < MAX_BATCH) break;
      }
      if (enc.length > 0) await writeAll(conn, enc.take());
      if (session.shutdownAfterReply) options.onShutdown();
    }
  } catch (e) {
    if (
      !(e instanceof Deno.errors.BadResource || e instanceof Deno.errors.ConnectionReset ||
        e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.Interrupted)
    ) {
      options.log(`client ${session.addr}: ${(e as Error).message}`);
    }
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}
