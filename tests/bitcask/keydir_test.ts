import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyDir, type KeyDirView, newLocation } from "../../lib/bitcask/keydir.ts";

function viewState(v: KeyDirView): Map<string, number> {
  const out = new Map<string, number>();
  const c = v.cursor();
  const loc = newLocation();
  while (c.next()) {
    assert.ok(v.lookup(c.key, loc), `view lists ${c.key} but cannot look it up`);
    out.set(c.key, loc.offset);
  }
  return out;
}

Deno.test("KeyDir views keep the state of their moment while writes go on", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.tuple(fc.constant("set" as const), fc.nat(60), fc.nat(1000)),
          fc.tuple(fc.constant("del" as const), fc.nat(60), fc.constant(0)),
          fc.tuple(fc.constant("move" as const), fc.nat(60), fc.nat(1000)),
          fc.tuple(fc.constant("view" as const), fc.constant(0), fc.constant(0)),
          fc.tuple(fc.constant("close" as const), fc.nat(10), fc.constant(0)),
        ),
        { maxLength: 400, size: "max" },
      ),
      (ops) => {
        const dir = new KeyDir();
        const model = new Map<string, number>();
        const views: [KeyDirView, Map<string, number>][] = [];
        const loc = newLocation();
        for (const [op, k, v] of ops) {
          const key = "k" + k;
          if (op === "set") {
            dir.set(key, 1, v, 40, 0);
            model.set(key, v);
          } else if (op === "del") {
            dir.delete(key);
            model.delete(key);
          } else if (op === "move") {
            // A merge move keeps the content, so views may follow it.
            if (dir.lookup(key, loc)) {
              assert.ok(dir.compareAndMove(key, loc.fileId, loc.offset, 2, loc.offset));
              assert.equal(dir.compareAndMove(key, 1, loc.offset + 1, 3, 0), false);
            }
          } else if (op === "view") {
            views.push([dir.view(), new Map(model)]);
          } else if (views.length > 0) {
            const [vw] = views.splice(k % views.length, 1)[0];
            vw.close();
          }
        }
        assert.equal(dir.size, model.size);
        for (const [v, m] of views) {
          assert.deepEqual(viewState(v), new Map([...m].sort()));
          assert.equal(v.size, m.size);
          v.close();
        }
        assert.equal(dir.views, 0);
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("KeyDir.fromSorted loads locations for every key", () => {
  const keys = ["a", "b", "c"];
  const locs = new Float64Array([1, 32, 40, 0, 2, 64, 41, 99, 3, 96, 42, 0]);
  const dir = KeyDir.fromSorted(keys, locs, 3);
  const loc = newLocation();
  assert.ok(dir.lookup("b", loc));
  assert.deepEqual(loc, { fileId: 2, offset: 64, size: 41, expiresAt: 99 });
  const c = dir.keys({ from: "b", inclusive: false });
  assert.ok(c.next());
  assert.equal(c.key, "c");
  assert.equal(c.next(), false);
});
