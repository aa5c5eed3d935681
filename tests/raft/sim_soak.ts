/**
 * Long runs of the Raft cluster simulator.
 *
 *   deno run -A tests/raft/sim_soak.ts [--seeds N] [--start S] [--nodes 3|5]
 *     [--profile NAME] [--duration MS] [--seed S [--trace]] [--keep-going] [--quiet]
 *     [--skip INV,INV] [--snap-report installed|unfiltered|sent|failures]
 *
 * Defaults: 2000 seeds from 1, 8000 virtual ms of faults per seed, the
 * profile picked by the seed. Without --nodes, seeds alternate between 3 and
 * 5 nodes (even: 3, odd: 5). --skip and --snap-report are for exploring
 * around a known bug (see SimOptions in _sim.ts).
 * --seed replays one seed (--trace prints every event). Exits 1 on the first
 * failure, after printing the seed and the command that replays it
 * (--keep-going: runs every seed and counts the failures).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type Invariant,
  INVARIANTS,
  PROFILES,
  replayCommand,
  runSim,
  SimFailure,
  type SimOptions,
  SNAP_REPORT_MODES,
  type SnapReportMode,
} from "./_sim.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seeds: { type: "string", default: "2000" },
    start: { type: "string", default: "1" },
    seed: { type: "string" },
    nodes: { type: "string" },
    profile: { type: "string" },
    duration: { type: "string", default: "8000" },
    skip: { type: "string", default: "" },
    trace: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    "keep-going": { type: "boolean", default: false },
    "snap-report": { type: "string", default: "installed" },
  },
});

const skip = values.skip === "" ? [] : values.skip.split(",") as Invariant[];
for (const s of skip) {
  if (!INVARIANTS.includes(s)) {
    throw new RangeError(`Cannot skip "${s}": not one of ${INVARIANTS.join(", ")}`);
  }
}
if (!(SNAP_REPORT_MODES as readonly string[]).includes(values["snap-report"])) {
  throw new RangeError(`Cannot use --snap-report "${values["snap-report"]}"`);
}
if (values.profile !== undefined && PROFILES[values.profile] === undefined) {
  throw new RangeError(
    `Cannot use profile "${values.profile}": not one of ${Object.keys(PROFILES).join(", ")}`,
  );
}
const duration = Number(values.duration);
for (const [name, v] of Object.entries({ ...values, trace: undefined, quiet: undefined })) {
  if (["seeds", "start", "seed", "nodes", "duration"].includes(name) && v !== undefined) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < (name === "start" || name === "seed" ? 0 : 1)) {
      throw new RangeError(`Cannot run the soak: --${name} must be a whole number, got "${v}"`);
    }
  }
}
const nodesFor = (seed: number) =>
  values.nodes !== undefined ? Number(values.nodes) : seed % 2 === 0 ? 3 : 5;

function runOne(seed: number, trace: boolean): boolean {
  const nodes = nodesFor(seed);
  const o: SimOptions = {
    seed,
    nodes,
    profile: values.profile,
    duration,
    skip,
    snapReport: values["snap-report"] as SnapReportMode,
  };
  try {
    const r = runSim({ ...o, trace: trace ? (l) => console.log(l) : undefined });
    if (!values.quiet && (trace || values.seed !== undefined)) {
      console.log(`seed ${seed} ok: ${r.profile}, ${r.events} events, ${r.time}ms`, r.stats);
    }
    return true;
  } catch (e) {
    if (!(e instanceof SimFailure)) throw e;
    if (e.trace.length > 0 && !values["keep-going"]) console.log(e.trace.join("\n"));
    console.log(`FAIL ${e.message}`);
    console.log(`replay: ${replayCommand(o)}`);
    return false;
  }
}

if (values.seed !== undefined) {
  Deno.exit(runOne(Number(values.seed), values.trace) ? 0 : 1);
}

const start = Number(values.start);
const count = Number(values.seeds);
const t0 = performance.now();
let last = t0;
let failed = 0;
for (let s = start; s < start + count; s++) {
  if (!runOne(s, false)) {
    if (!values["keep-going"]) Deno.exit(1);
    failed++;
  }
  const now = performance.now();
  if (!values.quiet && now - last > 5000) {
    last = now;
    const done = s - start + 1;
    const rate = ((now - t0) / done).toFixed(1);
    console.log(`${done}/${count} seeds run, ${failed} failed, ${rate} ms/seed`);
  }
}
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(`${count - failed}/${count} seeds ok (${start}..${start + count - 1}), ${secs}s`);
if (failed > 0) Deno.exit(1);
