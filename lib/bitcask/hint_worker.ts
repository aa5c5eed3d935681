/**
 * Worker entry point: builds hint files on request (see `HintBuilder`).
 *
 * @module
 */

import { buildHintFileSync, type HintJob, type HintJobResult } from "./hint_build.ts";

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<HintJob>) => void) | null;
  postMessage(msg: HintJobResult): void;
};

scope.onmessage = (ev: MessageEvent<HintJob>) => {
  const { dir, id } = ev.data;
  try {
    buildHintFileSync(dir, id);
    scope.postMessage({ id, error: null });
  } catch (e) {
    scope.postMessage({ id, error: (e as Error).message });
  }
};
