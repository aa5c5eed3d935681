/**
 * Expiry commands: EXPIRE family, TTL family, PERSIST.
 *
 * @module
 */

import { type Reply, ReplyError } from "../../resp/mod.ts";
import { ascii, isWord } from "../args.ts";
import type { CommandSpec } from "../command.ts";
import { expireCommandTime, type ExpireUnit } from "../expire_args.ts";
import type { Keyspace, WritableKeyspace } from "../keyspace.ts";
import { readCommand, writeCommand } from "./spec.ts";

interface Flags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

function parseFlags(args: Uint8Array[]): Flags {
  const f: Flags = { nx: false, xx: false, gt: false, lt: false };
  for (let i = 3; i < args.length; i++) {
    const a = args[i];
    if (isWord(a, "nx")) f.nx = true;
    else if (isWord(a, "xx")) f.xx = true;
    else if (isWord(a, "gt")) f.gt = true;
    else if (isWord(a, "lt")) f.lt = true;
    else throw new ReplyError(`ERR Unsupported option ${ascii(a)}`);
  }
  if (f.nx && (f.xx || f.gt || f.lt)) {
    throw new ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (f.gt && f.lt) {
    throw new ReplyError("ERR GT and LT options at the same time are not compatible");
  }
  return f;
}

function expireCommand(name: string, unit: ExpireUnit): CommandSpec {
  return writeCommand(name, -3, [1, 1, 1], (ks: WritableKeyspace, a: Uint8Array[]): Reply => {
    const f = parseFlags(a);
    const when = expireCommandTime(a[2], unit, ks.now, name);
    const meta = ks.stat(a[1]);
    if (meta === undefined) return 0;
    const cur = meta.expiresAt; // 0: no expiry, i.e. infinite
    if (f.nx && cur !== 0) return 0;
    if (f.xx && cur === 0) return 0;
    if (f.gt && (cur === 0 || when <= cur)) return 0;
    if (f.lt && cur !== 0 && when >= cur) return 0;
    if (when <= ks.now) ks.delete(a[1]);
    else ks.put(a[1], ks.get(a[1]) as Uint8Array, when);
    return 1;
  }, (a) => {
    parseFlags(a);
    expireCommandTime(a[2], unit, Date.now(), name);
  }, ["fast"]);
}

function ttl(ks: Keyspace, key: Uint8Array, ms: boolean, absolute: boolean): number {
  const meta = ks.stat(key);
  if (meta === undefined) return -2;
  if (meta.expiresAt === 0) return -1;
  let t = absolute ? meta.expiresAt : meta.expiresAt - ks.now;
  if (t < 0) t = 0;
  return ms ? t : Math.floor((t + 500) / 1000);
}

/** The expiry commands. */
export const EXPIRE_COMMANDS: CommandSpec[] = [
  expireCommand("expire", "ex"),
  expireCommand("pexpire", "px"),
  expireCommand("expireat", "exat"),
  expireCommand("pexpireat", "pxat"),
  readCommand("ttl", 2, [1, 1, 1], (ks, a) => ttl(ks, a[1], false, false)),
  readCommand("pttl", 2, [1, 1, 1], (ks, a) => ttl(ks, a[1], true, false)),
  readCommand("expiretime", 2, [1, 1, 1], (ks, a) => ttl(ks, a[1], false, true)),
  readCommand("pexpiretime", 2, [1, 1, 1], (ks, a) => ttl(ks, a[1], true, true)),
  writeCommand(
    "persist",
    2,
    [1, 1, 1],
    (ks, a) => {
      const meta = ks.stat(a[1]);
      if (meta === undefined || meta.expiresAt === 0) return 0;
      ks.put(a[1], ks.get(a[1]) as Uint8Array, 0);
      return 1;
    },
    undefined,
    ["fast"],
  ),
];
