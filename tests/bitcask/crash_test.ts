import assert from "node:assert/strict";
import { BitcaskStore } from "../../lib/bitcask/mod.ts";
import { DATA_MAGIC, decodeFileHeader, FLAG_MERGED } from "../../lib/bitcask/data_file.ts";
import {
  RECORD_HEADER_SIZE,
  sealRecord,
  TYPE_PUT,
  writeRecordHeader,
} from "../../lib/bitcask/record.ts";
import { type WorkOp, workOp } from "./_crash_workload.ts";
import { tempDir } from "./_helpers.ts";

const ITERATIONS = Number(Deno.env.get("CRASH_ITERATIONS") ?? 25);

function apply(model: Map<string, Uint8Array>, op: WorkOp): boolean {
  if (op.type === "put") {
    model.set(op.key, op.value);
    return true;
  }
  if (op.type === "delete") return model.delete(op.key);
  let wrote = false;
  for (const o of op.ops) wrote = apply(model, o) || wrote;
  return wrote;
}

/** Runs the writer until `ms` after it is ready, SIGKILLs it, returns the last confirmed index. */
async function runAndKill(dir: string, ms: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_crash_writer.ts", import.meta.url).pathname, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let confirmed = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const decoder = new TextDecoderStream();
  const reading = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(decoder)) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const [word, n] = buf.slice(0, nl).split(" ");
        buf = buf.slice(nl + 1);
        if (word === "ready") {
          confirmed = Number(n);
          timer = setTimeout(() => child.kill("SIGKILL"), ms);
        } else if (word === "synced") {
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

/** Path of the active data file: the highest-ranked one not written by a merge. */
function activeFile(dir: string): string {
  let best: [number, number, string] = [-1, -1, ""];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".data")) continue;
    const path = `${dir}/${e.name}`;
    if (Deno.statSync(path).size < 32) continue; // creation cut short: the store removes it
    const h = decodeFileHeader(DATA_MAGIC, Deno.readFileSync(path).subarray(0, 32), path);
    if (
      (h.flags & FLAG_MERGED) === 0 && (h.rank > best[0] || (h.rank === best[0] && h.id > best[1]))
    ) {
      best = [h.rank, h.id, path];
    }
  }
  return best[2];
}

/** Appends the first `cut` bytes of a real record, as a write torn by a power cut leaves them. */
function tearTail(path: string, index: number, cut: number): number {
  const key = new TextEncoder().encode("torn-key");
  const size = RECORD_HEADER_SIZE + key.length + 300;
  const rec = new Uint8Array(size).fill(0x5a);
  writeRecordHeader(rec, 0, TYPE_PUT, 0, index, key.length, 300);
  rec.set(key, RECORD_HEADER_SIZE);
  sealRecord(rec, 0, size);
  const f = Deno.openSync(path, { append: true });
  f.writeSync(rec.subarray(0, Math.min(cut, size - 1)));
  f.close();
  return Math.min(cut, size - 1);
}

Deno.test({
  name: "BitcaskStore keeps every synced write and shows no partial record across SIGKILLs",
  async fn() {
    await using dir = await tempDir();
    const te = new TextEncoder();
    const model = new Map<string, Uint8Array>();
    let applied = 0; // model holds the state after this index
    let lastWrite = 0; // highest index <= applied that wrote a record
    let seed = 0x2545f491;
    const rand = () =>
      ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) ^ (seed + 0x9e3779b9)) >>> 0) / 2 ** 32;
    for (let it = 0; it < ITERATIONS; it++) {
      const confirmed = await runAndKill(dir.path, 20 + Math.floor(rand() * 250));
      const torn = it % 2 === 1
        ? tearTail(activeFile(dir.path), confirmed + 1_000_000, 1 + Math.floor(rand() * 330))
        : 0;
      const store = await BitcaskStore.open(dir.path, { logger: () => {}, autoMerge: false });
      try {
        // At least the torn bytes appended here (the kill may have torn a write of its own).
        assert.ok(store.stats().truncatedBytes >= torn, `iteration ${it}: torn bytes not cut`);
        const last = store.lastIndex();
        // Every synced write is there...
        let confirmedWrite = lastWrite;
        const probe = new Map(model);
        for (let i = applied + 1; i <= confirmed; i++) {
          if (apply(probe, workOp(i))) confirmedWrite = i;
        }
        assert.ok(
          last >= confirmedWrite,
          `iteration ${it}: lastIndex ${last} < synced write ${confirmedWrite}`,
        );
        // ...and the store holds exactly the state after its last index: no partial batch or record.
        for (let i = applied + 1; i <= last; i++) if (apply(model, workOp(i))) lastWrite = i;
        applied = last;
        assert.equal(store.size, model.size, `iteration ${it}: key count`);
        for (const [k, v] of model) {
          assert.deepEqual(
            store.get(te.encode(k)),
            v,
            `iteration ${it}: value of ${k} at index ${last}`,
          );
        }
        let n = 0;
        for (const _ of store.scan({ values: false })) n++;
        assert.equal(n, model.size);
      } finally {
        await store.close();
      }
    }
    assert.ok(applied > 0, "the writer made progress");
  },
});
