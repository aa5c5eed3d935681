import assert from "node:assert/strict";
import fc from "fast-check";
import {
  crc64,
  encodeStateRecords,
  formatCrc64,
  readStateFile,
  SnapshotCorruptError,
  type SnapshotRecord,
  writeStateFile,
} from "../../lib/snapshot/mod.ts";
import { b, concat, gzip, plain, rawState, readAll, tempDir, u64 } from "./_helpers.ts";

const recordArb = fc.record({
  key: fc.uint8Array({ maxLength: 40 }),
  value: fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 100_000, maxLength: 300_000 }) },
  ),
  expiresAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
});

Deno.test("writeStateFile() then readStateFile() returns exactly the records written", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  await fc.assert(
    fc.asyncProperty(
      fc.array(recordArb, { maxLength: 60 }),
      fc.constantFrom(-1, 0, 1, 9),
      async (records, level) => {
        const r = await writeStateFile(path, records, { level, chunkSize: 4096 });
        const file = await Deno.readFile(path);
        assert.equal(r.size, file.length);
        assert.equal(r.crc, formatCrc64(crc64(file)));
        assert.equal(r.records, records.length);
        const back = await readAll(path);
        assert.equal(back.error, undefined);
        assert.deepEqual(plain(back.records), plain(records));
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("writeStateFile() writes the documented layout inside gzip", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const records = [
    { key: b("a"), value: b("1"), expiresAt: 0 },
    { key: b("bb"), value: new Uint8Array(0), expiresAt: 1_900_000_000_123 },
    { key: new Uint8Array(0), value: b("empty key"), expiresAt: 0 },
  ];
  await writeStateFile(path, records);
  const { gunzipSync } = await import("node:zlib");
  const inner = new Uint8Array(gunzipSync(await Deno.readFile(path)));
  const expected = concat([
    b("BITRAFT1"),
    new Uint8Array([0]),
    u64(1),
    b("a"),
    u64(1),
    b("1"),
    new Uint8Array([1]),
    u64(2),
    b("bb"),
    u64(0),
    u64(1_900_000_000_123),
    new Uint8Array([0]),
    u64(0),
    u64(9),
    b("empty key"),
  ]);
  assert.deepEqual(inner, expected);
  assert.deepEqual(inner, rawState(records));
});

Deno.test("writeStateFile() accepts async iterables and a megabyte value", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  async function* source(): AsyncGenerator<SnapshotRecord> {
    yield { key: b("big"), value: big, expiresAt: 0 };
    for (let i = 0; i < 1000; i++) {
      await Promise.resolve();
      yield { key: b(`k${i}`), value: b(`v${i}`), expiresAt: i % 2 ? 1_800_000_000_000 + i : 0 };
    }
  }
  const r = await writeStateFile(path, source());
  assert.equal(r.records, 1001);
  const back = await readAll(path);
  assert.equal(back.records.length, 1001);
  assert.deepEqual(back.records[0].value, big);
  assert.equal(back.records[1000].expiresAt, 1_800_000_000_999);
});

Deno.test("writeStateFile() rejects invalid records and options", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  await assert.rejects(
    writeStateFile(path, [{ key: b("a"), value: b("1"), expiresAt: -5 }]),
    /record 1 has expiresAt -5/,
  );
  await assert.rejects(
    writeStateFile(path, [{ key: b("a"), value: b("1"), expiresAt: 1.5 }]),
    RangeError,
  );
  await assert.rejects(writeStateFile(path, [], { level: 12 }), RangeError);
  // A failing source surfaces its own error.
  function* failing(): Generator<SnapshotRecord> {
    yield { key: b("a"), value: b("1"), expiresAt: 0 };
    throw new Error("source broke");
  }
  await assert.rejects(writeStateFile(path, failing()), /source broke/);
});

Deno.test("encodeStateRecords() chunks output and passes large values through", async () => {
  const big = new Uint8Array(10_000);
  const chunks: Uint8Array[] = [];
  const records = [
    { key: b("a"), value: b("x".repeat(100)), expiresAt: 0 },
    { key: b("b"), value: big, expiresAt: 0 },
  ];
  for await (const c of encodeStateRecords(records, { chunkSize: 1024 })) chunks.push(c);
  assert.ok(chunks.some((c) => c === big), "the large value is its own chunk");
  assert.ok(chunks.every((c) => c === big || c.length <= 1024));
  assert.deepEqual(concat(chunks), rawState(records));
});

Deno.test("readStateFile() reads the legacy Finn/kvnode layout, stripping the k prefix", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const rec = (k: string, v: string) => [u64(b(k).length), b(k), u64(b(v).length), b(v)];
  const raw = concat([
    ...rec("kalpha", "1"),
    ...rec("kbeta", ""),
    ...rec("meta", "internal"), // no k prefix: skipped
    ...rec("", "x"), // empty key: skipped
    ...rec("kkite", "v\r\n"),
  ]);
  await Deno.writeFile(path, gzip(raw));
  const reader = readStateFile(path);
  const got: string[] = [];
  for await (const r of reader) got.push(`${new TextDecoder().decode(r.key)}=${r.value.length}`);
  assert.deepEqual(got, ["alpha=1", "beta=0", "kite=3"]);
  assert.equal(reader.format, "legacy");
  assert.equal(reader.skipped, 2);
  assert.equal(reader.records, 3);
  // An empty gzip stream is an empty legacy snapshot.
  await Deno.writeFile(path, gzip(new Uint8Array(0)));
  assert.deepEqual(await readAll(path), { records: [] });
});

