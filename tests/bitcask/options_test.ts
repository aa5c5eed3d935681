import assert from "node:assert/strict";
import { resolveOptions, RUNTIME_MAX_KEY } from "../../lib/bitcask/options.ts";

Deno.test("resolveOptions fills the documented defaults", () => {
  const o = resolveOptions({});
  assert.equal(o.maxFileSize, 64 * 1024 * 1024);
  assert.equal(o.maxKeySize, RUNTIME_MAX_KEY, "512 MiB, capped at what a JS string can hold");
  assert.equal(o.maxValueSize, 512 * 1024 * 1024);
  assert.equal(o.autoMerge, true);
  assert.equal(o.mergeDeadRatio, 0.5);
  assert.equal(o.mergeMinDeadBytes, 32 * 1024 * 1024);
  assert.equal(o.hintWorker, true);
});

Deno.test("resolveOptions names the option that is out of range", () => {
  for (
    const [opts, name] of [
      [{ maxFileSize: 100 }, "maxFileSize"],
      [{ maxFileSize: 3 * 1024 ** 3 }, "maxFileSize"],
      [{ maxValueSize: -1 }, "maxValueSize"],
      [{ mergeDeadRatio: 1.5 }, "mergeDeadRatio"],
      [{ mergeStepMs: NaN }, "mergeStepMs"],
    ] as const
  ) {
    assert.throws(
      () => resolveOptions(opts),
      (e) => e instanceof RangeError && e.message.includes(name),
    );
  }
});
