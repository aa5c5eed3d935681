/**
 * Cluster benchmark: redis-benchmark against a 3-node bitraft cluster on
 * loopback (at the leader and at a follower), next to a single bitraft
 * node and redis-server with appendfsync always, all in the same run,
 * several rounds, medians. Every bitraft node runs --durability high and
 * --consistency high (reads confirm leadership with a quorum).
 *
 * Usage: deno run -A bench/cluster.ts [--rounds 3] [--requests 100000] [--clients 50]
 * Needs redis-server and redis-benchmark (apt-get install redis-server).
 */
import { parseArgs } from "node:util";
import {
  bench,
  freePort,
  median,
  needRedis,
  type Result,
  startBitraft,
  startRedis,
  type Target,
} from "./_lib.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "100000" },
    clients: { type: "string", default: "50" },
  },
});
const ROUNDS = Number(values.rounds);
const N = values.requests;
const C = values.clients;
await needRedis("bench/cluster.ts");

/** Asks a node who leads (RAFTLEADER) until one is known. */
async function leaderOf(port: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(port), "RAFTLEADER"],
      stdout: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (text.includes(":")) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no leader");
}

/** Waits until the cluster reports n voters. */
async function waitVoters(port: number, n: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const out = await new Deno.Command("redis-cli", {
      args: ["-p", String(port), "RAFTSTATS"],
      stdout: "piped",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const v = lines[lines.indexOf("num_voters") + 1];
    if (v === String(n)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cluster did not reach ${n} voters`);
}

async function startCluster(
  root: string,
): Promise<{ leader: Target; follower: Target; all: Target[] }> {
  const ports = [freePort(), freePort(), freePort()];
  const flags = ["--durability", "high", "--consistency", "high"];
  const all = [await startBitraft(`${root}/n0`, flags, ports[0])];
  await leaderOf(ports[0]);
  for (let i = 1; i < 3; i++) {
    all.push(
      await startBitraft(`${root}/n${i}`, [...flags, "--join", `127.0.0.1:${ports[0]}`], ports[i]),
    );
  }
  await waitVoters(ports[0], 3);
  const leaderPort = Number((await leaderOf(ports[0])).split(":")[1]);
  const leader = all.find((t) => t.port === leaderPort) as Target;
  const follower = all.find((t) => t !== leader) as Target;
  return { leader, follower, all };
}

const root = await Deno.makeTempDir({ prefix: "bitraft_cbench_" });
const targets = [
  "redis (appendfsync always)",
  "bitraft 1 node",
  "3 nodes: leader",
  "3 nodes: follower",
];
const cases = [
  { test: "set" as const, pipeline: 1 },
  { test: "set" as const, pipeline: 16 },
  { test: "get" as const, pipeline: 1 },
  { test: "get" as const, pipeline: 16 },
];
const results = new Map<string, Result[]>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const redis = await startRedis(targets[0], `${root}/r${round}`, [
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
    ]);
    const single = await startBitraft(`${root}/s${round}`, ["--durability", "high"]);
    const cluster = await startCluster(`${root}/c${round}`);
    const ports = [redis.port, single.port, cluster.leader.port, cluster.follower.port];
    try {
      for (const c of cases) {
        for (let i = 0; i < targets.length; i++) {
          // GET needs the key: redis-benchmark's SET test writes it.
          if (c.test === "get") await bench(ports[i], "set", 16, "10000", C);
          const r = await bench(ports[i], c.test, c.pipeline, N, C);
          const key = `${targets[i]}|${c.test}|${c.pipeline}`;
          results.set(key, [...(results.get(key) ?? []), r]);
        }
      }
    } finally {
      for (const t of [redis, single, ...cluster.all]) await t.stop();
    }
  }
  const fmt = (x: number) => `${Math.round(x / 100) / 10}k`;
  console.log(
    `redis-benchmark -c ${C} -n ${N}, median of ${ROUNDS} rounds (Deno ${Deno.version.deno}; bitraft --durability high --consistency high)`,
  );
  console.log("| test | target | req/s | p50 / p99 ms | vs 1 node |");
  console.log("|---|---|---|---|---|");
  for (const c of cases) {
    const one = median(
      (results.get(`bitraft 1 node|${c.test}|${c.pipeline}`) as Result[]).map((x) => x.rps),
    );
    for (const t of targets) {
      const r = results.get(`${t}|${c.test}|${c.pipeline}`) as Result[];
      const rps = median(r.map((x) => x.rps));
      console.log(
        `| ${c.test.toUpperCase()} -P ${c.pipeline} | ${t} | ${fmt(rps)} | ${
          median(r.map((x) => x.p50))
        } / ${median(r.map((x) => x.p99))} | ${(rps / one).toFixed(2)} |`,
      );
    }
  }
} finally {
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
