import assert from "node:assert/strict";
import { CorruptRecordError, UnsupportedFormatError } from "../../lib/bitcask/mod.ts";
import { b, listDir, openStore, quiet, s, tempDir } from "./_helpers.ts";

const HEADER = 32;
const REC = 29 + 4 + 20; // key "kNNN", 20-byte value

function key(i: number): Uint8Array {
  return b(`k${String(i).padStart(3, "0")}`);
}

function value(i: number): Uint8Array {
  return b(`value-${String(i).padStart(14, "0")}`);
}

/** Writes `n` records into files of `perFile` records each and closes. */
async function fill(dir: string, n: number, perFile = 1000): Promise<void> {
  await using store = await openStore(
    dir,
    quiet([], { maxFileSize: HEADER + perFile * REC, autoMerge: false }),
  );
  for (let i = 0; i < n; i++) store.put(key(i), value(i), { index: i + 1 });
}

function flip(path: string, offset: number): void {
  const bytes = Deno.readFileSync(path);
  bytes[offset] ^= 0x40;
  Deno.writeFileSync(path, bytes);
}

Deno.test("open truncates a torn tail of the active file and keeps every whole record", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 10);
  const path = `${dir.path}/000000001.data`;
  // A record cut short, as a crash in the middle of a write leaves it.
  const f = Deno.openSync(path, { append: true });
  f.writeSync(
    new Uint8Array([
      1,
      2,
      3,
      4,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      4,
      0,
      0,
      0,
      200,
      0,
    ]),
  );
  f.close();
  const logs: string[] = [];
  {
    await using store = await openStore(dir.path, quiet(logs));
    assert.equal(store.stats().truncatedBytes, 27);
    assert.equal(Deno.statSync(path).size, HEADER + 10 * REC);
    for (let i = 0; i < 10; i++) assert.deepEqual(store.get(key(i)), value(i));
    assert.equal(store.lastIndex(), 10);
    store.put(key(10), value(10));
  }
  assert.ok(logs.some((l) => l.includes("truncated torn tail")), logs.join("\n"));
  await using again = await openStore(dir.path);
  assert.equal(again.stats().truncatedBytes, 0);
  assert.deepEqual(again.get(key(10)), value(10));
});

Deno.test("open drops a record whose tail was cut off", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 10);
  const path = `${dir.path}/000000001.data`;
  Deno.truncateSync(path, HEADER + 10 * REC - 5);
  await using store = await openStore(dir.path);
  assert.equal(store.size, 9);
  assert.equal(store.get(key(9)), undefined);
  assert.equal(store.lastIndex(), 9);
  assert.equal(Deno.statSync(path).size, HEADER + 9 * REC);
});

Deno.test("open drops a batch whose last record was cut off, as a whole", async () => {
  await using dir = await tempDir();
  {
    await using store = await openStore(dir.path);
    store.put(b("before"), b("1"), { index: 1 });
    store.batch([
      { type: "put", key: b("x"), value: b("1") },
      { type: "put", key: b("y"), value: b("2") },
      { type: "delete", key: b("before") },
    ], { index: 2 });
  }
  const path = `${dir.path}/000000001.data`;
  Deno.truncateSync(path, Deno.statSync(path).size - 3);
  await using store = await openStore(dir.path);
  assert.equal(s(store.get(b("before"))), "1");
  assert.equal(store.get(b("x")), undefined);
  assert.equal(store.get(b("y")), undefined);
  assert.equal(store.lastIndex(), 1);
});

Deno.test("open refuses corruption in the middle of the active file", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 10);
  const path = `${dir.path}/000000001.data`;
  flip(path, HEADER + 3 * REC + 35);
  await assert.rejects(openStore(dir.path), (e) => {
    assert.ok(e instanceof CorruptRecordError);
    assert.equal(e.file, path);
    assert.equal(e.offset, HEADER + 3 * REC);
    return true;
  });
});

Deno.test("open names the file and offset of a flipped byte in an old file without a hint", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 50, 20); // files 1 and 2 full, file 3 active
  const old = `${dir.path}/000000001.data`;
  Deno.removeSync(`${dir.path}/000000001.hint`);
  flip(old, HEADER + 4 * REC + 40);
  await assert.rejects(openStore(dir.path), (e) => {
    assert.ok(e instanceof CorruptRecordError, String(e));
    assert.equal(e.file, old);
    assert.equal(e.offset, HEADER + 4 * REC);
    assert.match(e.message, /checksum mismatch/);
    assert.match(e.message, /000000001\.data/);
    return true;
  });
});

Deno.test("get names the file and offset of a flipped byte behind a valid hint", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 50, 20);
  const old = `${dir.path}/000000002.data`;
  flip(old, HEADER + 6 * REC + 45);
  await using store = await openStore(dir.path);
  assert.throws(() => store.get(key(26)), (e) => {
    assert.ok(e instanceof CorruptRecordError);
    assert.equal(e.file, old);
    assert.equal(e.offset, HEADER + 6 * REC);
    return true;
  });
  assert.deepEqual(store.get(key(25)), value(25));
  assert.deepEqual(store.get(key(27)), value(27));
});

Deno.test("open rebuilds a hint that fails its checksum or no longer matches its data file", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 50, 20);
  flip(`${dir.path}/000000001.hint`, 50);
  Deno.writeFileSync(`${dir.path}/000000002.hint`, new Uint8Array(10));
  const logs: string[] = [];
  {
    await using store = await openStore(dir.path, quiet(logs));
    assert.equal(store.stats().hintsRebuilt, 2);
    for (let i = 0; i < 50; i++) assert.deepEqual(store.get(key(i)), value(i));
  }
  assert.equal(logs.filter((l) => l.includes("ignoring hint")).length, 2, logs.join("\n"));
  await using again = await openStore(dir.path);
  assert.equal(again.stats().hintsRebuilt, 0, "the rebuilt hints are valid");
  assert.equal(again.size, 50);
});

Deno.test("open removes leftovers of interrupted work", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 50, 20);
  Deno.writeFileSync(`${dir.path}/000000009.data.merging`, new Uint8Array(100));
  Deno.writeFileSync(`${dir.path}/000000001.hint.tmp`, new Uint8Array(100));
  Deno.writeFileSync(`${dir.path}/000000077.hint`, new Uint8Array(100));
  // A data file whose creation was cut short before its header reached the disk.
  Deno.writeFileSync(`${dir.path}/000000099.data`, new Uint8Array(7));
  {
    await using store = await openStore(dir.path);
    assert.equal(store.size, 50);
    store.put(b("new"), b("write"));
  }
  const names = listDir(dir.path);
  for (
    const gone of [
      "000000009.data.merging",
      "000000001.hint.tmp",
      "000000077.hint",
      "000000099.data",
    ]
  ) {
    assert.ok(!names.includes(gone), `${gone} still there: ${names}`);
  }
  await using again = await openStore(dir.path);
  assert.equal(s(again.get(b("new"))), "write");
});

Deno.test("open refuses a data file from an unknown format version", async () => {
  await using dir = await tempDir();
  await fill(dir.path, 3);
  const path = `${dir.path}/000000001.data`;
  const bytes = Deno.readFileSync(path);
  bytes[8] = 9;
  // Re-seal the header CRC so only the version is wrong.
  const { crc32, writeU32 } = await import("../../lib/bitcask/bytes.ts");
  writeU32(bytes, 28, crc32(bytes.subarray(0, 28)));
  Deno.writeFileSync(path, bytes);
  await assert.rejects(openStore(dir.path), UnsupportedFormatError);
});
