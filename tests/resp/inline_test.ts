import assert from "node:assert/strict";
import { splitInlineArgs } from "../../lib/resp/mod.ts";
import { latin1, text } from "./_helpers.ts";

function split(line: string): string[] | null {
  const bytes = latin1(`..${line}..`);
  const args = splitInlineArgs(bytes, 2, bytes.length - 2);
  assert.equal(text(bytes.subarray(bytes.length - 2)), "..", "bytes past the end are untouched");
  return args === null ? null : args.map(text);
}

Deno.test("splitInlineArgs splits on whitespace", () => {
  assert.deepEqual(split("set key value"), ["set", "key", "value"]);
  assert.deepEqual(split("  a\t\tb  "), ["a", "b"]);
  assert.deepEqual(split(""), []);
  assert.deepEqual(split(" \t\v\f\r "), []);
  // Leading blanks are any isspace byte, but \v and \f do not end a bare word.
  assert.deepEqual(split("\va\vb c"), ["a\vb", "c"]);
  assert.deepEqual(split("a\rb"), ["a", "b"]);
  assert.deepEqual(split("a\\nb"), ["a\\nb"], "no escapes outside quotes");
  assert.deepEqual(split("a\x00b"), ["a\x00b"], "NUL is an ordinary byte");
});

Deno.test("splitInlineArgs decodes double-quoted escapes like Redis", () => {
  assert.deepEqual(split(`"a b" "" x`), ["a b", "", "x"]);
  assert.deepEqual(split(`"\\n\\r\\t\\b\\a\\\\\\"\\'\\q"`), ["\n\r\t\b\x07\\\"'q"]);
  assert.deepEqual(split(`"\\x41\\x6a\\x6A\\xff\\x00"`), ["Ajj\xff\x00"]);
  // An incomplete \x escape drops the backslash and keeps the rest.
  assert.deepEqual(split(`"\\x4" "\\xg1" "\\x"`), ["x4", "xg1", "x"]);
  assert.deepEqual(split(`"'"`), ["'"]);
});

Deno.test("splitInlineArgs supports only \\' inside single quotes", () => {
  assert.deepEqual(split(`'c\\'d' '\\n' '"'`), ["c'd", "\\n", '"']);
  assert.deepEqual(split(`'a\\b'`), ["a\\b"], "a backslash not before ' is literal");
  assert.equal(split(`'a\\\\'`), null, "the second backslash escapes the closing quote");
  assert.deepEqual(split(`set "a b" 'c\\'d'`), ["set", "a b", "c'd"]);
});

Deno.test("splitInlineArgs joins quoted parts inside one word", () => {
  assert.deepEqual(split(`a"b c"`), ["ab c"]);
  assert.deepEqual(split(`a'b c' d`), ["ab c", "d"]);
  assert.deepEqual(split(`"a"\t'b'`), ["a", "b"]);
});

Deno.test("splitInlineArgs returns null for unbalanced quotes", () => {
  for (const line of [`"abc"def`, `"abc`, `'abc`, `'a'b`, `"a\\"`, `'a\\'`, `x "y`, `"`, `"\\`]) {
    assert.equal(split(line), null, line);
  }
});
