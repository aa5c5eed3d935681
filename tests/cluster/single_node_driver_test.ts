import assert from "node:assert/strict";
import { OK, ReplyError, Simple } from "../../lib/resp/mod.ts";
import { argv, openFixture } from "./_fixture.ts";

Deno.test("a sole voter commits what is proposed in one turn as one batch, in order", async () => {
  await using f = await openFixture();
  const replies = [];
  for (let i = 0; i < 50; i++) {
    replies.push(f.log.propose({ transaction: false, cmds: [argv("INCR", "n")] }).reply);
  }
  assert.deepEqual(await Promise.all(replies), Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
  // Index 1 is the leader's no-op entry.
  assert.equal(f.wal.lastIndex, 51);
  assert.equal(f.sm.appliedIndex, 51);
  assert.equal(f.store.lastIndex(), 51);
});

Deno.test("afterApply hooks run right after their entry, before the next is applied", async () => {
  await using f = await openFixture();
  const seen: string[] = [];
  const first = f.log.propose({ transaction: false, cmds: [argv("SET", "k", "1")] });
  first.afterApply((ok) => {
    assert.ok(ok);
    seen.push(new TextDecoder().decode(f.store.get(new TextEncoder().encode("k"))));
  });
  const second = f.log.propose({ transaction: false, cmds: [argv("SET", "k", "2")] });
  second.afterApply(() =>
    seen.push(new TextDecoder().decode(f.store.get(new TextEncoder().encode("k"))))
  );
  assert.deepEqual(await Promise.all([first.reply, second.reply]), [OK, OK]);
  assert.deepEqual(seen, ["1", "2"]);
});

Deno.test("a transaction replies with an array and applies all its writes as one entry", async () => {
  await using f = await openFixture();
  const r = await f.log.propose({
    transaction: true,
    cmds: [
      argv("SET", "a", "1"),
      argv("INCR", "a"),
      argv("INCR", "nope", "x"),
      argv("GET", "a"),
      argv("TYPE", "a"),
    ],
  }).reply;
  assert.ok(Array.isArray(r));
  assert.equal(r[0], OK);
  assert.equal(r[1], 2n);
  assert.ok(r[2] instanceof ReplyError);
  assert.deepEqual(r[3], new TextEncoder().encode("2"));
  assert.deepEqual(r[4], new Simple("string"));
  assert.equal(f.wal.lastIndex, 2);
});

Deno.test("reopening replays only the entries the store does not hold", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using f = await openFixture("low", dir);
      for (let i = 0; i < 100; i++) {
        await f.log.propose({ transaction: false, cmds: [argv("INCR", "n")] }).reply;
      }
    }
    await using f = await openFixture("low", dir);
    assert.equal(f.store.lastIndex(), 101);
    assert.ok(f.wal.lastIndex >= 101);
    assert.equal(
      await f.log.propose({ transaction: false, cmds: [argv("INCR", "n")] }).reply,
      101n,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FLUSHALL shrinks the write-ahead log as well as the store", async () => {
  await using f = await openFixture();
  const value = "v".repeat(1000);
  const all = [];
  for (let i = 0; i < 2000; i++) {
    all.push(f.log.propose({ transaction: false, cmds: [argv("SET", `k${i}`, value)] }).reply);
  }
  await Promise.all(all);
  assert.ok(f.wal.stats().bytes > 2_000_000);
  await f.log.propose({ transaction: false, cmds: [argv("FLUSHALL")] }).reply;
  const deadline = Date.now() + 5000;
  while (f.wal.stats().bytes > 10_000) {
    assert.ok(Date.now() < deadline, `log still holds ${f.wal.stats().bytes} bytes`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(f.store.size, 0);
});

Deno.test("a sole member's log is compacted as it goes: its size stays bounded", async () => {
  await using f = await openFixture("low", undefined, { segmentSize: 1 << 20 });
  const value = "v".repeat(100);
  let maxBytes = 0;
  for (let round = 0; round < 60; round++) {
    const all = [];
    for (let i = 0; i < 1000; i++) {
      all.push(f.log.propose({ transaction: false, cmds: [argv("SET", `k${i}`, value)] }).reply);
    }
    await Promise.all(all);
    await new Promise((r) => setTimeout(r, 1)); // let a compaction finish
    maxBytes = Math.max(maxBytes, f.wal.stats().bytes);
  }
  assert.equal(f.sm.appliedIndex, 60_001);
  assert.ok(f.wal.firstIndex > 20_000, `first index ${f.wal.firstIndex}`);
  // One compaction interval (20,000 entries of ~160 bytes), plus the
  // partly compacted segments and a compaction in flight; 60,000 entries
  // would be about 9.6 MB.
  assert.ok(maxBytes < 6_000_000, `log grew to ${maxBytes} bytes`);
  assert.equal(f.store.size, 1000);
});
