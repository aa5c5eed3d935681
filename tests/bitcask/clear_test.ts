import assert from "node:assert/strict";
import { b, dataBytes, listDir, openStore, quiet, s, tempDir } from "./_helpers.ts";

Deno.test("BitcaskStore.clear drops every key at once, durably, and frees the disk", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { maxFileSize: 4096, autoMerge: false });
  {
    await using store = await openStore(dir.path, opts);
    for (let i = 0; i < 500; i++) store.put(b(`k${i}`), new Uint8Array(50), { index: i + 1 });
    assert.ok(dataBytes(dir.path) > 30_000);
    assert.equal(store.clear({ index: 600 }), 500);
    assert.equal(store.size, 0);
    assert.equal(store.get(b("k1")), undefined);
    assert.deepEqual([...store.scan()], []);
    assert.equal(store.lastIndex(), 600);
    assert.equal(dataBytes(dir.path), 32, "old files are deleted at once");
    store.put(b("after"), b("clear"), { index: 601 });
  }
  await using again = await openStore(dir.path, opts);
  assert.equal(again.size, 1);
  assert.equal(s(again.get(b("after"))), "clear");
  assert.equal(again.lastIndex(), 601);
});

Deno.test("a cleared marker hides older files even if they were not deleted before a crash", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { maxFileSize: 4096, autoMerge: false });
  let names: string[];
  {
    await using store = await openStore(dir.path, opts);
    for (let i = 0; i < 200; i++) store.put(b(`k${i}`), new Uint8Array(50));
    names = listDir(dir.path).filter((n) => n.endsWith(".data"));
    const snap = store.snapshot(); // keeps the old files alive, as a crash right after clear would
    store.clear();
    store.put(b("new"), b("1"));
    for (const n of names) {
      assert.ok(listDir(dir.path).includes(n), `${n} deleted while a snapshot reads it`);
    }
    assert.equal(snap.size, 200, "the snapshot still sees the old keys");
    assert.equal(snap.get(b("k7"))?.length, 50);
    // Simulate the crash: copy the directory while the old files are still there.
    await Deno.mkdir(`${dir.path}/copy`);
    for (const n of listDir(dir.path)) {
      if (n.endsWith(".data") || n.endsWith(".hint")) {
        await Deno.copyFile(`${dir.path}/${n}`, `${dir.path}/copy/${n}`);
      }
    }
    snap.close();
  }
  await using copy = await openStore(`${dir.path}/copy`, opts);
  assert.equal(copy.size, 1);
  assert.equal(s(copy.get(b("new"))), "1");
  for (const n of names) assert.ok(!listDir(`${dir.path}/copy`).includes(n), `${n} not removed`);
});

Deno.test("clear during a merge abandons the merge's copies", async () => {
  await using dir = await tempDir();
  await using store = await openStore(
    dir.path,
    quiet([], { maxFileSize: 4096, autoMerge: false, mergeStepMs: 0.1 }),
  );
  for (let i = 0; i < 3000; i++) store.put(b(`k${i % 1000}`), b(`v${i}`));
  const merging = store.merge();
  await new Promise((r) => setTimeout(r, 0));
  store.clear();
  await merging;
  store.put(b("x"), b("y"));
  assert.equal(store.size, 1);
  assert.equal(store.stats().dataFiles.length, 1);
  assert.deepEqual(listDir(dir.path).filter((n) => n.includes(".data")).length, 1);
});

Deno.test("sampleExpiring returns only keys that have an expiry", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { autoMerge: false });
  {
    await using store = await openStore(dir.path, opts);
    assert.deepEqual(store.sampleExpiring(5, Math.random), []);
    for (let i = 0; i < 100; i++) store.put(b(`p${i}`), b("v"));
    for (let i = 0; i < 10; i++) store.put(b(`e${i}`), b("v"), { expiresAt: 1000 + i });
    store.put(b("e0"), b("no longer expiring"));
    store.delete(b("e1"));
    store.batch([{ type: "put", key: b("e2"), value: b("v") }]);
    assert.equal(store.expiringCount, 7);
    for (const { key, expiresAt } of store.sampleExpiring(50, Math.random)) {
      const k = s(key) as string;
      assert.match(k, /^e[3-9]$/);
      assert.equal(expiresAt, 1000 + Number(k.slice(1)));
    }
  }
  await using again = await openStore(dir.path, opts);
  assert.equal(again.expiringCount, 7, "rebuilt at open");
  again.clear();
  assert.equal(again.expiringCount, 0);
});
