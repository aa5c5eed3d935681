import assert from "node:assert/strict";
import { checkRegister, type RegisterOp } from "./_register_check.ts";

const w = (value: string, start: number, end: number): RegisterOp => ({
  kind: "write",
  value,
  start,
  end,
});
const r = (value: string | null, start: number, end: number): RegisterOp => ({
  kind: "read",
  value,
  start,
  end,
});

Deno.test("the register check accepts linearizable histories", () => {
  assert.deepEqual(checkRegister([r(null, 0, 1), w("a", 2, 3), r("a", 4, 5)]), []);
  // Concurrent with the write: either value is fine.
  assert.deepEqual(checkRegister([w("a", 0, 10), r(null, 1, 2), r("a", 3, 4)]), []);
  // A write whose outcome is unknown may take effect any time after it began.
  assert.deepEqual(
    checkRegister([w("a", 0, 1), w("b", 2, Infinity), r("a", 5, 6), r("b", 7, 8)]),
    [],
  );
});

Deno.test("the register check finds stale, future, invented and non-monotonic reads", () => {
  assert.equal(checkRegister([w("a", 0, 1), w("b", 2, 3), r("a", 4, 5)]).length, 1);
  assert.equal(checkRegister([w("a", 5, 6), r("a", 0, 1)]).length, 1);
  assert.equal(checkRegister([r("zzz", 0, 1)]).length, 1);
  assert.equal(checkRegister([w("a", 0, 1), r(null, 2, 3)]).length, 1);
  // Both reads overlap both writes, but the second read goes back in time.
  assert.equal(
    checkRegister([w("a", 0, 1), w("b", 2, 20), r("b", 3, 4), r("a", 5, 6)]).length,
    1,
  );
});
