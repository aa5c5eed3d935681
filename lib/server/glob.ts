/**
 * Redis glob patterns (`KEYS`, `SCAN MATCH`, `PDEL`) on binary keys.
 *
 * {@linkcode globMatch} reproduces Redis 7's `stringmatchlen` (src/util.c)
 * byte for byte, quirks included:
 *
 * - `*` runs collapse; a non-empty pattern never matches the empty subject
 *   (not even `*`), because the main loop only runs while both are non-empty.
 * - `[` with no closing `]` takes the end of the pattern as the close.
 * - In a class, `\x` is compared exactly (never case-folded); a range end is
 *   taken raw, so in `[a-]x]` the range is `a`..`]` and the class goes on.
 * - A trailing lone `\` (outside or inside a class) is a literal backslash.
 * - Ranges swap reversed bounds first, then case-fold them under `nocase`.
 * - Recursion deeper than 1000 `*` gives "no match", and after the tail of a
 *   `*` has failed at every later position no earlier `*` retries, so every
 *   pattern runs in polynomial time.
 *
 * Bytes compare unsigned; `nocase` folds ASCII only (C-locale `tolower`).
 *
 * @module
 */

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;
/** Redis's "protection against abusive patterns": deeper `*` nesting fails. */
const MAX_NESTING = 1000;

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** One match of a pattern against a subject, with Redis's shared early-exit flag. */
class Matcher {
  #pattern: Uint8Array;
  #subject: Uint8Array;
  #nocase: boolean;
  /** Set once the tail after some `*` failed everywhere: no longer match can help. */
  #skipLonger = false;

  constructor(pattern: Uint8Array, subject: Uint8Array, nocase: boolean) {
    this.#pattern = pattern;
    this.#subject = subject;
    this.#nocase = nocase;
  }

  /** Matches pattern[pi..] against subject[si..] (Redis's `stringmatchlen_impl`). */
  match(pi: number, si: number, nesting: number): boolean {
    if (nesting > MAX_NESTING) return false;
    const p = this.#pattern;
    const s = this.#subject;
    while (pi < p.length && si < s.length) {
      const c = p[pi];
      if (c === STAR) {
        while (pi + 1 < p.length && p[pi + 1] === STAR) pi++;
        if (pi + 1 === p.length) return true;
        for (; si < s.length; si++) {
          if (this.match(pi + 1, si, nesting + 1)) return true;
          if (this.#skipLonger) return false;
        }
        this.#skipLonger = true;
        return false;
      } else if (c === OPEN) {
        pi = this.#matchClass(pi + 1, s[si]);
        if (pi < 0) return false;
      } else if (c !== QUESTION) {
        if (c === BACKSLASH && pi + 1 < p.length) pi++;
        if (!this.#same(p[pi], s[si])) return false;
      }
      pi++;
      si++;
      if (si === s.length) {
        while (pi < p.length && p[pi] === STAR) pi++;
      }
    }
    return pi === p.length && si === s.length;
  }

  /**
   * Tests one subject byte against the class whose body starts at `pi`.
   *
   * @returns Index of the class's last byte (its `]`, or the pattern's last
   *   byte when unterminated), or -1 if the byte is not in the class.
   */
  #matchClass(pi: number, b: number): number {
    const p = this.#pattern;
    const not = pi < p.length && p[pi] === CARET;
    if (not) pi++;
    let match = false;
    for (;; pi++) {
      const left = p.length - pi;
      if (left >= 2 && p[pi] === BACKSLASH) {
        pi++;
        if (p[pi] === b) match = true;
      } else if (left === 0) {
        pi--;
        break;
      } else if (p[pi] === CLOSE) {
        break;
      } else if (left >= 3 && p[pi + 1] === DASH) {
        if (this.#inRange(p[pi], p[pi + 2], b)) match = true;
        pi += 2;
      } else if (this.#same(p[pi], b)) {
        match = true;
      }
    }
    return match !== not ? pi : -1;
  }

  #inRange(start: number, end: number, b: number): boolean {
    let lo = Math.min(start, end);
    let hi = Math.max(start, end);
    if (this.#nocase) {
      lo = lower(lo);
      hi = lower(hi);
      b = lower(b);
    }
    return b >= lo && b <= hi;
  }

  #same(a: number, b: number): boolean {
    return a === b || (this.#nocase && lower(a) === lower(b));
  }
}

/**
 * Redis glob match on bytes, exactly like Redis 7's `stringmatchlen` (util.c).
 *
 * @param pattern The glob pattern: `*`, `?`, `[abc]`, `[^abc]`, `[a-z]`, `\x`.
 * @param subject The key (or other byte string) to test.
 * @param nocase Fold ASCII letters when comparing (default false).
 * @returns Whether the whole subject matches the whole pattern.
 */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  return new Matcher(pattern, subject, nocase).match(0, 0, 0);
}

/**
 * Resolves the pattern's literal head: bytes up to the first unescaped `*`,
 * `?` or `[`, with `\x` read as `x` (a trailing lone `\` is itself literal).
 *
 * @returns The resolved bytes and whether they are the whole pattern.
 */
function literalHead(pattern: Uint8Array): { bytes: Uint8Array; whole: boolean } {
  const out = new Uint8Array(pattern.length);
  let n = 0;
  for (let i = 0; i < pattern.length; i++) {
    const b = pattern[i];
    if (b === STAR || b === QUESTION || b === OPEN) {
      return { bytes: out.slice(0, n), whole: false };
    }
    if (b === BACKSLASH && i + 1 < pattern.length) i++;
    out[n++] = pattern[i];
  }
  return { bytes: out.slice(0, n), whole: true };
}

/**
 * The literal bytes every (case-sensitive) match must start with: the pattern
 * bytes before the first unescaped `*`, `?` or `[`, with `\x` escapes
 * resolved to `x`. Use it to bound a key-range scan.
 *
 * @param pattern The glob pattern.
 * @returns A new array with the prefix (empty if the pattern starts with a wildcard).
 */
export function literalPrefix(pattern: Uint8Array): Uint8Array {
  return literalHead(pattern).bytes;
}

/**
 * The single key a wildcard-free pattern matches (case-sensitively).
 *
 * @param pattern The glob pattern.
 * @returns The key with escapes resolved (`key\*1` gives `key*1`), or null if
 *   the pattern has an unescaped `*`, `?` or `[`.
 */
export function literalKey(pattern: Uint8Array): Uint8Array | null {
  const head = literalHead(pattern);
  return head.whole ? head.bytes : null;
}
