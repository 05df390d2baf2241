import { z } from 'zod';
import { evidenceFacts } from '../core/detection.js';
import type { DetectionSupport, Evidence } from '../core/detector.js';
import type { Label } from '../core/transcript.js';
import type { Combination } from './combination.js';
import { isMemberFailure } from './run-members.js';
import { type FittedCombiner, fitCombiner, stackingLogOdds } from './stacking.js';
import type { MemberOutcome, NoveltyMode, NoveltyState } from './types.js';

/**
 * How familiar a transcript looks to the members that judge by resemblance to their fitted examples: the mean
 * cosine similarity of the nearest fitted examples a member reports in its `nearest_examples` evidence (the
 * embedding detector's kNN neighbours), and which members reported it. `null` when no member did.
 *
 * @internal
 */
export interface Familiarity {
  /** Mean similarity of the reported nearest examples (averaged over the members that report them). */
  value: number;
  /** Constructor-order indices of the members that reported neighbours. */
  members: number[];
}

/**
 * Reads {@link Familiarity} from member outcomes.
 *
 * @param outcomes - per member, constructor order (`undefined` when it did not run)
 *
 * @internal
 */
export function familiarityOf(outcomes: readonly (MemberOutcome | undefined)[]): Familiarity | null {
  return familiarityFrom(outcomes.map(neighbourSimilarity));
}

/**
 * {@link Familiarity} from each member's {@link neighbourSimilarity} (constructor order, `null` where none).
 *
 * @internal
 */
export function familiarityFrom(similarities: readonly (number | null)[]): Familiarity | null {
  let sum = 0;
  const members: number[] = [];
  similarities.forEach((s, j) => {
    if (s === null) return;
    sum += s;
    members.push(j);
  });
  return members.length === 0 ? null : { value: sum / members.length, members };
}

/**
 * The mean similarity of the nearest fitted examples one member reports (`nearest_examples` evidence), or
 * `null` when it reports none (or did not score). A detection whose evidence is written on first read states
 * that mean among its {@link evidenceFacts}; it is read from there, so the evidence is not written just for this.
 *
 * @internal
 */
export function neighbourSimilarity(o: MemberOutcome | undefined): number | null {
  if (o === undefined || isMemberFailure(o) || o.score === null) return null;
  const stated = evidenceFacts(o)?.nearestSimilarity;
  if (stated !== undefined) return stated;
  const e = o.evidence.find((x) => x.name === 'nearest_examples');
  if (!e || !Array.isArray(e.value) || e.value.length === 0) return null;
  let s = 0;
  let k = 0;
  for (const n of e.value) {
    const sim = typeof n === 'object' && n !== null && !Array.isArray(n) ? n['similarity'] : undefined;
    if (typeof sim === 'number' && Number.isFinite(sim)) {
      s += sim;
      k++;
    }
  }
  return k === 0 ? null : s / k;
}

/**
 * Evidence buckets (target messages up to this many) the familiarity reference is kept per: a short text
 * resembles its neighbours less than a long one, so "far" is judged against texts holding as much evidence.
 */
const BUCKET_UPTO = [1, 2, 3, 5, 8, Number.POSITIVE_INFINITY];
/** Fewest out-of-fold rows a bucket needs for its own reference; thinner buckets use the pooled one. */
const MIN_BUCKET_ROWS = 30;
/**
 * Quantiles of the in-fold familiarity that bound the shift: at or above the upper one (the 25th percentile)
 * a transcript counts as in distribution (no change); at or below the lower one (the 5th) the decision is
 * handed entirely to the members that transfer. Chosen on leave-one-source-out splits of the ConvAI train rows.
 */
const LOW_QUANTILE = 0.05;
const HIGH_QUANTILE = 0.25;
/**
 * How far confidence shrinks at full novelty: the log-odds are multiplied by `1 - SHRINK * novelty`. 0: on the
 * leave-one-source-out splits a shrink of 0.2 made calibration worse both in and out of distribution (handing
 * the decision to the transfer combiner already lowers confidence, since that combiner is less sure); kept in
 * the state so a later fit can set it.
 */
const SHRINK = 0;

/** Current format of {@link NoveltyState}. */
export const NOVELTY_VERSION = 1;

/** Schema of {@link NoveltyState}, for saved state. @internal */
export const noveltyStateSchema = z.object({
  version: z.literal(NOVELTY_VERSION),
  mode: z.enum(['report', 'fallback']),
  buckets: z
    .array(
      z.object({
        upTo: z.number().int().positive().nullable(),
        low: z.number().finite(),
        high: z.number().finite(),
        rows: z.number().int().nonnegative(),
      }),
    )
    .min(1),
  setAside: z.array(z.number().int().nonnegative()).min(1),
  transfer: z.object({ weights: z.array(z.number().finite()), intercept: z.number().finite() }),
  shrink: z.number().min(0).max(1),
});

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function bucketOf(support: DetectionSupport): number {
  const n = Math.max(1, support.targetMessages);
  return BUCKET_UPTO.findIndex((u) => n <= u);
}

