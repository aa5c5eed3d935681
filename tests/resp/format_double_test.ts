import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDouble } from "../../lib/resp/mod.ts";

Deno.test("formatDouble formats like Redis 7 (%.17g notation, shortest digits)", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [-1, "-1"],
    [3.14, "3.14"],
    [0.1 + 0.2, "0.30000000000000004"],
    [100, "100"],
    [1e8, "100000000"],
    [1e16, "10000000000000000"],
    [12345678901234567, "12345678901234568"],
    [1e17, "1e+17"],
    [1.5e300, "1.5e+300"],
    [1e21, "1e+21"],
    [0.0001, "0.0001"],
    [0.00012, "0.00012"],
    [0.00001, "1e-05"],
    [-1.5e-7, "-1.5e-07"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
  ];
  for (const [x, s] of cases) assert.equal(formatDouble(x), s, String(x));
});

Deno.test("formatDouble round-trips every finite double", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const s = formatDouble(x);
      assert.ok(Object.is(Number(s), x), `${x} -> ${s}`);
      const exponent = Number(Math.abs(x).toExponential().split("e")[1]);
      assert.equal(/e[+-]\d\d/.test(s), x !== 0 && (exponent < -4 || exponent >= 17), s);
    }),
    { numRuns: 2000 },
  );
});
