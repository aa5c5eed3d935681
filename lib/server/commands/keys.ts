/**
 * Keyspace commands: DEL, EXISTS, TYPE, RENAME, COPY, KEYS, SCAN, PDEL,
 * DBSIZE, RANDOMKEY, FLUSHDB.
 *
 * @module
 */

import { OK, type Reply, ReplyError, Simple } from "../../resp/mod.ts";
import { ascii, int32Arg, int64Arg, isWord, SYNTAX } from "../args.ts";
import type { CommandSpec, ReadContext } from "../command.ts";
import { globMatch, literalKey, literalPrefix } from "../glob.ts";
import type { Keyspace, WritableKeyspace } from "../keyspace.ts";
import { readCommand, writeCommand } from "./spec.ts";

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function isStar(p: Uint8Array): boolean {
  return p.length === 1 && p[0] === 0x2a;
}

/**
 * Keys matching a pattern, in order, from after `pivot`, bounded by the
 * pattern's literal prefix (so cost follows the keys in that range).
 */
function* matching(
  ks: Keyspace,
  pattern: Uint8Array,
  pivot: Uint8Array | undefined,
  desc: boolean,
): Generator<Uint8Array> {
  const exact = literalKey(pattern);
  if (exact !== null) {
    const after = pivot === undefined ||
      (desc ? compare(exact, pivot) < 0 : compare(exact, pivot) > 0);
    if (after && ks.stat(exact) !== undefined) yield exact;
    return;
  }
  const all = isStar(pattern);
  const prefix = all ? undefined : literalPrefix(pattern);
  for (
    const e of ks.scan({ prefix, from: pivot, inclusive: false, reverse: desc, values: false })
  ) {
    if (all || globMatch(pattern, e.key)) yield e.key;
  }
}

/**
 * KEYS pattern [PIVOT key] [LIMIT n] [DESC] [WITHVALUES] [EXCL]: options in
 * any order and case, a repeated one overrides, anything else is a syntax error.
 */
function keysCommand(ks: Keyspace, args: Uint8Array[]): Reply {
  let pivot: Uint8Array | undefined;
  let limit = Infinity;
  let desc = false;
  let withValues = false;
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (isWord(a, "pivot") && i + 1 < args.length) pivot = args[++i];
    else if (isWord(a, "limit") && i + 1 < args.length) {
      const n = int64Arg(args[++i]);
      if (n < 0n) throw new ReplyError(SYNTAX);
      limit = Number(n);
    } else if (isWord(a, "desc")) desc = true;
    else if (isWord(a, "withvalues")) withValues = true;
    else if (!isWord(a, "excl")) throw new ReplyError(SYNTAX);
  }
  const out: Reply[] = [];
  if (limit === 0) return out;
  let n = 0;
  for (const key of matching(ks, args[1], pivot, desc)) {
    if (withValues) {
      const v = ks.get(key);
      if (v === undefined) continue;
      out.push(key, v);
    } else {
      out.push(key);
    }
    if (++n >= limit) break;
  }
  return out;
}

function scanCommand(ks: Keyspace, args: Uint8Array[], ctx: ReadContext): Reply {
  const cursor = ascii(args[1]);
  if (!/^\d{1,20}$/.test(cursor)) throw new ReplyError("ERR invalid cursor");
  let match: Uint8Array | undefined;
  let count = 10;
  let type: string | undefined;
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (isWord(a, "match") && i + 1 < args.length) match = args[++i];
    else if (isWord(a, "count") && i + 1 < args.length) {
      const n = int64Arg(args[++i]);
      if (n < 1n) throw new ReplyError(SYNTAX);
      count = Number(n);
    } else if (isWord(a, "type") && i + 1 < args.length) type = ascii(args[++i]).toLowerCase();
    else throw new ReplyError(SYNTAX);
  }
  const cursors = ctx.cursors;
  const from = cursors === undefined ? (cursor === "0" ? null : undefined) : cursors.load(cursor);
  if (from === undefined) throw new ReplyError("ERR invalid cursor");
  if (type !== undefined && type !== "string") return ["0", []];
  const all = match === undefined || isStar(match);
  const prefix = all ? undefined : literalPrefix(match as Uint8Array);
  const keys: Reply[] = [];
  let seen = 0;
  let last: Uint8Array | null = null;
  for (
    const e of ks.scan({ prefix, from: from ?? undefined, inclusive: false, values: false })
  ) {
    if (seen++ >= count) {
      return [cursors?.save(last as Uint8Array) ?? "0", keys];
    }
    last = e.key;
    if (all || globMatch(match as Uint8Array, e.key)) keys.push(e.key);
  }
  return ["0", keys];
}

