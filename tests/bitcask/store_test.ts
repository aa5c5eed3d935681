import assert from "node:assert/strict";
import {
  BitcaskStore,
  KeyTooLargeError,
  StoreClosedError,
  StoreLockedError,
  ValueTooLargeError,
} from "../../lib/bitcask/mod.ts";
import { b, dataBytes, listDir, openStore, quiet, s, tempDir } from "./_helpers.ts";

Deno.test("BitcaskStore puts, gets, overwrites and deletes binary keys and values", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path);
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  store.put(all, all.slice().reverse());
  store.put(new Uint8Array(0), b("empty key"));
  store.put(b("empty value"), new Uint8Array(0));
  store.put(b("k"), b("v1"));
  store.put(b("k"), b("v2"));
  assert.deepEqual(store.get(all), all.slice().reverse());
  assert.equal(s(store.get(new Uint8Array(0))), "empty key");
  assert.deepEqual(store.get(b("empty value")), new Uint8Array(0));
  assert.ok(store.has(b("empty value")));
  assert.equal(s(store.get(b("k"))), "v2");
  assert.equal(store.size, 4);
  assert.equal(store.get(b("missing")), undefined);
  assert.equal(store.delete(b("k")), true);
  assert.equal(store.delete(b("k")), false);
  assert.equal(store.get(b("k")), undefined);
  assert.equal(store.size, 3);
  await store.close();

  await using again = await openStore(dir.path);
  assert.deepEqual(again.get(all), all.slice().reverse());
  assert.deepEqual(again.get(b("empty value")), new Uint8Array(0));
  assert.equal(s(again.get(new Uint8Array(0))), "empty key");
  assert.equal(again.get(b("k")), undefined);
  assert.equal(again.size, 3);
});

Deno.test("BitcaskStore.delete of an absent key writes nothing", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path);
  store.put(b("a"), b("1"));
  const before = dataBytes(dir.path);
  assert.equal(store.delete(b("nope")), false);
  assert.equal(dataBytes(dir.path), before);
});

Deno.test("BitcaskStore judges expiry against the caller's now, Redis style", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path);
  store.put(b("t"), b("v"), { expiresAt: 1000 });
  assert.equal(s(store.get(b("t"), { now: 999 })), "v");
  assert.equal(
    s(store.get(b("t"), { now: 1000 })),
    "v",
    "a key expires once time is past its expiry",
  );
  assert.equal(store.get(b("t"), { now: 1001 }), undefined);
  assert.equal(store.has(b("t"), { now: 1001 }), false);
  assert.deepEqual(store.stat(b("t"), { now: 5 }), { expiresAt: 1000, valueSize: 1 });
  assert.equal(s(store.get(b("t"))), "v", "without now, expiry is not judged");
  assert.deepEqual([...store.scan({ now: 2000 })], []);
  // Overwriting without an expiry clears it.
  store.put(b("t"), b("w"));
  assert.deepEqual(store.stat(b("t"), { now: 2000 }), { expiresAt: 0, valueSize: 1 });
  store.put(b("u"), b("x"), { expiresAt: 5000 });
  await store.close();
  await using again = await openStore(dir.path);
  assert.deepEqual(again.stat(b("u")), { expiresAt: 5000, valueSize: 1 });
  assert.deepEqual(again.stat(b("t")), { expiresAt: 0, valueSize: 1 });
});

Deno.test("BitcaskStore rejects oversized keys and values and writes nothing", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path, quiet([], { maxKeySize: 8, maxValueSize: 16 }));
  store.put(b("ok"), b("ok"));
  const before = dataBytes(dir.path);
  assert.throws(() => store.put(b("123456789"), b("v")), (e) => {
    assert.ok(e instanceof KeyTooLargeError);
    assert.equal(e.size, 9);
    assert.equal(e.limit, 8);
    return true;
  });
  assert.throws(() => store.put(b("k"), new Uint8Array(17)), ValueTooLargeError);
  assert.throws(
    () =>
      store.batch([
        { type: "put", key: b("fine"), value: b("fine") },
        { type: "put", key: b("k"), value: new Uint8Array(17) },
      ]),
    ValueTooLargeError,
  );
  assert.equal(store.delete(b("123456789")), false, "deletes are not size-checked");
  assert.equal(store.batch([{ type: "delete", key: b("123456789") }]), 0);
  assert.equal(dataBytes(dir.path), before);
  assert.equal(store.get(b("fine")), undefined);
  assert.equal(store.size, 1);
});

