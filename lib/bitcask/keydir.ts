/**
 * The keydir: every live key and where its newest record is. It pairs a hash
 * index (fast point lookups) with a copy-on-write B+tree of the keys (ordered
 * walks from any key, both ways), and hands out point-in-time views.
 *
 * A view keeps the key order of the moment it was made (an O(1) tree clone)
 * and an undo map: before a key changes, every open view records the
 * location the key had. A view's lookup reads its undo map first and the
 * live index otherwise. Merge moves (compare-and-set of identical bytes to a
 * new place) need no undo entry, since the content is the same.
 *
 * @module
 */

import { KeyIndex, type Location, newLocation } from "./key_index.ts";
import { type CursorOptions, KeyTree, type KeyTreeCursor } from "./key_tree.ts";

export { type Location, newLocation } from "./key_index.ts";
export type { CursorOptions } from "./key_tree.ts";

/**
 * Ordered key -> location map with point-in-time views.
 *
 * @example
 * ```ts
 * import { KeyDir, newLocation } from "./keydir.ts";
 * const dir = new KeyDir();
 * dir.set("a", 1, 32, 40, 0);
 * const view = dir.view();
 * dir.delete("a");
 * const loc = newLocation();
 * view.lookup("a", loc); // true: the view still sees "a"
 * view.close();
 * ```
 */
export class KeyDir {
  #index: KeyIndex;
  #tree: KeyTree;
  #views = new Set<KeyDirView>();
  #scratch = newLocation();

  /**
   * Creates an empty keydir.
   *
   * @param index Internal: a prefilled index (bulk load).
   * @param tree Internal: the matching tree.
   */
  constructor(index?: KeyIndex, tree?: KeyTree) {
    this.#index = index ?? new KeyIndex();
    this.#tree = tree ?? new KeyTree();
  }

  /**
   * Builds a keydir from keys in strictly increasing order.
   *
   * @param keys Sorted, unique keys.
   * @param locs Per key: fileId, offset, size, expiresAt (4 numbers).
   * @param count Number of entries to use.
   * @returns The keydir.
   */
  static fromSorted(keys: string[], locs: Float64Array, count: number): KeyDir {
    const index = new KeyIndex(count);
    for (let i = 0; i < count; i++) {
      index.insertNew(keys[i], locs[4 * i], locs[4 * i + 1], locs[4 * i + 2], locs[4 * i + 3]);
    }
    return new KeyDir(index, KeyTree.fromSorted(keys, count));
  }

  /** Number of keys. */
  get size(): number {
    return this.#index.size;
  }

  /** Number of open views. */
  get views(): number {
    return this.#views.size;
  }

  /**
   * Looks a key up.
   *
   * @param key Binary-string key.
   * @param out Filled with the location when found.
   * @returns Whether the key exists.
   */
  lookup(key: string, out: Location): boolean {
    return this.#index.get(key, out);
  }

  /**
   * Looks a key up by its bytes (no string is made).
   *
   * @param key Key bytes.
   * @param out Filled with the location when found.
   * @returns Whether the key exists.
   */
  lookupBytes(key: Uint8Array, out: Location): boolean {
    return this.#index.getBytes(key, out);
  }

  /**
   * Tells whether a key exists.
   *
   * @param key Binary-string key.
   * @returns Whether it exists.
   */
  has(key: string): boolean {
    return this.#index.has(key);
  }

