/**
 * Backup and restore with the real tools: RAFTSNAPSHOT on a cluster node,
 * then `bitraft --parse-snapshot state.bin | redis-cli --pipe` into a
 * fresh node; the keyspace and every TTL come back.
 */

import assert from "node:assert/strict";
import { TestCluster, text } from "./_cluster.ts";
import { command, RawClient, type RawReply } from "./_resp_client.ts";
import { startServer } from "./_server.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const N = 50_000;

function keyOf(i: number): Uint8Array {
  // Binary keys: every byte value shows up, including \r, \n and 0.
  return i % 10 === 0
    ? new Uint8Array([0, 13, 10, i & 255, (i >> 8) & 255, (i >> 16) & 255])
    : new TextEncoder().encode(`key:${i}`);
}

function valueOf(i: number): Uint8Array {
  if (i === 7) return new Uint8Array(0); // an empty value
  return i % 13 === 0
    ? new Uint8Array(64).map((_, j) => (i * 31 + j) & 255)
    : new TextEncoder().encode(`value-${i}`);
}

async function dump(port: number): Promise<{ pairs: string[]; ttls: Map<string, number> }> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.call("KEYS", "*", "WITHVALUES");
    assert.equal(r.type, "array");
    const items = r.value as RawReply[];
    const hex = (x: RawReply) => [...(x.value as Uint8Array)].map((b) => b.toString(16)).join(".");
    const pairs: string[] = [];
    for (let i = 0; i < items.length; i += 2) pairs.push(`${hex(items[i])}=${hex(items[i + 1])}`);
    const ttls = new Map<string, number>();
    for (let i = 0; i < items.length; i += 2) {
      await c.send(command("PTTL", items[i].value as Uint8Array));
    }
    for (let i = 0; i < items.length; i += 2) {
      const t = Number((await c.read()).value);
      if (t !== -1) ttls.set(hex(items[i]), t);
    }
    return { pairs, ttls };
  } finally {
    c.close();
  }
}

Deno.test("RAFTSNAPSHOT, then --parse-snapshot | redis-cli --pipe into a fresh node, restores every key and TTL", async () => {
  await using cluster = await TestCluster.start(3);
  const leader = await cluster.leader();
  const c = await RawClient.connect(cluster.port(leader));
  try {
    for (let i = 0; i < N; i += 1000) {
      for (let j = i; j < i + 1000; j++) {
        await c.send(
          j % 5 === 0
            ? command("SET", keyOf(j), valueOf(j), "EX", String(1000 + j))
            : command("SET", keyOf(j), valueOf(j)),
        );
      }
      for (let j = i; j < i + 1000; j++) assert.equal(text(await c.read()), "OK");
    }
  } finally {
    c.close();
  }
  // Snapshot on a follower (any node can take one), once it has everything.
  await cluster.waitCaughtUp();
  const follower = cluster.alive.find((a) => a !== leader) as string;
  assert.equal(text(await cluster.call(follower, "RAFTSNAPSHOT")), "OK");
  const snapDir = `${cluster.dirs.get(follower)}/snapshots`;
  const ids = [...Deno.readDirSync(snapDir)].map((e) => e.name).filter((n) => !n.endsWith(".tmp"));
  assert.equal(ids.length, 1);
  const meta = JSON.parse(Deno.readTextFileSync(`${snapDir}/${ids[0]}/meta.json`));
  assert.equal(meta.ID, ids[0]);
  assert.ok(meta.Index >= N, `snapshot index ${meta.Index}`);
  assert.equal(meta.Size, Deno.statSync(`${snapDir}/${ids[0]}/state.bin`).size);

  await using fresh = await startServer();
  const pipeline = new Deno.Command("bash", {
    args: [
      "-c",
      `set -o pipefail; "${Deno.execPath()}" run -A "${MAIN}" --parse-snapshot "${snapDir}/${
        ids[0]
      }/state.bin" | redis-cli -p ${fresh.port} --pipe`,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await pipeline.output();
  const said = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, said + new TextDecoder().decode(out.stderr));
  assert.match(said, new RegExp(`errors: 0, replies: ${N}`));

  const want = await dump(cluster.port(leader));
  const got = await dump(fresh.port);
  assert.equal(got.pairs.length, N);
  assert.deepEqual(got.pairs, want.pairs);
  assert.equal(got.ttls.size, N / 5);
  for (const [k, t] of want.ttls) {
    const u = got.ttls.get(k);
    assert.ok(u !== undefined && Math.abs(u - t) < 30_000, `PTTL of ${k}: ${t} vs ${u}`);
  }
});
