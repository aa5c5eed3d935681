import assert from "node:assert/strict";
import fc from "fast-check";
import { parseInteger } from "../../lib/resp/mod.ts";
import { latin1 } from "./_helpers.ts";

function parse(s: string): number {
  const bytes = latin1(`x${s}y`);
  return parseInteger(bytes, 1, bytes.length - 1);
}

/** Reference: what Redis's string2ll accepts, via BigInt. */
function reference(s: string): number {
  if (s.length === 0 || s.length > 20) return NaN;
  if (s === "0") return 0;
  let i = s[0] === "-" ? 1 : 0;
  if (!(s[i] >= "1" && s[i] <= "9")) return NaN;
  for (i++; i < s.length; i++) if (!(s[i] >= "0" && s[i] <= "9")) return NaN;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return NaN;
  return Number(v);
}

Deno.test("parseInteger accepts what string2ll accepts", () => {
  assert.equal(parse("0"), 0);
  assert.equal(parse("7"), 7);
  assert.equal(parse("-1"), -1);
  assert.equal(parse("536870912"), 536870912);
  assert.equal(parse("9007199254740993"), 9007199254740992, "nearest double");
  assert.equal(parse("9223372036854775807"), 9223372036854775807);
  assert.equal(parse("-9223372036854775808"), -9223372036854775808);
});

Deno.test("parseInteger rejects what string2ll rejects", () => {
  const bad = [
    "",
    "-",
    "+1",
    "-0",
    "00",
    "01",
    " 1",
    "1 ",
    "1a",
    "1.0",
    "1e3",
    "0x10",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999",
    "000000000000000000001",
  ];
  for (const s of bad) assert.ok(Number.isNaN(parse(s)), JSON.stringify(s));
});

Deno.test("parseInteger matches a BigInt reference", () => {
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
  const near = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String);
  const junk = fc.string({
    unit: fc.constantFrom("0", "1", "9", "-", "+", " ", "a"),
    maxLength: 22,
  });
  fc.assert(
    fc.property(fc.oneof(int64, near, junk), (s) => {
      assert.ok(Object.is(parse(s), reference(s)), s);
    }),
    { numRuns: 3000 },
  );
});
