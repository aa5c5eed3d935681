/**
 * String commands: GET, SET and friends, counters, ranges.
 *
 * @module
 */

import { OK, type Reply, ReplyError } from "../../resp/mod.ts";
import {
  asciiBytes,
  int64Arg,
  intBytes,
  isWord,
  NOT_FLOAT,
  NOT_INTEGER,
  parseInt64,
  SYNTAX,
} from "../args.ts";
import type { CommandSpec } from "../command.ts";
import { absoluteExpiry, type ExpireUnit } from "../expire_args.ts";
import type { WritableKeyspace } from "../keyspace.ts";
import {
  addLongDouble,
  formatLongDouble,
  type LongDouble,
  parseLongDouble,
} from "./long_double.ts";
import { readCommand, writeCommand } from "./spec.ts";

const MAX_STRING = 512 * 1024 * 1024;
const MAX_STRING_BIG = BigInt(MAX_STRING);
const TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const ZERO: LongDouble = { neg: false, m: 0n, e: 0, infinite: false };

interface ExtendedArgs {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  unit: ExpireUnit | null;
  value: Uint8Array | null;
}

/**
 * Parses SET/GETEX options like Redis 7's parseExtendedStringArgumentsOrReply.
 */
function parseExtended(args: Uint8Array[], from: number, forSet: boolean): ExtendedArgs {
  const o: ExtendedArgs = {
    nx: false,
    xx: false,
    get: false,
    keepTtl: false,
    persist: false,
    unit: null,
    value: null,
  };
  const units: ExpireUnit[] = ["ex", "px", "exat", "pxat"];
  for (let j = from; j < args.length; j++) {
    const a = args[j];
    const hasNext = j + 1 < args.length;
    const otherUnit = (u: ExpireUnit) => o.unit !== null && o.unit !== u;
    if (forSet && isWord(a, "nx") && !o.xx) o.nx = true;
    else if (forSet && isWord(a, "xx") && !o.nx) o.xx = true;
    else if (forSet && isWord(a, "get")) o.get = true;
    else if (forSet && isWord(a, "keepttl") && !o.persist && o.unit === null) o.keepTtl = true;
    else if (!forSet && isWord(a, "persist") && !o.keepTtl && o.unit === null) o.persist = true;
    else {
      const u = units.find((x) => isWord(a, x));
      if (u === undefined || o.keepTtl || o.persist || otherUnit(u) || !hasNext) {
        throw new ReplyError(SYNTAX);
      }
      o.unit = u;
      o.value = args[++j];
    }
  }
  return o;
}

function expiryOf(o: ExtendedArgs, now: number, command: string): number {
  return o.unit === null ? 0 : absoluteExpiry(o.value as Uint8Array, o.unit, now, command);
}

/** Stores a value, or deletes the key when the expiry is already past (as Redis does). */
function store(ks: WritableKeyspace, key: Uint8Array, value: Uint8Array, expiresAt: number): void {
  if (expiresAt !== 0 && expiresAt <= ks.now) ks.delete(key);
  else ks.put(key, value, expiresAt);
}

function setApply(ks: WritableKeyspace, args: Uint8Array[]): Reply {
  const o = parseExtended(args, 3, true);
  let expiresAt = expiryOf(o, ks.now, "set");
  const [, key, value] = args;
  const meta = o.nx || o.xx || o.keepTtl ? ks.stat(key) : undefined;
  const old = o.get ? (ks.get(key) ?? null) : null;
  if ((o.nx && meta !== undefined) || (o.xx && meta === undefined)) return o.get ? old : null;
  if (o.keepTtl && meta !== undefined) expiresAt = meta.expiresAt;
  store(ks, key, value, expiresAt);
  return o.get ? old : OK;
}

/** GETEX: like Redis, a missing key is a null reply even when the expiry is invalid. */
function getexApply(ks: WritableKeyspace, args: Uint8Array[]): Reply {
  const o = parseExtended(args, 2, false);
  const key = args[1];
  const value = ks.get(key);
  if (value === undefined) return null;
  if (o.unit !== null) store(ks, key, value, expiryOf(o, ks.now, "getex"));
  else if (o.persist && (ks.stat(key)?.expiresAt ?? 0) !== 0) ks.put(key, value, 0);
  return value;
}

