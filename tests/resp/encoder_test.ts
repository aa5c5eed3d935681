import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { RespEncoder } from "../../lib/resp/mod.ts";
import { latin1, text } from "./_helpers.ts";

const utf8 = new TextEncoder();

function encoder(protocol: 2 | 3): RespEncoder {
  const enc = new RespEncoder();
  enc.protocol = protocol;
  return enc;
}

/** Runs `write` in each protocol and returns the bytes as latin1 text. */
function both(write: (enc: RespEncoder) => void): [string, string] {
  return [2, 3].map((p) => {
    const enc = encoder(p as 2 | 3);
    write(enc);
    return text(enc.take());
  }) as [string, string];
}

Deno.test("RespEncoder writes simple strings, errors and integers", () => {
  assert.deepEqual(both((e) => e.simple("OK")), ["+OK\r\n", "+OK\r\n"]);
  assert.deepEqual(both((e) => e.error("ERR syntax error")), [
    "-ERR syntax error\r\n",
    "-ERR syntax error\r\n",
  ]);
  const ints = both((e) => {
    for (const n of [0, 7, 10, -1, 99, 100, 12345, -987654321, Number.MAX_SAFE_INTEGER]) {
      e.integer(n);
    }
    e.integer(-Number.MAX_SAFE_INTEGER);
    e.integer(-0);
    e.integer(1e20);
    e.integer(2n ** 63n - 1n);
    e.integer(-(2n ** 63n));
  });
  const expected = ":0\r\n:7\r\n:10\r\n:-1\r\n:99\r\n:100\r\n:12345\r\n:-987654321\r\n" +
    ":9007199254740991\r\n:-9007199254740991\r\n:0\r\n:100000000000000000000\r\n" +
    ":9223372036854775807\r\n:-9223372036854775808\r\n";
  assert.deepEqual(ints, [expected, expected]);
});

Deno.test("RespEncoder writes integers like toString for every safe integer", () => {
  const enc = new RespEncoder();
  fc.assert(
    fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger()), (n) => {
      enc.integer(n);
      assert.equal(text(enc.take()), `:${n}\r\n`);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("RespEncoder rejects non-integer numbers", () => {
  const enc = new RespEncoder();
  for (const n of [1.5, NaN, Infinity, -Infinity]) {
    assert.throws(() => enc.integer(n), TypeError);
  }
  assert.equal(enc.length, 0);
});

Deno.test("RespEncoder keeps CR and LF out of status and error lines", () => {
  assert.deepEqual(both((e) => e.error("\r\nERR bad\r\nthing\n\r")), [
    "-ERR bad  thing\r\n",
    "-ERR bad  thing\r\n",
  ]);
  const [resp2] = both((e) => e.simple("a\nb"));
  assert.equal(resp2, "+a b\r\n");
  const enc = new RespEncoder();
  enc.error("ERR é\n");
  assert.deepEqual(enc.take(), utf8.encode("-ERR é\r\n"));
});

Deno.test("RespEncoder writes bulk strings", () => {
  const [resp2, resp3] = both((e) => {
    e.bulk(latin1("a\r\nb"));
    e.bulk(new Uint8Array(0));
    e.bulkString("hello");
    e.bulkString("");
  });
  const expected = "$4\r\na\r\nb\r\n$0\r\n\r\n$5\r\nhello\r\n$0\r\n\r\n";
  assert.equal(resp2, expected);
  assert.equal(resp3, expected);
  const enc = new RespEncoder();
  enc.bulkString("héllo 😀");
  assert.deepEqual(enc.take(), utf8.encode("$11\r\nhéllo 😀\r\n"));
});

Deno.test("RespEncoder encodes bulk strings as TextEncoder does", () => {
  const enc = new RespEncoder();
  const unit = fc.oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0x7ff }),
    fc.integer({ min: 0x800, max: 0xffff }),
    fc.integer({ min: 0xd800, max: 0xdfff }), // pairs and lone surrogates
  );
  const strings = fc.oneof(
    fc.array(unit, { maxLength: 40 }),
    fc.array(unit, { minLength: 200, maxLength: 600 }),
  ).map((codes) => String.fromCharCode(...codes));
  fc.assert(
    fc.property(strings, (s) => {
      enc.bulkString(s);
      const body = utf8.encode(s);
      const header = latin1(`$${body.length}\r\n`);
      const out = enc.take();
      const expected = new Uint8Array([...header, ...body, 13, 10]);
      assert.ok(Buffer.from(out).equals(expected), JSON.stringify(s));
    }),
    { numRuns: 400 },
  );
});

