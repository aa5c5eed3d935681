/**
 * INCRBYFLOAT's arithmetic: each vector is `SET k <value>` then
 * `INCRBYFLOAT k <increment>` on Redis 7.0 (x86-64), and what it replied.
 */

import assert from "node:assert/strict";
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
} from "../../lib/server/commands/long_double.ts";

const te = new TextEncoder();

/** [stored value, increment, Redis's reply]. */
const VECTORS: [string, string, string][] = [
  ["10.5", "0.1", "10.6"],
  ["0.1", "0.2", "0.3"],
  ["5.6", "3.0e3", "3005.60000000000000009"],
  ["3005.6", "1e-5", "3005.60001000000000015"],
  [
    "0",
    "1e400",
    "10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880",
  ],
  ["1", "-1", "0"],
  ["-0", "-0", "0"],
  ["0x1p-18", "0", "0.00000381469726562"],
  ["0x3p-19", "0", "0.00000572204589844"],
  ["0.000000000000000005", "0", "0"],
  ["0.000000000000000015", "0", "0.00000000000000002"],
  ["0.000000000000000025", "0", "0.00000000000000002"],
  ["-0.000000000000000005", "0", "0"],
  ["1e-17", "5e-18", "0.00000000000000002"],
  ["0x1.fffffffffffffffep16383", "0x1p16320", "ERR increment would produce NaN or Infinity"],
  ["0x1p-16445", "0", "0"],
  ["0x1p-16446", "0", "ERR value is not a valid float"],
  ["0x1.8p-16446", "0", "0"],
  ["18446744073709551615", "0", "18446744073709551615"],
  ["18446744073709551617", "0", "18446744073709551616"],
  ["36893488147419103231", "1", "36893488147419103232"],
  ["9223372036854775807", "1", "9223372036854775808"],
  ["2.675", "0", "2.675"],
  ["1.1", "2.2", "3.3"],
  ["123456789012345678", "0.5", "123456789012345678.5"],
  ["1e19", "1", "10000000000000000001"],
  ["12345678901234567890.123", "0", "12345678901234567890"],
  ["inf", "1", "ERR increment would produce NaN or Infinity"],
  ["1", "-inf", "ERR increment would produce NaN or Infinity"],
  ["nan", "1", "ERR value is not a valid float"],
  ["1", "1e5000", "ERR value is not a valid float"],
  ["1", "1e-5000", "ERR value is not a valid float"],
  ["1", "3.6e-4951", "1"],
  ["1", "1.8e-4951", "ERR value is not a valid float"],
  ["1", "0x", "ERR value is not a valid float"],
  ["1", "0x.8", "1.5"],
  ["1", "0X1P3", "9"],
  ["1", "+.5e-1", "1.05"],
  ["1", " 1", "ERR value is not a valid float"],
  ["1", "1 ", "ERR value is not a valid float"],
  ["1", "1e", "ERR value is not a valid float"],
  ["1", ".", "ERR value is not a valid float"],
  ["1", "1" + "0".repeat(5118), "ERR value is not a valid float"],
  ["1", "1" + "0".repeat(5119), "ERR value is not a valid float"],
  ["-3.5", "3.5", "0"],
  ["0.3", "-0.1", "0.2"],
  ["99999999999999999999", "1", "100000000000000000000"],
  ["-1.5", "-0.25", "-1.75"],
  ["7", "1e-17", "7.00000000000000001"],
];

function incrbyfloat(value: string, increment: string): string {
  const a = parseLongDouble(te.encode(value));
  const b = parseLongDouble(te.encode(increment));
  if (a === null || b === null) return "ERR value is not a valid float";
  const sum = addLongDouble(a, b);
  return sum === null ? "ERR increment would produce NaN or Infinity" : formatLongDouble(sum);
}

Deno.test("INCRBYFLOAT computes and prints like Redis's 80-bit long double", () => {
  for (const [value, increment, want] of VECTORS) {
    assert.equal(
      incrbyfloat(value, increment),
      want,
      `${value.slice(0, 30)} + ${increment.slice(0, 30)}`,
    );
  }
});

Deno.test("the largest long double prints all its 4933 digits", () => {
  const max = incrbyfloat("0x1.fffffffffffffffep16383", "0");
  assert.equal(max.length, 4933);
  assert.ok(max.startsWith("118973149535723176502126385303097020516906332229462420044032373389"));
  assert.equal(
    incrbyfloat("0x1.fffffffffffffffep16383", "0x1p16320"),
    "ERR increment would produce NaN or Infinity",
  );
});