/** One out-of-fold row as the guard needs it. @internal */
export interface NoveltyRow {
  scores: readonly (number | null)[];
  support: DetectionSupport;
  familiarity: Familiarity | null;
}

/**
 * Fits the guard on out-of-fold rows, or returns `null` when no member reported nearest examples, or every
 * member did (nothing would be left to hand the decision to).
 *
 * @param rows - out-of-fold rows with their familiarity
 * @param labels - their labels
 * @param l2 - L2 penalty of the transfer combiner
 * @param mode - what the guard will do with a far transcript
 * @param lengthTerms - whether the transfer combiner also learns the message-length terms, as the stacking
 *   combiner does (members fitted on prefix cuts)
 *
 * @internal
 */
export function fitNovelty(
  rows: readonly NoveltyRow[],
  labels: readonly Label[],
  l2: number,
  mode: NoveltyMode,
  lengthTerms = false,
): NoveltyState | null {
  const members = rows[0]?.scores.length ?? 0;
  const setAside = [...new Set(rows.flatMap((r) => r.familiarity?.members ?? []))].sort((a, b) => a - b);
  if (setAside.length === 0 || setAside.length >= members) return null;
  const values = BUCKET_UPTO.map((): number[] => []);
  const pooled: number[] = [];
  for (const r of rows) {
    if (r.familiarity === null) continue;
    values[bucketOf(r.support)]!.push(r.familiarity.value);
    pooled.push(r.familiarity.value);
  }
  if (pooled.length < MIN_BUCKET_ROWS) return null;
  pooled.sort((a, b) => a - b);
  const buckets = BUCKET_UPTO.map((u, b) => {
    const v = values[b]!.sort((x, y) => x - y);
    const from = v.length >= MIN_BUCKET_ROWS ? v : pooled;
    return {
      upTo: Number.isFinite(u) ? u : null,
      low: quantile(from, LOW_QUANTILE),
      high: quantile(from, HIGH_QUANTILE),
      rows: v.length,
    };
  });
  const masked = rows.map((r) => r.scores.map((s, j) => (setAside.includes(j) ? null : s)));
  const transfer: FittedCombiner = fitCombiner(
    masked,
    labels,
    l2,
    rows.map((r) => r.support),
    lengthTerms,
  );
  return {
    version: NOVELTY_VERSION,
    mode,
    buckets,
    setAside,
    transfer: { weights: [...transfer.weights], intercept: transfer.intercept },
    shrink: SHRINK,
  };
}

/**
 * Familiarities (cosine similarities) closer than this are the same: fitted vectors are stored rounded, so one
 * chat's similarity to a copy of itself comes out anywhere within about 1e-8 of 1.
 */
const SAME_FAMILIARITY = 1e-6;

/**
 * How far out of distribution a transcript is, from 0 (at least as familiar as the 25th percentile of held-out
 * training transcripts with as much evidence) to 1 (no more familiar than their 5th percentile), or `null` when
 * no member reported its familiarity.
 *
 * @internal
 */
export function noveltyDegree(
  state: NoveltyState,
  support: DetectionSupport,
  familiarity: Familiarity | null,
): number | null {
  if (familiarity === null) return null;
  const b = state.buckets[Math.min(bucketOf(support), state.buckets.length - 1)]!;
  const span = b.high - b.low;
  // Held-out transcripts all as familiar as each other (duplicates: similarity 1 up to the float16-rounded
  // vectors' noise, about 1e-8): a transcript is far only when clearly below them, not by that noise.
  if (!(span > SAME_FAMILIARITY)) return familiarity.value < b.low - SAME_FAMILIARITY ? 1 : 0;
  return Math.min(1, Math.max(0, (b.high - familiarity.value) / span));
}

/**
 * Applies the guard to a stacking combination: with novelty `g`, the log-odds become
 * `(1 - shrink g) ((1 - g) main + g transfer)`, where `transfer` is the combiner of the members that do not judge
 * by resemblance. The members' shares and the notes are scaled so that they still add up, and an
 * `out_of_distribution` note carries the transfer combiner's share and says why. Unchanged when `g` is 0. In
 * `report` mode the combination is left as it is and the note (without a contribution) gives the score the
 * fallback would have given.
 *
 * @param state - the fitted guard
 * @param main - the stacking combination
 * @param scores - P(bot) per member
 * @param support - the evidence the transcript holds
 * @param familiarity - from {@link familiarityOf}
 * @param names - a member's name, quoted, for the sentence
 * @param shift - log-odds added after the guard (the `prior` option's shift), so the score `report` mode quotes is
 *   the one `fallback` would give
 *
 * @internal
 */
