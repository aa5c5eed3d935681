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
import { bench, median, needRedis, type Result, startBitraft, startRedis } from "./_lib.ts";

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
await needRedis("bench/server.ts");

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
      await startBitraft(`${root}/b${round}`, ["--durability", "high"]),
    ];
    try {
      for (const c of cases) {
        for (const t of targets) {
          if (t.name !== "bitraft" && t.name !== c.baseline) continue;
          // GET needs the key: redis-benchmark's SET test writes it.
          if (c.test === "get") await bench(t.port, "set", 16, N, C);
          const key = `${t.name}|${c.test}|${c.pipeline}`;
          const r = await bench(t.port, c.test, c.pipeline, N, C);
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