Deno.test("BitcaskStore validates options and arguments", async () => {
  await using dir = await tempDir();
  await assert.rejects(BitcaskStore.open(dir.path, { maxFileSize: 10 }), RangeError);
  await assert.rejects(BitcaskStore.open(dir.path, { mergeDeadRatio: 2 }), RangeError);
  await using store = await openStore(dir.path);
  assert.throws(() => store.put(b("k"), b("v"), { expiresAt: -1 }), RangeError);
  assert.throws(() => store.put(b("k"), b("v"), { index: 1.5 }), RangeError);
  assert.throws(() => store.put("k" as unknown as Uint8Array, b("v")), TypeError);
});

Deno.test("BitcaskStore.scan walks in byte order with from, direction, prefix and limit", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path);
  const keys = ["a", "ab", "abc", "b", "ba", "c", "\xff", "\xffa", "\xff\xff"];
  const bin = (k: string) => Uint8Array.from(k, (c) => c.charCodeAt(0));
  const str = (u: Uint8Array) => String.fromCharCode(...u);
  for (const k of [...keys].reverse()) store.put(bin(k), bin(k.toUpperCase()));
  const walk = (o: Parameters<BitcaskStore["scan"]>[0]) =>
    [...store.scan(o)].map((e) => str(e.key));
  assert.deepEqual(walk({}), keys);
  assert.deepEqual(walk({ reverse: true }), [...keys].reverse());
  assert.deepEqual(walk({ from: bin("ab") }), keys.slice(1));
  assert.deepEqual(walk({ from: bin("ab"), inclusive: false }), keys.slice(2));
  assert.deepEqual(walk({ from: bin("b"), reverse: true }), ["b", "abc", "ab", "a"]);
  assert.deepEqual(walk({ from: bin("b"), reverse: true, inclusive: false }), ["abc", "ab", "a"]);
  assert.deepEqual(walk({ prefix: bin("a") }), ["a", "ab", "abc"]);
  assert.deepEqual(walk({ prefix: bin("a"), reverse: true }), ["abc", "ab", "a"]);
  assert.deepEqual(walk({ prefix: bin("ab"), from: bin("ab"), inclusive: false }), ["abc"]);
  assert.deepEqual(walk({ prefix: bin("a"), from: bin("abc"), reverse: true, inclusive: false }), [
    "ab",
    "a",
  ]);
  assert.deepEqual(walk({ prefix: bin("\xff") }), ["\xff", "\xffa", "\xff\xff"]);
  assert.deepEqual(walk({ prefix: bin("\xff"), reverse: true }), ["\xff\xff", "\xffa", "\xff"]);
  assert.deepEqual(walk({ prefix: bin("\xff\xff"), reverse: true }), ["\xff\xff"]);
  assert.deepEqual(walk({ prefix: bin("b"), from: bin("c") }), []);
  assert.deepEqual(walk({ prefix: bin("b"), from: bin("a"), reverse: true }), []);
  assert.deepEqual(walk({ limit: 2, from: bin("b") }), ["b", "ba"]);
  assert.deepEqual(walk({ limit: 0 }), []);
  const [first] = store.scan({ values: false });
  assert.equal(first.value, undefined);
  const [withValue] = store.scan({ from: bin("ba") });
  assert.equal(str(withValue.value as Uint8Array), "BA");
});