export function guardNovelty(
  state: NoveltyState,
  main: Combination,
  scores: readonly (number | null)[],
  support: DetectionSupport,
  familiarity: Familiarity | null,
  names: (j: number) => string,
  shift = 0,
): Combination {
  const mix = mixNovelty(state, main.logOdds, scores, support, familiarity);
  if (mix === null) return main;
  const { g, keep, a, b, transfer, guarded } = mix;
  const scale = (x: number | null) => (x === null ? null : a * x);
  const b0 = state.buckets[Math.min(bucketOf(support), state.buckets.length - 1)]!;
  const aside = state.setAside.map(names).join(', ');
  const far = `The transcript is far from the fitted data: its nearest fitted examples average similarity ${mix.familiarity.toFixed(3)}, against ${b0.high.toFixed(3)} for the least familiar quarter of held-out training transcripts with as much evidence (${b0.low.toFixed(3)} for the least familiar 5%).`;
  const move = `${(g * 100).toFixed(0)}% from the full combiner to one without ${aside} (which judge by resemblance to the fitted examples)${keep < 1 ? `, and the log-odds shrink by ${((1 - keep) * 100).toFixed(0)}%` : ''}`;
  if (state.mode === 'report') {
    const p = 1 / (1 + Math.exp(-(guarded + shift)));
    return {
      ...main,
      notes: [
        ...(main.notes ?? []),
        {
          name: 'out_of_distribution',
          value: g,
          sentence: `${far} Its score may not mean here what it meant in fitting; handing the decision ${move} (the ensemble option noveltyGuard: 'fallback') would give P(bot) = ${p.toFixed(3)}.`,
        },
      ],
    };
  }
  const note: Evidence = {
    name: 'out_of_distribution',
    value: g,
    contribution: b * transfer,
    sentence: `${far} The decision moves ${move}; this part adds ${b * transfer >= 0 ? '+' : ''}${(b * transfer).toFixed(2)}.`,
  };
  return {
    logOdds: guarded,
    baseline: a * main.baseline,
    contributions: main.contributions.map(scale),
    method: `${main.method}, guarded against out-of-distribution input`,
    notes: [
      ...(main.notes ?? []).map((n) =>
        n.contribution === undefined ? n : { ...n, contribution: a * n.contribution },
      ),
      note,
    ],
  };
}

/**
 * `guardNovelty(state, main, ...).logOdds` from `main.logOdds` alone (the same {@link mixNovelty}, so the same
 * double), without the notes and sentences: what a stream needs after every message.
 *
 * @internal
 */
export function guardedLogOdds(
  state: NoveltyState,
  main: number | null,
  scores: readonly (number | null)[],
  support: DetectionSupport,
  familiarity: Familiarity | null,
): number | null {
  if (state.mode === 'report') return main;
  return mixNovelty(state, main, scores, support, familiarity)?.guarded ?? main;
}

/** How the guard moves one transcript's log-odds; see {@link mixNovelty}. */
interface NoveltyMix {
  /** The novelty, in (0, 1]. */
  g: number;
  /** The transcript's familiarity (mean similarity of its nearest fitted examples). */
  familiarity: number;
  /** What is kept of the log-odds, `1 - shrink g`. */
  keep: number;
  /** The main combiner's part, `keep (1 - g)`. */
  a: number;
  /** The transfer combiner's part, `keep g`. */
  b: number;
  /** The transfer combiner's log-odds. */
  transfer: number;
  /** The guarded log-odds, `a main + b transfer`. */
  guarded: number;
}

/**
 * The guard's arithmetic, in one place for {@link guardNovelty} and {@link guardedLogOdds}: at novelty `g`, the
 * log-odds `main` become `keep ((1 - g) main + g transfer)`, `transfer` being the combiner of the members that do
 * not judge by resemblance. `null` where the guard leaves them alone: no novelty (or none measured), no main
 * log-odds, or no member left to the transfer combiner.
 */
function mixNovelty(
  state: NoveltyState,
  main: number | null,
  scores: readonly (number | null)[],
  support: DetectionSupport,
  familiarity: Familiarity | null,
): NoveltyMix | null {
  const g = noveltyDegree(state, support, familiarity);
  if (g === null || g === 0 || main === null || familiarity === null) return null;
  const withoutSetAside = scores.map((s, j) => (state.setAside.includes(j) ? null : s));
  const transfer = stackingLogOdds(state.transfer, withoutSetAside, support);
  if (transfer === null) return null;
  const keep = 1 - state.shrink * g;
  const a = keep * (1 - g);
  const b = keep * g;
  return { g, familiarity: familiarity.value, keep, a, b, transfer, guarded: a * main + b * transfer };
}
