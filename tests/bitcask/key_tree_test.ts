import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyTree } from "../../lib/bitcask/key_tree.ts";

function collect(t: KeyTree, from?: string, inclusive = true, reverse = false): string[] {
  const out: string[] = [];
  const c = t.cursor({ from, inclusive, reverse });
  while (c.next()) out.push(c.key);
  return out;
}

function expected(set: Set<string>, from?: string, inclusive = true, reverse = false): string[] {
  let keys = [...set].sort();
  if (from !== undefined) {
    keys = keys.filter((k) =>
      reverse ? (inclusive ? k <= from : k < from) : (inclusive ? k >= from : k > from)
    );
  }
  return reverse ? keys.reverse() : keys;
}

function check(t: KeyTree, set: Set<string>): void {
  assert.equal(t.size, set.size);
  assert.deepEqual(collect(t), expected(set));
  assert.deepEqual(collect(t, undefined, true, true), expected(set).reverse());
  for (const k of set) assert.ok(t.has(k), `missing ${JSON.stringify(k)}`);
}

const keyArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 3 }),
  fc.nat(400).map((n) => "k" + n),
);

Deno.test("KeyTree matches a Set model under random inserts, removes and clones", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant("add" as const), key: keyArb }),
          fc.record({ op: fc.constant("del" as const), key: keyArb }),
          fc.record({ op: fc.constant("clone" as const), key: fc.constant("") }),
        ),
        { maxLength: 800, size: "max" },
      ),
      fc.array(keyArb, { maxLength: 6 }),
      (ops, probes) => {
        const t = new KeyTree();
        const set = new Set<string>();
        const clones: [KeyTree, Set<string>][] = [];
        for (const { op, key } of ops) {
          if (op === "add" && !set.has(key)) {
            t.insert(key);
            set.add(key);
          } else if (op === "del" && set.has(key)) {
            t.remove(key);
            set.delete(key);
          } else if (op === "clone") {
            clones.push([t.clone(), new Set(set)]);
          }
        }
        check(t, set);
        for (const [c, s] of clones) check(c, s);
        for (const p of probes) {
          for (const inclusive of [true, false]) {
            for (const reverse of [true, false]) {
              assert.deepEqual(
                collect(t, p, inclusive, reverse),
                expected(set, p, inclusive, reverse),
              );
            }
          }
        }
      },
    ),
    { numRuns: 120 },
  );
});

Deno.test("KeyTree stays ordered through 100k inserts and removes with clones in between", () => {
  const t = new KeyTree();
  const set = new Set<string>();
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const clones: [KeyTree, Set<string>][] = [];
  for (let i = 0; i < 100_000; i++) {
    const k = "k" + Math.floor(rand() * 30_000);
    if (rand() < 0.6) {
      if (!set.has(k)) {
        t.insert(k);
        set.add(k);
      }
    } else if (set.has(k)) {
      t.remove(k);
      set.delete(k);
    }
    if (i % 25_000 === 0) clones.push([t.clone(), new Set(set)]);
  }
  check(t, set);
  for (const [c, s] of clones) check(c, s);
  for (const k of [...set]) t.remove(k);
  assert.equal(t.size, 0);
  assert.deepEqual(collect(t), []);
});

Deno.test("KeyTree.fromSorted builds a tree that behaves like one built by inserts", () => {
  for (const n of [0, 1, 15, 56, 57, 64, 65, 1000, 5000, 70_000]) {
    const keys = Array.from({ length: n }, (_, i) => "key:" + String(i).padStart(8, "0"));
    const t = KeyTree.fromSorted(keys);
    const set = new Set(keys);
    check(t, set);
    for (let i = 0; i < n; i += 3) {
      t.remove(keys[i]);
      set.delete(keys[i]);
    }
    t.insert("zzz");
    set.add("zzz");
    check(t, set);
  }
});

Deno.test("KeyTree.randomKey returns present keys and reaches most of them", () => {
  const t = new KeyTree();
  assert.equal(t.randomKey(Math.random), undefined);
  for (let i = 0; i < 1000; i++) t.insert("k" + i);
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const k = t.randomKey(Math.random) as string;
    assert.ok(t.has(k));
    seen.add(k);
  }
  assert.ok(seen.size > 800, `only ${seen.size} distinct keys`);
});
