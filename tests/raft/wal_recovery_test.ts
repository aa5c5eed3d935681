import assert from "node:assert/strict";
import { WalCorruptError } from "../../lib/raft/mod.ts";
import {
  appendBytes,
  encodedRecord,
  flipByte,
  listDir,
  type LogLines,
  makeEntries,
  openWal,
  payload,
  plain,
  recordOffsets,
  segmentNames,
  tempDir,
} from "./_wal_helpers.ts";

/** Writes entries 1..n with small segments and closes the log. */
async function fill(dir: string, n: number): Promise<string[]> {
  const wal = await openWal(dir);
  for (let i = 1; i <= n; i += 10) wal.append(makeEntries(i, Math.min(n, i + 9)));
  await wal.close();
  return segmentNames(dir);
}

Deno.test("Wal.open() cuts a torn tail of the newest segment and appending continues", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 100);
  const last = `${dir.path}/${names.at(-1)}`;
  const size = Deno.statSync(last).size;
  const rec = encodedRecord(101, 1, new Uint8Array(200).fill(9));
  for (const cut of [1, 10, 23, 24, 25, 100, rec.length - 1]) {
    appendBytes(last, rec.subarray(0, cut));
    const logs: LogLines = [];
    const wal = await openWal(dir.path, {}, logs);
    assert.equal(wal.lastIndex, 100, `cut ${cut}`);
    assert.equal(wal.stats().truncatedBytes, cut);
    assert.ok(logs.some((l) => l.startsWith("warn: truncated torn tail")), logs.join("\n"));
    assert.equal(Deno.statSync(last).size, size);
    assert.deepEqual(plain(wal.entries(90, 101)), plain(makeEntries(90, 100)));
    await wal.close();
  }
  // Zeros (a file extended but never written) are a torn tail too.
  appendBytes(last, new Uint8Array(700));
  const wal = await openWal(dir.path);
  assert.equal(wal.lastIndex, 100);
  wal.append(makeEntries(101, 130));
  await wal.close();
  const again = await openWal(dir.path);
  assert.equal(again.stats().truncatedBytes, 0);
  assert.deepEqual(plain(again.entries(1, 131)), plain(makeEntries(1, 130)));
  await again.close();
});

Deno.test("Wal.open() treats a bad last record of the newest segment as a torn tail", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 100);
  const last = `${dir.path}/${names.at(-1)}`;
  const offsets = recordOffsets(last);
  flipByte(last, offsets.at(-1)! + 30);
  const wal = await openWal(dir.path);
  assert.equal(wal.lastIndex, 99);
  await wal.close();
});

Deno.test("Wal.open() reports a flipped byte in an older segment with file and offset", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 100);
  const older = `${dir.path}/${names[1]}`;
  const offsets = recordOffsets(older);
  const bad = offsets[2];
  flipByte(older, bad + 20); // inside the term field
  const err = await openWal(dir.path).then(
    () => assert.fail("open succeeded"),
    (e) => e,
  );
  assert.ok(err instanceof WalCorruptError, String(err));
  assert.equal(err.file, older);
  assert.equal(err.offset, bad);
  assert.match(err.message, /checksum mismatch/);
  // Even the last record of an older segment is corruption, not a torn tail.
  flipByte(older, bad + 20);
  flipByte(older, offsets.at(-1)! + 26);
  await assert.rejects(
    () => openWal(dir.path),
    (e) => e instanceof WalCorruptError && e.file === older && e.offset === offsets.at(-1),
  );
});

Deno.test("Wal.open() reports a flipped byte in the newest segment with good records after", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 100);
  const last = `${dir.path}/${names.at(-1)}`;
  const offsets = recordOffsets(last);
  assert.ok(offsets.length >= 3);
  for (const field of [0, 4, 9, 17, 24]) {
    const at = offsets[1] + Math.min(field, 24 + payload(0).length);
    const before = Deno.readFileSync(last);
    flipByte(last, at);
    await assert.rejects(
      () => openWal(dir.path),
      (e) => e instanceof WalCorruptError && e.file === last && e.offset === offsets[1],
      `byte ${field}`,
    );
    Deno.writeFileSync(last, before);
  }
  const wal = await openWal(dir.path);
  assert.equal(wal.lastIndex, 100);
  await wal.close();
});

