import assert from "node:assert/strict";
import { ValueCache } from "../../lib/bitcask/value_cache.ts";

Deno.test("ValueCache keys values by location and stays within its byte budget", () => {
  const c = new ValueCache(1000);
  c.set(1, 32, new Uint8Array(100));
  c.set(1, 200, new Uint8Array(100));
  assert.equal(c.get(1, 32)?.length, 100);
  assert.equal(c.get(2, 32), undefined);
  for (let i = 0; i < 50; i++) c.set(3, i * 100, new Uint8Array(100));
  assert.ok(c.bytes <= 1000);
  assert.ok(c.bytes >= 600, "values are accounted with their buffer and overhead");
  assert.equal(c.get(1, 32), undefined, "the oldest entries were evicted");
  assert.equal(c.hits, 1);
  c.set(4, 0, new Uint8Array(600));
  assert.equal(c.get(4, 0), undefined, "values over a quarter of the budget are not kept");
  c.clear();
  assert.equal(c.bytes, 0);
  const off = new ValueCache(0);
  assert.equal(off.enabled, false);
  off.set(1, 1, new Uint8Array(1));
  assert.equal(off.get(1, 1), undefined);
});

Deno.test("ValueCache keeps a frequently read entry over newer ones", () => {
  const c = new ValueCache(2000);
  c.set(9, 9, new Uint8Array(100));
  for (let i = 0; i < 100; i++) {
    c.set(1, i, new Uint8Array(100));
    assert.ok(c.get(9, 9) !== undefined, `hot entry evicted after ${i} inserts`);
  }
});

Deno.test("ValueCache admits a location on its second miss only", () => {
  const c = new ValueCache(1 << 20);
  assert.equal(c.admit(1, 100), false);
  assert.equal(c.admit(1, 200), false);
  assert.equal(c.admit(1, 100), true);
  assert.equal(new ValueCache(0).admit(1, 100), false);
});