Deno.test("BitcaskStore.scan skips keys deleted during the walk and ignores keys added", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path);
  for (let i = 0; i < 100; i++) store.put(b(`k${String(i).padStart(3, "0")}`), b(`${i}`));
  const seen: string[] = [];
  for (const e of store.scan()) {
    const k = s(e.key) as string;
    seen.push(k);
    if (k === "k010") {
      store.delete(b("k011"));
      store.put(b("k0105"), b("new"));
      store.put(b("k012"), b("changed"));
    }
    if (k === "k012") assert.equal(s(e.value), "changed");
  }
  assert.equal(seen.length, 99);
  assert.ok(!seen.includes("k011") && !seen.includes("k0105"));
});

Deno.test("BitcaskStore.batch is applied in order and counts deletes", async () => {
  await using dir = await tempDir();
  {
    await using store = await openStore(dir.path);
    store.put(b("gone"), b("1"));
    const deleted = store.batch([
      { type: "put", key: b("a"), value: b("1") },
      { type: "delete", key: b("a") },
      { type: "put", key: b("a"), value: b("2"), expiresAt: 99_999 },
      { type: "delete", key: b("gone") },
      { type: "delete", key: b("never") },
      { type: "put", key: b("big"), value: new Uint8Array(200_000).fill(7) },
    ], { index: 42 });
    assert.equal(deleted, 2);
    assert.equal(s(store.get(b("a"))), "2");
    assert.equal(store.stat(b("a"))?.expiresAt, 99_999);
    assert.equal(store.get(b("gone")), undefined);
    assert.equal(store.lastIndex(), 42);
    assert.equal(store.batch([{ type: "delete", key: b("nothing") }]), 0);
  }
  await using again = await openStore(dir.path);
  assert.equal(s(again.get(b("a"))), "2");
  assert.equal(again.get(b("gone")), undefined);
  assert.deepEqual(again.get(b("big")), new Uint8Array(200_000).fill(7));
  assert.equal(again.lastIndex(), 42);
});

Deno.test("BitcaskStore round-trips values larger than its write buffer", async () => {
  await using dir = await tempDir();
  const big = new Uint8Array(5 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const bigKey = new Uint8Array(100_000).fill(65);
  {
    await using store = await openStore(dir.path, quiet([], { maxFileSize: 1024 * 1024 }));
    store.put(b("small"), b("x"));
    store.put(b("big"), big);
    store.put(bigKey, b("long key"));
    store.put(b("after"), b("y"));
    assert.deepEqual(store.get(b("big")), big);
  }
  await using again = await openStore(dir.path, quiet([], { maxFileSize: 1024 * 1024 }));
  assert.deepEqual(again.get(b("big")), big);
  assert.equal(s(again.get(bigKey)), "long key");
  assert.equal(s(again.get(b("after"))), "y");
});

Deno.test("BitcaskStore.lastIndex survives reopen, rotation and merges that drop tombstones", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { maxFileSize: 2048, autoMerge: false });
  {
    await using store = await openStore(dir.path, opts);
    assert.equal(store.lastIndex(), 0);
    for (let i = 1; i <= 200; i++) store.put(b(`k${i % 20}`), b(`v${i}`), { index: i });
    for (let i = 0; i < 20; i++) store.delete(b(`k${i}`), { index: 200 + i + 1 });
    assert.equal(store.lastIndex(), 220);
    assert.equal(store.size, 0);
    await store.merge();
    assert.equal(store.lastIndex(), 220);
  }
  await using again = await openStore(dir.path, opts);
  assert.equal(again.lastIndex(), 220);
  assert.equal(again.size, 0);
  const st = again.stats();
  assert.equal(st.liveBytes, 0);
});

