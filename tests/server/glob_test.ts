import assert from "node:assert/strict";
import fc from "fast-check";
import { binaryToBytes, bytesToBinary } from "../../lib/bitcask/bytes.ts";
import { globMatch, literalKey, literalPrefix } from "../../lib/server/glob.ts";

/** Latin-1 string to bytes, so tests can spell binary keys as "\xff". */
const b = binaryToBytes;

function m(pattern: string, subject: string, nocase = false): boolean {
  return globMatch(b(pattern), b(subject), nocase);
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

// ---------------------------------------------------------------------------
// Oracle 1: the pre-7.0 backtracking algorithm, transliterated pointer-style
// from util.c (no skipLongerMatches, no nesting limit; exponential, so only
// for small inputs). Reads past the pattern's end see the sds NUL terminator.
// It covers every pattern, ill-formed ones included.
// ---------------------------------------------------------------------------

function portMatch(p: Uint8Array, s: Uint8Array, nocase: boolean): boolean {
  const pc = (i: number) => (i < p.length ? p[i] : 0);
  const fold = (c: number) => (nocase ? lower(c) : c);
  const go = (pi: number, plen: number, si: number, slen: number): boolean => {
    while (plen && slen) {
      const c = pc(pi);
      if (c === 0x2a) { // '*'
        while (plen && pc(pi + 1) === 0x2a) {
          pi++;
          plen--;
        }
        if (plen === 1) return true;
        while (slen) {
          if (go(pi + 1, plen - 1, si, slen)) return true;
          si++;
          slen--;
        }
        return false;
      } else if (c === 0x3f) { // '?'
        si++;
        slen--;
      } else if (c === 0x5b) { // '['
        pi++;
        plen--;
        const not = pc(pi) === 0x5e;
        if (not) {
          pi++;
          plen--;
        }
        let match = false;
        while (true) {
          if (pc(pi) === 0x5c && plen >= 2) {
            pi++;
            plen--;
            if (pc(pi) === s[si]) match = true;
          } else if (pc(pi) === 0x5d) {
            break;
          } else if (plen === 0) {
            pi--;
            plen++;
            break;
          } else if (plen >= 3 && pc(pi + 1) === 0x2d) {
            let start = pc(pi);
            let end = pc(pi + 2);
            if (start > end) [start, end] = [end, start];
            if (fold(s[si]) >= fold(start) && fold(s[si]) <= fold(end)) match = true;
            pi += 2;
            plen -= 2;
          } else if (fold(pc(pi)) === fold(s[si])) {
            match = true;
          }
          pi++;
          plen--;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        slen--;
      } else {
        if (c === 0x5c && plen >= 2) {
          pi++;
          plen--;
        }
        if (fold(pc(pi)) !== fold(s[si])) return false;
        si++;
        slen--;
      }
      pi++;
      plen--;
      if (slen === 0) {
        while (pc(pi) === 0x2a) {
          pi++;
          plen--;
        }
        break;
      }
    }
    return plen === 0 && slen === 0;
  };
  return go(0, p.length, 0, s.length);
}

// ---------------------------------------------------------------------------
// Oracle 2: an independent glob matcher (parse to tokens, then memoized
// recursion) for well-formed patterns only: every '[' closed, no trailing
// '\', and no range whose end is ']' or '\' (Redis reads those raw).
// ---------------------------------------------------------------------------

type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "set"; neg: boolean; ranges: [number, number][]; plain: boolean };

function lit(c: number, plain = true): Token {
  return { kind: "set", neg: false, ranges: [[c, c]], plain };
}

function parseClass(p: string, i: number, out: Token[]): number {
  const neg = p[i] === "^";
  if (neg) i++;
  const ranges: [number, number][] = [];
  let plain = true;
  while (true) {
    if (i >= p.length) return -1;
    const c = p.charCodeAt(i);
    if (p[i] === "]") break;
    if (p[i] === "\\") {
      if (i + 1 >= p.length) return -1;
      const e = p.charCodeAt(i + 1);
      ranges.push([e, e]);
      plain = false;
      i += 2;
    } else if (p[i + 1] === "-" && i + 2 < p.length) {
      if (p[i + 2] === "]" || p[i + 2] === "\\") return -1;
      const e = p.charCodeAt(i + 2);
      ranges.push([Math.min(c, e), Math.max(c, e)]);
      plain = false;
      i += 3;
    } else {
      ranges.push([c, c]);
      i++;
    }
  }
  out.push({ kind: "set", neg, ranges, plain });
  return i + 1;
}

function parse(p: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  while (i < p.length) {
    if (p[i] === "*") {
      out.push({ kind: "star" });
      i++;
    } else if (p[i] === "?") {
      out.push({ kind: "any" });
      i++;
    } else if (p[i] === "\\") {
      if (i + 1 >= p.length) return null;
      out.push(lit(p.charCodeAt(i + 1)));
      i += 2;
    } else if (p[i] === "[") {
      i = parseClass(p, i + 1, out);
      if (i < 0) return null;
    } else {
      out.push(lit(p.charCodeAt(i)));
      i++;
    }
  }
  return out;
}

function inSet(t: { neg: boolean; ranges: [number, number][] }, c: number, nocase: boolean) {
  const hit = t.ranges.some(([lo, hi]) =>
    (lo <= c && c <= hi) || (nocase && lo === hi && lower(lo) === lower(c))
  );
  return hit !== t.neg;
}

function refMatch(tokens: Token[], s: string, nocase: boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (ti: number, si: number): boolean => {
    if (ti === tokens.length) return si === s.length;
    const key = ti * (s.length + 1) + si;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const t = tokens[ti];
    let r: boolean;
    if (t.kind === "star") r = go(ti + 1, si) || (si < s.length && go(ti, si + 1));
    else if (si === s.length) r = false;
    else if (t.kind === "any") r = go(ti + 1, si + 1);
    else r = inSet(t, s.charCodeAt(si), nocase) && go(ti + 1, si + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** Redis 7 never matches an empty subject against a non-empty pattern. */
function expected(p: string, tokens: Token[], s: string, nocase: boolean): boolean {
  return s.length === 0 ? p.length === 0 : refMatch(tokens, s, nocase);
}

// ---------------------------------------------------------------------------
// Arbitraries.
// ---------------------------------------------------------------------------

const SPECIALS = ["a", "b", "*", "?", "[", "]", "^", "-", "\\"];
const anyPattern = fc.array(fc.constantFrom(...SPECIALS, "A"), { maxLength: 12 })
  .map((a) => a.join(""));
const subject = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom("a", "b"), { maxLength: 10 }), weight: 3 },
  { arbitrary: fc.array(fc.constantFrom(...SPECIALS, "A", "B"), { maxLength: 10 }), weight: 2 },
).map((a) => a.join(""));

const classItem = fc.constantFrom(
  "a",
  "b",
  "A",
  "-",
  "^",
  "*",
  "?",
  "[",
  "a-b",
  "b-a",
  "A-a",
  "\\]",
  "\\\\",
  "\\-",
  "\\a",
);
const classToken = fc.tuple(fc.boolean(), fc.array(classItem, { maxLength: 3 }))
  .map(([neg, items]) => `[${neg ? "^" : ""}${items.join("")}]`);
const token = fc.oneof(
  { arbitrary: fc.constantFrom("a", "b", "A", "-", "^", "]"), weight: 4 },
  { arbitrary: fc.constantFrom("\\*", "\\?", "\\[", "\\\\", "\\a"), weight: 1 },
  { arbitrary: fc.constantFrom("*", "?"), weight: 3 },
  { arbitrary: classToken, weight: 2 },
);
const wellFormed = fc.array(token, { maxLength: 6 }).map((a) => a.join(""))
  .filter((p) => parse(p) !== null);

/** Random bytes biased towards the pattern metacharacters. */
const byteString = (maxLength: number) =>
  fc.array(
    fc.oneof(fc.constantFrom(0x2a, 0x3f, 0x5b, 0x5d, 0x5e, 0x2d, 0x5c, 0x61), fc.nat(255)),
    { maxLength },
  ).map((a) => Uint8Array.from(a));

function startsWith(s: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.length <= s.length && prefix.every((c, i) => s[i] === c);
}

// ---------------------------------------------------------------------------
// Unit tests: documented behaviour.
// ---------------------------------------------------------------------------

Deno.test("globMatch: the examples from the Redis KEYS documentation", () => {
  for (const s of ["hello", "hallo", "hxllo"]) assert.ok(m("h?llo", s), s);
  for (const s of ["hllo", "heeeello"]) assert.ok(m("h*llo", s), s);
  assert.ok(m("h[ae]llo", "hello"));
  assert.ok(m("h[ae]llo", "hallo"));
  assert.ok(!m("h[ae]llo", "hillo"));
  assert.ok(m("h[^e]llo", "hallo"));
  assert.ok(!m("h[^e]llo", "hello"));
  assert.ok(m("h[a-b]llo", "hbllo"));
  assert.ok(!m("h[a-b]llo", "hcllo"));
  assert.ok(m("*", "anything at all"));
  assert.ok(m("user:*:name", "user:42:name"));
  assert.ok(!m("user:*:name", "user:42:names"));
  assert.ok(m("a**b", "ab"));
  assert.ok(m("***", "xyz"));
  assert.ok(m("a*b*c", "aXXbYYc"));
  assert.ok(!m("a*b*c", "aXXbYY"));
  assert.ok(!m("?", "ab"));
  assert.ok(!m("abc", "ab"));
  assert.ok(!m("ab", "abc"));
});

Deno.test("globMatch: empty subject matches only the empty pattern (util.c loop guard)", () => {
  assert.ok(m("", ""));
  assert.ok(!m("", "a"));
  assert.ok(!m("*", ""), "while(patternLen && stringLen) never runs for an empty subject");
  assert.ok(!m("**", ""));
  assert.ok(!m("?", ""));
  assert.ok(m("a*", "a"), "trailing stars are skipped once the subject is used up");
  assert.ok(m("a***", "a"));
  assert.ok(!m("a*?", "a"));
  assert.ok(m("?*", "x"));
});

Deno.test("globMatch: backslash escapes outside classes, trailing '\\' is literal", () => {
  assert.ok(m("\\*", "*"));
  assert.ok(!m("\\*", "a"));
  assert.ok(m("a\\?b", "a?b"));
  assert.ok(!m("a\\?b", "axb"));
  assert.ok(m("\\[a]", "[a]"));
  assert.ok(m("\\a", "a"));
  assert.ok(m("\\\\", "\\"));
  assert.ok(m("ab\\", "ab\\"), "patternLen >= 2 check: a lone trailing '\\' is itself");
  assert.ok(!m("ab\\", "ab"));
  assert.ok(m("\\", "\\"));
  assert.ok(m("*\\", "xy\\"));
});

Deno.test("globMatch: class syntax quirks", () => {
  // ']' right after '[' closes an empty class: it matches nothing; '[^]' matches any byte.
  assert.ok(!m("[]", "]"));
  assert.ok(!m("[]a]", "a]"));
  assert.ok(m("[^]", "]"));
  assert.ok(m("[^]a]", "xa]"));
  // Reversed range bounds are swapped.
  assert.ok(m("[z-a]", "m"));
  assert.ok(!m("[z-a]", "A"));
  // A leading '-' is literal; a trailing one is not (see the raw range end below).
  assert.ok(m("[-a]", "-"));
  assert.ok(m("[ab\\-]", "-"));
  assert.ok(!m("[ab-]", "-"), "'b-]' is the range ']'..'b' and the class is unterminated");
  assert.ok(m("[ab-]", "_"));
  // Escapes inside classes; an escaped char does not start a range.
  assert.ok(m("[\\]]", "]"));
  assert.ok(m("[\\^a]", "^"));
  assert.ok(m("[\\a-z]", "-"));
  assert.ok(!m("[\\a-z]", "m"), "'\\a' is one item, then '-' and 'z' are literals");
  // A range end is read raw: ']' and '\' become range ends.
  assert.ok(m("[a-]x]", "^"), "range ']'..'a' then literal 'x', closed by the last ']'");
  assert.ok(m("[a-]x]", "x"));
  assert.ok(!m("[a-]x]", "b"));
  assert.ok(m("[a-\\]", "_"), "range '\\'..'a'");
  assert.ok(m("[a-\\]", "\\"));
  assert.ok(!m("[a-\\]", "b"));
});

Deno.test("globMatch: an unterminated '[' runs to the end of the pattern", () => {
  assert.ok(m("[abc", "b"));
  assert.ok(m("x[abc", "xc"));
  assert.ok(!m("[abc", "ab"), "the class swallowed the rest of the pattern");
  assert.ok(!m("[abc", "d"));
  assert.ok(m("[a-z", "m"));
  assert.ok(m("[a-", "-"), "too short for a range: 'a' and '-' are literals");
  assert.ok(m("[a-", "a"));
  assert.ok(!m("[", "["), "'[' alone is an empty class");
  assert.ok(!m("[", ""));
  assert.ok(m("[^", "x"), "'[^' alone is a negated empty class: any one byte");
  assert.ok(!m("[^", "xy"));
  assert.ok(!m("[^", ""));
  assert.ok(m("[^a", "b"));
  assert.ok(!m("[^a", "a"));
  // Trailing backslash inside an unterminated class is a literal '\'.
  assert.ok(m("[a\\", "\\"));
  assert.ok(m("[a\\", "a"));
  assert.ok(!m("[a\\", "b"));
  assert.ok(m("[\\", "\\"));
  assert.ok(!m("[^\\", "\\"));
  assert.ok(m("[^\\", "q"));
  assert.ok(m("[\\]", "]"), "escaped ']' then end of pattern");
});

Deno.test("globMatch: nocase folds ASCII via tolower, with Redis's class quirks", () => {
  assert.ok(m("HeLLo*", "hello world", true));
  assert.ok(!m("HeLLo*", "hello world"));
  assert.ok(m("h?LLO", "HELLO", true));
  assert.ok(m("\\A", "a", true), "an escape outside a class still folds");
  assert.ok(m("[AB]", "b", true));
  assert.ok(m("[^AB]", "c", true));
  assert.ok(!m("[^AB]", "b", true));
  assert.ok(m("[A-C]", "b", true));
  assert.ok(m("[a-c]", "B", true));
  assert.ok(!m("[\\A]", "a", true), "escapes inside a class compare exactly");
  assert.ok(m("[\\A]", "A", true));
  // Bounds are swapped before folding: 'Z'..'a' becomes 'z'..'a', an empty range.
  assert.ok(m("[Z-a]", "_"));
  assert.ok(m("[Z-a]", "a"));
  assert.ok(!m("[Z-a]", "a", true));
  assert.ok(!m("[Z-a]", "_", true));
  // Only ASCII letters fold.
  assert.ok(!m("\xc0", "\xe0", true));
  assert.ok(m("\xc0", "\xc0", true));
});

Deno.test("globMatch: bytes are binary and unsigned", () => {
  assert.ok(m("a\x00*", "a\x00b"));
  assert.ok(!m("a\x00", "a"));
  assert.ok(m("[\x00-\xff]", "\x80"));
  assert.ok(m("[a-\xff]", "\xf0"));
  assert.ok(!m("[a-\xff]", "\x10"), "0xff is 255, not -1");
  assert.ok(m("[\xff-a]", "\xfe"), "reversed bounds compare unsigned");
  assert.ok(m("?", "\xff"));
  assert.ok(m("*\xfe", "\x00\x01\xfe"));
});

Deno.test("globMatch: more than 1000 nested '*' fail like Redis's nesting limit", () => {
  assert.ok(m("*a".repeat(1000), "a".repeat(1000)));
  assert.ok(!m("*a".repeat(1001), "a".repeat(1001)));
  assert.ok(m("*".repeat(5000) + "a", "a"), "consecutive stars collapse, no nesting");
});

Deno.test("globMatch: pathological patterns run in polynomial time", () => {
  const cases: [string, string][] = [
    ["a*".repeat(30) + "b", "a".repeat(60)],
    ["*a".repeat(200) + "*b", "a".repeat(10_000)],
    ["*?".repeat(300) + "*b", "a".repeat(5_000)],
    ["*[a-c]".repeat(300) + "*d", "abc".repeat(2_000)],
  ];
  for (const [p, s] of cases) {
    const t0 = performance.now();
    assert.ok(!m(p, s));
    const ms = performance.now() - t0;
    assert.ok(ms < 100, `${p.slice(0, 20)}... took ${ms.toFixed(1)} ms`);
  }
  assert.ok(m("a*".repeat(30) + "a", "a".repeat(60)));
});

Deno.test("literalPrefix: bytes before the first unescaped wildcard, escapes resolved", () => {
  const lp = (p: string) => bytesToBinary(literalPrefix(b(p)));
  assert.equal(lp("user:1*"), "user:1");
  assert.equal(lp("*"), "");
  assert.equal(lp(""), "");
  assert.equal(lp("ab[c]d"), "ab");
  assert.equal(lp("a\\?b*"), "a?b");
  assert.equal(lp("a?b"), "a");
  assert.equal(lp("key\\*1"), "key*1");
  assert.equal(lp("a\\[b]"), "a[b]");
  assert.equal(lp("a]b^-c"), "a]b^-c");
  assert.equal(lp("ab\\"), "ab\\", "a trailing lone backslash is literal");
  assert.equal(lp("a\\\\*"), "a\\");
  assert.equal(lp("\xff\x00*"), "\xff\x00");
});

Deno.test("literalKey: the one key a wildcard-free pattern matches", () => {
  const lk = (p: string) => {
    const k = literalKey(b(p));
    return k === null ? null : bytesToBinary(k);
  };
  assert.equal(lk("key\\*1"), "key*1");
  assert.equal(lk("plain"), "plain");
  assert.equal(lk(""), "");
  assert.equal(lk("a\\?\\[b\\]"), "a?[b]");
  assert.equal(lk("a]b^-"), "a]b^-");
  assert.equal(lk("ab\\"), "ab\\");
  assert.equal(lk("user:1*"), null);
  assert.equal(lk("a?b"), null);
  assert.equal(lk("a[b"), null);
  assert.equal(lk("a\\\\*"), null, "an escaped backslash does not escape the star");
});

// ---------------------------------------------------------------------------
// Property tests.
// ---------------------------------------------------------------------------

Deno.test("globMatch agrees with the backtracking util.c port on any pattern", () => {
  fc.assert(
    fc.property(anyPattern, subject, fc.boolean(), (p, s, nocase) => {
      assert.equal(m(p, s, nocase), portMatch(b(p), b(s), nocase));
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(byteString(10), byteString(8), fc.boolean(), (p, s, nocase) => {
      assert.equal(globMatch(p, s, nocase), portMatch(p, s, nocase));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("globMatch agrees with an independent matcher on well-formed patterns", () => {
  let matches = 0;
  fc.assert(
    fc.property(wellFormed, subject, (p, s) => {
      const got = m(p, s);
      if (got) matches++;
      assert.equal(got, expected(p, parse(p)!, s, false));
    }),
    { numRuns: 5000 },
  );
  assert.ok(matches > 100, `only ${matches} matching cases`);
});

Deno.test("nocase agrees with an independent matcher on classes without ranges or escapes", () => {
  const plain = wellFormed.filter((p) =>
    parse(p)!.every((t) => t.kind !== "set" || t.plain) && /[A-Za-z]/.test(p)
  );
  fc.assert(
    fc.property(plain, subject, (p, s) => {
      assert.equal(m(p, s, true), expected(p, parse(p)!, s, true));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("every match starts with literalPrefix", () => {
  let matches = 0;
  const pattern = fc.oneof(anyPattern, wellFormed);
  fc.assert(
    fc.property(pattern, subject, fc.boolean(), (p, tail, usePrefix) => {
      const pattern = b(p);
      const prefix = literalPrefix(pattern);
      const s = b((usePrefix ? bytesToBinary(prefix) : "") + tail);
      if (!globMatch(pattern, s)) return;
      matches++;
      assert.ok(startsWith(s, prefix), `${p} matched ${bytesToBinary(s)}`);
    }),
    { numRuns: 5000 },
  );
  assert.ok(matches > 100, `only ${matches} matching cases`);
  fc.assert(
    fc.property(byteString(10), byteString(10), (p, s) => {
      const prefix = literalPrefix(p);
      const probe = new Uint8Array([...prefix, ...s]);
      for (const subj of [s, probe]) {
        if (globMatch(p, subj)) assert.ok(startsWith(subj, prefix));
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("a literalKey pattern matches exactly that key", () => {
  const literalish = fc.array(fc.constantFrom("a", "b", "]", "^", "-", "\\*", "\\?", "\\["), {
    maxLength: 6,
  }).map((a) => a.join(""));
  fc.assert(
    fc.property(fc.oneof(literalish, anyPattern), subject, (p, s) => {
      const key = literalKey(b(p));
      if (key === null) {
        assert.ok(/(^|[^\\])(\\\\)*[*?[]/.test(p), `${p} has an unescaped wildcard`);
        return;
      }
      assert.deepEqual(key, literalPrefix(b(p)));
      assert.ok(globMatch(b(p), key), `${p} matches its own key`);
      if (globMatch(b(p), b(s))) assert.equal(s, bytesToBinary(key));
    }),
    { numRuns: 5000 },
  );
});
