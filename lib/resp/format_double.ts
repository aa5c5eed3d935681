/**
 * Formatting doubles the way Redis 7 replies with them.
 *
 * @module
 */

/** `%.17g` switches to scientific notation from this decimal exponent up. */
const PRECISION = 17;

/**
 * Formats a double like Redis 7's `addReplyDouble`: the notation of C's
 * `%.17g` (plain for decimal exponents -4 to 16, otherwise scientific with
 * an exponent of at least two digits, as in `1e+21` or `1.5e-07`) but with
 * the shortest digits that round-trip (`3.14`, not `3.1400000000000001`, as
 * Redis 7.2 prints it), and `inf`, `-inf`, `nan`, `-0` for the special
 * values.
 *
 * @example Format a few values
 * ```ts
 * import { formatDouble } from "./format_double.ts";
 *
 * formatDouble(3.14); // "3.14"
 * formatDouble(1e21); // "1e+21"
 * formatDouble(-Infinity); // "-inf"
 * ```
 *
 * @param x The value.
 * @returns Its text.
 */
export function formatDouble(x: number): string {
  if (x !== x) return "nan";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const negative = x < 0;
  const abs = negative ? -x : x;
  if (abs === Infinity) return negative ? "-inf" : "inf";
  // Shortest round-trip digits: "d.ddde+X" or "de-X".
  const e = abs.toExponential();
  const at = e.indexOf("e");
  const digits = at > 1 ? e[0] + e.slice(2, at) : e.slice(0, at);
  const exponent = Number(e.slice(at + 1)); // of the first digit
  const count = digits.length;
  let text: string;
  if (exponent < -4 || exponent >= PRECISION) {
    const magnitude = exponent < 0 ? -exponent : exponent;
    text = digits[0] + (count > 1 ? "." + digits.slice(1) : "") + (exponent < 0 ? "e-" : "e+") +
      (magnitude < 10 ? "0" : "") + magnitude;
  } else if (exponent < 0) {
    text = "0." + "0".repeat(-exponent - 1) + digits;
  } else if (count <= exponent + 1) {
    text = digits + "0".repeat(exponent + 1 - count);
  } else {
    text = digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1);
  }
  return negative ? "-" + text : text;
}
