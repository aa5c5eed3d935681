/**
 * Ordered scans over a key source (the live keydir or a point-in-time
 * view): start key, direction, prefix bound, limit and expiry filtering.
 *
 * @module
 */

import { binaryToBytes, bytesToBinary } from "./bytes.ts";
import type { Location } from "./key_index.ts";
import { newLocation } from "./key_index.ts";
import type { CursorOptions, KeyTreeCursor } from "./key_tree.ts";

/** Options for `scan()`. */
export interface ScanOptions {
  /** Start at this key (see `inclusive`); omitted: the first (or last) key. */
  from?: Uint8Array;
  /** Whether a key equal to `from` is included. @default {true} */
  inclusive?: boolean;
  /** Walk in descending key order. @default {false} */
  reverse?: boolean;
  /** Only keys that start with these bytes (the walk stops past them). */
  prefix?: Uint8Array;
  /** Yield at most this many entries. @default {Infinity} */
  limit?: number;
  /** Skip keys whose expiry is before this time (Unix ms); omitted: no expiry check. */
  now?: number;
  /** Read values too. @default {true} */
  values?: boolean;
}

/** One entry yielded by `scan()`. */
export interface ScanEntry {
  /** The key. */
  key: Uint8Array;
  /** The value (undefined when scanning with `values: false`). */
  value: Uint8Array | undefined;
  /** Expiry in Unix ms, 0 for none. */
  expiresAt: number;
}

/** Where a scan gets keys in order and their locations. */
export interface KeySource {
  /** Looks a key up. */
  lookup(key: string, out: Location): boolean;
  /** Walks keys in order; must stay valid while the caller yields. */
  cursor(options: CursorOptions): KeyTreeCursor;
}

/**
 * Tells whether an entry with this expiry is gone at `now` (Redis rule: a
 * key expires once the time is past its expiry).
 *
 * @param expiresAt Expiry (Unix ms), 0 for none.
 * @param now Current time, or undefined to skip the check.
 * @returns Whether the entry counts as absent.
 */
export function isExpired(expiresAt: number, now: number | undefined): boolean {
  return expiresAt !== 0 && now !== undefined && now > expiresAt;
}

/** The smallest string greater than every string that starts with `p`, if any. */
function prefixEnd(p: string): string | undefined {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 0xff) end--;
  if (end === 0) return undefined;
  return p.slice(0, end - 1) + String.fromCharCode(p.charCodeAt(end - 1) + 1);
}

/**
 * Yields the entries a scan selects.
 *
 * @param src Keys and locations.
 * @param options What to scan.
 * @param readValue Reads a record's value (throws on corruption).
 * @param checkOpen Throws if the store was closed meanwhile.
 * @returns A generator of entries.
 */
export function* scanSource(
  src: KeySource,
  options: ScanOptions,
  readValue: (key: string, loc: Location) => Uint8Array,
  checkOpen: () => void,
): Generator<ScanEntry> {
  const { reverse = false, limit = Infinity, now, values = true } = options;
  if (!(limit > 0)) return;
  const prefix = options.prefix === undefined ? "" : bytesToBinary(options.prefix);
  let from = options.from === undefined ? undefined : bytesToBinary(options.from);
  let inclusive = options.inclusive ?? true;
  if (prefix !== "") {
    if (!reverse) {
      if (from === undefined || from < prefix) {
        from = prefix;
        inclusive = true;
      }
    } else {
      const end = prefixEnd(prefix);
      if (end !== undefined && (from === undefined || from >= end)) {
        from = end;
        inclusive = false;
      }
    }
  }
  const cursor = src.cursor({ from, inclusive, reverse });
  const loc = newLocation();
  let count = 0;
  while (cursor.next()) {
    checkOpen();
    const key = cursor.key;
    if (prefix !== "" && !key.startsWith(prefix)) break;
    if (!src.lookup(key, loc) || isExpired(loc.expiresAt, now)) continue;
    const value = values ? readValue(key, loc) : undefined;
    yield { key: binaryToBytes(key), value, expiresAt: loc.expiresAt };
    if (++count >= limit) return;
  }
}
