import assert from "node:assert/strict";
import fc from "fast-check";
import { type DecoderLimits, RespDecoder } from "../../lib/resp/mod.ts";
import { concat, decodeChunked, latin1, multibulk, type Outcome, text } from "./_helpers.ts";

/** An argument: usually short, sometimes a few KB. */
const argArb = fc.oneof(
  { weight: 9, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 3000 }) },
);

/** Sorted cut positions inside a stream of `length` bytes. */
function cutsArb(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.nat(length), { maxLength: 24 }).map((cuts) => cuts.sort((a, b) => a - b));
}

/** A stream plus where to split it. */
function withCuts(stream: fc.Arbitrary<Uint8Array>): fc.Arbitrary<[Uint8Array, number[]]> {
  return stream.chain((s) => fc.tuple(fc.constant(s), cutsArb(s.length)));
}

/** Limits from tiny (so that every limit is hit) to the defaults. */
const limitsArb: fc.Arbitrary<DecoderLimits> = fc.record({
  maxBulk: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
  maxInline: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
  maxMultibulk: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
}, { requiredKeys: [] });

function decoder(limits: DecoderLimits, authenticated: boolean): RespDecoder {
  const d = new RespDecoder(limits);
  d.authenticated = authenticated;
  return d;
}

Deno.test("RespDecoder decodes multibulk commands split at random points", () => {
  const commandsArb = fc.array(
    fc.tuple(
      fc.array(argArb, { minLength: 1, maxLength: 6 }),
      fc.constantFrom("", "*0\r\n", "\r\n"),
    ),
    { maxLength: 12 },
  );
  fc.assert(
    fc.property(
      commandsArb.chain((commands) => {
        const stream = concat(
          commands.map(([args, empty]) => concat([latin1(empty), multibulk(args)])),
        );
        return fc.tuple(fc.constant(commands), fc.constant(stream), cutsArb(stream.length));
      }),
      ([commands, stream, cuts]) => {
        const out = decodeChunked(stream, cuts, new RespDecoder());
        assert.deepEqual(out, {
          commands: commands.map(([args]) => args.map(text)),
          error: null,
        });
      },
    ),
    { numRuns: 300 },
  );
});

/** How to write one inline argument. */
type Quoting = "bare" | "double" | "single";

const LINE_BYTES = fc.uint8Array({ maxLength: 20 });

function isBare(arg: Uint8Array): boolean {
  if (arg.length === 0 || arg[0] === 42) return false; // a leading * would start a multibulk
  return arg.every((c) => c > 32 && c < 127 && c !== 34 && c !== 39);
}

function canSingleQuote(arg: Uint8Array): boolean {
  return !arg.includes(10) && arg[arg.length - 1] !== 92;
}

function quote(arg: Uint8Array, quoting: Quoting, upperHex: boolean, hexAll: boolean): string {
  if (quoting === "bare" && isBare(arg)) return text(arg);
  if (quoting === "single" && canSingleQuote(arg)) return `'${text(arg).replaceAll("'", "\\'")}'`;
  let s = '"';
  for (const c of arg) {
    const named: Record<number, string> = { 10: "\\n", 13: "\\r", 9: "\\t", 8: "\\b", 7: "\\a" };
    if (c === 34) s += '\\"';
    else if (c === 92) s += "\\\\";
    else if (c in named) s += named[c];
    else if (c >= 32 && c < 127 && !hexAll) s += String.fromCharCode(c);
    else {
      const hex = c.toString(16).padStart(2, "0");
      s += "\\x" + (upperHex ? hex.toUpperCase() : hex);
    }
  }
  return s + '"';
}

Deno.test("RespDecoder decodes quoted inline commands back to their arguments", () => {
  const argumentArb = fc.tuple(
    LINE_BYTES,
    fc.constantFrom<Quoting>("bare", "double", "single"),
    fc.boolean(),
    fc.boolean(),
    fc.constantFrom(" ", "\t", "  ", " \t "),
  );
  const lineArb = fc.tuple(
    fc.array(argumentArb, { minLength: 1, maxLength: 6 }),
    fc.constantFrom("", " ", "\t"),
    fc.constantFrom("\r\n", "\n", " \r\n"),
  );
  fc.assert(
    fc.property(
      fc.array(lineArb, { minLength: 1, maxLength: 5 }).chain((lines) => {
        const source = lines.map(([args, lead, eol]) =>
          lead + args.map(([a, q, up, hex, sep], i) =>
            (i ? sep : "") + quote(a, q, up, hex)
          ).join("") +
          eol
        ).join("");
        const stream = latin1(source);
        return fc.tuple(fc.constant(lines), fc.constant(stream), cutsArb(stream.length));
      }),
      ([lines, stream, cuts]) => {
        const out = decodeChunked(stream, cuts, new RespDecoder());
        assert.deepEqual(out, {
          commands: lines.map(([args]) => args.map(([a]) => text(a))),
          error: null,
        });
      },
    ),
    { numRuns: 300 },
  );
});

