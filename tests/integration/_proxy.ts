/**
 * A TCP proxy for fault tests: forwards connections to a target port until
 * it is cut (every connection through it is closed, and new ones are
 * closed as soon as they arrive) and again once healed. Give a node this
 * proxy's address as its `--advertise` address to cut its inbound links.
 */

/** A cuttable TCP forwarder on 127.0.0.1. */
export class TcpProxy implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #target: number;
  readonly #conns = new Set<Deno.Conn>();
  #cut = false;
  #accepting: Promise<void>;

  private constructor(target: number) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  /**
   * Starts a proxy to `target` on a free port.
   *
   * @param target The port to forward to.
   * @returns The proxy.
   */
  static start(target: number): TcpProxy {
    return new TcpProxy(target);
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Drops every connection, and every new one until healed. */
  cut(): void {
    this.#cut = true;
    for (const c of this.#conns) this.#close(c);
  }

  /** Forwards again. */
  heal(): void {
    this.#cut = false;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let inbound: Deno.Conn;
      try {
        inbound = await this.#listener.accept();
      } catch {
        return;
      }
      if (this.#cut) {
        this.#close(inbound);
        continue;
      }
      Deno.connect({ hostname: "127.0.0.1", port: this.#target }).then((outbound) => {
        if (this.#cut) {
          this.#close(inbound);
          this.#close(outbound);
          return;
        }
        this.#conns.add(inbound);
        this.#conns.add(outbound);
        this.#pipe(inbound, outbound);
        this.#pipe(outbound, inbound);
      }, () => this.#close(inbound));
    }
  }

  async #pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null || this.#cut) break;
        let done = 0;
        while (done < n) done += await to.write(buf.subarray(done, n));
      }
    } catch { /* closed */ }
    this.#close(from);
    this.#close(to);
  }

  #close(c: Deno.Conn): void {
    this.#conns.delete(c);
    try {
      c.close();
    } catch { /* already closed */ }
  }

  /** Closes the listener and every connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.cut();
    try {
      this.#listener.close();
    } catch { /* closed */ }
    await this.#accepting;
  }
}
