/**
 * Test harness: runs `main.ts` as a real process on a free 127.0.0.1 port
 * and stops it (and removes its data) when disposed, even if the test fails.
 */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A running server process. */
export interface TestServer extends AsyncDisposable {
  /** Its port. */
  port: number;
  /** host:port. */
  addr: string;
  /** Its data directory. */
  dir: string;
  /** The child process. */
  child: Deno.ChildProcess;
  /** Everything the server printed on stderr so far. */
  stderr(): string;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Waits for the process to exit. */
  exited(): Promise<Deno.CommandStatus>;
}

/** Options for {@linkcode startServer}. */
export interface StartOptions {
  /** Extra command-line arguments. */
  args?: string[];
  /** Data directory to use (kept on dispose); default a fresh temp dir (removed). */
  dir?: string;
  /** Port to use; default a free one. */
  port?: number;
}

/**
 * Finds a free TCP port on 127.0.0.1.
 *
 * @returns A port number.
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts a server and waits until it answers PING.
 *
 * @param options Arguments, data directory, port.
 * @returns The running server.
 */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "bitraft_it_" });
  const port = options.port ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "-d",
      dir,
      "-b",
      `127.0.0.1:${port}`,
      "--log-level",
      "warning",
      ...(options.args ?? []),
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let err = "";
  const td = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) err += td.decode(chunk);
  })();
  const status = child.status;
  let exited = false;
  status.then(() => (exited = true));
  const server: TestServer = {
    port,
    addr: `127.0.0.1:${port}`,
    dir,
    child,
    stderr: () => err,
    kill: (signal = "SIGTERM") => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    },
    exited: async () => {
      const s = await status;
      await reading;
      return s;
    },
    async [Symbol.asyncDispose]() {
      if (!exited) {
        server.kill("SIGKILL");
      }
      await server.exited();
      if (ownDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`server exited during startup: ${err}`);
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return server;
    } catch {
      if (Date.now() > deadline) {
        await server[Symbol.asyncDispose]();
        throw new Error(`server did not start: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Runs redis-cli against a port.
 *
 * @param port The server's port.
 * @param args redis-cli arguments (the command and its arguments, or options).
 * @param stdin Optional input.
 * @returns stdout, stderr and exit code.
 */
export async function redisCli(
  port: number,
  args: string[],
  stdin?: Uint8Array | string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(port), ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await w.close();
  }
  const out = await child.output();
  const td = new TextDecoder();
  return { stdout: td.decode(out.stdout), stderr: td.decode(out.stderr), code: out.code };
}
