import assert from "node:assert/strict";
import {
  Double,
  NULL_ARRAY,
  OK,
  PONG,
  QUEUED,
  type Reply,
  ReplyError,
  RespBoolean,
  RespEncoder,
  RespMap,
  RespSet,
  Simple,
  Verbatim,
  writeReply,
} from "../../lib/resp/mod.ts";
import { latin1, text } from "./_helpers.ts";

function write(reply: Reply, protocol: 2 | 3 = 2): string {
  const enc = new RespEncoder();
  enc.protocol = protocol;
  writeReply(enc, reply);
  return text(enc.take());
}

Deno.test("writeReply writes plain values", () => {
  assert.equal(write(null), "$-1\r\n");
  assert.equal(write(null, 3), "_\r\n");
  assert.equal(write(42), ":42\r\n");
  assert.equal(write(-7n), ":-7\r\n");
  assert.equal(write("héllo"), "$6\r\nh\xc3\xa9llo\r\n");
  assert.equal(write(latin1("a\x00b")), "$3\r\na\x00b\r\n");
  assert.equal(write([]), "*0\r\n");
});

Deno.test("writeReply writes reply classes and constants", () => {
  assert.equal(write(OK), "+OK\r\n");
  assert.equal(write(QUEUED), "+QUEUED\r\n");
  assert.equal(write(PONG), "+PONG\r\n");
  assert.equal(write(new Simple("FULLRESYNC")), "+FULLRESYNC\r\n");
  assert.equal(
    write(new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")),
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
  );
  assert.equal(write(new Double(1.5)), "$3\r\n1.5\r\n");
  assert.equal(write(new Double(1.5), 3), ",1.5\r\n");
  assert.equal(write(new RespBoolean(true)), ":1\r\n");
  assert.equal(write(new RespBoolean(false), 3), "#f\r\n");
  assert.equal(write(new Verbatim("txt", "hi")), "$2\r\nhi\r\n");
  assert.equal(write(new Verbatim("txt", "hi"), 3), "=6\r\ntxt:hi\r\n");
  assert.equal(write(NULL_ARRAY), "*-1\r\n");
  assert.equal(write(NULL_ARRAY, 3), "_\r\n");
});

Deno.test("writeReply writes nested structures per protocol", () => {
  const reply: Reply = [
    OK,
    [1, "two", null, [NULL_ARRAY]],
    new RespMap([["server", "bitraft"], ["proto", 3], [
      "modules",
      [],
    ], [new Double(0.5), new RespSet(["a", 1n])]]),
    new ReplyError("ERR x"),
  ];
  assert.equal(
    write(reply),
    "*4\r\n+OK\r\n*4\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n*1\r\n*-1\r\n" +
      "*8\r\n$6\r\nserver\r\n$7\r\nbitraft\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n" +
      "$3\r\n0.5\r\n*2\r\n$1\r\na\r\n:1\r\n-ERR x\r\n",
  );
  assert.equal(
    write(reply, 3),
    "*4\r\n+OK\r\n*4\r\n:1\r\n$3\r\ntwo\r\n_\r\n*1\r\n_\r\n" +
      "%4\r\n$6\r\nserver\r\n$7\r\nbitraft\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n" +
      ",0.5\r\n~2\r\n$1\r\na\r\n:1\r\n-ERR x\r\n",
  );
});

Deno.test("writeReply rejects numbers that are not integers and unknown values", () => {
  const enc = new RespEncoder();
  assert.throws(() => writeReply(enc, 1.5), TypeError);
  assert.throws(() => writeReply(enc, NaN), TypeError);
  for (const bad of [undefined, true, {}, Symbol("x"), new Date()]) {
    assert.throws(() => writeReply(enc, bad as unknown as Reply), TypeError);
  }
  assert.equal(enc.length, 0);
});

Deno.test("ReplyError is an Error with the reply text as message", () => {
  const e = new ReplyError("ERR syntax error");
  assert.ok(e instanceof Error);
  assert.equal(e.name, "ReplyError");
  assert.equal(e.message, "ERR syntax error");
  assert.ok(Object.isFrozen(OK));
});
