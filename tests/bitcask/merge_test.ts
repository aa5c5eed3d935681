import assert from "node:assert/strict";
import { b, dataBytes, listDir, openStore, quiet, s, tempDir } from "./_helpers.ts";

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("merge under concurrent reads and writes keeps every result equal to the model", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { maxFileSize: 16 * 1024, autoMerge: false, mergeStepMs: 0.2 });
  const model = new Map<string, string>();
  {
    await using store = await openStore(dir.path, opts);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 2000; i++) {
        const k = `key${(i * 7) % 1500}`;
        const v = `r${round}-${i}-${"x".repeat(i % 50)}`;
        store.put(b(k), b(v));
        model.set(k, v);
      }
    }
    for (let i = 0; i < 300; i++) {
      store.delete(b(`key${i}`));
      model.delete(`key${i}`);
    }
    const before = dataBytes(dir.path);
    let done = false;
    const merging = store.merge().finally(() => (done = true));
    let steps = 0;
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    while (!done) {
      for (let j = 0; j < 20; j++) {
        const k = `key${rand(1700)}`;
        const r = rand(10);
        if (r < 4) {
          const v = `live-${steps}-${j}`;
          store.put(b(k), b(v));
          model.set(k, v);
        } else if (r < 5) {
          assert.equal(store.delete(b(k)), model.delete(k));
        } else {
          assert.equal(s(store.get(b(k))), model.get(k), `during merge: ${k}`);
        }
      }
      steps++;
      await tick();
    }
    const result = await merging;
    assert.ok(steps > 5, `the merge yielded only ${steps} times`);
    assert.ok(result.inputs > 10 && result.outputs > 1, JSON.stringify(result));
    for (const [k, v] of model) assert.equal(s(store.get(b(k))), v);
    assert.equal(store.size, model.size);
    const st = store.stats();
    assert.equal(st.dataFiles.filter((f) => f.retired).length, 0);
    for (const f of st.dataFiles) {
      assert.ok(f.size <= 16 * 1024, `output ${f.id} is ${f.size} bytes`);
    }
    const after = dataBytes(dir.path);
    assert.ok(after < before / 2, `disk use went from ${before} to ${after} bytes`);
  }
  await using again = await openStore(dir.path, opts);
  assert.equal(again.stats().hintsRebuilt, 0);
  assert.equal(again.size, model.size);
  for (const [k, v] of model) assert.equal(s(again.get(b(k))), v);
});

Deno.test("merge starts by itself past the dead-byte thresholds and bounds disk use", async () => {
  await using dir = await tempDir();
  const logs: string[] = [];
  await using store = await openStore(
    dir.path,
    quiet(logs, { maxFileSize: 32 * 1024, mergeMinDeadBytes: 64 * 1024, mergeDeadRatio: 0.5 }),
  );
  const value = new Uint8Array(200).fill(1);
  let peak = 0;
  for (let round = 0; round < 60; round++) {
    for (let i = 0; i < 200; i++) store.put(b(`k${i}`), value);
    await tick();
    await tick();
    peak = Math.max(peak, dataBytes(dir.path));
  }
  while (store.stats().merging) await tick();
  assert.ok(store.stats().merges >= 3, `merges: ${store.stats().merges}; ${logs.join("\n")}`);
  // 200 live keys take ~47 KB; without merges 60 rounds would take ~2.8 MB.
  assert.ok(peak < 600 * 1024, `peak disk use ${peak}`);
  for (let i = 0; i < 200; i++) assert.deepEqual(store.get(b(`k${i}`)), value);
});

Deno.test("merge of a store whose keys were all deleted reclaims the disk", async () => {
  await using dir = await tempDir();
  await using store = await openStore(
    dir.path,
    quiet([], { maxFileSize: 8 * 1024, autoMerge: false }),
  );
  for (let i = 0; i < 1000; i++) store.put(b(`k${i}`), new Uint8Array(100));
  for (let i = 0; i < 1000; i++) store.delete(b(`k${i}`));
  assert.ok(dataBytes(dir.path) > 100_000);
  const r = await store.merge();
  assert.equal(r.outputs, 0);
  assert.equal(dataBytes(dir.path), 32, "only the header of the new active file remains");
  assert.deepEqual(listDir(dir.path).filter((n) => n.endsWith(".hint")), []);
  assert.equal(store.size, 0);
});

Deno.test("merge keeps expiries, values and the last index", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { autoMerge: false });
  {
    await using store = await openStore(dir.path, opts);
    store.put(b("e"), b("expiring"), { expiresAt: 123_456, index: 5 });
    store.put(b("p"), b("plain"), { index: 6 });
    store.batch([{ type: "put", key: b("q"), value: b("in batch") }, {
      type: "put",
      key: b("r"),
      value: b("too"),
    }], {
      index: 7,
    });
    store.put(b("p"), b("plain2"), { index: 8 });
    await store.merge();
    await store.merge(); // merging merged files again changes nothing
  }
  await using again = await openStore(dir.path, opts);
  assert.deepEqual(again.stat(b("e")), { expiresAt: 123_456, valueSize: 8 });
  assert.equal(again.get(b("e"), { now: 200_000 }), undefined);
  assert.equal(s(again.get(b("p"))), "plain2");
  assert.equal(s(again.get(b("q"))), "in batch");
  assert.equal(s(again.get(b("r"))), "too");
  assert.equal(again.lastIndex(), 8);
});

Deno.test("closing during a merge leaves a store that opens intact", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { maxFileSize: 4 * 1024, autoMerge: false, mergeStepMs: 0.1 });
  {
    const store = await openStore(dir.path, opts);
    for (let i = 0; i < 3000; i++) store.put(b(`k${i % 1000}`), b(`v${i}`));
    const merging = store.merge();
    await tick();
    await store.close();
    await merging;
  }
  await using again = await openStore(dir.path, opts);
  for (let i = 2000; i < 3000; i++) assert.equal(s(again.get(b(`k${i % 1000}`))), `v${i}`);
  assert.equal(again.size, 1000);
  assert.ok(!listDir(dir.path).some((n) => n.endsWith(".merging")));
});

Deno.test("concurrent merge() calls share one merge", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path, quiet([], { autoMerge: false }));
  store.put(b("a"), b("1"));
  const [x, y] = await Promise.all([store.merge(), store.merge()]);
  assert.equal(x, y);
  assert.equal(store.stats().merges, 1);
});