Deno.test("BitcaskStore takes an exclusive lock on its directory", async () => {
  await using dir = await tempDir();
  const store = await openStore(dir.path);
  await assert.rejects(openStore(dir.path), StoreLockedError);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { BitcaskStore } from ${
        JSON.stringify(new URL("../../lib/bitcask/mod.ts", import.meta.url).href)
      };
       try { await BitcaskStore.open(${JSON.stringify(dir.path)}); console.log("opened"); }
       catch (e) { console.log(e.name); }`,
    ],
    stdout: "piped",
    stderr: "inherit",
  });
  const out = new TextDecoder().decode((await child.output()).stdout).trim();
  assert.equal(out, "StoreLockedError");
  await store.close();
  const again = await openStore(dir.path);
  await again.close();
  assert.ok(listDir(dir.path).includes("LOCK"), "the lock file is never deleted");
});

Deno.test("BitcaskStore refuses use after close", async () => {
  await using dir = await tempDir();
  const store = await openStore(dir.path);
  store.put(b("a"), b("1"));
  const iter = store.scan();
  await store.close();
  await store.close();
  assert.throws(() => store.get(b("a")), StoreClosedError);
  assert.throws(() => store.put(b("a"), b("2")), StoreClosedError);
  assert.throws(() => iter.next(), StoreClosedError);
  await assert.rejects(store.sync(), StoreClosedError);
  await assert.rejects(store.merge(), StoreClosedError);
});

Deno.test("BitcaskStore rotates files at maxFileSize and builds hints on its worker", async () => {
  await using dir = await tempDir();
  const opts = quiet([], { maxFileSize: 4096, hintWorker: true, autoMerge: false });
  {
    await using store = await openStore(dir.path, opts);
    for (let i = 0; i < 500; i++) store.put(b(`key${i}`), new Uint8Array(100).fill(i & 0xff));
    const deadline = Date.now() + 10_000;
    while (!store.stats().dataFiles.every((f) => f.hint || f.active)) {
      assert.ok(Date.now() < deadline, "hints were not built");
      await new Promise((r) => setTimeout(r, 20));
    }
    const files = store.stats().dataFiles;
    assert.ok(files.length > 10);
    for (const f of files) assert.ok(f.size <= 4096, `file ${f.id} is ${f.size} bytes`);
  }
  const names = listDir(dir.path);
  const data = names.filter((n) => n.endsWith(".data")).length;
  const hints = names.filter((n) => n.endsWith(".hint")).length;
  assert.equal(hints, data - 1, "every file but the active one has a hint");
  await using again = await openStore(dir.path, opts);
  assert.equal(again.stats().hintsRebuilt, 0);
  for (let i = 0; i < 500; i++) {
    assert.deepEqual(again.get(b(`key${i}`)), new Uint8Array(100).fill(i & 0xff));
  }
});

Deno.test("BitcaskStore.sync resolves for concurrent callers", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path);
  const all: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    store.put(b(`k${i}`), b("v"));
    all.push(store.sync());
  }
  await Promise.all(all);
});

Deno.test("BitcaskSnapshot sees the store as it was, through writes and merges", async () => {
  await using dir = await tempDir();
  await using store = await openStore(dir.path, quiet([], { maxFileSize: 2048, autoMerge: false }));
  for (let i = 0; i < 100; i++) store.put(b(`k${i}`), b(`old${i}`), { index: i + 1 });
  const snap = store.snapshot();
  for (let i = 0; i < 100; i += 2) store.put(b(`k${i}`), b(`new${i}`), { index: 200 + i });
  store.delete(b("k1"));
  store.put(b("fresh"), b("x"));
  await store.merge();
  const retiredBefore = store.stats().dataFiles.filter((f) => f.retired).length;
  assert.ok(retiredBefore > 0, "merged files wait while the snapshot is open");
  assert.equal(snap.size, 100);
  assert.equal(snap.lastIndex(), 100);
  assert.equal(s(snap.get(b("k0"))), "old0");
  assert.equal(s(snap.get(b("k1"))), "old1");
  assert.equal(snap.get(b("fresh")), undefined);
  const seen = [...snap.scan()].map((e) => `${s(e.key)}=${s(e.value)}`);
  assert.equal(seen.length, 100);
  assert.ok(seen.includes("k42=old42"));
  assert.equal(s(store.get(b("k0"))), "new0");
  snap.close();
  assert.throws(() => snap.get(b("k0")));
  assert.equal(store.stats().dataFiles.filter((f) => f.retired).length, 0, "deleted once released");
  assert.equal(store.stats().snapshots, 0);
});
