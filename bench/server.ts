/**
 * Server benchmark: redis-benchmark against bitraft and against Debian's
 * redis-server, in the same run, several rounds, medians and ratios.
 *
 * - GET: bitraft vs redis-server without persistence.
 * - SET: bitraft --durability high vs redis-server appendonly yes,
 *   appendfsync always (both fsync before replying).
 *
 * Usage: deno run -A bench/server.ts [--rounds 3] [--requests 200000] [--clients 50]
 * Needs redis-server and redis-benchmark (apt-get install redis-server).
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "200000" },
    clients: { type: "string", default: "50" },
  },
});
const ROUNDS = Number(values.rounds);
const N = values.requests;
const C = values.clients;
const MAIN = new URL("../main.ts", import.meta.url).pathname;

interface Result {
  rps: number;
  p50: number;
  p99: number;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitReady(port: number): Promise<void> {
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

interface Target {
  name: string;
  port: number;
  stop(): Promise<void>;
}

async function startRedis(name: string, dir: string, extra: string[]): Promise<Target> {
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

async function startBitraft(dir: string): Promise<Target> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "-d",
      dir,
      "-b",
      `127.0.0.1:${port}`,
      "--durability",
      "high",
      "--log-level",
      "warning",
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

async function bench(port: number, test: "set" | "get", pipeline: number): Promise<Result> {
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      test,
      "-n",
      N,
      "-c",
      C,
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

try {
  await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" }).output();
} catch {
  console.error(
    "bench/server.ts needs redis-server and redis-benchmark: apt-get install redis-server",
  );
  Deno.exit(1);
}

const root = await Deno.makeTempDir({ prefix: "bitraft_bench_" });
const cases = [
  { test: "get" as const, pipeline: 1, baseline: "redis (no persistence)" },
  { test: "get" as const, pipeline: 16, baseline: "redis (no persistence)" },
  { test: "set" as const, pipeline: 1, baseline: "redis (appendfsync always)" },
  { test: "set" as const, pipeline: 16, baseline: "redis (appendfsync always)" },
];
const results = new Map<string, Result[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const targets = [
      await startRedis("redis (no persistence)", `${root}/r${round}a`, ["--appendonly", "no"]),
      await startRedis("redis (appendfsync always)", `${root}/r${round}b`, [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
      ]),
      await startBitraft(`${root}/b${round}`),
    ];
    try {
      for (const c of cases) {
        for (const t of targets) {
          if (t.name !== "bitraft" && t.name !== c.baseline) continue;
          // GET needs the key: redis-benchmark's SET test writes it.
          if (c.test === "get") await bench(t.port, "set", 16);
          const key = `${t.name}|${c.test}|${c.pipeline}`;
          const r = await bench(t.port, c.test, c.pipeline);
          results.set(key, [...(results.get(key) ?? []), r]);
        }
      }
    } finally {
      for (const t of targets) await t.stop();
    }
  }
  const fmt = (x: number) => `${Math.round(x / 100) / 10}k`;
  console.log(
    `redis-benchmark -t set,get -c ${C} -n ${N}, median of ${ROUNDS} rounds (Deno ${Deno.version.deno}; bitraft --durability high)`,
  );
  console.log(
    "| test | bitraft req/s | p50 / p99 ms | baseline | baseline req/s | p50 / p99 ms | ratio |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const c of cases) {
    const b = results.get(`bitraft|${c.test}|${c.pipeline}`) as Result[];
    const r = results.get(`${c.baseline}|${c.test}|${c.pipeline}`) as Result[];
    const br = median(b.map((x) => x.rps));
    const rr = median(r.map((x) => x.rps));
    console.log(
      `| ${c.test.toUpperCase()} -P ${c.pipeline} | ${fmt(br)} | ${median(b.map((x) => x.p50))} / ${
        median(b.map((x) => x.p99))
      } | ${c.baseline} | ${fmt(rr)} | ${median(r.map((x) => x.p50))} / ${
        median(r.map((x) => x.p99))
      } | ${(br / rr).toFixed(2)} |`,
    );
  }
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
