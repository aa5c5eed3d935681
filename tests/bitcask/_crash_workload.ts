/** The deterministic workload shared by the crash test's writer and checker. */

/** Keys the workload cycles through. */
export const KEYS = 1500;

/** One operation of the workload, by its 1-based index. */
export type WorkOp =
  | { type: "put"; key: string; value: Uint8Array }
  | { type: "delete"; key: string }
  | { type: "batch"; ops: WorkOp[] };

function value(i: number): Uint8Array {
  const len = i % 500 === 0 ? 100_000 : 10 + ((i * 7919) % 200);
  const v = new Uint8Array(len);
  for (let j = 0; j < len; j++) v[j] = (i + j * 13) & 0xff;
  return v;
}

/**
 * The operation with index `i`.
 *
 * @param i 1-based index.
 * @returns The operation.
 */
export function workOp(i: number): WorkOp {
  const key = `k${(i * 31) % KEYS}`;
  if (i % 11 === 0) {
    return {
      type: "batch",
      ops: [
        { type: "put", key, value: value(i) },
        { type: "put", key: `k${(i * 31 + 1) % KEYS}`, value: value(i + 1) },
        { type: "delete", key: `k${(i * 31 + 2) % KEYS}` },
      ],
    };
  }
  if (i % 7 === 0) return { type: "delete", key };
  return { type: "put", key, value: value(i) };
}
