/**
 * Helpers for the bad-input tests: a deterministic PRNG, byte helpers, and
 * `guarded()`, which wraps one misbehaving-client case with the checks
 * every case must pass: a bystander client connected before the case still
 * works after it, the server still answers PING, and the keys written
 * before the case are intact.
 */

import assert from "node:assert/strict";
import { parse, RawClient, type RawReply, text } from "./_resp_client.ts";
import type { TestServer } from "./_server.ts";

const te = new TextEncoder();

/**
 * A small deterministic PRNG (mulberry32), so failures replay exactly.
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning floats in [0, 1).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random bytes.
 *
 * @param rand The PRNG.
 * @param n How many.
 * @returns The bytes.
 */
export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/**
 * Concatenates byte arrays and strings.
 *
 * @param parts The pieces.
 * @returns One array.
 */
export function concat(parts: (Uint8Array | string)[]): Uint8Array {
  const bytes = parts.map((p) => typeof p === "string" ? te.encode(p) : p);
  const out = new Uint8Array(bytes.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of bytes) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A reply's text, or a JSON dump for arrays (for assertion messages).
 *
 * @param r The reply.
 * @returns Text.
 */
export function show(r: RawReply): string {
  try {
    return String(text(r));
  } catch {
    return JSON.stringify(r, (_k, v) => typeof v === "bigint" ? String(v) : v);
  }
}

/** What a connection got before it went quiet or was closed. */
export interface Drained {
  /** Every complete reply received. */
  replies: RawReply[];
  /** Whether the server closed the connection. */
  closed: boolean;
}

/**
 * Reads replies until the server closes the connection or sends nothing for
 * `idleMs`.
 *
 * @param c The client.
 * @param idleMs How long a silence ends the reading.
 * @returns The replies and whether the connection was closed.
 */
export async function drain(c: RawClient, idleMs = 300): Promise<Drained> {
  const replies: RawReply[] = [];
  for (;;) {
    try {
      replies.push(await c.read(idleMs));
    } catch (e) {
      const msg = (e as Error).message;
      if (msg === "connection closed") return { replies, closed: true };
      if (msg.startsWith("timed out")) return { replies, closed: c.closed };
      throw e;
    }
  }
}

/**
 * Reads every reply until the server closes the connection (fails if it
 * does not close within the timeout).
 *
 * @param c The client.
 * @param timeoutMs Deadline for the close.
 * @returns The replies.
 */
export async function repliesUntilClose(c: RawClient, timeoutMs = 10_000): Promise<RawReply[]> {
  const bytes = await c.readToEnd(timeoutMs);
  const replies: RawReply[] = [];
  let at = 0;
  while (at < bytes.length) {
    const r = parse(bytes, at);
    assert.ok(r !== null, `incomplete reply at the end: ${new TextDecoder().decode(bytes)}`);
    replies.push(r[0]);
    at = r[1];
  }
  return replies;
}

/**
 * Sends bytes on a fresh connection and checks that the server answers
 * exactly `expected` (texts of the replies, errors without their `-`) and
 * then closes the connection.
 *
 * @param port The server's port.
 * @param bytes What to send.
 * @param expected The texts of the replies, in order.
 */
export async function expectRepliesThenClose(
  port: number,
  bytes: Uint8Array | string,
  expected: string[],
): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.send(bytes);
    const replies = await repliesUntilClose(c);
    assert.deepEqual(replies.map(show), expected);
  } finally {
    c.close();
  }
}

/**
 * Waits until `check` holds (polling), or fails.
 *
 * @param what What is awaited, for the failure message.
 * @param check The condition.
 * @param timeoutMs Deadline.
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The number of connected clients, from INFO clients.
 *
 * @param c A client.
 * @returns connected_clients.
 */
export async function connectedClients(c: RawClient): Promise<number> {
  const info = text(await c.call("INFO", "clients")) ?? "";
  const m = /connected_clients:(\d+)/.exec(info);
  assert.ok(m, `no connected_clients in INFO: ${info}`);
  return Number(m[1]);
}

/** Keys written before the cases, which every case must leave intact. */
export class Sentinels {
  readonly #values = new Map<string, string>();

  /**
   * Writes `n` keys (with an MSET and with SETs of binary-ish values).
   *
   * @param port The server's port.
   * @param prefix Key prefix.
   * @param n How many keys.
   * @returns The sentinels.
   */
  static async write(port: number, prefix: string, n = 50): Promise<Sentinels> {
    const s = new Sentinels();
    const c = await RawClient.connect(port);
    try {
      const mset: string[] = ["MSET"];
      for (let i = 0; i < n; i++) {
        const key = `${prefix}:${i}`;
        const value = `value ${i} \r\n "quoted" ${"x".repeat(i)}`;
        s.#values.set(key, value);
        mset.push(key, value);
      }
      assert.equal(text(await c.call(...mset)), "OK");
      assert.equal(text(await c.call("SET", `${prefix}:single`, "one")), "OK");
      s.#values.set(`${prefix}:single`, "one");
    } finally {
      c.close();
    }
    return s;
  }

  /**
   * Checks every sentinel key still holds its value.
   *
   * @param c A working client.
   */
  async check(c: RawClient): Promise<void> {
    const keys = [...this.#values.keys()];
    const r = await c.call("MGET", ...keys);
    assert.equal(r.type, "array");
    const got = (r.value as RawReply[]).map((x) => text(x));
    assert.deepEqual(got, keys.map((k) => this.#values.get(k)));
  }
}

let caseNo = 0;

/**
 * Runs one bad-input case with a bystander: the bystander connects and
 * writes a key before the case; after it, the bystander can still SET and
 * GET, its earlier key is intact, a fresh client gets PONG, and the
 * sentinel keys are intact.
 *
 * @param server The server.
 * @param sentinels Keys written before the cases.
 * @param fn The case.
 */
export async function guarded(
  server: TestServer,
  sentinels: Sentinels,
  fn: () => Promise<void>,
): Promise<void> {
  const id = `bystander:${++caseNo}:${crypto.randomUUID()}`;
  const bystander = await RawClient.connect(server.port);
  try {
    assert.equal(text(await bystander.call("SET", `${id}:before`, "before")), "OK");
    await fn();
    assert.equal(text(await bystander.call("SET", `${id}:after`, "after")), "OK");
    assert.equal(text(await bystander.call("GET", `${id}:after`)), "after");
    assert.equal(text(await bystander.call("GET", `${id}:before`)), "before");
    const fresh = await RawClient.connect(server.port);
    try {
      assert.equal(text(await fresh.call("PING")), "PONG");
      await sentinels.check(fresh);
    } finally {
      fresh.close();
    }
  } finally {
    bystander.close();
  }
}

/**
 * Checks the server printed nothing that looks like a crash or a bug.
 *
 * @param server The server.
 */
export function assertQuietStderr(server: TestServer): void {
  const err = server.stderr();
  assert.doesNotMatch(err, /Uncaught|panic|TypeError|RangeError|ReferenceError|command failed/);
}
