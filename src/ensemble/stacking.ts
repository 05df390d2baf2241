import type { DetectionFeatures } from '../core/detection-features.js';
import type { DetectionSupport } from '../core/detector.js';
import type { Label } from '../core/transcript.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import {
  decision,
  fitLogisticRegression,
  type LogisticModel,
  logit,
} from '../numeric/logistic-regression.js';
import type { Combination } from './combination.js';
import {
  FEATURE_PENALTY,
  featureNotes,
  featureWeightCount,
  type MemberFeatureSpec,
  pushFeatureTerms,
  specFromRows,
} from './member-features.js';
import { thinness } from './thinness.js';

/**
 * The combiner's features for one transcript: for each member in turn, `[logit(score), 0]` when it scored
 * and `[0, 1]` when it abstained, failed or did not run. The missing indicator lets the combiner learn what
 * a missing score says instead of pretending it was 0.5.
 *
 * @param scores - P(bot) per member, `null` when missing
 *
 * @example
 * ```ts
 * stackingFeatures([0.5, null]); // [0, 0, 0, 1]
 * ```
 */
function stackingFeatures(
  scores: readonly (number | null)[],
  support?: DetectionSupport,
  lengthTerms = false,
): number[] {
  const x: number[] = [];
  for (const s of scores) {
    if (s === null) x.push(0, 1);
    else x.push(logit(s), 0);
  }
  if (support === undefined) return x;
  const u = thinness(support);
  for (const s of scores) {
    if (s === null) {
      x.push(0, 0, 0);
      continue;
    }
    const z = logit(s);
    const c = Math.min(CLIP, Math.max(-CLIP, z));
    x.push(u * z, (u * c * c) / 10, u * Math.abs(c));
  }
  x.push(u);
  if (lengthTerms) {
    const l = messageLength(support);
    x.push(u * l, l);
  }
  return x;
}

/**
 * `log(1 + characters per target message)`: how long the target's messages are. Bots and humans differ in it
 * across bot families (it transfers better than vocabulary), and after one message it tells the combiner how
 * much text the members' early scores rest on.
 *
 * @internal
 */
export function messageLength(support: DetectionSupport): number {
  return Math.log1p(support.targetCharacters / Math.max(1, support.targetMessages));
}

/** Features after the evidence terms in a length-aware combiner: `[u * length, length]` ({@link messageLength}). */
export const LENGTH_TERMS = 2;

/**
 * The combiner formats by weight count, for `m` members: `2m` (log-odds and missing flag per member, saved before
 * evidence-aware combiners), `5m + 1` (with the evidence terms and `u`), `5m + 3` (also the message-length
 * terms; what `fitCombiner` fits when given supports).
 *
 * @internal
 */
export function combinerSizes(m: number): { plain: number; aware: number; withLength: number } {
  const aware = (2 + EVIDENCE_TERMS) * m + 1;
  return { plain: 2 * m, aware, withLength: aware + LENGTH_TERMS };
}

/** Log-odds are clipped to +-12 in the curved evidence terms, so one extreme score cannot dominate them. */
const CLIP = 12;

/** Features per member in an evidence-aware combiner: `[logit or 0, missing]` and three evidence terms. */
export const EVIDENCE_TERMS = 3;

/**
 * A stacking combiner's model: the logistic weights and, when it learned on members' named features, which
 * (their terms follow the other features, see `pushFeatureTerms`).
 *
 * @internal
 */
export interface StackingModel extends LogisticModel {
  /** The member features the last weights belong to; absent or empty when none. */
  memberFeatures?: MemberFeatureSpec[];
}

/** A fitted combiner: the logistic model and whether it conditions on the amount of evidence. @internal */
export interface FittedCombiner extends StackingModel {
  /** True when the model's features end with the evidence terms of `stackingFeatures(scores, support)`. */
  evidenceAware: boolean;
}

/**
 * Fits a logistic combiner on member scores (one row per example, one column per member; `null` =
 * missing), with {@link fitLogisticRegression}. Feed it out-of-fold scores, never in-sample ones, or it
 * learns to trust members that merely memorized the training set.
 *
 * @param rows - member scores per example
 * @param labels - the label of each example (`bot` = 1)
 * @param l2 - L2 penalty
 * @param supports - each example's amount of evidence: makes the combiner evidence-aware
 * @param lengthTerms - with `supports`, also the message-length terms (fitted when the members were fitted on
 *   prefix cuts: without them the terms measured worse on the first messages, see docs/evaluation.md);
 *   off unless asked for
 * @param features - with `supports`, each row's member features (`DetectionFeatures`, per member): the
 *   combiner also learns on them (see `FEATURE_TERMS`); members that offer none are left out
 *
 * @example
 * ```ts
 * const model = fitCombiner([[0.9, null], [0.2, 0.3]], ['bot', 'human'], 1);
 * ```
 */