  /**
   * Inserts or replaces a key's location.
   *
   * @param key Binary-string key.
   * @param fileId Data file id.
   * @param offset Record offset.
   * @param size Record size.
   * @param expiresAt Expiry (Unix ms), 0 for none.
   * @param prev Filled with the previous location when the key existed.
   * @returns Whether the key existed.
   */
  set(
    key: string,
    fileId: number,
    offset: number,
    size: number,
    expiresAt: number,
    prev?: Location,
  ): boolean {
    if (this.#views.size > 0) this.#recordUndo(key);
    const existed = this.#index.set(key, fileId, offset, size, expiresAt, prev);
    if (!existed) this.#tree.insert(key);
    return existed;
  }

  /**
   * Removes a key.
   *
   * @param key Binary-string key.
   * @param prev Filled with the removed location.
   * @returns Whether the key existed.
   */
  delete(key: string, prev?: Location): boolean {
    if (this.#views.size > 0) this.#recordUndo(key);
    if (!this.#index.delete(key, prev)) return false;
    this.#tree.remove(key);
    return true;
  }

  /**
   * Moves a key to a new record only if it still points at `(fileId, offset)`.
   * The bytes at both places must be identical (merge copies); the expiry is
   * kept and open views are not told, since they would read the same bytes.
   *
   * @param key Binary-string key.
   * @param fileId Expected file.
   * @param offset Expected offset.
   * @param newFileId New file.
   * @param newOffset New offset.
   * @returns Whether the key was moved.
   */
  compareAndMove(
    key: string,
    fileId: number,
    offset: number,
    newFileId: number,
    newOffset: number,
  ): boolean {
    const cur = this.#scratch;
    if (!this.#index.get(key, cur) || cur.fileId !== fileId || cur.offset !== offset) {
      return false;
    }
    this.#index.set(key, newFileId, newOffset, cur.size, cur.expiresAt);
    return true;
  }

  /**
   * Walks the keys as they are now. Writes may go on during the walk; it
   * sees the key set of the moment it began (look locations up live).
   *
   * @param options Start key and direction.
   * @returns A cursor over a clone of the key tree.
   */
  keys(options: CursorOptions = {}): KeyTreeCursor {
    return this.#tree.clone().cursor(options);
  }

  /**
   * Picks a random key.
   *
   * @param random Source of numbers in [0, 1).
   * @returns A key, or undefined when empty.
   */
  randomKey(random: () => number): string | undefined {
    return this.#tree.randomKey(random);
  }

  /**
   * Opens a point-in-time view. Close it when done: until then every write
   * to a key costs one extra map entry.
   *
   * @returns The view.
   */
  view(): KeyDirView {
    const v = new KeyDirView(this, this.#tree.clone(), () => this.#views.delete(v));
    this.#views.add(v);
    return v;
  }

  #recordUndo(key: string): void {
    let captured = false;
    let existed = false;
    const loc = this.#scratch;
    for (const v of this.#views) {
      if (v.undo.has(key)) continue;
      if (!captured) {
        existed = this.#index.get(key, loc);
        captured = true;
      }
      v.undo.set(key, existed ? [loc.fileId, loc.offset, loc.size, loc.expiresAt] : null);
    }
  }
}

/** A point-in-time view of a {@linkcode KeyDir}; see {@linkcode KeyDir.view}. */
export class KeyDirView {
  /** Internal: key -> location before its first change since the view, or null (absent). */
  readonly undo: Map<string, number[] | null> = new Map();
  #dir: KeyDir;
  #tree: KeyTree;
  #onClose: () => void;
  #closed = false;

  /**
   * Use {@linkcode KeyDir.view} instead.
   *
   * @param dir The live keydir.
   * @param tree A clone of its key tree.
   * @param onClose Called once by {@linkcode close}.
   */
  constructor(dir: KeyDir, tree: KeyTree, onClose: () => void) {
    this.#dir = dir;
    this.#tree = tree;
    this.#onClose = onClose;
  }

  /** Number of keys in the view. */
  get size(): number {
    return this.#tree.size;
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Looks a key up as of the view's moment.
   *
   * @param key Binary-string key.
   * @param out Filled with the location when found.
   * @returns Whether the key existed then.
   */
  lookup(key: string, out: Location): boolean {
    const u = this.undo.get(key);
    if (u === undefined) return this.#dir.lookup(key, out);
    if (u === null) return false;
    out.fileId = u[0];
    out.offset = u[1];
    out.size = u[2];
    out.expiresAt = u[3];
    return true;
  }

  /**
   * Walks the view's keys in order.
   *
   * @param options Start key and direction.
   * @returns A cursor.
   */
  cursor(options: CursorOptions = {}): KeyTreeCursor {
    return this.#tree.cursor(options);
  }

  /** Releases the view. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.undo.clear();
    this.#onClose();
  }
}
