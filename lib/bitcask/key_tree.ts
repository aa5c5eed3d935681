/**
 * An ordered set of binary-string keys: a B+tree with copy-on-write nodes.
 *
 * Keys are "binary strings" (one char per byte, see `bytesToBinary`), so JS
 * string order is byte order. {@linkcode KeyTree.clone} is O(1): both trees
 * share every node and whichever writes first copies the path it changes,
 * which gives scans, merges and snapshots a stable key order while writes go
 * on. Point lookups do not come here: they go to the hash index.
 *
 * @module
 */

const LEAF_MAX = 64;
const INNER_MAX = 64;
const LEAF_MIN = 16;
const INNER_MIN = 16;
/** Fill used by bulk loading, leaving room for later inserts. */
const BULK_FILL = 56;

/** A B+tree node: a leaf (`children === null`) or an inner node. */
class Node {
  /** Set when more than one parent (or tree) may reference this node. */
  shared = false;
  /** Leaf: the keys in order. Inner: separators, one fewer than children. */
  keys: string[];
  /** Inner only: the child nodes. */
  children: Node[] | null;

  constructor(keys: string[], children: Node[] | null) {
    this.keys = keys;
    this.children = children;
  }
}

function copyNode(n: Node): Node {
  if (n.children === null) return new Node(n.keys.slice(), null);
  const children = n.children.slice();
  for (const c of children) c.shared = true;
  return new Node(n.keys.slice(), children);
}

/** Index of the first key >= `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first key > `key`. */
function upperBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Options for {@linkcode KeyTree.cursor}. */
export interface CursorOptions {
  /** Start at this key; omitted: at the first (or, reversed, the last) key. */
  from?: string;
  /** Whether a key equal to `from` is included. @default {true} */
  inclusive?: boolean;
  /** Walk in descending order. @default {false} */
  reverse?: boolean;
}

/**
 * An ordered set of binary-string keys with O(1) copy-on-write clones.
 *
 * @example Insert, clone and iterate
 * ```ts
 * import { KeyTree } from "./key_tree.ts";
 * const t = new KeyTree();
 * t.insert("b");
 * t.insert("a");
 * const snap = t.clone();
 * t.insert("c");
 * const c = snap.cursor();
 * while (c.next()) console.log(c.key); // "a", "b" (not "c")
 * ```
 */
export class KeyTree {
  #root: Node;
  #size: number;
  #splitKey = "";

