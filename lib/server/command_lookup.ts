/**
 * Finds a command's spec from its name bytes as typed, case-insensitively,
 * without making a string for the short names clients send most (GET, SET,
 * INCR, ...): up to six bytes are folded into one number.
 *
 * @module
 */

import { ascii } from "./args.ts";
import type { CommandSpec } from "./command.ts";

/** Case-insensitive command lookup by name bytes. */
export class CommandLookup {
  #table: Map<string, CommandSpec>;
  #short = new Map<number, CommandSpec>();

  /**
   * Indexes a command table.
   *
   * @param table Lowercase name -> spec.
   */
  constructor(table: Map<string, CommandSpec>) {
    this.#table = table;
    for (const [name, spec] of table) {
      if (name.length <= 6) this.#short.set(shortKey(new TextEncoder().encode(name)), spec);
    }
  }

  /**
   * Looks a name up.
   *
   * @param name The name's bytes, any case.
   * @returns The spec, or undefined for an unknown command.
   */
  get(name: Uint8Array): CommandSpec | undefined {
    if (name.length <= 6) return this.#short.get(shortKey(name));
    return this.#table.get(ascii(name).toLowerCase());
  }
}

/** Up to 6 bytes, ASCII-lowercased, as one number (length in the top bits). */
function shortKey(b: Uint8Array): number {
  let k = b.length;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    k = k * 256 + c;
  }
  return k;
}
