/**
 * Helpers shared by the server benchmarks: free ports, starting
 * redis-server and bitraft, running redis-benchmark, medians.
 *
 * @module
 */

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** One redis-benchmark result. */
export interface Result {
  rps: number;
  p50: number;
  p99: number;
}

/** A free 127.0.0.1 port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until something listens on the port. */
export async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listening on ${port}`);
}

/** A server under test. */
export interface Target {
  name: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts Debian's redis-server. */
export async function startRedis(name: string, dir: string, extra: string[]): Promise<Target> {
  const port = freePort();
  await Deno.mkdir(dir, { recursive: true });
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...extra],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitReady(port);
  return {
    name,
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Starts a bitraft node (extra flags appended). */
export async function startBitraft(
  dir: string,
  extra: string[] = [],
  port = freePort(),
): Promise<Target> {
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
      ...extra,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await waitReady(port);
  return {
    name: "bitraft",
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Runs redis-benchmark once. */
export async function bench(
  port: number,
  test: "set" | "get",
  pipeline: number,
  n: string,
  c: string,
): Promise<Result> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      test,
      "-n",
      n,
      "-c",
      c,
      "-P",
      String(pipeline),
      "--csv",
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) =>
    l.startsWith(`"${test.toUpperCase()}"`)
  );
  if (!line) throw new Error(`no result from redis-benchmark on port ${port}`);
  const f = line.split(",").map((x) => Number(x.replaceAll('"', "")));
  return { rps: f[1], p50: f[4], p99: f[6] };
}

/** Median. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Exits with a hint when redis-server is missing. */
export async function needRedis(script: string): Promise<void> {
  try {
    await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" }).output();
  } catch {
    console.error(`${script} needs redis-server and redis-benchmark: apt-get install redis-server`);
    Deno.exit(1);
  }
}
