import assert from "node:assert/strict";
import type { DataFile } from "../../lib/bitcask/data_file.ts";
import { CorruptRecordError } from "../../lib/bitcask/errors.ts";
import { collectEntries } from "../../lib/bitcask/file_entries.ts";
import { recordSize, TYPE_DELETE, TYPE_PUT, TYPE_PUT_EXPIRING } from "../../lib/bitcask/record.ts";
import { type PendingRecord, RecordWriter } from "../../lib/bitcask/writer.ts";
import { b, newDataFile, tempDir } from "./_helpers.ts";

function rec(type: number, key: string, value = "", expiresAt = 0): PendingRecord {
  const k = b(key);
  const v = b(value);
  return { type, key: k, value: v, expiresAt, size: recordSize(k.length, v.length) };
}

async function makeFile(dir: string, batches: PendingRecord[][]): Promise<DataFile> {
  const file = newDataFile(dir, 3);
  const w = new RecordWriter(file);
  batches.forEach((batch, i) => w.append(batch, 10 + i));
  w.flush();
  await Promise.resolve();
  return file;
}

Deno.test("collectEntries keeps each key's last record, sorted by key", async () => {
  await using dir = await tempDir();
  const file = await makeFile(dir.path, [
    [rec(TYPE_PUT, "b", "1")],
    [rec(TYPE_PUT, "a", "2"), rec(TYPE_PUT_EXPIRING, "c", "3", 777)],
    [rec(TYPE_DELETE, "b")],
    [rec(TYPE_PUT, "a", "4")],
  ]);
  try {
    const { entries, end, tornReason } = collectEntries(file, file.path, file.baseIndex, false);
    assert.equal(tornReason, null);
    assert.equal(end, file.size);
    assert.deepEqual(entries.keys, ["a", "b", "c"]);
    assert.deepEqual([...entries.types], [TYPE_PUT, TYPE_DELETE, TYPE_PUT_EXPIRING]);
    assert.equal(entries.locs[2 * 3 + 2], 777);
    assert.equal(entries.maxIndex, 13);
  } finally {
    file.close();
  }
});

Deno.test("collectEntries cuts an unfinished batch in the active file and refuses it elsewhere", async () => {
  await using dir = await tempDir();
  const file = await makeFile(dir.path, [
    [rec(TYPE_PUT, "a", "1")],
    [rec(TYPE_PUT, "b", "2"), rec(TYPE_PUT, "c", "3")],
  ]);
  try {
    const full = file.size;
    file.size = full - recordSize(1, 1); // as if the batch's last record never landed
    const active = collectEntries(file, file.path, 0, true);
    assert.equal(active.tornReason, "incomplete batch");
    assert.equal(active.end, 32 + recordSize(1, 1));
    assert.deepEqual(active.entries.keys, ["a"]);
    assert.equal(active.entries.maxIndex, 10);
    assert.throws(() => collectEntries(file, file.path, 0, false), CorruptRecordError);
  } finally {
    file.close();
  }
});
