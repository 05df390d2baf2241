import type { ValidTranscript } from '../../core/transcript.js';
import { SIGNALS, type StyleAccumulator } from './style-accumulator.js';
import { STYLE_FEATURE_NAMES } from './style-feature-types.js';

/**
 * The names of the partner-contrast signals, in the order {@link contrastSignals} writes them: one
 * `<style signal>_vs_partner` per style signal (the target's value minus its partner's), then `has_partner`.
 */
export const CONTRAST_SIGNAL_NAMES: readonly string[] = Object.freeze([
  ...STYLE_FEATURE_NAMES.map((n) => `${n}_vs_partner`),
  'has_partner',
]);

/**
 * The speaker the target talks with: the other speaker with the most messages (the earliest to speak among
 * equals), or `undefined` when only the target speaks.
 *
 * @param t - a validated transcript
 */
export function partnerOf(t: ValidTranscript): string | undefined {
  const counts = new Map<string, number>();
  for (const m of t.messages) {
    if (m.speaker !== t.target) counts.set(m.speaker, (counts.get(m.speaker) ?? 0) + 1);
  }
  let best: string | undefined;
  let most = 0;
  // Map iteration follows first insertion, so the earliest speaker wins a tie.
  for (const [speaker, n] of counts) {
    if (n > most) {
      best = speaker;
      most = n;
    }
  }
  return best;
}

/**
 * The partner-contrast signals from the two speakers' running style sums: for each style signal, the target's
 * value minus its partner's, `NaN` where either side cannot measure it or there is no partner (`theirs`
 * undefined). The last entry is 1 when there is a partner, else 0. `undefined` when no style signal of the
 * target can be measured (only blank messages, no timestamps).
 *
 * Why differences: a bot family's absolute style (how long it writes, how often it asks) changes from one bot
 * to the next and from one platform to the next, while "writes unlike the person it talks with" holds across
 * them (train-only leave-one-source-out on the ConvAI data, docs/evaluation.md).
 *
 * @param mine - the target's accumulator
 * @param theirs - its partner's, fed the same messages
 */
export function contrastOf(
  mine: StyleAccumulator,
  theirs: StyleAccumulator | undefined,
): Float64Array | undefined {
  const a = new Float64Array(SIGNALS);
  const hasA = mine.signals(a);
  if (hasA === 0) return undefined;
  const out = new Float64Array(CONTRAST_SIGNAL_NAMES.length).fill(Number.NaN);
  out[SIGNALS] = theirs === undefined ? 0 : 1;
  if (theirs === undefined) return out;
  const b = new Float64Array(SIGNALS);
  const has = hasA & theirs.signals(b);
  for (let k = 0; k < SIGNALS; k++) if ((has >>> k) & 1) out[k] = a[k]! - b[k]!;
  return out;
}
