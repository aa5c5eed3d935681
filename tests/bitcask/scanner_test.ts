import assert from "node:assert/strict";
import { recordSize, TYPE_PUT } from "../../lib/bitcask/record.ts";
import { RecordScanner } from "../../lib/bitcask/scanner.ts";
import { RecordWriter } from "../../lib/bitcask/writer.ts";
import { b, newDataFile, tempDir } from "./_helpers.ts";

Deno.test("RecordScanner reads records across window refills and reports where it stops", async () => {
  await using dir = await tempDir();
  const file = newDataFile(dir.path);
  try {
    const w = new RecordWriter(file);
    const sizes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const value = new Uint8Array(i % 10 === 0 ? 300_000 : 50_000).fill(i);
      const key = b(`k${i}`);
      sizes.push(recordSize(key.length, value.length));
      w.append([{ type: TYPE_PUT, key, value, expiresAt: 0, size: sizes[i] }], i);
    }
    w.flush();
    const sc = new RecordScanner(file);
    let n = 0;
    let at = 32;
    while (sc.next()) {
      assert.equal(sc.offset, at);
      assert.equal(sc.size, sizes[n]);
      assert.equal(sc.header.index, n);
      at += sizes[n++];
    }
    assert.equal(n, 40);
    assert.equal(sc.problem, null);
    // A file that claims more bytes than it has: a truncated record at the last offset.
    const short = new RecordScanner({ fd: file.fd, size: file.size - 1 });
    while (short.next());
    assert.equal(short.problem, "truncated record");
    assert.equal(short.offset, at - sizes[39]);
    assert.ok(short.goodRecordAt(32));
    assert.equal(short.goodRecordAt(33), false);
  } finally {
    file.close();
  }
});
