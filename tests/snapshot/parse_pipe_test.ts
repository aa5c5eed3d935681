import assert from "node:assert/strict";
import { type SnapshotRecord, writeStateFile } from "../../lib/snapshot/mod.ts";
import { RawClient } from "../integration/_resp_client.ts";
import { startServer } from "../integration/_server.ts";
import { b, tempDir } from "./_helpers.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test("main.ts --parse-snapshot | redis-cli --pipe restores keys and TTLs into bitraft", async () => {
  await using dir = await tempDir();
  await using server = await startServer();
  const path = `${dir.path}/state.bin`;
  const expiry = Date.now() + 3_600_000;
  const binary = new Uint8Array(256).map((_, i) => i);
  const records: SnapshotRecord[] = [
    { key: b("a key with spaces"), value: b("line1\r\nline2"), expiresAt: 0 },
    { key: binary, value: binary, expiresAt: 0 },
    { key: b("empty"), value: new Uint8Array(0), expiresAt: 0 },
    { key: b("ttl"), value: b("soon gone"), expiresAt: expiry },
    ...Array.from({ length: 500 }, (_, i) => ({
      key: b(`bulk:${i}`),
      value: b(`v${i}`),
      expiresAt: 0,
    })),
  ];
  await writeStateFile(path, records);

  const parse = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--parse-snapshot", path],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const cli = new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(server.port), "--pipe"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const td = new TextDecoder();
  try {
    const [, parseErr, parseStatus, piped] = await Promise.all([
      parse.stdout.pipeTo(cli.stdin),
      new Response(parse.stderr).text(),
      parse.status,
      cli.output(),
    ]);
    assert.equal(parseStatus.code, 0, parseErr);
    assert.equal(parseErr, "");
    const report = td.decode(piped.stdout);
    assert.equal(piped.code, 0, report + td.decode(piped.stderr));
    assert.match(report, new RegExp(`errors: 0, replies: ${records.length}`));
  } finally {
    for (const child of [parse, cli]) {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
    }
  }

  const c = await RawClient.connect(server.port);
  try {
    for (const r of [records[0], records[1], records[2], records[3], records[450]]) {
      assert.deepEqual(await c.call("GET", r.key), { type: "bulk", value: r.value });
    }
    const pttl = await c.call("PTTL", "ttl");
    assert.equal(pttl.type, "int");
    const ms = Number(pttl.value);
    assert.ok(ms > 3_500_000 && ms <= 3_600_000, `PTTL ${ms}`);
    assert.deepEqual(await c.call("PTTL", "a key with spaces"), { type: "int", value: -1n });
    assert.deepEqual(await c.call("DBSIZE"), { type: "int", value: BigInt(records.length) });
  } finally {
    c.close();
  }
});
