import assert from "node:assert/strict";
import {
  SnapshotBusyError,
  SnapshotCorruptError,
  type SnapshotRecord,
  SnapshotStore,
} from "../../lib/snapshot/mod.ts";
import { b, plain, tempDir } from "./_helpers.ts";

const CONF = { voters: ["127.0.0.1:4920", "127.0.0.1:4921"], learners: ["127.0.0.1:4922"] };

function records(n: number, tag = "v"): SnapshotRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    key: b(`k${i}`),
    value: b(`${tag}${i}`),
    expiresAt: i === 0 ? 1_900_000_000_000 : 0,
  }));
}

async function collect(it: AsyncIterable<SnapshotRecord>): Promise<SnapshotRecord[]> {
  const out: SnapshotRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

Deno.test("SnapshotStore.create() writes meta.json and state.bin that list() and records() read back", async () => {
  await using dir = await tempDir();
  const store = await SnapshotStore.open(`${dir.path}/snapshots`);
  assert.equal(store.latest(), null);
  const info = await store.create({ index: 17, term: 2, conf: CONF }, records(5));
  assert.match(info.id, /^2-17-\d+$/);
  assert.equal(info.dir, `${dir.path}/snapshots/${info.id}`);
  const meta = JSON.parse(await Deno.readTextFile(`${info.dir}/meta.json`));
  assert.deepEqual(meta, {
    ID: info.id,
    Index: 17,
    Term: 2,
    Conf: CONF,
    Size: (await Deno.stat(store.statePath(info))).size,
    CRC: info.crc,
    Time: info.time,
  });
  assert.deepEqual(store.list(), [info]);
  assert.deepEqual(store.latest(), info);
  await store.verify(info);
  assert.deepEqual(plain(await collect(store.records(info))), plain(records(5)));
  assert.deepEqual([...Deno.readDirSync(info.dir)].map((e) => e.name).sort(), [
    "meta.json",
    "state.bin",
  ]);
});

Deno.test("SnapshotStore keeps the newest `retain` snapshots, never the one just written", async () => {
  await using dir = await tempDir();
  const logs: string[] = [];
  const store = await SnapshotStore.open(dir.path, { retain: 2, log: (m) => logs.push(m) });
  const a = await store.create({ index: 10, term: 1, conf: CONF }, records(1));
  const b2 = await store.create({ index: 20, term: 1, conf: CONF }, records(1));
  const c = await store.create({ index: 30, term: 2, conf: CONF }, records(1));
  assert.deepEqual(store.list().map((s) => s.id), [c.id, b2.id]);
  assert.ok(logs.some((l) => l.includes(`removed old snapshot ${a.id}`)));
  // An older index written last is kept; the oldest of the rest goes.
  const old = await store.create({ index: 5, term: 1, conf: CONF }, records(1));
  assert.deepEqual(store.list().map((s) => s.id), [c.id, old.id]);
  // Same term and index twice in the same millisecond still get distinct ids.
  const one = await SnapshotStore.open(`${dir.path}/one`, { retain: 1 });
  const x = await one.create({ index: 1, term: 1, conf: CONF }, []);
  const y = await one.create({ index: 1, term: 1, conf: CONF }, []);
  assert.notEqual(x.id, y.id);
  assert.deepEqual(one.list().map((s) => s.id), [y.id]);
  await assert.rejects(SnapshotStore.open(dir.path, { retain: 0 }), RangeError);
});

Deno.test("SnapshotStore.create() rejects a second concurrent call", async () => {
  await using dir = await tempDir();
  const store = await SnapshotStore.open(dir.path);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* slow(): AsyncGenerator<SnapshotRecord> {
    yield { key: b("a"), value: b("1"), expiresAt: 0 };
    await gate;
    yield { key: b("b"), value: b("2"), expiresAt: 0 };
  }
  const first = store.create({ index: 1, term: 1, conf: CONF }, slow());
  await assert.rejects(
    store.create({ index: 2, term: 1, conf: CONF }, []),
    (e) => e instanceof SnapshotBusyError && /snapshot already in progress/.test(e.message),
  );
  // The unfinished one is invisible meanwhile.
  assert.equal(store.latest(), null);
  release();
  const info = await first;
  assert.equal(store.latest()?.id, info.id);
  // A failed create cleans up and frees the store.
  function* broken(): Generator<SnapshotRecord> {
    yield { key: b("a"), value: b("1"), expiresAt: 0 };
    throw new Error("keyspace closed");
  }
  await assert.rejects(
    store.create({ index: 3, term: 1, conf: CONF }, broken()),
    /keyspace closed/,
  );
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), [info.id]);
  await store.create({ index: 4, term: 1, conf: CONF }, []);
});

