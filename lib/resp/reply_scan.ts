/**
 * Finds where one complete server reply ends in a byte buffer, without
 * building values: lets a node relay a reply it got from another node byte
 * for byte.
 *
 * @module
 */

function lineEnd(b: Uint8Array, at: number): number {
  for (let i = at; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function intAt(b: Uint8Array, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (b[i] === 45) {
    neg = true;
    i++;
  }
  if (i >= to) throw new SyntaxError("Cannot scan reply: bad length");
  let n = 0;
  for (; i < to; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) throw new SyntaxError("Cannot scan reply: bad length");
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

/**
 * Offset just past the reply that starts at `at`.
 *
 * @param b Bytes received.
 * @param at Where the reply starts.
 * @returns End offset, or -1 when more bytes are needed.
 * @throws {SyntaxError} If the bytes are not RESP.
 */
export function replyEnd(b: Uint8Array, at: number): number {
  if (at >= b.length) return -1;
  const le = lineEnd(b, at + 1);
  if (le < 0) return -1;
  const next = le + 2;
  switch (b[at]) {
    case 43: // +
    case 45: // -
    case 58: // :
    case 95: // _
    case 44: // ,
    case 35: // #
    case 40: // (
      return next;
    case 36: // $
    case 33: // !
    case 61: { // =
      const n = intAt(b, at + 1, le);
      if (n < 0) return next;
      return next + n + 2 <= b.length ? next + n + 2 : -1;
    }
    case 42: // *
    case 126: // ~
    case 62: // >
    case 37: // %
    case 124: { // |
      let n = intAt(b, at + 1, le);
      if (n < 0) return next;
      if (b[at] === 37 || b[at] === 124) n *= 2;
      let o = next;
      for (let i = 0; i < n; i++) {
        o = replyEnd(b, o);
        if (o < 0) return -1;
      }
      return o;
    }
    default:
      throw new SyntaxError(`Cannot scan reply: unexpected byte ${b[at]}`);
  }
}