export function fitCombiner(
  rows: readonly (readonly (number | null)[])[],
  labels: readonly Label[],
  l2: number,
  supports?: readonly DetectionSupport[],
  lengthTerms = false,
  features?: readonly (readonly (DetectionFeatures | undefined)[] | undefined)[],
): FittedCombiner {
  if (rows.length === 0)
    throw new InvalidOptionsError('examples', 'at least one example is needed to fit a combiner');
  const spec =
    supports !== undefined && features !== undefined ? specFromRows(features, rows[0]!.length) : [];
  const X = rows.map((r, i) => {
    const x = stackingFeatures(r, supports?.[i], supports !== undefined && lengthTerms);
    if (spec.length > 0) pushFeatureTerms(x, spec, features![i], supports![i]!);
    return x;
  });
  const extra = featureWeightCount(spec);
  const d = X[0]!.length;
  const m = fitLogisticRegression(
    X,
    labels.map((l) => (l === 'bot' ? 1 : 0)),
    {
      l2,
      ...(extra > 0 && {
        l2Scale: Array.from({ length: d }, (_, j) => (j < d - extra ? 1 : FEATURE_PENALTY)),
      }),
    },
  );
  return { ...m, evidenceAware: supports !== undefined, ...(spec.length > 0 && { memberFeatures: spec }) };
}

/**
 * Applies a fitted combiner. When no member scored, the ensemble abstains (`logOdds: null`) rather than
 * answering from the intercept alone.
 *
 * @param model - a combiner from {@link fitCombiner}, in any of the formats of {@link combinerSizes} (plus
 *   its member-feature terms, when it learned on member features)
 * @param scores - P(bot) per member, `null` when missing
 * @param support - the evidence the transcript holds (an evidence-aware combiner needs it)
 * @param features - per member, its detection's named features (for a combiner that learned on them; a
 *   missing one counts as all zeros)
 * @param memberName - a member's name, quoted, for the explanation
 *
 * @example
 * ```ts
 * combineStacking(model, [0.9, null]).logOdds; // the combiner's log-odds of bot
 * ```
 */
export function combineStacking(
  model: StackingModel,
  scores: readonly (number | null)[],
  support?: DetectionSupport,
  features?: readonly (DetectionFeatures | undefined)[],
  memberName: (j: number) => string = (j) => `member ${j}`,
): Combination {
  const m = scores.length;
  const sizes = combinerSizes(m);
  const { x, spec, base, aware, withLength } = combinerInput(model, scores, support, features);
  const w = model.weights;
  const contributions = scores.map((_, j) => {
    let share = w[2 * j]! * x[2 * j]! + w[2 * j + 1]! * x[2 * j + 1]!;
    if (aware) {
      for (let t = 0; t < EVIDENCE_TERMS; t++) {
        const at = 2 * m + EVIDENCE_TERMS * j + t;
        share += w[at]! * x[at]!;
      }
    }
    return share;
  });
  const method = `the fitted stacking combiner over ${m} member${m === 1 ? '' : 's'}`;
  if (scores.every((s) => s === null)) {
    return { logOdds: null, baseline: model.intercept, contributions: scores.map(() => null), method };
  }
  const c: Combination = { logOdds: decision(model, x), baseline: model.intercept, contributions, method };
  if (aware && support !== undefined) {
    const share = w[(2 + EVIDENCE_TERMS) * m]! * x[(2 + EVIDENCE_TERMS) * m]!;
    const n = support.targetMessages;
    c.notes = [
      {
        name: 'evidence_amount',
        value: n,
        contribution: share,
        sentence: `The verdict rests on ${n} message${n === 1 ? '' : 's'} from the target (${support.targetCharacters} characters); the combiner, fitted on conversations cut after 1, 2, 3, 5 and 8 messages as well as whole ones, weighs each member by that amount of evidence and moves the log-odds by ${share >= 0 ? '+' : ''}${share.toFixed(2)} for it.`,
      },
    ];
    if (withLength) {
      const at = sizes.aware;
      const lengthShare = w[at]! * x[at]! + w[at + 1]! * x[at + 1]!;
      const perMessage = support.targetCharacters / Math.max(1, n);
      c.notes.push({
        name: 'message_length',
        value: perMessage,
        contribution: lengthShare,
        sentence: `The target writes ${perMessage.toFixed(0)} characters per message; for that length (at this amount of evidence) the combiner moves the log-odds by ${lengthShare >= 0 ? '+' : ''}${lengthShare.toFixed(2)}.`,
      });
    }
    if (spec.length > 0) c.notes.push(...featureNotes(spec, w, x, base, memberName, scores, features));
  }
  return c;
}

/**
 * `combineStacking(model, scores, support, features).logOdds` without the members' shares and the notes: the same
 * features and the same sum, so the same double. A stream reads the score after every message and the
 * explanation only when asked (see `DeferredCombination`).
 *
 * @internal
 */
export function stackingLogOdds(
  model: StackingModel,
  scores: readonly (number | null)[],
  support?: DetectionSupport,
  features?: readonly (DetectionFeatures | undefined)[],
): number | null {
  if (scores.every((s) => s === null)) return null;
  return decision(model, combinerInput(model, scores, support, features).x);
}

/** The combiner's features for one transcript, in the layout the model's weight count names. */
function combinerInput(
  model: StackingModel,
  scores: readonly (number | null)[],
  support: DetectionSupport | undefined,
  features: readonly (DetectionFeatures | undefined)[] | undefined,
): { x: number[]; spec: readonly MemberFeatureSpec[]; base: number; aware: boolean; withLength: boolean } {
  const sizes = combinerSizes(scores.length);
  const spec = model.memberFeatures ?? [];
  const base = model.weights.length - featureWeightCount(spec);
  const withLength = support !== undefined && base === sizes.withLength;
  const aware = support !== undefined && (withLength || base === sizes.aware);
  const x = stackingFeatures(scores, aware ? support : undefined, withLength);
  if (aware && spec.length > 0) pushFeatureTerms(x, spec, features, support!);
  return { x, spec, base, aware, withLength };
}
