import assert from "node:assert/strict";
import {
  formatSnapshotMeta,
  type SnapshotInfo,
  validateSnapshotMeta,
} from "../../lib/snapshot/mod.ts";

const INFO: SnapshotInfo = {
  id: "3-1200-1795626748798",
  dir: "/data/snapshots/3-1200-1795626748798",
  index: 1200,
  term: 3,
  size: 5912,
  crc: "cW6Qlff0w6Y=",
  conf: { voters: ["10.0.0.1:4920", "10.0.0.2:4920"], learners: [] },
  time: 1795626748798,
};

Deno.test("formatSnapshotMeta() output is read back by validateSnapshotMeta()", () => {
  const text = formatSnapshotMeta(INFO);
  assert.ok(text.endsWith("}\n") && text.split("\n").length === 2);
  assert.deepEqual(validateSnapshotMeta(JSON.parse(text), INFO.dir), INFO);
  assert.deepEqual(validateSnapshotMeta(JSON.parse(text), INFO.dir + "/"), {
    ...INFO,
    dir: INFO.dir + "/",
  });
});

Deno.test("validateSnapshotMeta() rejects each malformed field with a one-line TypeError", () => {
  const good = JSON.parse(formatSnapshotMeta(INFO));
  const cases: [string, unknown, RegExp][] = [
    ["array", [], /not a JSON object/],
    ["null", null, /not a JSON object/],
    ["Index string", { ...good, Index: "1200" }, /Index "1200"/],
    ["Index unsafe", { ...good, Index: 2 ** 53 }, /Index/],
    ["Term negative", { ...good, Term: -3 }, /Term -3/],
    ["Size missing", { ...good, Size: undefined }, /Size undefined/],
    ["Time fractional", { ...good, Time: 1.5 }, /Time 1.5/],
    ["ID malformed", { ...good, ID: "3-1200" }, /ID "3-1200"/],
    ["ID leading zero", { ...good, ID: "03-1200-1795626748798" }, /ID/],
    ["ID vs fields", { ...good, Index: 1201 }, /does not match Term 3, Index 1201/],
    ["CRC short", { ...good, CRC: "cW6Q" }, /CRC "cW6Q"/],
    ["CRC number", { ...good, CRC: 5 }, /CRC 5/],
    ["Conf missing", { ...good, Conf: undefined }, /Conf is not an object/],
    ["voters not array", { ...good, Conf: { voters: "a", learners: [] } }, /Conf.voters/],
    ["learner empty", { ...good, Conf: { voters: [], learners: [""] } }, /Conf.learners/],
  ];
  for (const [name, meta, re] of cases) {
    assert.throws(
      () => validateSnapshotMeta(meta, INFO.dir),
      (e) => e instanceof TypeError && re.test(e.message) && !e.message.includes("\n"),
      name,
    );
  }
  assert.throws(() => validateSnapshotMeta(good, "/data/snapshots/other"), /directory "other"/);
});
