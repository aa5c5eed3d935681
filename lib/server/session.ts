/**
 * Per-connection state: protocol version, name, authentication, MULTI
 * queue, and what CLIENT LIST/INFO report.
 *
 * @module
 */

let nextId = 1;

/** The state of one client connection. */
export class Session {
  /** Unique client id (CLIENT ID). */
  readonly id: number = nextId++;
  /** Remote address, host:port. */
  readonly addr: string;
  /** Local address, host:port. */
  readonly laddr: string;
  /** Creation time (Unix ms). */
  readonly createdAt: number = Date.now();
  /** Reply protocol (HELLO 2|3). */
  protocol: 2 | 3 = 2;
  /** Connection name (CLIENT SETNAME). */
  name = "";
  /** Library name and version (CLIENT SETINFO). */
  libName = "";
  /** Library version (CLIENT SETINFO). */
  libVersion = "";
  /** Whether AUTH succeeded (or no password is set). */
  authenticated: boolean;
  /** Commands queued since MULTI, or null when not in a transaction. */
  multi: Uint8Array[][] | null = null;
  /** A queued command was rejected: EXEC must abort. */
  multiFailed = false;
  /** Time of the last command (Unix ms). */
  lastCommandAt: number = Date.now();
  /** Name of the last command. */
  lastCommand = "NULL";
  /** CLIENT REPLY: on, off, or skip (the next command's reply). */
  replyMode: "on" | "off" | "skip" = "on";
  /** The next command's reply is not sent (after CLIENT REPLY SKIP). */
  skipNextReply = false;
  /** Close the connection once the pending replies are written (QUIT). */
  closeAfterReply = false;
  /** Shut the node down once the pending replies are written (SHUTDOWN). */
  shutdownAfterReply = false;

  /**
   * Creates a session.
   *
   * @param addr Remote address.
   * @param laddr Local address.
   * @param authenticated Whether no AUTH is needed.
   */
  constructor(addr: string, laddr: string, authenticated: boolean) {
    this.addr = addr;
    this.laddr = laddr;
    this.authenticated = authenticated;
  }

  /**
   * The CLIENT LIST / CLIENT INFO line for this session.
   *
   * @param now Current time (Unix ms).
   * @returns One line, without newline.
   */
  describe(now: number): string {
    const age = Math.floor((now - this.createdAt) / 1000);
    const idle = Math.floor((now - this.lastCommandAt) / 1000);
    const flags = this.multi !== null ? "x" : "N";
    return `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=0 name=${this.name} age=${age} ` +
      `idle=${idle} flags=${flags} db=0 sub=0 psub=0 ssub=0 multi=${
        this.multi === null ? -1 : this.multi.length
      } ` +
      `qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 ` +
      `events=r cmd=${this.lastCommand} user=default redir=-1 resp=${this.protocol} ` +
      `lib-name=${this.libName} lib-ver=${this.libVersion}`;
  }
}