function readInt(ks: WritableKeyspace, key: Uint8Array): [bigint, number] {
  const meta = ks.stat(key);
  if (meta === undefined) return [0n, 0];
  const n = parseInt64(ks.get(key) as Uint8Array);
  if (n === null) throw new ReplyError(NOT_INTEGER);
  return [n, meta.expiresAt];
}

function incrBy(ks: WritableKeyspace, key: Uint8Array, delta: bigint): Reply {
  const [cur, expiresAt] = readInt(ks, key);
  const next = cur + delta;
  if (next > INT64_MAX || next < INT64_MIN) {
    throw new ReplyError("ERR increment or decrement would overflow");
  }
  ks.put(key, intBytes(next), expiresAt);
  return next;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** GETRANGE on int64 indexes, as Redis computes it. */
function getrange(value: Uint8Array, startArg: Uint8Array, endArg: Uint8Array): Uint8Array {
  let start = int64Arg(startArg);
  let end = int64Arg(endArg);
  const len = BigInt(value.length);
  if (start < 0n && end < 0n && start > end) return new Uint8Array(0);
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  if (start > end || len === 0n) return new Uint8Array(0);
  return value.subarray(Number(start), Number(end) + 1);
}

function setrangeApply(ks: WritableKeyspace, args: Uint8Array[]): Reply {
  const [, key, offArg, value] = args;
  const offset = int64Arg(offArg);
  if (offset < 0n) throw new ReplyError("ERR offset is out of range");
  const meta = ks.stat(key);
  const old = meta === undefined ? new Uint8Array(0) : ks.get(key) as Uint8Array;
  if (value.length === 0) return old.length;
  if (offset + BigInt(value.length) > MAX_STRING_BIG) throw new ReplyError(TOO_BIG);
  const at = Number(offset);
  const out = new Uint8Array(Math.max(old.length, at + value.length));
  out.set(old);
  out.set(value, at);
  ks.put(key, out, meta?.expiresAt ?? 0);
  return out.length;
}

function floatArg(b: Uint8Array): LongDouble {
  const v = parseLongDouble(b);
  if (v === null) throw new ReplyError(NOT_FLOAT);
  return v;
}

/** INCRBYFLOAT: 80-bit arithmetic and formatting, exactly as Redis on x86-64. */
function incrbyfloatApply(ks: WritableKeyspace, args: Uint8Array[]): Reply {
  const meta = ks.stat(args[1]);
  const cur = meta === undefined ? ZERO : floatArg(ks.get(args[1]) as Uint8Array);
  const next = addLongDouble(cur, floatArg(args[2]));
  if (next === null) throw new ReplyError("ERR increment would produce NaN or Infinity");
  const text = asciiBytes(formatLongDouble(next));
  ks.put(args[1], text, meta?.expiresAt ?? 0);
  return text;
}

function pairsCheck(name: string): (args: Uint8Array[]) => void {
  return (args) => {
    if (args.length % 2 === 0) {
      throw new ReplyError(`ERR wrong number of arguments for '${name}' command`);
    }
  };
}

/** The string commands. */
export const STRING_COMMANDS: CommandSpec[] = [
  readCommand("get", 2, [1, 1, 1], (ks, a) => ks.get(a[1]) ?? null),
  readCommand("mget", -2, [1, -1, 1], (ks, a) => a.slice(1).map((k) => ks.get(k) ?? null)),
  readCommand("strlen", 2, [1, 1, 1], (ks, a) => ks.stat(a[1])?.valueSize ?? 0),
  readCommand(
    "getrange",
    4,
    [1, 1, 1],
    (ks, a) => getrange(ks.get(a[1]) ?? new Uint8Array(0), a[2], a[3]),
    [],
  ),
  readCommand(
    "substr",
    4,
    [1, 1, 1],
    (ks, a) => getrange(ks.get(a[1]) ?? new Uint8Array(0), a[2], a[3]),
    [],
  ),
  writeCommand("set", -3, [1, 1, 1], setApply, (a) => {
    expiryOf(parseExtended(a, 3, true), Date.now(), "set");
  }),
  writeCommand(
    "setnx",
    3,
    [1, 1, 1],
    (ks, a) => {
      if (ks.stat(a[1]) !== undefined) return 0;
      ks.put(a[1], a[2], 0);
      return 1;
    },
    undefined,
    ["denyoom", "fast"],
  ),
  ...(["setex", "psetex"] as const).map((name) =>
    writeCommand(name, 4, [1, 1, 1], (ks, a) => {
      const at = absoluteExpiry(a[2], name === "setex" ? "ex" : "px", ks.now, name);
      store(ks, a[1], a[3], at);
      return OK;
    }, (a) => {
      absoluteExpiry(a[2], name === "setex" ? "ex" : "px", Date.now(), name);
    })
  ),
  writeCommand(
    "getset",
    3,
    [1, 1, 1],
    (ks, a) => {
      const old = ks.get(a[1]) ?? null;
      ks.put(a[1], a[2], 0);
      return old;
    },
    undefined,
    ["denyoom", "fast"],
  ),
  writeCommand(
    "getdel",
    2,
    [1, 1, 1],
    (ks, a) => {
      const old = ks.get(a[1]) ?? null;
      if (old !== null) ks.delete(a[1]);
      return old;
    },
    undefined,
    ["fast"],
  ),
  writeCommand("getex", -2, [1, 1, 1], getexApply, (a) => void parseExtended(a, 2, false), [
    "fast",
  ]),
  writeCommand("mset", -3, [1, -1, 2], (ks, a) => {
    pairsCheck("mset")(a);
    for (let i = 1; i < a.length; i += 2) ks.put(a[i], a[i + 1], 0);
    return OK;
  }, pairsCheck("mset")),
  writeCommand("msetnx", -3, [1, -1, 2], (ks, a) => {
    pairsCheck("msetnx")(a);
    for (let i = 1; i < a.length; i += 2) if (ks.stat(a[i]) !== undefined) return 0;
    for (let i = 1; i < a.length; i += 2) ks.put(a[i], a[i + 1], 0);
    return 1;
  }, pairsCheck("msetnx")),
  writeCommand(
    "append",
    3,
    [1, 1, 1],
    (ks, a) => {
      const meta = ks.stat(a[1]);
      const old = meta === undefined ? new Uint8Array(0) : ks.get(a[1]) as Uint8Array;
      if (old.length + a[2].length > MAX_STRING) throw new ReplyError(TOO_BIG);
      const next = concat(old, a[2]);
      ks.put(a[1], next, meta?.expiresAt ?? 0);
      return next.length;
    },
    undefined,
    ["denyoom", "fast"],
  ),
  writeCommand("setrange", 4, [1, 1, 1], setrangeApply),
  writeCommand("incr", 2, [1, 1, 1], (ks, a) => incrBy(ks, a[1], 1n), undefined, [
    "denyoom",
    "fast",
  ]),
  writeCommand("decr", 2, [1, 1, 1], (ks, a) => incrBy(ks, a[1], -1n), undefined, [
    "denyoom",
    "fast",
  ]),
  writeCommand(
    "incrby",
    3,
    [1, 1, 1],
    (ks, a) => incrBy(ks, a[1], int64Arg(a[2])),
    (a) => void int64Arg(a[2]),
    ["denyoom", "fast"],
  ),
  writeCommand(
    "decrby",
    3,
    [1, 1, 1],
    (ks, a) => {
      const d = int64Arg(a[2]);
      if (d === INT64_MIN) throw new ReplyError("ERR decrement would overflow");
      return incrBy(ks, a[1], -d);
    },
    (a) => void int64Arg(a[2]),
    ["denyoom", "fast"],
  ),
  writeCommand("incrbyfloat", 3, [1, 1, 1], incrbyfloatApply, (a) => void floatArg(a[2]), [
    "denyoom",
    "fast",
  ]),
];
