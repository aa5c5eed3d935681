/**
 * Child process of crash_test.ts: opens the store, applies the workload
 * from its last index on, and prints each index whose writes sync() has
 * confirmed. It runs until killed.
 */
import { BitcaskStore } from "../../lib/bitcask/mod.ts";
import { workOp } from "./_crash_workload.ts";

const dir = Deno.args[0];
const te = new TextEncoder();
const store = await BitcaskStore.open(dir, {
  maxFileSize: 64 * 1024,
  mergeMinDeadBytes: 64 * 1024,
  mergeDeadRatio: 0.3,
  mergeStepMs: 1,
  logger: () => {},
});
let i = store.lastIndex();
console.log(`ready ${i}`);
for (;;) {
  for (let n = 0; n < 50; n++) {
    i++;
    const op = workOp(i);
    if (op.type === "put") store.put(te.encode(op.key), op.value, { index: i });
    else if (op.type === "delete") store.delete(te.encode(op.key), { index: i });
    else {
      store.batch(
        op.ops.map((o) =>
          o.type === "put"
            ? { type: "put" as const, key: te.encode(o.key), value: o.value }
            : { type: "delete" as const, key: te.encode(o.type === "delete" ? o.key : "") }
        ),
        { index: i },
      );
    }
  }
  const upTo = i;
  await store.sync();
  console.log(`synced ${upTo}`);
}
