/**
 * Snapshot benchmark: a single bitraft node loaded with N keys takes a
 * snapshot (RAFTSNAPSHOT) while redis-benchmark runs SETs against it; the
 * SETs' latency during the snapshot is compared with a run without one,
 * in the same process lifetime. Reports the snapshot's time and size, then
 * how long a new node takes to catch up through InstallSnapshot.
 *
 * Usage: deno run -A bench/snapshot.ts [--keys 1000000] [--rounds 3]
 * Needs redis-benchmark and redis-cli (apt-get install redis-tools).
 */
import { parseArgs } from "node:util";
import { median, startBitraft } from "./_lib.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    keys: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
  },
});
const KEYS = Number(values.keys);
const ROUNDS = Number(values.rounds);

async function load(port: number): Promise<void> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), "--pipe"],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const te = new TextEncoder();
  for (let i = 0; i < KEYS; i += 10_000) {
    let s = "";
    for (let j = i; j < Math.min(KEYS, i + 10_000); j++) {
      const k = `key:${String(j).padStart(10, "0")}`;
      const v = `value-${j}-${"x".repeat(80)}`;
      s += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
    }
    await w.write(te.encode(s));
  }
  await w.close();
  await child.status;
}

/** SET latency (p50, p99, max in ms) of redis-benchmark while `during` runs. */
async function setLatency(port: number, during: () => Promise<number>) {
  const bench = new Deno.Command("redis-benchmark", {
    args: ["-p", String(port), "-t", "set", "-c", "10", "-n", "60000", "-r", "100000", "--csv"],
    stdout: "piped",
    stderr: "null",
  }).output();
  await new Promise((r) => setTimeout(r, 300));
  const took = await during();
  const out = await bench;
  const line = new TextDecoder().decode(out.stdout).split("\n").find((l) => l.startsWith('"SET"'));
  const f = (line ?? "").split(",").map((x) => Number(x.replaceAll('"', "")));
  return { rps: f[1], p50: f[4], p99: f[6], max: f[7], took };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdout: "piped",
  })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

const root = await Deno.makeTempDir({ prefix: "bitraft_snapbench_" });
const node = await startBitraft(`${root}/n`, ["--durability", "high"]);
try {
  const t0 = performance.now();
  await load(node.port);
  console.log(
    `loaded ${await cli(node.port, "DBSIZE")} keys in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  const base = [];
  const snap = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(
      await setLatency(node.port, () => new Promise((res) => setTimeout(() => res(0), 1500))),
    );
    snap.push(
      await setLatency(node.port, async () => {
        const s = performance.now();
        const reply = await cli(node.port, "RAFTSNAPSHOT");
        if (reply !== "OK") throw new Error(`RAFTSNAPSHOT: ${reply}`);
        return performance.now() - s;
      }),
    );
  }
  const dirs = [...Deno.readDirSync(`${root}/n/snapshots`)].filter((e) => !e.name.endsWith(".tmp"));
  const newest = dirs.map((d) => d.name).sort().at(-1) as string;
  const size = Deno.statSync(`${root}/n/snapshots/${newest}/state.bin`).size;
  const m = (xs: { [k: string]: number }[], k: string) => median(xs.map((x) => x[k]));
  console.log(
    `snapshot of ${KEYS} keys, median of ${ROUNDS}: ${
      (m(snap, "took") / 1000).toFixed(2)
    } s, state.bin ${(size / 1048576).toFixed(1)} MiB`,
  );
  console.log("| concurrent SETs (redis-benchmark -c 10) | req/s | p50 ms | p99 ms | max ms |");
  console.log("|---|---|---|---|---|");
  for (const [name, xs] of [["without a snapshot", base], ["during RAFTSNAPSHOT", snap]] as const) {
    console.log(
      `| ${name} | ${Math.round(m(xs, "rps"))} | ${m(xs, "p50")} | ${m(xs, "p99")} | ${
        m(xs, "max")
      } |`,
    );
  }
  // InstallSnapshot: a new node joins; the leader's log was compacted long ago.
  const stats = async (port: number) => {
    const lines = (await cli(port, "RAFTSTATS")).split("\n");
    return (k: string) => Number(lines[lines.indexOf(k) + 1]);
  };
  const target = (await stats(node.port))("commit_index");
  const t1 = performance.now();
  const joiner = await startBitraft(`${root}/j`, ["--join", `127.0.0.1:${node.port}`]);
  try {
    for (;;) {
      const applied = (await stats(joiner.port))("applied_index");
      if (applied >= target) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const took = (performance.now() - t1) / 1000;
    console.log(
      `InstallSnapshot of ${await cli(joiner.port, "DBSIZE")} keys to a new node: caught up ${
        took.toFixed(1)
      } s after it was started (including its start-up and join)`,
    );
  } finally {
    await joiner.stop();
  }
} finally {
  await node.stop();
  await Deno.remove(root, { recursive: true }).catch(() => {});
}
