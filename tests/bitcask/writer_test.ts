import assert from "node:assert/strict";
import fs from "node:fs";
import { recordSize, TYPE_PUT } from "../../lib/bitcask/record.ts";
import { type PendingRecord, RecordWriter } from "../../lib/bitcask/writer.ts";
import { b, newDataFile, tempDir } from "./_helpers.ts";

function rec(key: string, value: Uint8Array): PendingRecord {
  const k = b(key);
  return { type: TYPE_PUT, key: k, value, expiresAt: 0, size: recordSize(k.length, value.length) };
}

Deno.test("RecordWriter buffers records until flush or the end of the task", async () => {
  await using dir = await tempDir();
  const file = newDataFile(dir.path);
  try {
    const w = new RecordWriter(file);
    const off = w.append([rec("a", b("1")), rec("b", b("2"))], 9);
    assert.equal(off, 32);
    assert.equal(file.size, 32 + 2 * recordSize(1, 1));
    assert.equal(file.maxIndex, 9);
    assert.equal(fs.fstatSync(file.fd).size, 32, "nothing written yet");
    await Promise.resolve(); // the microtask flush
    assert.equal(fs.fstatSync(file.fd).size, file.size);
    w.append([rec("c", b("3"))], 10);
    w.flushTo(file.size);
    assert.equal(fs.fstatSync(file.fd).size, file.size);
    // Records bigger than the direct-write threshold bypass the buffer, in order.
    w.append([rec("d", b("4")), rec("big", new Uint8Array(100_000))], 11);
    assert.equal(fs.fstatSync(file.fd).size, file.size);
  } finally {
    file.close();
  }
});

Deno.test("RecordWriter fails every later call after a write error", async () => {
  await using dir = await tempDir();
  const file = newDataFile(dir.path);
  const w = new RecordWriter(file);
  w.append([rec("a", b("1"))], 1);
  file.close(); // the next write fails with EBADF
  assert.throws(() => w.flush());
  const failure = w.failure;
  assert.ok(failure instanceof Error);
  assert.throws(() => w.append([rec("b", b("2"))], 2), (e) => e === failure);
  assert.throws(() => w.flush(), (e) => e === failure);
});
