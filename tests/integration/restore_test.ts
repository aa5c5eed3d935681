/**
 * `bitraft --restore FILE`: a new one-node cluster whose keyspace is a
 * snapshot; a non-empty data directory and damaged files are refused.
 */

import assert from "node:assert/strict";
import { text } from "./_cluster.ts";
import { command, RawClient } from "./_resp_client.ts";
import { freePort, startServer } from "./_server.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "-b", `127.0.0.1:${freePort()}`, ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("--restore starts a new node from a snapshot; it refuses a non-empty data dir and a damaged file", async () => {
  const restoredDir = await Deno.makeTempDir({ prefix: "bitraft_restored_" });
  try {
    let statePath: string;
    {
      await using src = await startServer();
      const c = await RawClient.connect(src.port);
      for (let i = 0; i < 3000; i++) {
        await c.send(
          i % 3 === 0
            ? command("SET", `k${i}`, `v${i}`, "PX", "600000")
            : command("SET", `k${i}`, `v${i}`),
        );
      }
      for (let i = 0; i < 3000; i++) assert.equal(text(await c.read()), "OK");
      assert.equal(text(await c.call("SET", "bin\r\nkey", new Uint8Array([0, 255, 13, 10]))), "OK");
      assert.equal(text(await c.call("RAFTSNAPSHOT")), "OK");
      c.close();
      const snaps = `${src.dir}/snapshots`;
      const id = [...Deno.readDirSync(snaps)][0].name;
      statePath = await Deno.makeTempFile({ prefix: "bitraft_state_", suffix: ".bin" });
      await Deno.copyFile(`${snaps}/${id}/state.bin`, statePath);
    }
    try {
      {
        await using restored = await startServer({
          dir: restoredDir,
          args: ["--restore", statePath],
        });
        const c = await RawClient.connect(restored.port);
        assert.equal(text(await c.call("DBSIZE")), "3001");
        assert.equal(text(await c.call("GET", "k2999")), "v2999");
        const bin = await c.call("GET", "bin\r\nkey");
        assert.deepEqual([...(bin.value as Uint8Array)], [0, 255, 13, 10]);
        const ttl = Number(text(await c.call("PTTL", "k0")));
        assert.ok(ttl > 500_000 && ttl <= 600_000, `PTTL ${ttl}`);
        assert.equal(text(await c.call("PTTL", "k1")), "-1");
        c.close();
        restored.kill("SIGTERM");
        assert.equal((await restored.exited()).code, 0);
      }
      // Restarted without --restore: the restored keys are its own data.
      {
        await using again = await startServer({ dir: restoredDir });
        assert.equal(text(await (await RawClient.connect(again.port)).call("DBSIZE")), "3001");
      }
      // A second --restore into the same (now non-empty) directory is refused.
      const refused = await run(["-d", restoredDir, "--restore", statePath]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /--restore needs an empty data directory/);
      // A truncated file: exit 1 with the reason.
      const bytes = Deno.readFileSync(statePath);
      const cut = `${statePath}.cut`;
      Deno.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
      const emptyDir = await Deno.makeTempDir({ prefix: "bitraft_restore_cut_" });
      try {
        const damaged = await run(["-d", emptyDir, "--restore", cut]);
        assert.equal(damaged.code, 1);
        assert.match(damaged.stderr, /cannot restore .*(truncated|ends early)/);
      } finally {
        await Deno.remove(emptyDir, { recursive: true });
        await Deno.remove(cut);
      }
      assert.equal(
        (await run(["--restore", "/nonexistent/state.bin", "-d", `${restoredDir}-x`])).code,
        1,
      );
      const both = await run(["--restore", statePath, "--join", "127.0.0.1:1"]);
      assert.equal(both.code, 2);
    } finally {
      await Deno.remove(statePath);
    }
  } finally {
    await Deno.remove(restoredDir, { recursive: true });
    await Deno.remove(`${restoredDir}-x`, { recursive: true }).catch(() => {});
  }
});
