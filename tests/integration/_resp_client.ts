/**
 * A raw RESP test client: sends exact bytes, reads and parses replies, so
 * tests can check bytes on the wire and misbehave on purpose.
 */

/** A parsed reply. */
export type RawReply =
  | { type: "simple"; value: string }
  | { type: "error"; value: string }
  | { type: "int"; value: bigint }
  | { type: "bulk"; value: Uint8Array | null }
  | { type: "array"; value: RawReply[] | null }
  | { type: "other"; prefix: string; value: string | RawReply[] };

const te = new TextEncoder();

/**
 * Encodes a command as a RESP multibulk.
 *
 * @param args The arguments.
 * @returns The bytes.
 */
export function command(...args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [te.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? te.encode(a) : a;
    parts.push(te.encode(`$${b.length}\r\n`), b, te.encode("\r\n"));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A connection that reads replies one by one. */
export class RawClient {
  conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #closed = false;
  #pending: Promise<Uint8Array | null> | null = null;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /**
   * Connects.
   *
   * @param port The server's port.
   * @returns The client.
   */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends bytes (or a string as is).
   *
   * @param data What to send.
   */
  async send(data: Uint8Array | string): Promise<void> {
    const b = typeof data === "string" ? te.encode(data) : data;
    let done = 0;
    while (done < b.length) done += await this.conn.write(b.subarray(done));
  }

  /**
   * Sends a command and reads its reply.
   *
   * @param args The command.
   * @returns The reply.
   */
  async call(...args: (string | Uint8Array)[]): Promise<RawReply> {
    await this.send(command(...args));
    return await this.read();
  }

  /**
   * Reads one reply.
   *
   * @param timeoutMs Fails after this long.
   * @returns The reply.
   */
  async read(timeoutMs = 10_000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = parse(this.#buf, 0);
      if (r !== null) {
        this.#buf = this.#buf.subarray(r[1]);
        return r[0];
      }
      if (this.#closed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error("timed out waiting for a reply");
      await this.#fill(deadline - Date.now());
    }
  }

  /**
   * Reads until the server closes the connection.
   *
   * @param timeoutMs Fails after this long.
   * @returns Every byte received before the close.
   */
  async readToEnd(timeoutMs = 10_000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the connection to close");
      await this.#fill(deadline - Date.now());
    }
    return this.#buf;
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }

  async #fill(timeoutMs: number): Promise<void> {
    if (this.#pending === null) {
      const chunk = new Uint8Array(65536);
      this.#pending = this.conn.read(chunk).then(
        (n) => (n === null ? null : chunk.subarray(0, n)),
        () => null, // reset by the peer
      );
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
    const got = await Promise.race([this.#pending, timeout]);
    clearTimeout(timer);
    if (got === "timeout") return;
    this.#pending = null;
    if (got === null) {
      this.#closed = true;
      return;
    }
    const next = new Uint8Array(this.#buf.length + got.length);
    next.set(this.#buf);
    next.set(got, this.#buf.length);
    this.#buf = next;
  }
}

function line(buf: Uint8Array, at: number): [string, number] | null {
  for (let i = at; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) {
      return [new TextDecoder().decode(buf.subarray(at, i)), i + 2];
    }
  }
  return null;
}

/**
 * Parses one reply from `buf` at `at`.
 *
 * @param buf Bytes.
 * @param at Offset.
 * @returns The reply and the offset after it, or null if incomplete.
 */
export function parse(buf: Uint8Array, at: number): [RawReply, number] | null {
  if (at >= buf.length) return null;
  const l = line(buf, at + 1);
  if (l === null) return null;
  const [text, next] = l;
  switch (String.fromCharCode(buf[at])) {
    case "+":
      return [{ type: "simple", value: text }, next];
    case "-":
      return [{ type: "error", value: text }, next];
    case ":":
      return [{ type: "int", value: BigInt(text) }, next];
    case "$": {
      const n = Number(text);
      if (n < 0) return [{ type: "bulk", value: null }, next];
      if (next + n + 2 > buf.length) return null;
      return [{ type: "bulk", value: buf.slice(next, next + n) }, next + n + 2];
    }
    case "*": {
      const n = Number(text);
      if (n < 0) return [{ type: "array", value: null }, next];
      const items: RawReply[] = [];
      let o = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, o);
        if (r === null) return null;
        items.push(r[0]);
        o = r[1];
      }
      return [{ type: "array", value: items }, o];
    }
    case "%":
    case "~":
    case ">": {
      const n = Number(text) * (buf[at] === 0x25 ? 2 : 1);
      const items: RawReply[] = [];
      let o = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, o);
        if (r === null) return null;
        items.push(r[0]);
        o = r[1];
      }
      return [{ type: "other", prefix: String.fromCharCode(buf[at]), value: items }, o];
    }
    case "=":
    case "!": {
      const n = Number(text);
      if (next + n + 2 > buf.length) return null;
      return [{
        type: "other",
        prefix: String.fromCharCode(buf[at]),
        value: new TextDecoder().decode(buf.subarray(next, next + n)),
      }, next + n + 2];
    }
    default:
      return [{ type: "other", prefix: String.fromCharCode(buf[at]), value: text }, next];
  }
}

/**
 * Bulk reply as text (null for a null bulk).
 *
 * @param r A reply.
 * @returns The text.
 */
export function text(r: RawReply): string | null {
  if (r.type === "bulk") return r.value === null ? null : new TextDecoder().decode(r.value);
  if (r.type === "simple" || r.type === "error") return r.value;
  if (r.type === "int") return String(r.value);
  throw new Error(`not a scalar reply: ${JSON.stringify(r)}`);
}
