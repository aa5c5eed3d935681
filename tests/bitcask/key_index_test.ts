import assert from "node:assert/strict";
import fc from "fast-check";
import { hashBytes, hashKey, KeyIndex, newLocation } from "../../lib/bitcask/key_index.ts";

Deno.test("KeyIndex matches a Map model under random sets and deletes", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.boolean(), fc.nat(300), fc.nat(1_000_000)),
        { maxLength: 2000, size: "max" },
      ),
      (ops) => {
        const ix = new KeyIndex();
        const model = new Map<string, number>();
        const loc = newLocation();
        for (const [isSet, k, v] of ops) {
          const key = "key" + k;
          if (isSet) {
            const existed = ix.set(key, v % 1000, v, v + 29, v % 3 ? 0 : v * 7, loc);
            assert.equal(existed, model.has(key));
            if (existed) assert.equal(loc.offset, model.get(key));
            model.set(key, v);
          } else {
            assert.equal(ix.delete(key), model.delete(key));
          }
        }
        assert.equal(ix.size, model.size);
        for (let k = 0; k <= 300; k++) {
          const key = "key" + k;
          const v = model.get(key);
          assert.equal(ix.get(key, loc), v !== undefined);
          if (v !== undefined) {
            assert.deepEqual(loc, {
              fileId: v % 1000,
              offset: v,
              size: v + 29,
              expiresAt: v % 3 ? 0 : v * 7,
            });
          }
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("KeyIndex keeps probe chains intact when keys collide and are deleted", () => {
  // Many keys in a small table force long probe chains and wrap-around.
  const ix = new KeyIndex();
  const keys = Array.from({ length: 5000 }, (_, i) => `c${i}`);
  keys.forEach((k, i) => ix.set(k, 1, i, 30, 0));
  for (let i = 0; i < keys.length; i += 2) assert.ok(ix.delete(keys[i]));
  const loc = newLocation();
  for (let i = 0; i < keys.length; i++) {
    assert.equal(ix.get(keys[i], loc), i % 2 === 1, keys[i]);
    if (i % 2 === 1) assert.equal(loc.offset, i);
  }
  assert.equal(ix.size, 2500);
});

Deno.test("KeyIndex packs large file ids and offsets losslessly", () => {
  const ix = new KeyIndex();
  ix.set("a", 2 ** 21 - 1, 2 ** 32 - 1, 2 ** 31, 2 ** 52);
  const loc = newLocation();
  assert.ok(ix.get("a", loc));
  assert.deepEqual(loc, {
    fileId: 2 ** 21 - 1,
    offset: 2 ** 32 - 1,
    size: 2 ** 31,
    expiresAt: 2 ** 52,
  });
});

Deno.test("hashKey spreads similar keys", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) seen.add(hashKey("user:" + i) & 0xffff);
  assert.ok(seen.size > 8000, `${seen.size} distinct low bits`);
});

Deno.test("KeyIndex.getBytes finds the same keys as get, without a string", () => {
  const ix = new KeyIndex();
  const keys = ["", "a", "\x00\xff", "key:000000000123", "x".repeat(300)];
  keys.forEach((k, i) => ix.set(k, 1, i, 40, 0));
  const loc = newLocation();
  keys.forEach((k, i) => {
    const bytes = Uint8Array.from(k, (c) => c.charCodeAt(0));
    assert.equal(hashBytes(bytes), hashKey(k));
    assert.ok(ix.getBytes(bytes, loc), JSON.stringify(k));
    assert.equal(loc.offset, i);
  });
  assert.equal(ix.getBytes(new Uint8Array([0x61, 0x61]), loc), false);
});
