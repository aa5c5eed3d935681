import assert from "node:assert/strict";
import fc from "fast-check";
import {
  SnapshotFormatError,
  type SnapshotRecord,
  StateRecordParser,
} from "../../lib/snapshot/mod.ts";
import { b, concat, plain, rawState, u64 } from "./_helpers.ts";

/** Feeds `data` cut at `cuts`, collecting records until the end or an error. */
function parse(
  data: Uint8Array,
  cuts: number[] = [],
): { records: SnapshotRecord[]; error?: unknown } {
  const parser = new StateRecordParser();
  const records: SnapshotRecord[] = [];
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
  let from = 0;
  try {
    for (const p of [...points, data.length]) {
      parser.push(data.subarray(from, p));
      from = p;
      for (let r = parser.next(); r !== null; r = parser.next()) records.push(r);
    }
    parser.finish();
  } catch (error) {
    return { records, error };
  }
  return { records };
}

const SAMPLE: SnapshotRecord[] = [
  { key: b("a"), value: b("1"), expiresAt: 0 },
  { key: b(""), value: b(""), expiresAt: 0 },
  { key: b("exp"), value: b("v"), expiresAt: 1_800_000_000_000 },
  { key: b("big"), value: new Uint8Array(3000).fill(7), expiresAt: 0 },
];

Deno.test("StateRecordParser parses the same records however the input is split", () => {
  const data = rawState(SAMPLE);
  // Every single split point, then random multi-way splits.
  for (let cut = 0; cut <= data.length; cut++) {
    const r = parse(data, [cut]);
    assert.equal(r.error, undefined);
    assert.deepEqual(plain(r.records), plain(SAMPLE));
  }
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
      assert.deepEqual(plain(parse(data, cuts).records), plain(SAMPLE));
    }),
    { numRuns: 300 },
  );
  // One byte at a time.
  assert.deepEqual(plain(parse(data, [...data.keys()]).records), plain(SAMPLE));
});

Deno.test("StateRecordParser reports a truncated stream after the complete records", () => {
  const data = rawState(SAMPLE);
  const ends = SAMPLE.map((_, i) => rawState(SAMPLE.slice(0, i)).length); // record boundaries
  for (let len = 0; len < data.length; len++) {
    const r = parse(data.subarray(0, len), [len >> 1]);
    const boundary = len === 0 || ends.includes(len);
    if (boundary) {
      assert.equal(r.error, undefined, `length ${len}`);
      continue;
    }
    assert.ok(r.error instanceof SnapshotFormatError, `length ${len}: ${r.error}`);
    assert.deepEqual(plain(r.records), plain(SAMPLE.slice(0, r.records.length)));
    assert.equal(r.error.record, r.records.length);
    assert.match(r.error.message, len < 8 ? /inside the header/ : /is cut short/);
  }
});

Deno.test("StateRecordParser rejects unknown types, impossible lengths and bad expiries", () => {
  const head = rawState([{ key: b("ok"), value: b("1"), expiresAt: 0 }]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["unknown type", concat([head, new Uint8Array([2]), u64(1)]), /record 2 .* unknown type 2/],
    [
      "key length over 1 GiB",
      concat([head, new Uint8Array([0]), u64(2 ** 30 + 1)]),
      /record 2 .*impossible key length 1073741825/,
    ],
    [
      "value length over 2^32",
      concat([head, new Uint8Array([0]), u64(1), b("k"), u64(2 ** 40)]),
      /impossible value length 1099511627776/,
    ],
    [
      "zero expiry",
      concat([head, new Uint8Array([1]), u64(1), b("k"), u64(1), b("v"), u64(0)]),
      /invalid expiry 0/,
    ],
    [
      "negative expiry",
      concat([
        head,
        new Uint8Array([1]),
        u64(1),
        b("k"),
        u64(1),
        b("v"),
        new Uint8Array(8).fill(0xff),
      ]),
      /invalid expiry -1/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const r = parse(data);
    assert.ok(r.error instanceof SnapshotFormatError, name);
    assert.match(r.error.message, re, name);
    assert.equal(r.records.length, 1, name);
    assert.equal(r.error.message.includes("\n"), false);
  }
});

Deno.test("StateRecordParser reads the legacy layout and counts skipped keys", () => {
  const data = concat([
    u64(2),
    b("kA"),
    u64(1),
    b("1"),
    u64(1),
    b("x"),
    u64(0),
    u64(1),
    b("k"),
    u64(2),
    b("ab"),
  ]);
  for (let cut = 0; cut <= data.length; cut++) {
    const parser = new StateRecordParser();
    const got: string[] = [];
    parser.push(data.subarray(0, cut));
    for (let r = parser.next(); r; r = parser.next()) got.push(new TextDecoder().decode(r.key));
    parser.push(data.subarray(cut));
    for (let r = parser.next(); r; r = parser.next()) got.push(new TextDecoder().decode(r.key));
    parser.finish();
    assert.deepEqual(got, ["A", ""]);
    assert.equal(parser.format, "legacy");
    assert.equal(parser.records, 3);
    assert.equal(parser.skipped, 1);
  }
});

Deno.test("StateRecordParser refuses a push before the previous chunk is consumed", () => {
  const parser = new StateRecordParser();
  parser.push(rawState(SAMPLE));
  assert.throws(() => parser.push(new Uint8Array(1)), /not consumed/);
});
