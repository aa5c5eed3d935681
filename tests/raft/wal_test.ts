import assert from "node:assert/strict";
import fs from "node:fs";
import { Wal, WalClosedError, WalLockedError } from "../../lib/raft/mod.ts";
import {
  makeEntries,
  openWal,
  payload,
  plain,
  quiet,
  segmentNames,
  tempDir,
} from "./_wal_helpers.ts";

const termOf = (i: number) => 1 + Math.floor(i / 40);

Deno.test("Wal.append() and entries() read back across segment rotation", async () => {
  await using dir = await tempDir();
  for (const cacheSize of [0, 4096, 1 << 20]) {
    const path = `${dir.path}/c${cacheSize}`;
    const wal = await openWal(path, { cacheSize });
    assert.equal(wal.firstIndex, 1);
    assert.equal(wal.lastIndex, 0);
    const all = makeEntries(1, 300, termOf);
    for (let i = 0; i < all.length; i += 7) wal.append(all.slice(i, i + 7));
    assert.equal(wal.lastIndex, 300);
    const st = wal.stats();
    assert.ok(st.segments > 5, `expected many segments, got ${st.segments}`);
    assert.equal(segmentNames(path).length, st.segments);
    assert.equal(segmentNames(path)[0], "00000000000000000001.wal");
    for (const s of segmentNames(path)) {
      assert.ok(Deno.statSync(`${path}/${s}`).size <= 4096 || s === segmentNames(path).at(-1));
    }
    assert.deepEqual(plain(wal.entries(1, 301)), plain(all));
    assert.deepEqual(plain(wal.entries(37, 211)), plain(all.slice(36, 210)));
    assert.deepEqual(wal.entries(5, 5), []);
    await wal.sync();
    await wal.close();

    const again = await openWal(path, { cacheSize });
    assert.equal(again.lastIndex, 300);
    assert.equal(again.stats().segments, st.segments);
    assert.equal(again.stats().bytes, st.bytes);
    assert.deepEqual(plain(again.entries(1, 301)), plain(all));
    again.append(makeEntries(301, 310, termOf));
    assert.deepEqual(plain(again.entries(295, 311)), plain(makeEntries(295, 310, termOf)));
    await again.close();
  }
});

Deno.test("Wal.append() writes one segment per batch when it fits and splits big batches", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  // One batch far bigger than a segment.
  wal.append(makeEntries(1, 200));
  assert.ok(wal.stats().segments > 3);
  // A single record bigger than a segment gets a segment of its own.
  wal.append([{ index: 201, term: 1, data: new Uint8Array(10_000).fill(7) }]);
  wal.append(makeEntries(202, 205));
  const big = wal.entries(201, 202)[0];
  assert.equal(big.data.length, 10_000);
  assert.ok(big.data.every((x) => x === 7));
  await wal.close();
  const again = await openWal(dir.path);
  assert.equal(again.lastIndex, 205);
  assert.equal(again.entries(201, 202)[0].data.length, 10_000);
  assert.deepEqual(plain(again.entries(202, 206)), plain(makeEntries(202, 205)));
  await again.close();
});

Deno.test("Wal.term() answers for held entries and the compaction point only", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  assert.equal(wal.term(0), 0);
  assert.equal(wal.term(1), undefined);
  wal.append(makeEntries(1, 100, termOf));
  for (let i = 1; i <= 100; i++) assert.equal(wal.term(i), termOf(i));
  assert.equal(wal.term(0), 0);
  assert.equal(wal.term(101), undefined);
  assert.equal(wal.term(-1), undefined);
  assert.equal(wal.term(1.5), undefined);
  wal.compact(50);
  assert.equal(wal.term(50), termOf(50));
  assert.equal(wal.term(49), undefined);
  assert.equal(wal.term(51), termOf(51));
  await wal.close();
  const again = await openWal(dir.path);
  assert.equal(again.term(50), termOf(50));
  assert.equal(again.term(49), undefined);
  for (let i = 51; i <= 100; i++) assert.equal(again.term(i), termOf(i));
  await again.close();
});

