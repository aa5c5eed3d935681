/**
 * Binary encoding of Raft messages for the peer transport. A batch is
 * `u32 count` then per message `u32 length, bytes`; a message is a type byte
 * then its fields (integers as u64 little-endian, node ids and entry data
 * as u32 length + bytes). Decoding checks every length and throws a
 * RangeError on anything malformed, so a peer speaking garbage cannot crash
 * the node.
 *
 * @module
 */

import { readU32, readU64, writeU32, writeU64 } from "../bitcask/bytes.ts";
import type { ConfState, Entry, Message, SnapshotMeta } from "./types.ts";

const TYPES = [
  "append",
  "appendResp",
  "heartbeat",
  "heartbeatResp",
  "vote",
  "voteResp",
  "snapshot",
  "timeoutNow",
  "readIndex",
  "readIndexResp",
] as const;

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: true });

class Writer {
  buf = new Uint8Array(256);
  len = 0;
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.reserve(4);
    writeU32(this.buf, this.len, v);
    this.len += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    writeU64(this.buf, this.len, v);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  str(s: string): void {
    this.bytes(te.encode(s));
  }
  strs(a: string[]): void {
    this.u32(a.length);
    for (const s of a) this.str(s);
  }
  nums(a: number[]): void {
    this.u32(a.length);
    for (const n of a) this.u64(n);
  }
}

class Reader {
  o = 0;
  constructor(readonly b: Uint8Array) {}
  need(n: number): void {
    if (this.o + n > this.b.length) throw new RangeError("Cannot decode Raft message: truncated");
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++];
  }
  u32(): number {
    this.need(4);
    const v = readU32(this.b, this.o);
    this.o += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = readU64(this.b, this.o);
    if (v < 0) throw new RangeError("Cannot decode Raft message: integer out of range");
    this.o += 8;
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const v = this.b.slice(this.o, this.o + n);
    this.o += n;
    return v;
  }
  str(): string {
    return td.decode(this.bytes());
  }
  count(min: number): number {
    const n = this.u32();
    if (n * min > this.b.length - this.o) {
      throw new RangeError("Cannot decode Raft message: bad count");
    }
    return n;
  }
  strs(): string[] {
    const n = this.count(4);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }
  nums(): number[] {
    const n = this.count(8);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.u64());
    return out;
  }
}

function writeConf(w: Writer, c: ConfState): void {
  w.strs(c.voters);
  w.strs(c.learners);
}

function readConf(r: Reader): ConfState {
  return { voters: r.strs(), learners: r.strs() };
}

function writeMessage(w: Writer, m: Message): void {
  w.u8(TYPES.indexOf(m.type));
  w.str(m.from);
  w.str(m.to);
  w.u64(m.term);
  switch (m.type) {
    case "append":
      w.u64(m.prevIndex);
      w.u64(m.prevTerm);
      w.u64(m.commit);
      w.u32(m.entries.length);
      for (const e of m.entries) {
        w.u64(e.index);
        w.u64(e.term);
        w.bytes(e.data);
      }
      break;
    case "appendResp":
      w.u8(m.reject ? 1 : 0);
      w.u64(m.index);
      w.u64(m.hint);
      break;
    case "heartbeat":
      w.u64(m.commit);
      w.u64(m.round);
      w.u64(m.sentAt);
      break;
    case "heartbeatResp":
      w.u64(m.round);
      w.u64(m.sentAt);
      break;
    case "vote":
      w.u8((m.pre ? 1 : 0) | (m.transfer ? 2 : 0));
      w.u64(m.lastIndex);
      w.u64(m.lastTerm);
      break;
    case "voteResp":
      w.u8((m.pre ? 1 : 0) | (m.granted ? 2 : 0));
      break;
    case "snapshot":
      w.u64(m.meta.index);
      w.u64(m.meta.term);
      writeConf(w, m.meta.conf);
      w.u64(m.commit);
      break;
    case "timeoutNow":
      break;
    case "readIndex":
      w.nums(m.ids);
      break;
    case "readIndexResp":
      w.nums(m.ids);
      w.u64(m.index);
      break;
  }
}

function readMessage(r: Reader): Message {
  const t = r.u8();
  const type = TYPES[t];
  if (type === undefined) throw new RangeError(`Cannot decode Raft message: unknown type ${t}`);
  const base = { from: r.str(), to: r.str(), term: r.u64() };
  switch (type) {
    case "append": {
      const prevIndex = r.u64();
      const prevTerm = r.u64();
      const commit = r.u64();
      const n = r.count(20);
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) entries.push({ index: r.u64(), term: r.u64(), data: r.bytes() });
      return { type, ...base, prevIndex, prevTerm, commit, entries };
    }
    case "appendResp":
      return { type, ...base, reject: r.u8() === 1, index: r.u64(), hint: r.u64() };
    case "heartbeat":
      return { type, ...base, commit: r.u64(), round: r.u64(), sentAt: r.u64() };
    case "heartbeatResp":
      return { type, ...base, round: r.u64(), sentAt: r.u64() };
    case "vote": {
      const f = r.u8();
      return {
        type,
        ...base,
        pre: (f & 1) !== 0,
        transfer: (f & 2) !== 0,
        lastIndex: r.u64(),
        lastTerm: r.u64(),
      };
    }
    case "voteResp": {
      const f = r.u8();
      return { type, ...base, pre: (f & 1) !== 0, granted: (f & 2) !== 0 };
    }
    case "snapshot": {
      const meta: SnapshotMeta = { index: r.u64(), term: r.u64(), conf: readConf(r) };
      return { type, ...base, meta, commit: r.u64() };
    }
    case "timeoutNow":
      return { type, ...base };
    case "readIndex":
      return { type, ...base, ids: r.nums() };
    case "readIndexResp":
      return { type, ...base, ids: r.nums(), index: r.u64() };
  }
}

/**
 * Encodes messages as one batch.
 *
 * @param msgs The messages.
 * @returns The bytes.
 */
export function encodeMessages(msgs: Message[]): Uint8Array {
  const w = new Writer();
  w.u32(msgs.length);
  for (const m of msgs) {
    const at = w.len;
    w.u32(0);
    writeMessage(w, m);
    writeU32(w.buf, at, w.len - at - 4);
  }
  return w.buf.subarray(0, w.len);
}

/**
 * Decodes a batch.
 *
 * @param b The bytes.
 * @returns The messages.
 * @throws {RangeError} On malformed input.
 */
export function decodeMessages(b: Uint8Array): Message[] {
  const r = new Reader(b);
  const n = r.count(4);
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    const len = r.u32();
    r.need(len);
    const sub = new Reader(b.subarray(r.o, r.o + len));
    const m = readMessage(sub);
    if (sub.o !== len) throw new RangeError("Cannot decode Raft message: trailing bytes");
    out.push(m);
    r.o += len;
  }
  if (r.o !== b.length) throw new RangeError("Cannot decode Raft message batch: trailing bytes");
  return out;
}
