/**
 * Child process of wal_crash_test.ts: opens the log in `Deno.args[0]`,
 * appends entries derived from their index in batches, compacts now and
 * then, and prints `synced N` once every entry up to N is durable. It runs
 * until killed.
 */
import { Wal } from "../../lib/raft/mod.ts";
import { crashTerm, makeEntries } from "./_wal_helpers.ts";

const dir = Deno.args[0];
const wal = await Wal.open(dir, { segmentSize: 16 * 1024, cacheSize: 64 * 1024, logger: () => {} });
console.log(`ready ${wal.lastIndex}`);
for (let round = 0;; round++) {
  const from = wal.lastIndex + 1;
  const to = from + Math.floor(Math.random() * 40);
  wal.append(makeEntries(from, to, crashTerm));
  if (wal.lastIndex - wal.firstIndex > 2000) wal.compact(wal.lastIndex - 500);
  const upTo = wal.lastIndex;
  const synced = wal.sync().then(() => console.log(`synced ${upTo}`));
  // Mostly let flushes pile up (group commit), sometimes wait for one.
  if (round % 4 === 3) await synced;
  else await new Promise((r) => setTimeout(r, 0));
}
