import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import {
  binaryToBytes,
  bytesToBinary,
  crc32,
  readU16,
  readU32,
  readU64,
  writeBinary,
  writeU16,
  writeU32,
  writeU64,
} from "../../lib/bitcask/bytes.ts";

Deno.test("crc32 matches the IEEE check value and continues across parts", () => {
  const data = new TextEncoder().encode("123456789");
  assert.equal(crc32(data), 0xcbf43926);
  assert.equal(crc32(data.subarray(4), crc32(data.subarray(0, 4))), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

Deno.test("u16/u32/u64 round-trip little-endian", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.nat(0xffffffff),
      fc.nat(0xffff),
      (a, c, d) => {
        const buf = new Uint8Array(14);
        writeU64(buf, 0, a);
        writeU32(buf, 8, c);
        writeU16(buf, 12, d);
        assert.equal(readU64(buf, 0), a);
        assert.equal(readU32(buf, 8), c);
        assert.equal(readU16(buf, 12), d);
        assert.equal(new DataView(buf.buffer).getBigUint64(0, true), BigInt(a));
      },
    ),
  );
  const big = new Uint8Array(8).fill(0xff);
  assert.equal(readU64(big, 0), -1, "values past 2^53 are reported, not rounded");
});

Deno.test("binary strings map bytes one to one and keep byte order", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.uint8Array({ maxLength: 8 }), (x, y) => {
      const sx = bytesToBinary(x);
      assert.equal(sx.length, x.length);
      assert.deepEqual(binaryToBytes(sx), x);
      const out = new Uint8Array(x.length + 2);
      writeBinary(sx, out, 1);
      assert.deepEqual(out.subarray(1, x.length + 1), x);
      const sy = bytesToBinary(y);
      const byteCmp = Buffer.compare(x, y);
      assert.equal(Math.sign(sx < sy ? -1 : sx > sy ? 1 : 0), byteCmp);
    }),
  );
  assert.equal(bytesToBinary(new Uint8Array([1, 2, 3, 4]), 1, 3), "\x02\x03");
});
