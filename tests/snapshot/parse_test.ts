import assert from "node:assert/strict";
import {
  parseSnapshotCommand,
  type RespProgress,
  SnapshotFormatError,
  type SnapshotRecord,
  writeSnapshotAsResp,
  writeStateFile,
} from "../../lib/snapshot/mod.ts";
import { b, concat, gzip, tempDir, u64 } from "./_helpers.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A writer that keeps what it gets and records each write's size. */
class Collector {
  chunks: Uint8Array[] = [];
  write(p: Uint8Array): Promise<number> {
    // Accept at most 1000 bytes per call, like a pipe accepting partial writes.
    const n = Math.min(p.length, 1000);
    this.chunks.push(p.slice(0, n));
    return Promise.resolve(n);
  }
  bytes(): Uint8Array {
    return concat(this.chunks);
  }
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

const SMALL: SnapshotRecord[] = [
  { key: b("a key"), value: b("v\r\n1"), expiresAt: 0 },
  { key: b("b"), value: b(""), expiresAt: 1_900_000_000_000 },
];
const SMALL_RESP = "*3\r\n$3\r\nSET\r\n$5\r\na key\r\n$4\r\nv\r\n1\r\n" +
  "*5\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n$4\r\nPXAT\r\n$13\r\n1900000000000\r\n";

async function run(
  ...args: string[]
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("writeSnapshotAsResp() writes SET and SET PXAT commands byte for byte", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  await writeStateFile(path, SMALL);
  const out = new Collector();
  const progress: RespProgress[] = [];
  const r = await writeSnapshotAsResp(path, out, { onProgress: (p) => progress.push(p) });
  assert.equal(out.text(), SMALL_RESP);
  assert.deepEqual(r, {
    records: 2,
    skipped: 0,
    format: "bitraft1",
    bytesWritten: SMALL_RESP.length,
  });
  assert.equal(progress.at(-1)?.done, true);
  assert.equal(progress.at(-1)?.records, 2);
  // A snapshot directory works too.
  const out2 = new Collector();
  await writeSnapshotAsResp(dir.path, out2);
  assert.equal(out2.text(), SMALL_RESP);
});

Deno.test("writeSnapshotAsResp() streams values larger than its buffer in order", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const big = new Uint8Array(700_000).map((_, i) => i & 0xff);
  const records = [
    { key: b("x"), value: b("1"), expiresAt: 0 },
    { key: b("big"), value: big, expiresAt: 0 },
    ...Array.from(
      { length: 3000 },
      (_, i) => ({ key: b(`k${i}`), value: b(`${i}`), expiresAt: 0 }),
    ),
  ];
  await writeStateFile(path, records);
  const out = new Collector();
  await writeSnapshotAsResp(path, out, { bufferSize: 4096 });
  const expected = concat(records.flatMap((r) => [
    b(`*3\r\n$3\r\nSET\r\n$${r.key.length}\r\n`),
    r.key,
    b(`\r\n$${r.value.length}\r\n`),
    r.value,
    b("\r\n"),
  ]));
  assert.deepEqual(out.bytes(), expected);
});

Deno.test("writeSnapshotAsResp() writes the records before the damage, then throws", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  const raw = concat([
    u64(2),
    b("ka"),
    u64(1),
    b("1"),
    u64(4),
    b("skip"),
    u64(0),
    u64(3),
    b("kbc"),
    u64(10),
    b("cut"),
  ]);
  await Deno.writeFile(path, gzip(raw));
  const out = new Collector();
  await assert.rejects(writeSnapshotAsResp(path, out), SnapshotFormatError);
  assert.equal(out.text(), "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
  // The command form: exit 1, one stderr line, the prefix on stdout.
  const err = new Collector();
  const out2 = new Collector();
  const code = await parseSnapshotCommand(path, { stdout: out2, stderr: err, progress: false });
  assert.equal(code, 1);
  assert.equal(out2.text(), out.text());
  assert.match(
    err.text(),
    /^bitraft: Cannot read snapshot: record 3 at uncompressed byte \d+ is cut short[^\n]*\n$/,
  );
});

Deno.test("parseSnapshotCommand() shows progress only when asked, and clears it", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  await writeStateFile(path, SMALL);
  const err = new Collector();
  assert.equal(
    await parseSnapshotCommand(path, { stdout: new Collector(), stderr: err, progress: true }),
    0,
  );
  assert.ok(err.text().endsWith("\r\x1b[K"), JSON.stringify(err.text()));
  const quiet = new Collector();
  assert.equal(
    await parseSnapshotCommand(path, { stdout: new Collector(), stderr: quiet, progress: false }),
    0,
  );
  assert.equal(quiet.text(), "");
  // Legacy files with skipped records succeed with a warning.
  await Deno.writeFile(path, gzip(concat([u64(1), b("m"), u64(1), b("1")])));
  const warn = new Collector();
  assert.equal(
    await parseSnapshotCommand(path, { stdout: new Collector(), stderr: warn, progress: false }),
    0,
  );
  assert.match(warn.text(), /^bitraft: warning: skipped 1 legacy records/);
});

Deno.test("main.ts --parse-snapshot prints RESP and exits 0, or prefix + one line + exit 1", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state.bin`;
  await writeStateFile(path, SMALL);
  const ok = await run("--parse-snapshot", path);
  assert.equal(ok.stderr, "");
  assert.equal(ok.code, 0);
  assert.equal(new TextDecoder().decode(ok.stdout), SMALL_RESP);

  const many = Array.from({ length: 2000 }, (_, i) => ({
    key: b(`key${i}`),
    value: b(`value${i}`),
    expiresAt: 0,
  }));
  await writeStateFile(path, many, { level: 0 });
  const data = await Deno.readFile(path);
  await Deno.writeFile(path, data.subarray(0, data.length >> 1));
  const bad = await run("--parse-snapshot", path);
  assert.equal(bad.code, 1);
  const lines = bad.stderr.split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^bitraft: Cannot read snapshot: the gzip stream ends early/);
  const text = new TextDecoder().decode(bad.stdout);
  const n = text.split("*3\r\n").length - 1;
  assert.ok(n > 500 && n < 2000, `${n} commands before the damage`);
  const expected = many.slice(0, n).map((r) => {
    const k = new TextDecoder().decode(r.key);
    const v = new TextDecoder().decode(r.value);
    return `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
  }).join("");
  assert.equal(text, expected);

  const missing = await run("--parse-snapshot", `${dir.path}/nope.bin`);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^bitraft: cannot open ".*nope.bin": no such file\n$/);
});
