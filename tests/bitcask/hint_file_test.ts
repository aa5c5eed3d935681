import assert from "node:assert/strict";
import { decodeHint, encodeHint } from "../../lib/bitcask/hint_file.ts";
import type { FileEntries } from "../../lib/bitcask/file_entries.ts";
import { TYPE_DELETE, TYPE_PUT, TYPE_PUT_EXPIRING } from "../../lib/bitcask/record.ts";

const header = { id: 7, rank: 7, flags: 0, baseIndex: 3 };
const entries: FileEntries = {
  keys: ["", "a", "b\xff"],
  types: new Uint8Array([TYPE_PUT, TYPE_DELETE, TYPE_PUT_EXPIRING]),
  locs: new Float64Array([32, 40, 0, 72, 30, 0, 102, 60, 9_999_999_999_999]),
  count: 3,
  maxIndex: 12,
};

Deno.test("hint files round-trip their entries", () => {
  const bytes = encodeHint(header, entries, 500);
  const got = decodeHint(bytes, "h", 7, 500);
  assert.notEqual(typeof got, "string", String(got));
  assert.deepEqual(got, entries);
});

Deno.test("a hint is refused when damaged or describing another file", () => {
  const bytes = encodeHint(header, entries, 500);
  for (let i = 0; i < bytes.length; i += 7) {
    const bad = bytes.slice();
    bad[i] ^= 0x10;
    assert.equal(typeof decodeHint(bad, "h", 7, 500), "string", `flipped byte ${i}`);
  }
  assert.match(String(decodeHint(bytes, "h", 8, 500)), /describes file 7/);
  assert.match(String(decodeHint(bytes, "h", 7, 501)), /size differs/);
  assert.match(String(decodeHint(bytes.subarray(0, 40), "h", 7, 500)), /too short|checksum/);
});
