import assert from "node:assert/strict";
import { Wal } from "../../lib/raft/mod.ts";
import {
  appendBytes,
  crashTerm,
  encodedRecord,
  type LogLines,
  makeEntries,
  payload,
  quiet,
  segmentNames,
  tempDir,
} from "./_wal_helpers.ts";

const ITERATIONS = Number(Deno.env.get("WAL_CRASH_ITERATIONS") ?? 15);

/** Runs the writer until `ms` after it is ready, SIGKILLs it, returns the last synced index. */
async function runAndKill(dir: string, ms: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_wal_writer.ts", import.meta.url).pathname, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let confirmed = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reading = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const [word, n] = buf.slice(0, nl).split(" ");
        buf = buf.slice(nl + 1);
        if (word === "ready") {
          confirmed = Number(n);
          timer = setTimeout(() => child.kill("SIGKILL"), ms);
        } else if (word === "synced") {
          assert.ok(Number(n) >= confirmed, "synced indexes never go back");
          confirmed = Number(n);
        }
      }
    }
  })();
  const status = await child.status;
  clearTimeout(timer);
  await reading;
  assert.equal(status.signal, "SIGKILL", `writer exited on its own with code ${status.code}`);
  return confirmed;
}

Deno.test("Wal keeps every synced entry and stays appendable across SIGKILLs", async () => {
  await using dir = await tempDir();
  let seed = 0x2545f491;
  const rand = () =>
    ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) ^ (seed + 0x9e3779b9)) >>> 0) / 2 ** 32;
  let prevLast = 0;
  let cut = 0;
  for (let it = 0; it < ITERATIONS; it++) {
    const confirmed = await runAndKill(dir.path, 30 + Math.floor(rand() * 250));
    // Every other time, also tear the tail as a power cut would leave it.
    let torn = 0;
    const names = segmentNames(dir.path);
    const newest = `${dir.path}/${names.at(-1)}`;
    // (Not after a segment whose header the kill cut short: records never follow such a header.)
    if (it % 2 === 1 && names.length > 0 && Deno.statSync(newest).size >= 32) {
      const rec = encodedRecord(10_000_000, 1, new Uint8Array(300).fill(0x5a));
      torn = 1 + Math.floor(rand() * (rec.length - 1));
      appendBytes(newest, rec.subarray(0, torn));
    }
    const logs: LogLines = [];
    const wal = await Wal.open(dir.path, quiet(logs, { segmentSize: 16 * 1024 }));
    try {
      assert.ok(wal.stats().truncatedBytes >= torn, `iteration ${it}: torn bytes not cut`);
      cut += wal.stats().truncatedBytes;
      const last = wal.lastIndex;
      assert.ok(last >= confirmed, `iteration ${it}: lastIndex ${last} < synced ${confirmed}`);
      assert.ok(last >= prevLast, `iteration ${it}: lastIndex ${last} went below ${prevLast}`);
      const first = wal.firstIndex;
      assert.ok(first <= last + 1);
      if (first > 1) assert.equal(wal.term(first - 1), crashTerm(first - 1));
      // Every entry held is the right one, indexes contiguous.
      let i = first;
      while (i <= last) {
        const batch = wal.entries(i, last + 1, 256 * 1024);
        for (const e of batch) {
          assert.equal(e.index, i, `iteration ${it}: index`);
          assert.equal(e.term, crashTerm(i), `iteration ${it}: term of ${i}`);
          assert.deepEqual(e.data, payload(i), `iteration ${it}: data of ${i}`);
          assert.equal(wal.term(i), crashTerm(i));
          i++;
        }
      }
      // Appending continues where the log ends.
      wal.append(makeEntries(last + 1, last + 3, crashTerm));
      await wal.sync();
      prevLast = last + 3;
    } finally {
      await wal.close();
    }
  }
  assert.ok(prevLast > 100, `the writer made progress (${prevLast})`);
  console.log(`crash test: ${ITERATIONS} kills, last index ${prevLast}, ${cut} torn bytes cut`);
});
