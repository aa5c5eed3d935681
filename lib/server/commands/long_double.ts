/**
 * The arithmetic of INCRBYFLOAT, bit for bit as Redis does it on x86-64:
 * Redis parses with `strtold`, adds two x87 80-bit `long double`s (64-bit
 * significand, round to nearest even) and prints with `"%.17Lf"` minus the
 * trailing zeros. A JS double would turn `0.1 + 0.2` into
 * `0.30000000000000004` where Redis answers `0.3`, so this emulates the
 * 80-bit format with exact BigInt arithmetic (which also keeps every node's
 * result identical).
 *
 * @module
 */

import { ascii } from "../args.ts";

/** A finite extended-precision value: `(-1)^neg * m * 2^e`, with `m < 2^64`. */
export interface LongDouble {
  /** Sign. */
  neg: boolean;
  /** Significand (0 for zero). */
  m: bigint;
  /** Binary exponent of the significand's lowest bit. */
  e: number;
  /** An infinity (then `m` and `e` mean nothing). */
  infinite: boolean;
}

/** Significand bits of the x87 extended format. */
const PRECISION = 64;
/** Weight (power of two) of the lowest bit of the smallest subnormal. */
const MIN_EXP = -16445;
/** Every finite value is below 2^MAX_BITS. */
const MAX_BITS = 16384;
/** `MAX_LONG_DOUBLE_CHARS` in Redis: longer inputs are not valid floats. */
const MAX_CHARS = 5 * 1024;
/** Decimal exponents beyond this overflow or underflow whatever the digits. */
const DECIMAL_EXP_LIMIT = 5200;
/** Binary exponents beyond this overflow or underflow whatever the digits. */
const BINARY_EXP_LIMIT = 17000;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function finite(neg: boolean, m: bigint, e: number): LongDouble {
  return { neg, m, e, infinite: false };
}

function infinity(neg: boolean): LongDouble {
  return { neg, m: 0n, e: 0, infinite: true };
}

/** `floor(num * 2^s / den)` and whether the rest is above, at or below one half. */
function divide(num: bigint, den: bigint, s: number): [bigint, number] {
  const n = s >= 0 ? num << BigInt(s) : num;
  const d = s >= 0 ? den : den << BigInt(-s);
  const q = n / d;
  const twice = (n - q * d) * 2n;
  return [q, twice > d ? 1 : twice === d ? 0 : -1];
}

/**
 * Rounds `num / den * 2^e2` (num >= 0, den > 0) to the nearest
 * extended-precision value, ties to even.
 *
 * @returns The value; zero when it underflows (`strtold`'s ERANGE), an
 *   infinity when it overflows.
 */
function round(neg: boolean, num: bigint, den: bigint, e2: number): LongDouble {
  if (num === 0n) return finite(neg, 0n, 0);
  // Shift so that the quotient has exactly PRECISION bits (fewer if subnormal).
  let s = PRECISION - (bitLength(num) - bitLength(den));
  let [q] = divide(num, den, s);
  if (bitLength(q) > PRECISION) s--;
  else if (bitLength(q) < PRECISION) s++;
  if (e2 - s < MIN_EXP) s = e2 - MIN_EXP;
  let half: number;
  [q, half] = divide(num, den, s);
  if (half > 0 || (half === 0 && (q & 1n) === 1n)) q++;
  let e = e2 - s;
  if (bitLength(q) > PRECISION) {
    q >>= 1n;
    e++;
  }
  if (q !== 0n && e + bitLength(q) > MAX_BITS) return infinity(neg);
  return finite(neg, q, e);
}

/** The digits with a decimal exponent, or null when they are out of range. */
function decimalValue(neg: boolean, digits: string, exp: number): LongDouble | null {
  const significant = digits.replace(/^0+/, "");
  if (significant === "") return finite(neg, 0n, 0);
  const magnitude = significant.length + exp; // value < 10^magnitude
  if (magnitude > DECIMAL_EXP_LIMIT) return infinity(neg);
  if (magnitude < -DECIMAL_EXP_LIMIT) return null; // underflow: ERANGE and 0
  const d = BigInt(significant);
  const v = exp >= 0
    ? round(neg, d * 10n ** BigInt(exp), 1n, 0)
    : round(neg, d, 10n ** BigInt(-exp), 0);
  return v.m === 0n && !v.infinite ? null : v;
}