Deno.test("Wal.open() reports bad headers, gaps and a bad meta file", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 100);
  const seg = `${dir.path}/${names[2]}`;
  const original = Deno.readFileSync(seg);
  flipByte(seg, 3);
  await assert.rejects(
    () => openWal(dir.path),
    (e) => e instanceof WalCorruptError && e.file === seg && e.offset === 0,
  );
  Deno.writeFileSync(seg, original);

  // A missing segment in the middle is a gap.
  Deno.renameSync(seg, `${dir.path}/aside`);
  await assert.rejects(
    () => openWal(dir.path),
    (e) =>
      e instanceof WalCorruptError && e.file === `${dir.path}/${names[3]}` &&
      /does not follow/.test(e.message),
  );
  Deno.renameSync(`${dir.path}/aside`, seg);

  // A segment whose header disagrees with its name.
  Deno.renameSync(seg, `${dir.path}/99999999999999999999.wal`.replace("9999999999", "0000000000"));
  await assert.rejects(() => openWal(dir.path), WalCorruptError);
  Deno.renameSync(`${dir.path}/00000000009999999999.wal`, seg);

  // The first segment starting after the compaction point + 1 is a gap.
  Deno.renameSync(`${dir.path}/${names[0]}`, `${dir.path}/aside`);
  await assert.rejects(() => openWal(dir.path), /leaves a gap/);
  Deno.renameSync(`${dir.path}/aside`, `${dir.path}/${names[0]}`);

  const wal = await openWal(dir.path);
  wal.compact(10);
  await wal.close();
  flipByte(`${dir.path}/wal.meta`, 17);
  await assert.rejects(
    () => openWal(dir.path),
    (e) => e instanceof WalCorruptError && e.file === `${dir.path}/wal.meta`,
  );
});

Deno.test("Wal.open() removes a newest segment with a torn header and stray .tmp files", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 100);
  const next = `${dir.path}/${"101".padStart(20, "0")}.wal`;
  const header = Deno.readFileSync(`${dir.path}/${names[0]}`).subarray(0, 32);
  Deno.writeFileSync(next, header.subarray(0, 13));
  Deno.writeFileSync(`${dir.path}/wal.meta.tmp`, new Uint8Array(5));
  Deno.writeFileSync(`${dir.path}/other.tmp`, new Uint8Array(5));
  const logs: LogLines = [];
  const wal = await openWal(dir.path, {}, logs);
  assert.equal(wal.lastIndex, 100);
  assert.ok(!listDir(dir.path).some((n) => n.endsWith(".tmp")));
  assert.deepEqual(segmentNames(dir.path), names);
  assert.ok(logs.some((l) => /torn header/.test(l)), logs.join("\n"));
  wal.append(makeEntries(101, 150));
  await wal.close();

  // An empty file too.
  Deno.writeFileSync(`${dir.path}/${"151".padStart(20, "0")}.wal`, new Uint8Array());
  const again = await openWal(dir.path);
  assert.deepEqual(plain(again.entries(1, 151)), plain(makeEntries(1, 150)));
  await again.close();

  // A short header on an older segment is corruption.
  const older = `${dir.path}/${names[1]}`;
  Deno.writeFileSync(older, Deno.readFileSync(older).subarray(0, 20));
  await assert.rejects(
    () => openWal(dir.path),
    (e) => e instanceof WalCorruptError && e.file === older,
  );
});

Deno.test("Wal.open() finishes a compaction cut short and drops segments it covers", async () => {
  await using dir = await tempDir();
  const names = await fill(dir.path, 200);
  // Simulate a crash after wal.meta was written but before any segment was deleted.
  const wal = await openWal(dir.path);
  const upTo = Number(names[4].slice(0, 20)) + 1;
  const term = wal.term(upTo);
  await wal.close();
  const { writeMeta } = await import("../../lib/raft/wal_meta.ts");
  writeMeta(dir.path, { index: upTo, term: term! });
  const logs: LogLines = [];
  const again = await openWal(dir.path, {}, logs);
  assert.equal(again.firstIndex, upTo + 1);
  assert.deepEqual(segmentNames(dir.path), names.slice(4));
  assert.deepEqual(plain(again.entries(upTo + 1, 201)), plain(makeEntries(upTo + 1, 200)));
  await again.close();

  // The compaction point past every segment: they all go.
  writeMeta(dir.path, { index: 250, term: 1 });
  const third = await openWal(dir.path);
  assert.equal(third.lastIndex, 250);
  assert.equal(third.stats().segments, 0);
  await third.close();
  assert.deepEqual(segmentNames(dir.path), []);
});
