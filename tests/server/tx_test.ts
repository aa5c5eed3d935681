import assert from "node:assert/strict";
import { BitcaskStore } from "../../lib/bitcask/mod.ts";
import { Tx } from "../../lib/server/tx.ts";

const b = (s: string) => new TextEncoder().encode(s);
const s = (
  v: Uint8Array | undefined,
) => (v === undefined ? undefined : new TextDecoder().decode(v));

async function withStore(fn: (store: BitcaskStore) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const store = await BitcaskStore.open(dir, { hintWorker: false, logger: () => {} });
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Tx sees its own writes before commit and the store sees them after", () =>
  withStore((store) => {
    store.put(b("a"), b("1"));
    store.put(b("gone"), b("x"), { expiresAt: 50 });
    const tx = new Tx(store, 100);
    assert.equal(s(tx.get(b("a"))), "1");
    tx.put(b("a"), b("2"), 0);
    tx.put(b("b"), b("3"), 500);
    assert.equal(s(tx.get(b("a"))), "2");
    assert.deepEqual(tx.stat(b("b")), { expiresAt: 500, valueSize: 1 });
    assert.equal(tx.delete(b("a")), true);
    assert.equal(tx.get(b("a")), undefined);
    assert.equal(tx.delete(b("gone")), false, "an expired key does not count");
    assert.equal(tx.size(), 1);
    assert.deepEqual([...tx.scan({})].map((e) => s(e.key)), ["b"]);
    assert.equal(s(store.get(b("a"))), "1", "nothing reaches the store before commit");
    tx.commit(7);
    assert.equal(store.get(b("a")), undefined);
    assert.equal(store.stat(b("gone")), undefined, "the expired record was removed too");
    assert.equal(s(store.get(b("b"))), "3");
    assert.equal(store.lastIndex(), 7);
  }));

Deno.test("Tx.scan merges its writes over the store in both directions", () =>
  withStore((store) => {
    for (const k of ["a", "c", "e", "g"]) store.put(b(k), b(k.toUpperCase()));
    const tx = new Tx(store, 0);
    tx.put(b("d"), b("D"), 0);
    tx.delete(b("e"));
    tx.put(b("a"), b("A2"), 0);
    const walk = (o: Parameters<Tx["scan"]>[0]) =>
      [...tx.scan(o)].map((e) => `${s(e.key)}=${s(e.value)}`);
    assert.deepEqual(walk({}), ["a=A2", "c=C", "d=D", "g=G"]);
    assert.deepEqual(walk({ reverse: true }), ["g=G", "d=D", "c=C", "a=A2"]);
    assert.deepEqual(walk({ from: b("c"), inclusive: false, limit: 1 }), ["d=D"]);
    assert.deepEqual(walk({ prefix: b("d") }), ["d=D"]);
  }));

Deno.test("Tx.clear then writes commits as clear + batch, replayable as a whole", () =>
  withStore((store) => {
    store.put(b("old"), b("1"), { index: 3 });
    const tx = new Tx(store, 0);
    tx.put(b("before"), b("x"), 0);
    assert.equal(tx.clear(), 2);
    tx.put(b("after"), b("y"), 0);
    assert.equal(tx.size(), 1);
    tx.commit(9);
    assert.equal(store.size, 1);
    assert.equal(s(store.get(b("after"))), "y");
    assert.equal(store.lastIndex(), 9);
  }));
