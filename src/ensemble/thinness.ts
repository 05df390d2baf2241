import type { DetectionSupport } from '../core/detector.js';

/**
 * How thin the evidence is: `1 / sqrt(target messages)` (1 after one message, 0.1 after a hundred). The
 * evidence-aware combiner multiplies each member's log-odds `z` by it, and also `z^2 / 10` and `|z|` (`z` clipped
 * to +-12), so it learns how much to shrink a member's verdict when it rests on few messages and where a
 * member's early scores are not monotone in their meaning (a curved, not only a scaled, calibration); `u`
 * itself lets the prior move with the amount of evidence.
 *
 * @internal
 */
export function thinness(support: DetectionSupport): number {
  return 1 / Math.sqrt(Math.max(1, support.targetMessages));
}