Deno.test("Wal.entries() honours maxBytes, returns at least one entry and checks bounds", async () => {
  await using dir = await tempDir();
  for (const cacheSize of [0, 1 << 20]) {
    const wal = await openWal(`${dir.path}/${cacheSize}`, { cacheSize });
    const all = makeEntries(1, 120);
    wal.append(all);
    const size = (i: number) => 24 + payload(i).length;
    for (const [lo, budget] of [[1, 0], [1, 500], [10, 2000], [30, 10_000], [100, 1]]) {
      const got = wal.entries(lo, 121, budget);
      assert.ok(got.length >= 1);
      let used = 0;
      for (const e of got) used += size(e.index);
      if (got.length > 1) assert.ok(used <= budget, `budget ${budget} exceeded: ${used}`);
      const next = lo + got.length;
      if (next <= 120) assert.ok(used + size(next) > budget, "stopped too early");
      assert.deepEqual(plain(got), plain(all.slice(lo - 1, next - 1)));
    }
    assert.throws(() => wal.entries(0, 5), RangeError);
    assert.throws(() => wal.entries(1, 122), RangeError);
    assert.throws(() => wal.entries(5, 4), RangeError);
    wal.compact(20);
    assert.throws(() => wal.entries(20, 25), RangeError);
    assert.deepEqual(plain(wal.entries(21, 25)), plain(all.slice(20, 24)));
    await wal.close();
  }
});

Deno.test("Wal.truncateFrom() in the middle of a segment and at a segment boundary", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path, { cacheSize: 0 });
  wal.append(makeEntries(1, 200));
  const names = segmentNames(dir.path);
  const firsts = names.map((n) => Number(n.slice(0, 20)));
  // Middle of the third segment.
  const mid = firsts[2] + 3;
  wal.truncateFrom(mid);
  assert.equal(wal.lastIndex, mid - 1);
  assert.deepEqual(segmentNames(dir.path), names.slice(0, 3));
  assert.equal(wal.term(mid), undefined);
  wal.append(makeEntries(mid, mid + 10, 2, 99));
  assert.deepEqual(plain(wal.entries(mid - 2, mid + 11)), [
    ...plain(makeEntries(mid - 2, mid - 1)),
    ...plain(makeEntries(mid, mid + 10, 2, 99)),
  ]);
  // Exactly at the start of the second segment.
  wal.truncateFrom(firsts[1]);
  assert.equal(wal.lastIndex, firsts[1] - 1);
  assert.ok(segmentNames(dir.path).length <= 2);
  wal.append(makeEntries(firsts[1], firsts[1] + 50, 3, 7));
  // Truncating at lastIndex + 1 does nothing; outside the range throws.
  wal.truncateFrom(wal.lastIndex + 1);
  assert.throws(() => wal.truncateFrom(wal.lastIndex + 2), RangeError);
  assert.throws(() => wal.truncateFrom(0), RangeError);
  const expected = [
    ...plain(makeEntries(1, firsts[1] - 1)),
    ...plain(makeEntries(firsts[1], firsts[1] + 50, 3, 7)),
  ];
  assert.deepEqual(plain(wal.entries(1, wal.lastIndex + 1)), expected);
  await wal.close();
  const again = await openWal(dir.path);
  assert.equal(again.lastIndex, firsts[1] + 50);
  assert.deepEqual(plain(again.entries(1, again.lastIndex + 1)), expected);
  // Truncate everything.
  again.truncateFrom(1);
  assert.equal(again.lastIndex, 0);
  assert.equal(again.firstIndex, 1);
  again.append(makeEntries(1, 3, 5));
  await again.close();
  const third = await openWal(dir.path);
  assert.deepEqual(plain(third.entries(1, 4)), plain(makeEntries(1, 3, 5)));
  await third.close();
});