Deno.test("readStateFile() with expect reports a CRC or size mismatch after the records", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const r = await writeStateFile(path, [{ key: b("a"), value: b("1"), expiresAt: 0 }]);
  let n = 0;
  for await (const _ of readStateFile(path, { expect: { id: "x", ...r } })) n++;
  assert.equal(n, 1);
  const bad = { id: "1-2-3", size: r.size, crc: formatCrc64(0n) };
  n = 0;
  await assert.rejects(async () => {
    for await (const _ of readStateFile(path, { expect: bad })) n++;
  }, (e) => e instanceof SnapshotCorruptError && /CRC/.test(e.message) && e.id === "1-2-3");
  assert.equal(n, 1);
  await assert.rejects(async () => {
    for await (const _ of readStateFile(path, { expect: { ...bad, crc: r.crc, size: 3 } })) n++;
  }, /has \d+ bytes, meta.json says 3/);
});

Deno.test("readStateFile() can stop early and releases the file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const records = Array.from({ length: 50_000 }, (_, i) => ({
    key: b(`key${i}`),
    value: b(`value${i}`),
    expiresAt: 0,
  }));
  await writeStateFile(path, records);
  const reader = readStateFile(path);
  let n = 0;
  for await (const _ of reader) if (++n === 10) break;
  assert.ok(reader.records >= 10 && reader.records < 50_000, `${reader.records}`);
  await assert.rejects(async () => {
    for await (const _ of reader) n++;
  }, /already used/);
  await assert.rejects(async () => {
    for await (const _ of readStateFile(`${dir.path}/missing.bin`)) n++;
  }, Deno.errors.NotFound);
});

Deno.test("StateFileReader.batches() yields the records before the damage, then throws", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const good = rawState([
    { key: b("a"), value: b("1"), expiresAt: 0 },
    { key: b("b"), value: b("2"), expiresAt: 0 },
  ]);
  await Deno.writeFile(path, gzip(concat([good, new Uint8Array([9])])));
  const reader = readStateFile(path);
  const batches: number[] = [];
  await assert.rejects(async () => {
    for await (const batch of reader.batches()) batches.push(batch.length);
  }, /record 3 at uncompressed byte 46 has unknown type 9/);
  assert.deepEqual(batches, [2]);
  assert.equal(reader.records, 2);
  assert.equal(reader.offset, 47); // the bad type byte was consumed
});

Deno.test({
  name: "writeStateFile() reports the disk's error when a write fails",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: b(`k${i}`),
      value: crypto.getRandomValues(new Uint8Array(1000)),
      expiresAt: 0,
    }));
    await assert.rejects(writeStateFile("/dev/full", records), /No space left on device/);
  },
});
