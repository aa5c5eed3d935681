import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeOperation, encodeOperation } from "../../lib/server/operation.ts";

Deno.test("operations round-trip through their encoding", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.boolean(),
      fc.array(fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: 1, maxLength: 5 }), {
        minLength: 1,
        maxLength: 5,
      }),
      (time, transaction, cmds) => {
        const op = decodeOperation(encodeOperation({ time, transaction, cmds }));
        assert.equal(op.time, time);
        assert.equal(op.transaction, transaction);
        assert.deepEqual(
          op.cmds.map((c) => c.map((a) => [...a])),
          cmds.map((c) => c.map((a) => [...a])),
        );
      },
    ),
  );
});

Deno.test("decodeOperation refuses truncated or padded bytes", () => {
  const b = encodeOperation({ time: 5, transaction: false, cmds: [[new Uint8Array([1, 2])]] });
  for (let n = 0; n < b.length; n++) {
    assert.throws(() => decodeOperation(b.subarray(0, n)), RangeError);
  }
  const padded = new Uint8Array(b.length + 1);
  padded.set(b);
  assert.throws(() => decodeOperation(padded), RangeError);
});
