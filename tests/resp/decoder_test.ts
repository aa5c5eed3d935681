import assert from "node:assert/strict";
import { RespDecoder, RespProtocolError } from "../../lib/resp/mod.ts";
import { concat, decodeChunked, decodeText, drain, latin1, multibulk, text } from "./_helpers.ts";

/** Asserts that decoding `input` in one chunk fails with `message` at `offset`. */
function assertProtocolError(
  input: string,
  message: string,
  offset: number,
  decoder = new RespDecoder(),
): void {
  decoder.push(latin1(input));
  assert.throws(
    () => drain(decoder),
    (e: unknown) => {
      assert.ok(e instanceof RespProtocolError, `${e}`);
      assert.ok(e instanceof SyntaxError);
      assert.equal(e.name, "RespProtocolError");
      assert.equal(e.message, message);
      assert.equal(e.offset, offset);
      return true;
    },
    JSON.stringify(input),
  );
}

Deno.test("RespDecoder decodes a multibulk command", () => {
  assert.deepEqual(decodeText("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), [
    ["SET", "key", "value"],
  ]);
  assert.deepEqual(decodeText("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), [["ECHO", ""]]);
  const binary = String.fromCharCode(0, 13, 10, 255, 42, 36);
  assert.deepEqual(decodeText(`*1\r\n$6\r\n${binary}\r\n`), [[binary]]);
});

Deno.test("RespDecoder returns null for a split bulk string", () => {
  const d = new RespDecoder();
  d.push(latin1("*2\r\n$3\r\nGET\r\n$5\r\nhel"));
  assert.equal(d.next(), null);
  assert.equal(d.buffered, 20);
  d.push(latin1("lo\r"));
  assert.equal(d.next(), null, "the two bytes after the payload must have arrived");
  d.push(latin1("\n"));
  assert.deepEqual(d.next()?.map(text), ["GET", "hello"]);
  assert.equal(d.next(), null);
  assert.equal(d.buffered, 0);
});

Deno.test("RespDecoder returns null for an incomplete count line", () => {
  const d = new RespDecoder();
  for (const part of ["*", "1", "\r", "\n$", "4\r", "\nPING", "\r\n"]) {
    assert.equal(d.next(), null);
    d.push(latin1(part));
  }
  assert.deepEqual(d.next()?.map(text), ["PING"]);
});

Deno.test("RespDecoder decodes pipelined commands from one chunk", () => {
  const d = new RespDecoder();
  d.push(latin1("*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nQUIT\n*1\r\n$1"));
  // Every view stays valid until the next push, even after later next() calls.
  const got: Uint8Array[][] = [];
  for (let argv = d.next(); argv !== null; argv = d.next()) got.push(argv);
  assert.deepEqual(got.map((argv) => argv.map(text)), [
    ["PING"],
    ["ECHO", "hi"],
    ["GET", "a"],
    ["QUIT"],
  ]);
  assert.equal(d.buffered, 6);
  d.push(latin1("\r\nX\r\n"));
  assert.deepEqual(drain(d).map((argv) => argv.map(text)), [["X"]]);
});

Deno.test("RespDecoder skips empty commands", () => {
  const d = new RespDecoder();
  const input = "*0\r\n*-1\r\n*-10\r\n\r\n\n   \t \r\n*-9223372036854775808\r\n*1\r\n$1\r\nA\r\n\n";
  assert.deepEqual(decodeText(input, d), [["A"]]);
  assert.equal(d.buffered, 0);
  assert.deepEqual(decodeText("*0\r\n\r\n"), []);
});

Deno.test("RespDecoder decodes a stream split at every byte boundary", () => {
  const input = latin1(
    '*2\r\n$4\r\nECHO\r\n$5\r\na\r\nbc\r\n*0\r\nset "a b" \'c\\\'d\' "\\x41\\n"\r\n\r\n' +
      "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$10\r\n0123456789\r\nPING\n",
  );
  const expected = [
    ["ECHO", "a\r\nbc"],
    ["set", "a b", "c'd", "A\n"],
    ["SET", "", "0123456789"],
    ["PING"],
  ];
  for (let cut = 0; cut <= input.length; cut++) {
    const out = decodeChunked(input, [cut], new RespDecoder());
    assert.deepEqual(out, { commands: expected, error: null }, `cut at ${cut}`);
  }
  const everyByte = Array.from({ length: input.length }, (_, i) => i);
  assert.deepEqual(decodeChunked(input, everyByte, new RespDecoder()), {
    commands: expected,
    error: null,
  });
});

Deno.test("RespDecoder does not check the byte after a count line's CR or the payload's CRLF", () => {
  // Redis ends a count line at its first \r and skips the next byte unseen.
  assert.deepEqual(decodeText("*2\rX$4\rYPING\r\n$1\r\nAzz"), [["PING", "A"]]);
});

Deno.test("RespDecoder splits inline commands like Redis", () => {
  assert.deepEqual(decodeText(`set "a b" 'c\\'d'\r\n`), [["set", "a b", "c'd"]]);
  assert.deepEqual(decodeText(`"\\x41" "\\x4" "\\xzz" '\\x41'\n`), [["A", "x4", "xzz", "\\x41"]]);
  assert.deepEqual(decodeText("  GET   key  \r\n"), [["GET", "key"]]);
  assert.deepEqual(decodeText("a\rb\r\r\n"), [["a", "b"]], "only one trailing \\r is stripped");
  assert.deepEqual(decodeText(`a"b c" d'e f' g\n`), [["ab c", "de f", "g"]]);
  assert.deepEqual(decodeText(`set "abc`), [], "no verdict before the newline arrives");
  assert.deepEqual(decodeText("$3\r\n"), [["$3"]], "a line not starting with * is inline");
});

Deno.test("RespDecoder reports unbalanced quotes with the line's offset", () => {
  assertProtocolError(`"abc"def\r\n`, "unbalanced quotes in request", 0);
  assertProtocolError(`PING\r\nset "abc\r\n`, "unbalanced quotes in request", 6);
  assertProtocolError(`set 'abc\n`, "unbalanced quotes in request", 0);
  assertProtocolError(`set 'a'b\n`, "unbalanced quotes in request", 0);
  assertProtocolError(`set "a\\"\n`, "unbalanced quotes in request", 0);
});

Deno.test("RespDecoder reports an invalid multibulk length", () => {
  for (const count of ["abc", "", "01", "+1", "-0", "1 ", " 1", "1x", "9223372036854775808"]) {
    assertProtocolError(`*${count}\r\n`, "invalid multibulk length", 0);
  }
  assertProtocolError("PING\r\n*1048577\r\n", "invalid multibulk length", 6);
  const d = new RespDecoder();
  d.push(latin1("*1048576\r\n"));
  assert.equal(d.next(), null, "the default limit itself is allowed");
  assertProtocolError(
    "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n*4\r\n",
    "invalid multibulk length",
    25,
    new RespDecoder({ maxMultibulk: 3 }),
  );
});

Deno.test("RespDecoder reports a missing '$' with the byte it got", () => {
  assertProtocolError(
    "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
    "expected '$', got 'f'",
    20,
  );
  assertProtocolError("*1\r\n\r\n", "expected '$', got '\r'", 4);
  assertProtocolError("*1\r\n:1\r\n", "expected '$', got ':'", 4);
  const d = new RespDecoder();
  d.push(latin1("*1\r\nfoo"));
  assert.equal(d.next(), null, "Redis waits for the whole line before checking it");
});

Deno.test("RespDecoder reports an invalid bulk length", () => {
  for (const len of ["-1", "abc", "", "01", "+1", "1.5", "9223372036854775808", "536870913"]) {
    assertProtocolError(`*1\r\n$${len}\r\n`, "invalid bulk length", 4);
  }
  assertProtocolError(
    "*2\r\n$2\r\nab\r\n$3\r\n",
    "invalid bulk length",
    12,
    new RespDecoder({ maxBulk: 2 }),
  );
  const d = new RespDecoder();
  d.push(latin1("*1\r\n$536870912\r\n"));
  assert.equal(d.next(), null, "512 MB itself is allowed");
});

Deno.test("RespDecoder reports lines longer than maxInline", () => {
  const big = "x".repeat(64 * 1024);
  assertProtocolError(big + "x", "too big inline request", 0);
  assertProtocolError(`PING\n${big}xy\n`, "too big inline request", 5);
  assert.deepEqual(decodeText(`${big}\n`)[0][0].length, 64 * 1024);
  const small = new RespDecoder({ maxInline: 8 });
  assert.deepEqual(decodeText("12345678\n", small), [["12345678"]]);
  assertProtocolError(
    "12345678\r\n",
    "too big inline request",
    0,
    new RespDecoder({ maxInline: 8 }),
  );
  assertProtocolError(
    "*123456789",
    "too big mbulk count string",
    0,
    new RespDecoder({ maxInline: 8 }),
  );
  assertProtocolError(
    "*1\r\n$123456789\r\n",
    "too big bulk count string",
    4,
    new RespDecoder({ maxInline: 8 }),
  );
  assertProtocolError("*" + "1".repeat(64 * 1024 + 1), "too big mbulk count string", 0);
  assertProtocolError("*1\r\n$" + "1".repeat(64 * 1024 + 1), "too big bulk count string", 4);
});

Deno.test("RespDecoder applies Redis's unauthenticated limits", () => {
  const d = nonAuthenticated();
  const ten = multibulk(Array.from({ length: 10 }, () => latin1("a")));
  assert.equal(decodeChunked(ten, [], d).commands.length, 1);
  assertProtocolError("*11\r\n", "unauthenticated multibulk length", ten.length, d);

  const e = new RespDecoder();
  e.authenticated = false;
  e.push(latin1("*1\r\n$16384\r\n"));
  assert.equal(e.next(), null);
  assertProtocolError("*1\r\n$16385\r\n", "unauthenticated bulk length", 4, nonAuthenticated());
  assertProtocolError("*1\r\n$-1\r\n", "invalid bulk length", 4, nonAuthenticated());

  const f = new RespDecoder();
  f.push(latin1("*11\r\n"));
  assert.equal(f.next(), null, "authenticated clients have the normal limits");
});

function nonAuthenticated(): RespDecoder {
  const d = new RespDecoder();
  d.authenticated = false;
  return d;
}

Deno.test("RespDecoder stays failed after a protocol error", () => {
  const d = new RespDecoder();
  d.push(latin1("PING\r\n*x\r\nPING\r\n"));
  assert.deepEqual(d.next()?.map(text), ["PING"]);
  assert.throws(() => d.next(), RespProtocolError);
  d.push(latin1("PING\r\n"));
  assert.throws(() => d.next(), { message: "invalid multibulk length", offset: 6 });
});

Deno.test("RespDecoder reports stream offsets across many pushes", () => {
  const d = new RespDecoder();
  const cmd = multibulk([latin1("SET"), latin1("k"), latin1("v".repeat(1000))]);
  for (let i = 0; i < 200; i++) {
    d.push(cmd.subarray(0, 500));
    assert.equal(d.next(), null);
    d.push(cmd.subarray(500));
    assert.equal(d.next()?.length, 3);
  }
  d.push(latin1("*1\r\n$x\r\n"));
  assert.throws(() => d.next(), { message: "invalid bulk length", offset: 200 * cmd.length + 4 });
});

Deno.test("RespDecoder accumulates a 5 MB bulk in small chunks in linear time", () => {
  const size = 5 * 1024 * 1024;
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = i * 7;
  const stream = multibulk([latin1("SET"), latin1("big"), payload]);
  const d = new RespDecoder();
  const started = performance.now();
  let argv: Uint8Array[] | null = null;
  for (let off = 0; off < stream.length; off += 1024) {
    d.push(stream.subarray(off, off + 1024));
    argv = d.next();
    if (argv !== null) assert.equal(off + 1024 >= stream.length, true);
  }
  const elapsed = performance.now() - started;
  assert.ok(argv !== null);
  assert.equal(argv[2].length, size);
  assert.deepEqual(argv[2], payload);
  // Quadratic copying (the whole buffer per push) would move ~13 GB here.
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  assert.equal(d.buffered, 0);
  d.push(latin1("PING\r\n"));
  assert.deepEqual(drain(d).map((a) => a.map(text)), [["PING"]]);
});

Deno.test("RespDecoder scans a long line fed byte by byte in linear time", () => {
  // 64 KiB before the \n, the \r included: the longest line Redis accepts.
  const line = latin1("x".repeat(64 * 1024 - 1) + "\r\n");
  const d = new RespDecoder();
  const started = performance.now();
  for (let i = 0; i < line.length; i++) {
    d.push(line.subarray(i, i + 1));
    const argv = d.next();
    if (i < line.length - 1) assert.equal(argv, null);
    else assert.equal(argv?.[0].length, 64 * 1024 - 1);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
});

Deno.test("RespDecoder keeps the buffer small when the consumer keeps up", () => {
  const d = new RespDecoder();
  const cmd = multibulk([latin1("GET"), latin1("key")]);
  for (let i = 0; i < 10_000; i++) {
    d.push(cmd.subarray(0, 7));
    assert.equal(d.next(), null);
    d.push(cmd.subarray(7));
    assert.deepEqual(d.next()?.map(text), ["GET", "key"]);
    assert.equal(d.buffered, 0);
  }
});

Deno.test("RespDecoder copies pushed bytes", () => {
  const d = new RespDecoder();
  const chunk = latin1("*1\r\n$4\r\nPI");
  d.push(chunk);
  chunk.fill(0);
  d.push(latin1("NG\r\n"));
  assert.deepEqual(d.next()?.map(text), ["PING"]);
});

Deno.test("RespDecoder rejects invalid limits", () => {
  assert.throws(() => new RespDecoder({ maxBulk: 0 }), RangeError);
  assert.throws(() => new RespDecoder({ maxInline: 1.5 }), RangeError);
  assert.throws(() => new RespDecoder({ maxMultibulk: -1 }), RangeError);
  assert.throws(() => new RespDecoder({ maxMultibulk: NaN }), /maxMultibulk/);
});

Deno.test("RespDecoder keeps a pending command when it shrinks its buffer after a big bulk", () => {
  const big = multibulk([latin1("SET"), latin1("k"), new Uint8Array(3 * 1024 * 1024).fill(65)]);
  const d = new RespDecoder();
  d.push(concat([big, latin1("*2\r\n$4\r\nECHO\r\n$2\r\nh")]));
  assert.equal(d.next()?.[2].length, 3 * 1024 * 1024);
  assert.equal(d.next(), null);
  d.push(latin1("i\r\n"));
  assert.deepEqual(d.next()?.map(text), ["ECHO", "hi"]);
  for (let i = 0; i < 100; i++) {
    d.push(latin1("*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI"));
    assert.deepEqual(d.next()?.map(text), ["PING"]);
    d.push(latin1("NG\r\n"));
    assert.deepEqual(d.next()?.map(text), ["PING"]);
  }
});

Deno.test("RespDecoder keeps earlier arguments intact while the buffer moves", () => {
  const args = Array.from({ length: 2000 }, (_, i) => latin1(String(i).padStart(100, "x")));
  const stream = concat([latin1("PING\r\n"), multibulk(args), latin1("PING\r\n")]);
  const out = decodeChunked(
    stream,
    Array.from({ length: 400 }, (_, i) => 7 + i * 777),
    new RespDecoder(),
  );
  assert.deepEqual(out, { commands: [["PING"], args.map(text), ["PING"]], error: null });
});