  /**
   * Creates an empty tree.
   *
   * @param root Internal: root to adopt (clone and bulk load).
   * @param size Internal: number of keys under `root`.
   */
  constructor(root?: Node, size = 0) {
    this.#root = root ?? new Node([], null);
    this.#size = size;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /**
   * Builds a tree from keys in strictly increasing order, in linear time.
   *
   * @param keys Sorted, unique keys (the array itself is not kept).
   * @param count How many of `keys` to use.
   * @returns The tree.
   */
  static fromSorted(keys: string[], count = keys.length): KeyTree {
    if (count === 0) return new KeyTree();
    let level: Node[] = [];
    let mins: string[] = [];
    const leaves = Math.ceil(count / BULK_FILL);
    let start = 0;
    for (let i = 0; i < leaves; i++) {
      const end = Math.round(((i + 1) * count) / leaves);
      level.push(new Node(keys.slice(start, end), null));
      mins.push(keys[start]);
      start = end;
    }
    while (level.length > 1) {
      const groups = Math.ceil(level.length / BULK_FILL);
      const next: Node[] = [];
      const nextMins: string[] = [];
      start = 0;
      for (let i = 0; i < groups; i++) {
        const end = Math.round(((i + 1) * level.length) / groups);
        next.push(new Node(mins.slice(start + 1, end), level.slice(start, end)));
        nextMins.push(mins[start]);
        start = end;
      }
      level = next;
      mins = nextMins;
    }
    return new KeyTree(level[0], count);
  }

  /**
   * Returns an O(1) copy-on-write clone; later changes to either tree do not
   * show in the other.
   *
   * @returns The clone.
   */
  clone(): KeyTree {
    this.#root.shared = true;
    return new KeyTree(this.#root, this.#size);
  }

  /**
   * Tells whether a key is present.
   *
   * @param key The key.
   * @returns Whether it is in the tree.
   */
  has(key: string): boolean {
    let n = this.#root;
    while (n.children !== null) n = n.children[upperBound(n.keys, key)];
    const i = lowerBound(n.keys, key);
    return i < n.keys.length && n.keys[i] === key;
  }

  /**
   * Adds a key that is not yet present (the caller knows, from its index).
   *
   * @param key The key.
   */
  insert(key: string): void {
    if (this.#root.shared) this.#root = copyNode(this.#root);
    const right = this.#insert(this.#root, key);
    if (right !== null) this.#root = new Node([this.#splitKey], [this.#root, right]);
    this.#size++;
  }

  /**
   * Removes a key that is present (the caller knows, from its index).
   *
   * @param key The key.
   */
  remove(key: string): void {
    if (this.#root.shared) this.#root = copyNode(this.#root);
    this.#remove(this.#root, key);
    const root = this.#root;
    if (root.children !== null && root.children.length === 1) this.#root = root.children[0];
    this.#size--;
  }

  /**
   * Opens a cursor. The tree must not change while the cursor is in use:
   * walk a {@linkcode clone} when writes may interleave.
   *
   * @param options Where to start and which way to go.
   * @returns A cursor positioned before the first key.
   */
  cursor(options: CursorOptions = {}): KeyTreeCursor {
    return new KeyTreeCursor(this.#root, options);
  }

  /**
   * Picks a key by walking down random children: cheap and close to uniform,
   * since the tree is balanced and non-root nodes are at least a quarter full.
   *
   * @param random Source of numbers in [0, 1).
   * @returns A key, or undefined when empty.
   */
  randomKey(random: () => number): string | undefined {
    if (this.#size === 0) return undefined;
    let n = this.#root;
    while (n.children !== null) n = n.children[Math.floor(random() * n.children.length)];
    return n.keys[Math.floor(random() * n.keys.length)];
  }

  #insert(n: Node, key: string): Node | null {
    if (n.children === null) {
      const keys = n.keys;
      keys.splice(lowerBound(keys, key), 0, key);
      if (keys.length <= LEAF_MAX) return null;
      const half = keys.length >>> 1;
      const right = new Node(keys.slice(half), null);
      keys.length = half;
      this.#splitKey = right.keys[0];
      return right;
    }
    const children = n.children;
    const i = upperBound(n.keys, key);
    let child = children[i];
    if (child.shared) children[i] = child = copyNode(child);
    const right = this.#insert(child, key);
    if (right === null) return null;
    n.keys.splice(i, 0, this.#splitKey);
    children.splice(i + 1, 0, right);
    if (children.length <= INNER_MAX) return null;
    const mid = children.length >>> 1;
    const up = n.keys[mid - 1];
    const sibling = new Node(n.keys.slice(mid), children.slice(mid));
    n.keys.length = mid - 1;
    children.length = mid;
    this.#splitKey = up;
    return sibling;
  }

  #remove(n: Node, key: string): void {
    if (n.children === null) {
      const i = lowerBound(n.keys, key);
      if (n.keys[i] === key) n.keys.splice(i, 1);
      return;
    }
    const i = upperBound(n.keys, key);
    let child = n.children[i];
    if (child.shared) n.children[i] = child = copyNode(child);
    this.#remove(child, key);
    const small = child.children === null
      ? child.keys.length < LEAF_MIN
      : child.children.length < INNER_MIN;
    if (small && n.children.length > 1) rebalance(n, i);
  }
}

/** Merges child `i` of `parent` with a sibling, or evens the two out. */
function rebalance(parent: Node, i: number): void {
  const children = parent.children as Node[];
  const sep = i > 0 ? i - 1 : 0;
  if (children[sep].shared) children[sep] = copyNode(children[sep]);
  if (children[sep + 1].shared) children[sep + 1] = copyNode(children[sep + 1]);
  const left = children[sep];
  const right = children[sep + 1];
  if (left.children === null) {
    const total = left.keys.length + right.keys.length;
    if (total <= LEAF_MAX) {
      for (const k of right.keys) left.keys.push(k);
      parent.keys.splice(sep, 1);
      children.splice(sep + 1, 1);
      return;
    }
    const all = left.keys.concat(right.keys);
    const half = total >>> 1;
    left.keys = all.slice(0, half);
    right.keys = all.slice(half);
    parent.keys[sep] = right.keys[0];
    return;
  }
  const lc = (left.children as Node[]).length;
  const rc = (right.children as Node[]).length;
  const down = parent.keys[sep];
  const keys = left.keys.concat([down], right.keys);
  const kids = (left.children as Node[]).concat(right.children as Node[]);
  if (lc + rc <= INNER_MAX) {
    left.keys = keys;
    left.children = kids;
    parent.keys.splice(sep, 1);
    children.splice(sep + 1, 1);
    return;
  }
  const half = kids.length >>> 1;
  left.children = kids.slice(0, half);
  right.children = kids.slice(half);
  left.keys = keys.slice(0, half - 1);
  parent.keys[sep] = keys[half - 1];
  right.keys = keys.slice(half);
}

/** Walks a {@linkcode KeyTree} in order; `key` holds the current key. */
export class KeyTreeCursor {
  /** The current key, valid after `next()` returned true. */
  key = "";

  #path: Node[] = [];
  #slots: number[] = [];
  #leaf: Node | null;
  #pos = 0;
  #reverse: boolean;
  #started = false;

  /**
   * Positions the cursor; use {@linkcode KeyTree.cursor} instead.
   *
   * @param root Root of the (unchanging) tree.
   * @param options Start key and direction.
   */
  constructor(root: Node, options: CursorOptions) {
    const { from, inclusive = true, reverse = false } = options;
    this.#reverse = reverse;
    let n = root;
    while (n.children !== null) {
      const i = from === undefined
        ? (reverse ? n.children.length - 1 : 0)
        : upperBound(n.keys, from);
      this.#path.push(n);
      this.#slots.push(i);
      n = n.children[i];
    }
    this.#leaf = n;
    if (from === undefined) {
      this.#pos = reverse ? n.keys.length - 1 : 0;
    } else if (reverse) {
      this.#pos = (inclusive ? upperBound(n.keys, from) : lowerBound(n.keys, from)) - 1;
    } else {
      this.#pos = inclusive ? lowerBound(n.keys, from) : upperBound(n.keys, from);
    }
  }

  /**
   * Moves to the next key.
   *
   * @returns False when there are no more keys.
   */
  next(): boolean {
    if (this.#started) this.#pos += this.#reverse ? -1 : 1;
    this.#started = true;
    for (;;) {
      const leaf = this.#leaf;
      if (leaf === null) return false;
      if (this.#pos >= 0 && this.#pos < leaf.keys.length) {
        this.key = leaf.keys[this.#pos];
        return true;
      }
      this.#stepLeaf();
    }
  }

  #stepLeaf(): void {
    const path = this.#path;
    const slots = this.#slots;
    const d = this.#reverse ? -1 : 1;
    let depth = path.length - 1;
    while (depth >= 0) {
      const s = slots[depth] + d;
      if (s >= 0 && s < (path[depth].children as Node[]).length) {
        slots[depth] = s;
        break;
      }
      depth--;
    }
    if (depth < 0) {
      this.#leaf = null;
      return;
    }
    let n = (path[depth].children as Node[])[slots[depth]];
    for (let k = depth + 1; k < path.length; k++) {
      path[k] = n;
      slots[k] = this.#reverse ? (n.children as Node[]).length - 1 : 0;
      n = (n.children as Node[])[slots[k]];
    }
    this.#leaf = n;
    this.#pos = this.#reverse ? n.keys.length - 1 : 0;
  }
}
