import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeOperation } from "../../lib/server/operation.ts";
import { openStateMachine } from "./_fixture.ts";

const keys = ["a", "b", "c", "n", "x:1", "x:2"];
const cmdArb = fc.oneof(
  fc.tuple(fc.constant("SET"), fc.constantFrom(...keys), fc.string({ maxLength: 5 })),
  fc.tuple(
    fc.constant("SET"),
    fc.constantFrom(...keys),
    fc.string({ maxLength: 5 }),
    fc.constant("PX"),
    fc.integer({ min: 1, max: 100 }).map(String),
  ),
  fc.tuple(fc.constant("INCR"), fc.constantFrom(...keys)),
  fc.tuple(fc.constant("DEL"), fc.constantFrom(...keys)),
  fc.tuple(fc.constant("APPEND"), fc.constantFrom(...keys), fc.string({ maxLength: 3 })),
  fc.tuple(
    fc.constant("EXPIRE"),
    fc.constantFrom(...keys),
    fc.integer({ min: -1, max: 5 }).map(String),
  ),
  fc.tuple(fc.constant("RENAME"), fc.constantFrom(...keys), fc.constantFrom(...keys)),
  fc.tuple(fc.constant("PDEL"), fc.constant("x:*")),
  fc.tuple(fc.constant("FLUSHDB")),
);

Deno.test("two nodes applying the same log end with identical keyspaces and replies", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(fc.array(cmdArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 50 })),
        {
          maxLength: 40,
        },
      ),
      async (ops) => {
        await using one = await openStateMachine();
        await using two = await openStateMachine();
        let time = 1_000_000;
        for (let i = 0; i < ops.length; i++) {
          const [cmds, dt] = ops[i];
          time += dt;
          const data = encodeOperation({
            time,
            transaction: cmds.length > 1,
            cmds: cmds.map((c) => c.map((x) => new TextEncoder().encode(x))),
          });
          assert.deepEqual(one.sm.apply(i + 1, data), two.sm.apply(i + 1, data));
        }
        const dump = (s: typeof one.store) =>
          [...s.scan({ now: time })].map((
            e,
          ) => [[...e.key], [...(e.value as Uint8Array)], e.expiresAt]);
        assert.deepEqual(dump(one.store), dump(two.store));
        assert.equal(one.store.lastIndex(), two.store.lastIndex());
      },
    ),
    { numRuns: 60 },
  );
});
