import assert from "node:assert/strict";
import { utf8Length, writeUtf8 } from "../../lib/resp/utf8.ts";

Deno.test("utf8Length and writeUtf8 agree with TextEncoder", () => {
  const encoder = new TextEncoder();
  const samples = [
    "",
    "abc",
    "é",
    "€",
    "😀",
    "a\ud800b",
    "\udc00",
    "\ud800",
    "x".repeat(300) + "é😀\ud800",
    "\u07ff\u0800\uffff",
  ];
  for (const s of samples) {
    const expected = encoder.encode(s);
    assert.equal(utf8Length(s), expected.length, JSON.stringify(s));
    const buf = new Uint8Array(expected.length + 4).fill(7);
    assert.equal(writeUtf8(s, buf, 2), expected.length);
    assert.deepEqual(buf.subarray(2, 2 + expected.length), expected);
    assert.deepEqual([...buf.subarray(0, 2), ...buf.subarray(2 + expected.length)], [7, 7, 7, 7]);
  }
});
