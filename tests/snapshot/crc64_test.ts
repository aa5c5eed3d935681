import assert from "node:assert/strict";
import fc from "fast-check";
import { Crc64, crc64, formatCrc64, parseCrc64 } from "../../lib/snapshot/mod.ts";
import { b } from "./_helpers.ts";

/** Bit-by-bit CRC-64/XZ with BigInt: the slow, obviously-right reference. */
function referenceCrc64(data: Uint8Array): bigint {
  const poly = 0xc96c5795d7870f42n;
  const mask = 0xffff_ffff_ffff_ffffn;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ mask;
}

Deno.test("crc64() matches the CRC-64/XZ check value and known vectors", () => {
  assert.equal(crc64(b("123456789")), 0x995dc9bbdf1939fan);
  assert.equal(crc64(new Uint8Array(0)), 0n);
  // Go: crc64.Checksum([]byte("hello world"), crc64.MakeTable(crc64.ECMA)).
  assert.equal(crc64(b("hello world")), referenceCrc64(b("hello world")));
  assert.equal(crc64(b("hello world")), 0x53037ecdef2352dan);
  assert.equal(new Crc64().update(b("123456789")).toBase64(), "mV3Ju98ZOfo=");
});

Deno.test("crc64() agrees with a bitwise reference on random data and offsets", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (data, skip) => {
      // A subarray at an odd offset exercises the unaligned head.
      const view = data.subarray(Math.min(skip, data.length));
      assert.equal(crc64(view), referenceCrc64(view));
    }),
    { numRuns: 300 },
  );
});

Deno.test("Crc64 gives the same value fed in chunks as in one call", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 5000 }),
      fc.array(fc.nat(5000), { maxLength: 8 }),
      (data, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
        const crc = new Crc64();
        let from = 0;
        for (const p of [...points, data.length]) {
          crc.update(data.subarray(from, p));
          from = p;
        }
        assert.equal(crc.value, crc64(data));
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("formatCrc64() and parseCrc64() round-trip and reject non-canonical text", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }), (v) => {
      const text = formatCrc64(v);
      assert.equal(text.length, 12);
      assert.equal(parseCrc64(text), v);
    }),
  );
  const crc = new Crc64().update(b("abc"));
  assert.equal(formatCrc64(crc.value), crc.toBase64());
  assert.deepEqual(crc.digest(), new Uint8Array(beBytes(crc.value)));
  for (const bad of ["", "mV3Ju98ZOfo", "mV3Ju98ZOfo==", "mV3Ju98ZOfp=", "mV3Ju98ZO!o=", "AAAA"]) {
    assert.equal(parseCrc64(bad), null, bad);
  }
  assert.throws(() => formatCrc64(-1n), RangeError);
  assert.throws(() => formatCrc64(1n << 64n), RangeError);
});

function beBytes(v: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(56 - 8 * i)) & 0xffn));
}