Deno.test("RespEncoder writes nulls per protocol", () => {
  assert.deepEqual(both((e) => e.null()), ["$-1\r\n", "_\r\n"]);
  assert.deepEqual(both((e) => e.nullArray()), ["*-1\r\n", "_\r\n"]);
});

Deno.test("RespEncoder writes aggregate headers per protocol", () => {
  assert.deepEqual(both((e) => e.arrayHeader(3)), ["*3\r\n", "*3\r\n"]);
  assert.deepEqual(both((e) => e.arrayHeader(0)), ["*0\r\n", "*0\r\n"]);
  assert.deepEqual(both((e) => e.mapHeader(2)), ["*4\r\n", "%2\r\n"]);
  assert.deepEqual(both((e) => e.setHeader(12)), ["*12\r\n", "~12\r\n"]);
  const enc = new RespEncoder();
  for (const n of [-1, 1.5, NaN]) {
    assert.throws(() => enc.arrayHeader(n), RangeError);
    assert.throws(() => enc.mapHeader(n), RangeError);
    assert.throws(() => enc.setHeader(n), RangeError);
  }
});

Deno.test("RespEncoder writes doubles per protocol", () => {
  assert.deepEqual(both((e) => e.double(3.14)), ["$4\r\n3.14\r\n", ",3.14\r\n"]);
  assert.deepEqual(both((e) => e.double(Infinity)), ["$3\r\ninf\r\n", ",inf\r\n"]);
  assert.deepEqual(both((e) => e.double(-Infinity)), ["$4\r\n-inf\r\n", ",-inf\r\n"]);
  assert.deepEqual(both((e) => e.double(NaN)), ["$3\r\nnan\r\n", ",nan\r\n"]);
  assert.deepEqual(both((e) => e.double(10)), ["$2\r\n10\r\n", ",10\r\n"]);
  assert.deepEqual(both((e) => e.double(1e21)), ["$5\r\n1e+21\r\n", ",1e+21\r\n"]);
});

Deno.test("RespEncoder writes booleans per protocol", () => {
  assert.deepEqual(both((e) => e.boolean(true)), [":1\r\n", "#t\r\n"]);
  assert.deepEqual(both((e) => e.boolean(false)), [":0\r\n", "#f\r\n"]);
});

Deno.test("RespEncoder writes verbatim strings per protocol", () => {
  assert.deepEqual(both((e) => e.verbatim("txt", "Some string")), [
    "$11\r\nSome string\r\n",
    "=15\r\ntxt:Some string\r\n",
  ]);
  const enc = encoder(3);
  enc.verbatim("mkd", "é");
  assert.deepEqual(enc.take(), utf8.encode("=6\r\nmkd:é\r\n"));
  for (const format of ["tx", "text", "t t", "é12"]) {
    assert.throws(() => enc.verbatim(format, "x"), RangeError);
  }
});

Deno.test("RespEncoder appends raw bytes", () => {
  const enc = new RespEncoder();
  enc.simple("OK");
  enc.raw(latin1(":1\r\n"));
  assert.equal(text(enc.take()), "+OK\r\n:1\r\n");
});

Deno.test("RespEncoder take() returns the bytes since the last take and resets", () => {
  const enc = new RespEncoder();
  assert.equal(enc.length, 0);
  assert.equal(enc.take().length, 0);
  enc.simple("OK");
  assert.equal(enc.length, 5);
  assert.equal(text(enc.take()), "+OK\r\n");
  assert.equal(enc.length, 0);
  enc.integer(1);
  enc.integer(2);
  assert.equal(text(enc.take()), ":1\r\n:2\r\n");
  assert.equal(text(enc.take()), "");
});

Deno.test("RespEncoder grows its buffer for large replies", () => {
  const enc = new RespEncoder();
  const big = new Uint8Array(3 * 1024 * 1024).fill(120);
  enc.simple("OK");
  enc.bulk(big);
  enc.bulkString("x".repeat(100_000));
  const out = enc.take();
  assert.equal(out.length, 5 + 10 + big.length + 2 + 9 + 100_000 + 2);
  assert.equal(text(out.subarray(0, 17)), "+OK\r\n$3145728\r\nxx".slice(0, 17));
  assert.equal(text(out.subarray(out.length - 4)), "xx\r\n");
  // A view handed out stays intact while the encoder starts a fresh buffer.
  enc.simple("PONG");
  assert.equal(out[5], 36);
  assert.equal(text(enc.take()), "+PONG\r\n");
  const many = new RespEncoder();
  for (let i = 0; i < 100_000; i++) many.integer(i);
  assert.equal(many.take().length, 100_000 * 3 + 488_890);
});