Deno.test("SnapshotStore.open() removes unfinished .tmp directories", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(`${dir.path}/1-5-1000.tmp`);
  await Deno.writeTextFile(`${dir.path}/1-5-1000.tmp/state.bin`, "partial");
  const logs: string[] = [];
  const store = await SnapshotStore.open(dir.path, { log: (m) => logs.push(m) });
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
  assert.deepEqual(logs, ["removed unfinished snapshot 1-5-1000.tmp"]);
  assert.equal(store.latest(), null);
});

Deno.test("SnapshotStore never lists damaged snapshots and verify() catches bad bytes", async (t) => {
  await using dir = await tempDir();
  const logs: string[] = [];
  const store = await SnapshotStore.open(dir.path, { retain: 10, log: (m) => logs.push(m) });
  const good = await store.create({ index: 1, term: 1, conf: CONF }, records(3));

  async function damaged(
    name: string,
    damage: (dir: string, meta: Record<string, unknown>) => Promise<void>,
  ): Promise<void> {
    await t.step(name, async () => {
      const s = await store.create({ index: 100, term: 5, conf: CONF }, records(3));
      const meta = JSON.parse(await Deno.readTextFile(`${s.dir}/meta.json`));
      await damage(s.dir, meta);
      assert.equal(store.latest()?.id, good.id);
      assert.ok(!store.list().some((x) => x.id === s.id));
      assert.ok(logs.some((l) => l.includes(s.id)), `logged: ${logs.join(" | ")}`);
      await Deno.remove(s.dir, { recursive: true });
    });
  }
  const writeMeta = (d: string, m: unknown) =>
    Deno.writeTextFile(`${d}/meta.json`, JSON.stringify(m));
  await damaged("bad JSON", (d) => Deno.writeTextFile(`${d}/meta.json`, "{not json"));
  await damaged("missing meta.json", (d) => Deno.remove(`${d}/meta.json`));
  await damaged("missing state.bin", (d) => Deno.remove(`${d}/state.bin`));
  await damaged("Index a string", (d, m) => writeMeta(d, { ...m, Index: "100" }));
  await damaged("Term negative", (d, m) => writeMeta(d, { ...m, Term: -1 }));
  await damaged("Size fractional", (d, m) => writeMeta(d, { ...m, Size: 1.5 }));
  await damaged("CRC not base64", (d, m) => writeMeta(d, { ...m, CRC: "zz" }));
  await damaged("Conf missing", (d, m) => writeMeta(d, { ...m, Conf: undefined }));
  await damaged("ID of another dir", (d, m) => writeMeta(d, { ...m, ID: "5-100-1" }));
  await damaged("size mismatch", (d, m) => writeMeta(d, { ...m, Size: (m.Size as number) + 1 }));
  await damaged("state.bin truncated", async (d) => {
    const data = await Deno.readFile(`${d}/state.bin`);
    await Deno.writeFile(`${d}/state.bin`, data.subarray(0, data.length - 1));
  });

  await t.step("CRC mismatch fails verify() and records()", async () => {
    const s = await store.create({ index: 200, term: 5, conf: CONF }, records(3, "w"));
    const data = await Deno.readFile(store.statePath(s));
    data[5] ^= 1; // gzip MTIME: the gzip stream stays readable
    await Deno.writeFile(store.statePath(s), data);
    await assert.rejects(
      store.verify(s),
      (e) => e instanceof SnapshotCorruptError && /CRC/.test(e.message) && e.id === s.id,
    );
    await assert.rejects(collect(store.records(s)), SnapshotCorruptError);
    await Deno.remove(store.statePath(s));
    await assert.rejects(store.verify(s), /state.bin is missing/);
    await Deno.remove(s.dir, { recursive: true });
  });
  // Each damaged directory is logged once, not on every list().
  const before = logs.length;
  await Deno.mkdir(`${dir.path}/junk`);
  store.list();
  store.list();
  assert.equal(logs.length, before + 1);
});
