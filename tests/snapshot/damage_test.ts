import assert from "node:assert/strict";
import fc from "fast-check";
import {
  SnapshotFormatError,
  type SnapshotRecord,
  writeStateFile,
} from "../../lib/snapshot/mod.ts";
import { b, plain, readAll, tempDir } from "./_helpers.ts";

function sampleRecords(n: number, valueSize: number): SnapshotRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: b(`key:${String(i).padStart(5, "0")}`),
    value: new Uint8Array(valueSize).map((_, j) => (i * 131 + j * 7) & 0xff),
    expiresAt: i % 3 === 0 ? 1_800_000_000_000 + i : 0,
  }));
}

async function checkPrefixThenError(
  path: string,
  records: SnapshotRecord[],
  label: string,
): Promise<void> {
  const r = await readAll(path);
  assert.ok(r.error instanceof SnapshotFormatError, `${label}: ${r.error}`);
  assert.equal(r.error.message.includes("\n"), false, label);
  assert.deepEqual(plain(r.records), plain(records.slice(0, r.records.length)), label);
}

Deno.test("readStateFile() on a state.bin truncated at every byte yields a prefix, then throws", async () => {
  await using dir = await tempDir();
  const full = `${dir.path}/state.bin`;
  const records = sampleRecords(6, 20);
  await writeStateFile(full, records);
  const data = await Deno.readFile(full);
  const cut = `${dir.path}/cut.bin`;
  for (let len = 0; len < data.length; len++) {
    await Deno.writeFile(cut, data.subarray(0, len));
    await checkPrefixThenError(cut, records, `length ${len} of ${data.length}`);
  }
  // Without its 8-byte trailer the deflate data is whole: every record comes out.
  await Deno.writeFile(cut, data.subarray(0, data.length - 8));
  const r = await readAll(cut);
  assert.ok(r.error instanceof SnapshotFormatError);
  assert.equal(r.records.length, records.length);
});

Deno.test("readStateFile() on a truncated large state.bin yields a prefix, then throws", async () => {
  await using dir = await tempDir();
  const full = `${dir.path}/state.bin`;
  const records = sampleRecords(3000, 300);
  await writeStateFile(full, records, { level: 1 });
  const data = await Deno.readFile(full);
  const cut = `${dir.path}/cut.bin`;
  let longest = 0;
  for (let i = 0; i < 40; i++) {
    const len = Math.floor((data.length * i) / 40) + (i * 7919) % 97;
    await Deno.writeFile(cut, data.subarray(0, Math.min(len, data.length - 1)));
    const r = await readAll(cut);
    assert.ok(r.error instanceof SnapshotFormatError);
    assert.deepEqual(plain(r.records), plain(records.slice(0, r.records.length)));
    longest = Math.max(longest, r.records.length);
  }
  assert.ok(longest > 2500, `records before the damage are yielded (${longest})`);
});

Deno.test("readStateFile() on a state.bin with a flipped byte throws or reads it intact", async () => {
  await using dir = await tempDir();
  const full = `${dir.path}/state.bin`;
  const records = sampleRecords(200, 50);
  await writeStateFile(full, records);
  const data = await Deno.readFile(full);
  const bad = `${dir.path}/bad.bin`;
  await fc.assert(
    fc.asyncProperty(fc.nat(data.length - 1), fc.integer({ min: 1, max: 255 }), async (at, x) => {
      const copy = data.slice();
      copy[at] ^= x;
      await Deno.writeFile(bad, copy);
      const r = await readAll(bad);
      if (r.error === undefined) {
        // Only bits nobody reads: gzip header fields (FLG.FTEXT, MTIME, XFL,
        // OS) or the padding after the last deflate block. The data is intact.
        assert.ok((at >= 3 && at <= 9) || at === data.length - 9, `undetected flip at ${at}`);
        assert.deepEqual(plain(r.records), plain(records));
      } else {
        assert.ok(r.error instanceof SnapshotFormatError, `flip at ${at}: ${r.error}`);
        assert.ok(r.records.length <= records.length + 1);
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("readStateFile() rejects trailing garbage and non-gzip files", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const records = sampleRecords(3, 5);
  await writeStateFile(path, records);
  const data = await Deno.readFile(path);
  await Deno.writeFile(path, new Uint8Array([...data, 1, 2, 3]));
  assert.ok((await readAll(path)).error instanceof SnapshotFormatError);
  await Deno.writeFile(path, b("BITRAFT1 but not gzipped"));
  const r = await readAll(path);
  assert.ok(r.error instanceof SnapshotFormatError);
  assert.match((r.error as Error).message, /gzip data is damaged \(incorrect header check\)/);
});
