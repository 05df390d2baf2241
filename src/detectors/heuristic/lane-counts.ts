/**
 * Counting in 4-bit lanes: eight counters packed in one 32-bit integer, so that adding a byte's bits to eight
 * counters is one table read and one addition (the shared-word counts of the masks mode of word-overlap.ts).
 */

/** Byte b spread into eight 4-bit lanes: lane k is bit k of b. */
export const SPREAD = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  for (let k = 0; k < 8; k++) if ((b >> k) & 1) SPREAD[b]! |= 1 << (4 * k);
}

/** Adds the 4-bit lanes of `c0`..`c3` (columns 0-7, 8-15, 16-23, 24-31) to `counts`. */
export function emptyLanes(counts: Int32Array, c0: number, c1: number, c2: number, c3: number): void {
  addLanes(counts, 0, c0);
  addLanes(counts, 8, c1);
  addLanes(counts, 16, c2);
  addLanes(counts, 24, c3);
}

/** Adds the eight 4-bit lanes of `lanes` to `counts[at, at + 8)`. */
function addLanes(counts: Int32Array, at: number, lanes: number): void {
  for (let k = 0; k < 8; k++) counts[at + k]! += (lanes >>> (k << 2)) & 15;
}
