import type { ValidTranscript } from '../../core/transcript.js';
import { seededRandom } from '../../numeric/random.js';
import { SIGNALS, type StyleAccumulator } from './style-accumulator.js';
import { STYLE_FEATURE_NAMES } from './style-feature-types.js';

/**
 * Style signals whose contrast is a ratio, `log(1 + mine) - log(1 + theirs)`, rather than a difference: amounts
 * whose scale moves with the platform and the topic (how many words a message holds, how many questions), so
 * "writes twice as long as its partner" means the same in a terse chat and a wordy one. Train-only
 * leave-one-source-out on the ConvAI data, the detector alone (AUROC): ConvAI2 → ConvAI 2017 0.944 → 0.948, the
 * reverse 0.952 → 0.964; with humanPairs 0.5 + balanceClasses 0.938 → 0.951 and 0.940 → 0.954; train 3-fold CV
 * unchanged (F1 0.954 → 0.951, AUROC 0.992).
 */
const RATIO_SIGNALS: ReadonlySet<string> = new Set(['mean_words', 'question_rate']);
const RATIO = STYLE_FEATURE_NAMES.map((n) => RATIO_SIGNALS.has(n));

/**
 * The names of the partner-contrast signals, in the order {@link contrastOf} writes them: one per style signal,
 * `<style signal>_vs_partner` (the target's value minus its partner's) or, for amounts compared as ratios,
 * `log_<style signal>_vs_partner` (`log(1 + target's) - log(1 + partner's)`), then `has_partner`.
 */
export const CONTRAST_SIGNAL_NAMES: readonly string[] = Object.freeze([
  ...STYLE_FEATURE_NAMES.map((n, k) => `${RATIO[k] ? 'log_' : ''}${n}_vs_partner`),
  'has_partner',
]);

/** Style signal `k` of one speaker against another's: a difference, or a log ratio for {@link RATIO_SIGNALS}. */
function contrastValue(k: number, mine: number, theirs: number): number {
  return RATIO[k] ? Math.log1p(mine) - Math.log1p(theirs) : mine - theirs;
}

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
 * value against its partner's (a difference, or a log ratio for amounts, see {@link CONTRAST_SIGNAL_NAMES}), `NaN` where either side cannot measure it or there is no partner (`theirs`
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
  for (let k = 0; k < SIGNALS; k++) if ((has >>> k) & 1) out[k] = contrastValue(k, a[k]!, b[k]!);
  return out;
}

/** One human target's style signals, as {@link humanPairContrasts} reads them. @internal */
export interface HumanStyle {
  /** Per style signal (STYLE_FEATURE_NAMES order), the target's value. */
  signals: Float64Array;
  /** Bit k set when signal k was measured. */
  has: number;
}

/**
 * Contrast rows of synthetic human–human conversations, labelled human in `fit()`: `count` pairs of two human
 * targets drawn from different examples (each human in turn against one drawn at random, seeded), the first's
 * signals against the second's as {@link contrastOf} compares them, with `has_partner` 1. Training data where humans only ever talk to bots (ConvAI2)
 * otherwise teaches nothing about a human whose partner is human too, and such a transcript's contrast, near 0 in
 * any direction, then lands on either side of the threshold.
 *
 * @param humans - the human targets of the fitting examples (at least 2, else nothing is made)
 * @param count - how many rows to make
 * @param seed - seed of the draw
 *
 * @internal
 */
export function humanPairContrasts(
  humans: readonly HumanStyle[],
  count: number,
  seed: number,
): Float64Array[] {
  const out: Float64Array[] = [];
  if (humans.length < 2) return out;
  const rand = seededRandom(seed);
  const styleSignals = CONTRAST_SIGNAL_NAMES.length - 1;
  for (let r = 0; r < count; r++) {
    const i = r % humans.length;
    // Uniform over the others: draw among n - 1 and step over i.
    const d = Math.floor(rand() * (humans.length - 1));
    const p = humans[i]!;
    const q = humans[d >= i ? d + 1 : d]!;
    const row = new Float64Array(CONTRAST_SIGNAL_NAMES.length).fill(Number.NaN);
    row[styleSignals] = 1;
    const has = p.has & q.has;
    for (let k = 0; k < styleSignals; k++) {
      if ((has >>> k) & 1) row[k] = contrastValue(k, p.signals[k]!, q.signals[k]!);
    }
    out.push(row);
  }
  return out;
}

/**
 * Per row, the weight that makes the first `real` rows' bots and humans count the same in total (each class
 * `real / 2`); the rows after them (synthetic humans) weigh what a real human does.
 *
 * @internal
 */
export function balancedWeights(y: readonly number[], real: number): number[] {
  let bots = 0;
  for (let i = 0; i < real; i++) bots += y[i]!;
  const bot = real / (2 * bots);
  const human = real / (2 * (real - bots));
  return y.map((v) => (v === 1 ? bot : human));
}
