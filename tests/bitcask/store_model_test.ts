import assert from "node:assert/strict";
import fc from "fast-check";
import type { BitcaskStore, ScanOptions } from "../../lib/bitcask/mod.ts";
import { openStore, quiet } from "./_helpers.ts";

type Entry = { value: Uint8Array; expiresAt: number };
type Model = Map<string, Entry>;

const bin = (k: string) => Uint8Array.from(k, (c) => c.charCodeAt(0));
const str = (u: Uint8Array) => String.fromCharCode(...u);

const keyArb = fc.constantFrom(
  "",
  "a",
  "ab",
  "abc",
  "b",
  "ba",
  "bb",
  "c",
  "\x00",
  "\x00\x01",
  "\xff",
  "\xff\xfe",
  "key:1",
  "key:2",
  "key:10",
);
const valueArb = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 65_000, max: 90_000 }).map((n) =>
      new Uint8Array(n).fill(n & 0xff)
    ),
  },
);
const ttlArb = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, {
  weight: 1,
  arbitrary: fc.integer({ min: 1, max: 50 }),
});

const opArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ t: fc.constant("put" as const), k: keyArb, v: valueArb, ttl: ttlArb }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("del" as const), k: keyArb }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("get" as const), k: keyArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant("scan" as const),
      from: fc.option(keyArb, { nil: undefined }),
      inclusive: fc.boolean(),
      reverse: fc.boolean(),
      prefix: fc.option(fc.constantFrom("a", "b", "key:", "\xff", "\x00"), { nil: undefined }),
      limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ops: fc.array(fc.record({ del: fc.boolean(), k: keyArb, v: valueArb }), { maxLength: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant("tick" as const), d: fc.integer({ min: 1, max: 40 }) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("reopen" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("merge" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("snapshot" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("clear" as const) }) },
);

function live(model: Model, now: number): [string, Entry][] {
  return [...model].filter(([, e]) => !(e.expiresAt !== 0 && now > e.expiresAt)).sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  );
}

function expectScan(
  model: Model,
  now: number,
  o: ScanOptions & { fromS?: string; prefixS?: string },
): string[] {
  let keys = live(model, now).map(([k]) => k);
  const { fromS, prefixS, inclusive = true, reverse = false, limit = Infinity } = o;
  if (prefixS !== undefined) keys = keys.filter((k) => k.startsWith(prefixS));
  if (fromS !== undefined) {
    keys = keys.filter((k) =>
      reverse ? (inclusive ? k <= fromS : k < fromS) : (inclusive ? k >= fromS : k > fromS)
    );
  }
  if (reverse) keys.reverse();
  return keys.slice(0, limit);
}

function checkAll(
  store: BitcaskStore | { get: BitcaskStore["get"]; scan: BitcaskStore["scan"] },
  model: Model,
  now: number,
): void {
  const got = [...store.scan({ now })].map((e) =>
    [str(e.key), e.value as Uint8Array, e.expiresAt] as const
  );
  const want = live(model, now).map(([k, e]) => [k, e.value, e.expiresAt] as const);
  assert.deepEqual(got, want);
}

Deno.test("BitcaskStore matches an in-memory model under random operations, reopens and merges", async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 100, size: "max" }), async (ops) => {
      const dir = await Deno.makeTempDir({ prefix: "bitcask_model_" });
      const opts = quiet([], {
        maxFileSize: 1024,
        mergeMinDeadBytes: 0,
        mergeDeadRatio: 0.3,
        mergeStepMs: 0.1,
      });
      let store = await openStore(dir, opts);
      const model: Model = new Map();
      let now = 1_000;
      let index = 0;
      let written = 0; // index of the last operation that wrote a record
      try {
        for (const op of ops) {
          switch (op.t) {
            case "put": {
              const expiresAt = op.ttl ? now + op.ttl : 0;
              store.put(bin(op.k), op.v, { expiresAt, index: ++index });
              model.set(op.k, { value: op.v, expiresAt });
              written = index;
              break;
            }
            case "del":
              if (model.delete(op.k)) written = index + 1;
              assert.equal(store.delete(bin(op.k), { index: ++index }), written === index);
              break;
            case "get": {
              const e = model.get(op.k);
              const want = e && !(e.expiresAt !== 0 && now > e.expiresAt) ? e.value : undefined;
              assert.deepEqual(store.get(bin(op.k), { now }), want);
              break;
            }
            case "scan": {
              const o = {
                from: op.from === undefined ? undefined : bin(op.from),
                inclusive: op.inclusive,
                reverse: op.reverse,
                prefix: op.prefix === undefined ? undefined : bin(op.prefix),
                limit: op.limit,
                now,
              };
              const got = [...store.scan(o)].map((e) => str(e.key));
              assert.deepEqual(
                got,
                expectScan(model, now, { ...o, fromS: op.from, prefixS: op.prefix }),
              );
              break;
            }
            case "batch": {
              let deletes = 0;
              for (const x of op.ops) {
                if (x.del) deletes += model.delete(x.k) ? 1 : 0;
                else model.set(x.k, { value: x.v, expiresAt: 0 });
              }
              if (deletes > 0 || op.ops.some((x) => !x.del)) written = index + 1;
              const n = store.batch(
                op.ops.map((x) =>
                  x.del
                    ? { type: "delete" as const, key: bin(x.k) }
                    : { type: "put" as const, key: bin(x.k), value: x.v }
                ),
                { index: ++index },
              );
              assert.equal(n, deletes);
              break;
            }
            case "tick":
              now += op.d;
              break;
            case "clear":
              assert.equal(store.clear({ index: ++index }), model.size);
              model.clear();
              written = index;
              break;
            case "reopen":
              await store.close();
              store = await openStore(dir, opts);
              break;
            case "merge":
              await store.merge();
              break;
            case "snapshot": {
              const snap = store.snapshot();
              const frozen = new Map(model);
              store.put(bin("a"), bin("after-snapshot"), { index: ++index });
              written = index;
              model.set("a", { value: bin("after-snapshot"), expiresAt: 0 });
              await store.merge();
              checkAll(snap, frozen, now);
              snap.close();
              break;
            }
          }
          assert.equal(store.size, model.size);
          const withTtl = [...model.values()].filter((e) => e.expiresAt !== 0).length;
          assert.equal(store.expiringCount, withTtl);
        }
        checkAll(store, model, now);
        assert.equal(store.lastIndex(), written);
        await store.close();
        store = await openStore(dir, opts);
        checkAll(store, model, now);
        assert.equal(store.lastIndex(), written);
        run++;
      } finally {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      }
    }),
    { numRuns: 150 },
  );
  assert.equal(run, 150);
});
