/**
 * A linearizability check for one register whose writes all write distinct
 * values: the history is invalid if a read returns a value never written,
 * a value written only after the read ended, a value overwritten (by a
 * write that finished) before the read began, or a value older than one
 * an earlier read (in real time) already returned. For registers with
 * unique writes these are the ways a history can fail to be linearizable
 * that clients can observe.
 */

import { RawClient, type RawReply } from "./_resp_client.ts";

/** One operation of the history (times from one monotonic clock). */
export interface RegisterOp {
  /** Write or read. */
  kind: "write" | "read";
  /** Value written, or value read (null: the initial, empty register). */
  value: string | null;
  /** When the request was sent. */
  start: number;
  /** When the reply came; Infinity for a write whose outcome is unknown. */
  end: number;
}

/**
 * Finds violations.
 *
 * @param ops Completed reads, and writes that succeeded or may have.
 * @returns Descriptions of the violations found (empty: none).
 */
export function checkRegister(ops: RegisterOp[]): string[] {
  const writes = new Map<string, RegisterOp>();
  for (const op of ops) if (op.kind === "write") writes.set(op.value as string, op);
  const reads = ops.filter((o) => o.kind === "read").sort((a, b) => a.start - b.start);
  // Writes by end time, with the latest start among those finished so far.
  const byEnd = [...writes.values()].filter((w) => w.end !== Infinity).sort((a, b) =>
    a.end - b.end
  );
  const maxStart: number[] = [];
  for (let i = 0; i < byEnd.length; i++) {
    maxStart.push(Math.max(i > 0 ? maxStart[i - 1] : -Infinity, byEnd[i].start));
  }
  /** Latest start among writes that finished before t. */
  const latestStartBefore = (t: number): number => {
    let lo = 0, hi = byEnd.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byEnd[mid].end < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -Infinity : maxStart[lo - 1];
  };
  const problems: string[] = [];
  for (const r of reads) {
    if (r.value === null) {
      if (latestStartBefore(r.start) > -Infinity) {
        problems.push(
          `read at ${r.start.toFixed(1)} saw the empty register after a write finished`,
        );
      }
      continue;
    }
    const w = writes.get(r.value);
    if (w === undefined) {
      problems.push(`read at ${r.start.toFixed(1)} returned ${r.value}, never written`);
      continue;
    }
    if (w.start > r.end) problems.push(`read of ${r.value} ended before its write began`);
    if (latestStartBefore(r.start) > w.end) {
      problems.push(`stale read at ${r.start.toFixed(1)}: ${r.value} was overwritten before it`);
    }
  }
  // A read that follows another in real time must not return an older value.
  for (let i = 0; i < reads.length; i++) {
    const r1 = reads[i];
    if (r1.value === null) continue;
    const w1 = writes.get(r1.value);
    if (w1 === undefined) continue;
    for (let j = i + 1; j < reads.length; j++) {
      const r2 = reads[j];
      if (r2.start <= r1.end) continue;
      if (r2.value === null) {
        problems.push(`read at ${r2.start.toFixed(1)} saw the empty register after ${r1.value}`);
        continue;
      }
      const w2 = writes.get(r2.value);
      if (w2 !== undefined && w2.end < w1.start) {
        problems.push(
          `read at ${
            r2.start.toFixed(1)
          } returned ${r2.value}, older than ${r1.value} read before it`,
        );
      }
    }
  }
  return problems;
}

/**
 * Runs SETs (unique values) or GETs of the register `reg` against a port
 * until stopped, recording the history; writes whose outcome is unknown
 * (TRYAGAIN, a broken connection) are recorded as never finishing.
 *
 * @param port Where to connect.
 * @param ops The history to append to.
 * @param kind Writes or reads.
 * @param name Prefix of the values written.
 * @param stop Polled between requests.
 */
export async function registerClient(
  port: number,
  ops: RegisterOp[],
  kind: "write" | "read",
  name: string,
  stop: () => boolean,
): Promise<void> {
  let c: RawClient | null = null;
  let n = 0;
  while (!stop()) {
    const value = `${name}-${n++}`;
    const start = performance.now();
    try {
      c ??= await RawClient.connect(port);
      const r = kind === "write" ? await c.call("SET", "reg", value) : await c.call("GET", "reg");
      const end = performance.now();
      if (kind === "write") {
        if (r.type === "simple") ops.push({ kind, value, start, end });
        else if (/^TRYAGAIN/.test(replyText(r) ?? "")) {
          ops.push({ kind, value, start, end: Infinity });
        }
      } else if (r.type === "bulk") {
        ops.push({ kind, value: replyText(r), start, end });
      }
      if (r.type === "error") await sleep(5);
    } catch {
      if (kind === "write") ops.push({ kind, value, start, end: Infinity });
      c?.close();
      c = null;
      await sleep(20);
    }
  }
  c?.close();
}

function replyText(r: RawReply): string | null {
  if (r.type === "bulk") return r.value === null ? null : new TextDecoder().decode(r.value);
  return r.type === "simple" || r.type === "error" ? r.value : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
