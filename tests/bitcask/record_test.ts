import assert from "node:assert/strict";
import {
  decodeRecordHeader,
  FLAG_MORE,
  newRecordHeader,
  RECORD_HEADER_SIZE,
  recordCrcMatches,
  recordSize,
  sealRecord,
  TYPE_DELETE,
  TYPE_PUT,
  TYPE_PUT_EXPIRING,
  writeRecordHeader,
} from "../../lib/bitcask/record.ts";

function record(
  type: number,
  expiresAt: number,
  index: number,
  key: string,
  value: string,
): Uint8Array {
  const k = new TextEncoder().encode(key);
  const v = new TextEncoder().encode(value);
  const size = recordSize(k.length, v.length);
  const buf = new Uint8Array(size + 3);
  writeRecordHeader(buf, 3, type, expiresAt, index, k.length, v.length);
  buf.set(k, 3 + RECORD_HEADER_SIZE);
  buf.set(v, 3 + RECORD_HEADER_SIZE + k.length);
  sealRecord(buf, 3, size);
  return buf;
}

Deno.test("record headers round-trip with the batch flag and expiry", () => {
  const buf = record(TYPE_PUT_EXPIRING | FLAG_MORE, 1_700_000_000_123, 2 ** 40 + 5, "key", "value");
  const h = newRecordHeader();
  assert.equal(decodeRecordHeader(buf, 3, h), null);
  assert.deepEqual(h, {
    type: TYPE_PUT_EXPIRING,
    more: true,
    expiresAt: 1_700_000_000_123,
    index: 2 ** 40 + 5,
    keyLength: 3,
    valueLength: 5,
  });
  assert.ok(recordCrcMatches(buf, 3, buf.length - 3));
});

Deno.test("the record CRC covers every byte after it", () => {
  const buf = record(TYPE_PUT, 0, 1, "k", "v");
  for (let i = 3 + 4; i < buf.length; i++) {
    const bad = buf.slice();
    bad[i] ^= 1;
    assert.equal(recordCrcMatches(bad, 3, buf.length - 3), false, `byte ${i}`);
  }
});

Deno.test("decodeRecordHeader rejects impossible headers", () => {
  const h = newRecordHeader();
  assert.match(decodeRecordHeader(record(9, 0, 0, "k", "v"), 3, h) ?? "", /unknown record type/);
  assert.match(
    decodeRecordHeader(record(TYPE_DELETE, 0, 0, "k", "v"), 3, h) ?? "",
    /delete record with a value/,
  );
  assert.match(
    decodeRecordHeader(record(TYPE_PUT_EXPIRING, 0, 0, "k", "v"), 3, h) ?? "",
    /without expiry/,
  );
  assert.equal(decodeRecordHeader(record(TYPE_DELETE, 0, 0, "k", ""), 3, h), null);
});