/** Bytes that matter to the parser, plus a little filler. */
const tokenArb = fc.constantFrom(
  "*",
  "$",
  "\r",
  "\n",
  "\r\n",
  "0",
  "1",
  "2",
  "3",
  "-",
  "10",
  "99999999999999999999",
  '"',
  "'",
  "\\",
  "\\x4",
  " ",
  "\t",
  "a",
  "PING",
  "\x00",
  "\xff",
);

const noiseArb = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.array(tokenArb, { maxLength: 80 }).map((tokens) => latin1(tokens.join(""))),
);

/** A valid stream with a few bytes flipped, inserted or deleted. */
const mutatedArb = fc.tuple(
  fc.array(fc.array(argArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
  fc.array(fc.tuple(fc.constantFrom("flip", "insert", "delete"), fc.nat(), fc.nat(255)), {
    minLength: 1,
    maxLength: 4,
  }),
).map(([commands, mutations]) => {
  const bytes = [...concat(commands.map(multibulk))];
  for (const [kind, at, value] of mutations) {
    const i = at % (bytes.length + 1);
    if (kind === "insert") bytes.splice(i, 0, value);
    else if (i < bytes.length && kind === "delete") bytes.splice(i, 1);
    else if (i < bytes.length) bytes[i] ^= value || 1;
  }
  return new Uint8Array(bytes);
});

const badStreamArb = fc.oneof(noiseArb, mutatedArb);

/** Checks what an error says against the bytes it points at. */
function assertErrorPointsAtLine(stream: Uint8Array, out: Outcome): void {
  if (out.error === null) return;
  const { message, offset } = out.error;
  assert.ok(offset >= 0 && offset < stream.length, `offset ${offset} of ${stream.length}`);
  const first = stream[offset];
  if (message.startsWith("expected '$', got ")) {
    assert.equal(message, `expected '$', got '${String.fromCharCode(first)}'`);
  } else if (message.includes("multibulk") || message.includes("mbulk")) {
    assert.equal(first, 42);
  } else if (message === "too big bulk count string") {
    // Redis checks the length of the line before the '$' at its start.
  } else if (message.includes("bulk")) {
    assert.equal(first, 36);
  } else {
    assert.ok(
      ["unbalanced quotes in request", "too big inline request"].includes(message),
      message,
    );
    assert.notEqual(first, 42);
  }
}

Deno.test("RespDecoder only returns commands or throws RespProtocolError on bad input", () => {
  fc.assert(
    fc.property(withCuts(badStreamArb), limitsArb, fc.boolean(), ([stream, cuts], limits, auth) => {
      // decodeChunked rethrows anything that is not a RespProtocolError and
      // fails if next() stops making progress.
      const out = decodeChunked(stream, cuts, decoder(limits, auth));
      for (const argv of out.commands) assert.ok(argv.length > 0);
      assertErrorPointsAtLine(stream, out);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("RespDecoder gives the same result however the stream is chunked", () => {
  fc.assert(
    fc.property(withCuts(badStreamArb), limitsArb, fc.boolean(), ([stream, cuts], limits, auth) => {
      const whole = decodeChunked(stream, [], decoder(limits, auth));
      const pieces = decodeChunked(stream, cuts, decoder(limits, auth));
      const bytes = decodeChunked(
        stream,
        Array.from({ length: stream.length }, (_, i) => i),
        decoder(limits, auth),
      );
      assert.deepEqual(pieces, whole);
      assert.deepEqual(bytes, whole);
    }),
    { numRuns: 500 },
  );
});

Deno.test("RespDecoder reports the stream offset of an error after valid commands", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(argArb, { minLength: 1, maxLength: 4 }), { maxLength: 6 }),
      fc.constantFrom("*x\r\n", "*1\r\n$-2\r\n", "*1\r\n+\r\n", 'GET "k\r\n'),
      fc.nat(),
      (commands, bad, cut) => {
        const prefix = concat(commands.map(multibulk));
        const stream = concat([prefix, latin1(bad)]);
        const out = decodeChunked(stream, [cut % (stream.length + 1)], new RespDecoder());
        assert.equal(out.commands.length, commands.length);
        const line = bad.startsWith("*1") ? 4 : 0;
        assert.equal(out.error?.offset, prefix.length + line);
      },
    ),
    { numRuns: 200 },
  );
});
