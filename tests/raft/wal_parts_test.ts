import assert from "node:assert/strict";
import { WalCache } from "../../lib/raft/wal_cache.ts";
import {
  decodeSegmentHeader,
  encodeRecord,
  encodeSegmentHeader,
  parseSegmentFileName,
  recordCrcMatches,
  segmentFileName,
} from "../../lib/raft/wal_format.ts";
import { decodeMeta, encodeMeta } from "../../lib/raft/wal_meta.ts";
import { WalTerms } from "../../lib/raft/wal_terms.ts";
import { WalCorruptError } from "../../lib/raft/mod.ts";

Deno.test("WalTerms maps indexes to terms as runs", () => {
  const t = new WalTerms();
  for (let i = 1; i <= 30; i++) t.push(i, 1 + Math.floor(i / 10));
  assert.equal(t.runs, 4);
  assert.equal(t.get(9), 1);
  assert.equal(t.get(10), 2);
  assert.equal(t.get(30), 4);
  t.truncateFrom(20);
  assert.equal(t.lastTerm, 2);
  t.push(20, 7);
  assert.equal(t.get(20), 7);
  assert.equal(t.get(19), 2);
  t.dropBefore(15);
  assert.equal(t.runs, 2);
  assert.equal(t.get(15), 2);
  t.clear();
  assert.equal(t.lastTerm, 0);
});

Deno.test("WalCache keeps the newest entries within its budget", () => {
  const e = (index: number, n = 76) => ({ index, term: 1, data: new Uint8Array(n) });
  const c = new WalCache(1000, 1); // 100 bytes per entry: 10 fit
  for (let i = 1; i <= 25; i++) c.push(e(i));
  assert.equal(c.count, 10);
  assert.equal(c.first, 16);
  assert.equal(c.bytes, 1000);
  assert.equal(c.get(20).index, 20);
  c.truncateFrom(23);
  assert.equal(c.count, 7);
  c.push(e(23));
  c.dropThrough(18);
  assert.equal(c.first, 19);
  assert.equal(c.count, 5);
  c.push(e(24, 5000)); // bigger than the budget: the cache restarts after it
  assert.equal(c.count, 0);
  assert.equal(c.first, 25);
  c.dropThrough(40);
  assert.equal(c.first, 41);
  c.truncateFrom(30);
  assert.equal(c.first, 30);
  const none = new WalCache(0, 5);
  none.push(e(5));
  assert.equal(none.count, 0);
  assert.equal(none.first, 6);
});

Deno.test("segment headers, records and the meta file round-trip and detect damage", () => {
  assert.equal(segmentFileName(42), "00000000000000000042.wal");
  assert.equal(parseSegmentFileName("00000000000000000042.wal"), 42);
  assert.equal(parseSegmentFileName("42.wal"), -1);
  assert.equal(parseSegmentFileName("00000000000000000042.wal.tmp"), -1);
  const h = encodeSegmentHeader(2 ** 40 + 3);
  assert.equal(decodeSegmentHeader(h, "x"), 2 ** 40 + 3);
  for (let i = 0; i < h.length; i++) {
    const bad = h.slice();
    bad[i] ^= 1;
    assert.throws(() => decodeSegmentHeader(bad, "x"), WalCorruptError);
  }
  assert.throws(() => decodeSegmentHeader(h.subarray(0, 31), "x"), /short segment header/);
  const data = new Uint8Array([1, 2, 3]);
  const rec = new Uint8Array(27);
  assert.equal(encodeRecord(rec, 0, 5, 6, data), 27);
  assert.ok(recordCrcMatches(rec, 0, 27));
  rec[26] ^= 1;
  assert.ok(!recordCrcMatches(rec, 0, 27));
  const meta = encodeMeta({ index: 99, term: 4 });
  assert.deepEqual(decodeMeta(meta, "m"), { index: 99, term: 4 });
  meta[20] ^= 1;
  assert.throws(() => decodeMeta(meta, "m"), WalCorruptError);
  assert.throws(() => decodeMeta(meta.subarray(0, 10), "m"), WalCorruptError);
});
