/**
 * Encodes commands as RESP arrays of bulk strings (what a node sends to
 * another node).
 *
 * @module
 */

const te = new TextEncoder();

/**
 * Encodes a command.
 *
 * @param args Arguments: strings (UTF-8) or bytes.
 * @returns The RESP bytes.
 */
export function command(args: (string | Uint8Array)[]): Uint8Array {
  const parts = args.map((a) => (typeof a === "string" ? te.encode(a) : a));
  let size = String(parts.length).length + 3;
  for (const p of parts) size += String(p.length).length + 5 + p.length;
  const out = new Uint8Array(size);
  let o = 0;
  const ascii = (s: string) => {
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  };
  ascii(`*${parts.length}\r\n`);
  for (const p of parts) {
    ascii(`$${p.length}\r\n`);
    out.set(p, o);
    o += p.length;
    ascii("\r\n");
  }
  return out;
}