/** Hex digits with a binary exponent, or null when they underflow. */
function hexValue(neg: boolean, digits: string, exp: number): LongDouble | null {
  const significant = digits.replace(/^0+/, "");
  if (significant === "") return finite(neg, 0n, 0);
  const magnitude = significant.length * 4 + exp;
  if (magnitude > BINARY_EXP_LIMIT) return infinity(neg);
  if (magnitude < -BINARY_EXP_LIMIT) return null;
  const v = round(neg, BigInt("0x" + significant), 1n, exp);
  return v.m === 0n && !v.infinite ? null : v;
}

function exponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const v = Number(text);
  // Past any limit the value is out of range either way; keep it finite.
  return Math.max(-1e9, Math.min(1e9, v));
}

/**
 * Parses a float as Redis's `string2ld` does: `strtold` on the whole
 * argument (decimal, hex with optional `p` exponent, `inf`, `infinity`),
 * no leading space, no NaN, no overflow to infinity, no underflow to zero,
 * shorter than 5120 bytes.
 *
 * @param b The argument.
 * @returns The value (possibly an infinity the input spelled out), or null.
 */
export function parseLongDouble(b: Uint8Array): LongDouble | null {
  if (b.length === 0 || b.length >= MAX_CHARS) return null;
  const s = ascii(b);
  const inf = INFINITY.exec(s);
  if (inf !== null) return infinity(inf[1] === "-");
  const hex = HEX.exec(s);
  if (hex !== null) {
    const [, sign, int, frac = "", exp] = hex;
    if (int === "" && frac === "") return null;
    const v = hexValue(sign === "-", int + frac, exponent(exp) - 4 * frac.length);
    return v === null || v.infinite ? null : v;
  }
  const dec = DECIMAL.exec(s);
  if (dec === null) return null;
  const [, sign, int, frac = "", exp] = dec;
  if (int === "" && frac === "") return null;
  const v = decimalValue(sign === "-", int + frac, exponent(exp) - frac.length);
  return v === null || v.infinite ? null : v;
}

/**
 * Adds two values with one rounding, as the x87 FPU does.
 *
 * @param a A value.
 * @param b A value.
 * @returns The sum, or null when it is NaN or an infinity.
 */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.infinite || b.infinite) return null;
  if (a.m === 0n) return b.m === 0n ? finite(a.neg && b.neg, 0n, 0) : b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const sa = (a.m << BigInt(a.e - e)) * (a.neg ? -1n : 1n);
  const sb = (b.m << BigInt(b.e - e)) * (b.neg ? -1n : 1n);
  const sum = sa + sb;
  const v = round(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
  return v.infinite ? null : v;
}

/**
 * Formats a value as Redis's `ld2string(..., LD_STR_HUMAN)`: `"%.17Lf"`
 * (exact, rounded half to even), trailing zeros and a bare point removed,
 * `-0` printed as `0`.
 *
 * @param x A finite value.
 * @returns The text.
 */
export function formatLongDouble(x: LongDouble): string {
  let text: string;
  if (x.e >= 0) {
    text = (x.m << BigInt(x.e)).toString();
  } else {
    const [q, half] = divide(x.m * 10n ** 17n, 1n, x.e);
    const rounded = half > 0 || (half === 0 && (q & 1n) === 1n) ? q + 1n : q;
    const digits = rounded.toString().padStart(18, "0");
    const frac = digits.slice(-17).replace(/0+$/, "");
    text = digits.slice(0, -17) + (frac === "" ? "" : "." + frac);
  }
  return x.neg && text !== "0" ? "-" + text : text;
}