Deno.test("Wal.compact() deletes whole segments, keeps later entries and survives reopen", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  const all = makeEntries(1, 300, termOf);
  wal.append(all);
  const before = segmentNames(dir.path);
  const firsts = before.map((n) => Number(n.slice(0, 20)));
  const upTo = firsts[3] + 2; // inside the fourth segment
  wal.compact(upTo);
  assert.equal(wal.firstIndex, upTo + 1);
  assert.equal(wal.lastIndex, 300);
  assert.deepEqual(segmentNames(dir.path), before.slice(3));
  assert.deepEqual(plain(wal.entries(upTo + 1, 301)), plain(all.slice(upTo)));
  assert.ok(Deno.statSync(`${dir.path}/wal.meta`).isFile);
  // Compacting at or below the compaction point does nothing.
  wal.compact(upTo - 5);
  assert.equal(wal.firstIndex, upTo + 1);
  // A term that disagrees with the log is refused.
  assert.throws(() => wal.compact(upTo + 5, 999), RangeError);
  await wal.close();

  const again = await openWal(dir.path);
  assert.equal(again.firstIndex, upTo + 1);
  assert.equal(again.lastIndex, 300);
  assert.equal(again.term(upTo), termOf(upTo));
  assert.deepEqual(plain(again.entries(upTo + 1, 301)), plain(all.slice(upTo)));
  // Truncating back to the compaction point leaves an empty log that still knows its end.
  again.truncateFrom(upTo + 1);
  assert.equal(again.lastIndex, upTo);
  assert.equal(again.firstIndex, upTo + 1);
  again.append(makeEntries(upTo + 1, upTo + 5, 50));
  await again.close();
  const third = await openWal(dir.path);
  assert.equal(third.term(upTo), termOf(upTo));
  assert.deepEqual(
    plain(third.entries(upTo + 1, upTo + 6)),
    plain(makeEntries(upTo + 1, upTo + 5, 50)),
  );
  await third.close();
});

Deno.test("Wal.compact() of everything, then append and reopen", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  wal.append(makeEntries(1, 100, 3));
  wal.compact(100);
  assert.equal(wal.firstIndex, 101);
  assert.equal(wal.lastIndex, 100);
  assert.equal(wal.term(100), 3);
  assert.equal(wal.stats().segments, 0);
  await wal.close();

  let again = await openWal(dir.path);
  assert.equal(again.lastIndex, 100);
  assert.equal(again.firstIndex, 101);
  assert.equal(again.term(100), 3);
  assert.throws(() => again.append(makeEntries(102, 103, 3)), RangeError);
  assert.throws(() => again.append(makeEntries(101, 101, 2)), RangeError); // term below 3
  again.append(makeEntries(101, 150, 4));
  await again.close();
  again = await openWal(dir.path);
  assert.equal(again.lastIndex, 150);
  assert.deepEqual(plain(again.entries(101, 151)), plain(makeEntries(101, 150, 4)));

  // A snapshot past the end of the log replaces it.
  assert.throws(() => again.compact(500), RangeError); // the term is needed
  again.compact(500, 9);
  assert.equal(again.lastIndex, 500);
  assert.equal(again.firstIndex, 501);
  assert.equal(again.term(500), 9);
  assert.equal(again.stats().segments, 0);
  await again.close();
  again = await openWal(dir.path);
  assert.equal(again.lastIndex, 500);
  assert.equal(again.term(500), 9);
  again.append(makeEntries(501, 510, 9));
  await again.close();
  again = await openWal(dir.path);
  assert.deepEqual(plain(again.entries(501, 511)), plain(makeEntries(501, 510, 9)));
  await again.close();
});

Deno.test("Wal.append() refuses non-contiguous indexes and decreasing terms without writing", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  assert.throws(() => wal.append(makeEntries(2, 3)), RangeError);
  wal.append(makeEntries(1, 3, 2));
  const bytes = wal.stats().bytes;
  assert.throws(() => wal.append(makeEntries(3, 5, 2)), RangeError);
  assert.throws(() => wal.append(makeEntries(5, 6, 2)), RangeError);
  const gap = makeEntries(4, 6, 2);
  gap[2].index = 8;
  assert.throws(() => wal.append(gap), RangeError);
  assert.throws(() => wal.append(makeEntries(4, 5, 1)), RangeError);
  assert.throws(
    () => wal.append([{ index: 4, term: 2, data: "x" as unknown as Uint8Array }]),
    TypeError,
  );
  assert.throws(() => wal.append([{ index: 4, term: 2.5, data: new Uint8Array() }]), RangeError);
  assert.equal(wal.lastIndex, 3);
  assert.equal(wal.stats().bytes, bytes);
  wal.append([]);
  wal.append(makeEntries(4, 5, 2));
  assert.equal(wal.lastIndex, 5);
  await wal.close();
});

