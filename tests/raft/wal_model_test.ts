import assert from "node:assert/strict";
import fc from "fast-check";
import { Wal, type WalEntry } from "../../lib/raft/mod.ts";
import { payload, plain, quiet, tempDir } from "./_wal_helpers.ts";

/** What the log should hold: the compaction point and the entries after it. */
interface Model {
  snapIndex: number;
  snapTerm: number;
  entries: WalEntry[];
}

const lastIndex = (m: Model) => m.snapIndex + m.entries.length;
const lastTerm = (m: Model) => m.entries.length > 0 ? m.entries.at(-1)!.term : m.snapTerm;

const cmdArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("append" as const),
      n: fc.integer({ min: 1, max: 12 }),
      bump: fc.constantFrom(0, 0, 0, 1, 2),
      salt: fc.integer({ min: 0, max: 1000 }),
      big: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("truncate" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("compact" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      beyond: fc.integer({ min: 0, max: 30 }).map((n) => (n > 25 ? n - 25 : 0)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("reopen" as const),
      cacheSize: fc.constantFrom(0, 2000, 1 << 20),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("sync" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("read" as const),
      a: fc.double({ min: 0, max: 1, noNaN: true }),
      b: fc.double({ min: 0, max: 1, noNaN: true }),
      maxBytes: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
    }),
  },
);

type Cmd = typeof cmdArb extends fc.Arbitrary<infer T> ? T : never;

function check(wal: Wal, m: Model, step: string): void {
  const last = lastIndex(m);
  assert.equal(wal.lastIndex, last, `${step}: lastIndex`);
  assert.equal(wal.firstIndex, m.snapIndex + 1, `${step}: firstIndex`);
  assert.equal(wal.term(m.snapIndex), m.snapTerm, `${step}: term of the compaction point`);
  if (m.snapIndex > 0) assert.equal(wal.term(m.snapIndex - 1), undefined);
  assert.equal(wal.term(last + 1), undefined);
  for (const e of m.entries) assert.equal(wal.term(e.index), e.term, `${step}: term(${e.index})`);
  assert.deepEqual(plain(wal.entries(m.snapIndex + 1, last + 1)), plain(m.entries), step);
}

async function run(cmds: Cmd[]): Promise<void> {
  await using dir = await tempDir();
  const opts = (cacheSize: number) => quiet([], { segmentSize: 4096, cacheSize });
  let wal = await Wal.open(dir.path, opts(1 << 20));
  const m: Model = { snapIndex: 0, snapTerm: 0, entries: [] };
  try {
    for (const [k, c] of cmds.entries()) {
      const step = `step ${k} ${JSON.stringify(c)}`;
      const last = lastIndex(m);
      switch (c.t) {
        case "append": {
          const term = lastTerm(m) + c.bump;
          const batch: WalEntry[] = [];
          for (let i = 1; i <= c.n; i++) {
            const index = last + i;
            const data = c.big && i === 1
              ? new Uint8Array(5000).fill(c.salt & 0xff)
              : payload(index, c.salt);
            batch.push({ index, term, data });
          }
          wal.append(batch);
          m.entries.push(...batch);
          break;
        }
        case "truncate": {
          const first = m.snapIndex + 1;
          const at = first + Math.floor(c.at * (last + 1 - first + 1));
          const index = Math.min(at, last + 1);
          wal.truncateFrom(index);
          m.entries.length = index - first;
          break;
        }
        case "compact": {
          if (c.beyond > 0) {
            const upTo = last + c.beyond;
            const term = lastTerm(m) + 1;
            wal.compact(upTo, term);
            m.snapIndex = upTo;
            m.snapTerm = term;
            m.entries = [];
          } else {
            const n = m.entries.length;
            const upTo = m.snapIndex + Math.min(n, Math.floor(c.at * (n + 1)));
            wal.compact(upTo);
            if (upTo > m.snapIndex) {
              m.snapTerm = m.entries[upTo - m.snapIndex - 1].term;
              m.entries = m.entries.slice(upTo - m.snapIndex);
              m.snapIndex = upTo;
            }
          }
          break;
        }
        case "reopen":
          await wal.close();
          wal = await Wal.open(dir.path, opts(c.cacheSize));
          break;
        case "sync":
          await wal.sync();
          break;
        case "read": {
          const first = m.snapIndex + 1;
          const span = last + 1 - first;
          let lo = first + Math.floor(c.a * (span + 1));
          let hi = first + Math.floor(c.b * (span + 1));
          if (lo > hi) [lo, hi] = [hi, lo];
          lo = Math.min(lo, last + 1);
          hi = Math.min(hi, last + 1);
          const got = wal.entries(lo, hi, c.maxBytes);
          const want: WalEntry[] = [];
          let budget = c.maxBytes ?? Infinity;
          for (const e of m.entries.slice(lo - first, hi - first)) {
            const size = 24 + e.data.length;
            if (want.length > 0 && size > budget) break;
            budget -= size;
            want.push(e);
          }
          assert.deepEqual(plain(got), plain(want), step);
          break;
        }
      }
      check(wal, m, step);
    }
    await wal.close();
    wal = await Wal.open(dir.path, opts(0));
    check(wal, m, "final reopen");
  } finally {
    await wal.close();
  }
}

Deno.test("Wal matches an in-memory model under random append/truncate/compact/reopen/sync", async () => {
  await fc.assert(fc.asyncProperty(fc.array(cmdArb, { maxLength: 40 }), run), {
    numRuns: Number(Deno.env.get("WAL_MODEL_RUNS") ?? 200),
  });
});
