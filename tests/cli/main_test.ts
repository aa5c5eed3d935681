import assert from "node:assert/strict";
import { VERSION } from "../../lib/cli/mod.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

Deno.test("main.ts prints a one-line error and the usage for a bad flag, and exits 2", async () => {
  const r = await run("--bogus-flag");
  assert.equal(r.code, 2);
  const lines = r.stderr.split("\n");
  assert.match(lines[0], /^bitraft: .*--bogus-flag/);
  assert.match(lines[1], /^Usage: bitraft \[options\]/);
  const bad = await run("--durability", "extreme");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^bitraft: invalid value for --durability: 'extreme'/);
});

Deno.test("main.ts answers --version and --help and exits 0", async () => {
  const v = await run("--version");
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), `bitraft ${VERSION}`);
  const h = await run("-h");
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--max-datafile-size/);
});