Deno.test("Wal.sync() is shared by concurrent callers (group commit)", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  assert.equal(await wal.sync(), undefined); // nothing to flush
  wal.append(makeEntries(1, 10));
  const a = wal.sync();
  const b = wal.sync();
  assert.equal(a, b, "callers during the same flush share it");
  wal.append(makeEntries(11, 20));
  const c = wal.sync();
  const d = wal.sync();
  assert.notEqual(c, a, "entries appended after a flush started need the next one");
  assert.equal(c, d, "callers waiting for the next flush share it");
  wal.append(makeEntries(21, 30));
  assert.equal(wal.sync(), c, "the queued flush has not started: it covers later appends too");
  await Promise.all([a, b, c, d]);
  const many = [];
  for (let i = 0; i < 50; i++) {
    wal.append(makeEntries(31 + i, 31 + i));
    many.push(wal.sync());
  }
  assert.ok(new Set(many).size <= 3, `expected at most 3 flushes, got ${new Set(many).size}`);
  await Promise.all(many);
  await wal.close();
});

Deno.test("Wal refuses use after close() and a second open of the same directory", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  await assert.rejects(() => openWal(dir.path), WalLockedError);
  wal.append(makeEntries(1, 5));
  const pending = wal.sync();
  const closing = wal.close();
  assert.equal(wal.close(), closing);
  await pending;
  await closing;
  assert.throws(() => wal.append(makeEntries(6, 6)), WalClosedError);
  assert.throws(() => wal.truncateFrom(3), WalClosedError);
  assert.throws(() => wal.compact(3), WalClosedError);
  assert.throws(() => wal.entries(1, 2), WalClosedError);
  await assert.rejects(() => wal.sync(), WalClosedError);
  const again = await openWal(dir.path);
  assert.equal(again.lastIndex, 5);
  await again.close();
});

Deno.test("Wal.open() checks options and creates the directory", async () => {
  await using dir = await tempDir();
  await assert.rejects(() => Wal.open(`${dir.path}/a`, { segmentSize: 100 }), RangeError);
  await assert.rejects(() => Wal.open(`${dir.path}/a`, { cacheSize: -1 }), RangeError);
  const wal = await Wal.open(`${dir.path}/x/y`, quiet());
  assert.equal(wal.dir, `${dir.path}/x/y`);
  wal.append(makeEntries(1, 1));
  await wal.close();
  assert.deepEqual(segmentNames(`${dir.path}/x/y`), ["00000000000000000001.wal"]);
});

Deno.test({
  name: "Wal is poisoned by a failed write: every later call throws the same error",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir();
    const wal = await openWal(dir.path);
    wal.append(makeEntries(1, 3));
    // Close the segment's descriptor behind the log's back so the next write fails.
    const fd = segmentFd(`${dir.path}/00000000000000000001.wal`);
    fs.closeSync(fd);
    let err: unknown = null;
    try {
      wal.append(makeEntries(4, 5));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error, "the write failed");
    for (
      const call of [
        () => wal.append(makeEntries(4, 5)),
        () => wal.truncateFrom(2),
        () => wal.compact(2),
        () => wal.entries(1, 2),
        () => wal.term(1),
      ]
    ) {
      assert.throws(call, (e) => e === err);
    }
    await assert.rejects(() => wal.sync(), (e) => e === err);
    assert.equal(wal.lastIndex, 3);
    await wal.close();
    const again = await openWal(dir.path);
    assert.equal(again.lastIndex, 3);
    assert.deepEqual(plain(again.entries(1, 4)), plain(makeEntries(1, 3)));
    await again.close();
  },
});

/** The descriptor this process holds on `path` (Linux /proc). */
function segmentFd(path: string): number {
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${e.name}`) === path) return Number(e.name);
    } catch { /* gone */ }
  }
  throw new Error(`no descriptor for ${path}`);
}

Deno.test("Wal.sync() in flight survives the deletion of its segment", async () => {
  await using dir = await tempDir();
  const wal = await openWal(dir.path);
  wal.append(makeEntries(1, 100));
  const a = wal.sync();
  wal.compact(100); // deletes every segment, the one being flushed included
  await a;
  wal.append(makeEntries(101, 200));
  const b = wal.sync();
  wal.truncateFrom(150); // deletes the newer segments
  wal.append(makeEntries(150, 160, 2));
  const c = wal.sync();
  await Promise.all([b, c]);
  await wal.close();
  const again = await openWal(dir.path);
  assert.equal(again.firstIndex, 101);
  assert.deepEqual(plain(again.entries(101, 161)), [
    ...plain(makeEntries(101, 149)),
    ...plain(makeEntries(150, 160, 2)),
  ]);
  await again.close();
});