function renameApply(nx: boolean) {
  return (ks: WritableKeyspace, args: Uint8Array[]): Reply => {
    const [, src, dst] = args;
    const meta = ks.stat(src);
    if (meta === undefined) throw new ReplyError("ERR no such key");
    if (compare(src, dst) === 0) return nx ? 0 : OK;
    if (nx && ks.stat(dst) !== undefined) return 0;
    const value = ks.get(src) as Uint8Array;
    ks.delete(src);
    ks.put(dst, value, meta.expiresAt);
    return nx ? 1 : OK;
  };
}

function copyOptions(args: Uint8Array[]): boolean {
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    if (isWord(args[i], "replace")) replace = true;
    else if (isWord(args[i], "db") && i + 1 < args.length) {
      if (int32Arg(args[++i]) !== 0) throw new ReplyError("ERR DB index is out of range");
    } else throw new ReplyError(SYNTAX);
  }
  return replace;
}

function flushCheck(args: Uint8Array[]): void {
  if (
    args.length > 2 || (args.length === 2 && !isWord(args[1], "async") && !isWord(args[1], "sync"))
  ) {
    throw new ReplyError(SYNTAX);
  }
}

function deleteKeys(ks: WritableKeyspace, keys: Uint8Array[]): number {
  let n = 0;
  for (const k of keys) if (ks.delete(k)) n++;
  return n;
}

/** The keyspace commands. */
export const KEY_COMMANDS: CommandSpec[] = [
  writeCommand("del", -2, [1, -1, 1], (ks, a) => deleteKeys(ks, a.slice(1)), undefined, []),
  writeCommand("unlink", -2, [1, -1, 1], (ks, a) => deleteKeys(ks, a.slice(1)), undefined, [
    "fast",
  ]),
  readCommand("exists", -2, [1, -1, 1], (ks, a) => {
    let n = 0;
    for (let i = 1; i < a.length; i++) if (ks.stat(a[i]) !== undefined) n++;
    return n;
  }),
  readCommand("type", 2, [1, 1, 1], (ks, a) => new Simple(ks.stat(a[1]) ? "string" : "none")),
  writeCommand("rename", 3, [1, 2, 1], renameApply(false), undefined, []),
  writeCommand("renamenx", 3, [1, 2, 1], renameApply(true), undefined, ["fast"]),
  writeCommand("copy", -3, [1, 2, 1], (ks, a) => {
    const replace = copyOptions(a);
    const [, src, dst] = a;
    if (compare(src, dst) === 0) {
      throw new ReplyError("ERR source and destination objects are the same");
    }
    const meta = ks.stat(src);
    if (meta === undefined) return 0;
    if (!replace && ks.stat(dst) !== undefined) return 0;
    ks.put(dst, (ks.get(src) as Uint8Array).slice(), meta.expiresAt);
    return 1;
  }, (a) => void copyOptions(a)),
  readCommand("dbsize", 1, [0, 0, 0], (ks) => ks.size()),
  readCommand("randomkey", 1, [0, 0, 0], (ks) => ks.randomKey() ?? null, []),
  readCommand("keys", -2, [0, 0, 0], keysCommand, []),
  readCommand("scan", -2, [0, 0, 0], scanCommand, []),
  writeCommand(
    "pdel",
    2,
    [0, 0, 0],
    (ks, a) => {
      const keys = [...matching(ks, a[1], undefined, false)];
      return deleteKeys(ks, keys);
    },
    undefined,
    [],
  ),
  ...["flushdb", "flushall"].map((name) =>
    writeCommand(
      name,
      -1,
      [0, 0, 0],
      (ks, a) => {
        flushCheck(a);
        ks.clear();
        return OK;
      },
      flushCheck,
      [],
    )
  ),
];
