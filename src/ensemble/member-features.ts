import type { DetectionFeatures } from '../core/detection-features.js';
import type { DetectionSupport, Evidence } from '../core/detector.js';
import { thinness } from './thinness.js';

/**
 * One member's named features as a fitted stacking combiner learned them: the member (constructor index) and
 * the names, in the order of the combiner's weights. Saved with the combiner.
 *
 * @internal
 */
export interface MemberFeatureSpec {
  /** The member's index, constructor order. */
  member: number;
  /** The feature names the combiner has weights for, in order. */
  names: string[];
}

/**
 * Terms per member feature `f` in the combiner: `u * f` and `first * f`, where `u = 1 / sqrt(target messages)`
 * and `first` is 1 when the verdict rests on the target's first message alone (else 0). The member already
 * weighs its features into its own score, fitted on whole conversations; these terms let the combiner re-weigh
 * them as the evidence thins (the heuristic's per-signal terms: a long first reply means less than a long average
 * over twenty). Chosen by 5-fold cross-validation on the ConvAI training rows, see docs/evaluation.md.
 *
 * @internal
 */
export const FEATURE_TERMS = 2;

/**
 * The L2 penalty on the member-feature terms, relative to the combiner's other weights (on standardized
 * features). Many weak terms fitted on one population overfit it: on train-only leave-one-source-out (combiner
 * fitted on the 257 `convai1-2017` dialogues, scored on the ConvAI2 ones) the terms at the plain penalty cost
 * AUROC on whole transcripts (0.995 → 0.974); at 10× they cost almost nothing there (0.992) while in-domain
 * cross-validation keeps its gains. See docs/evaluation.md.
 *
 * @internal
 */
export const FEATURE_PENALTY = 10;

/**
 * The member features seen in out-of-fold rows, per member: the names of the first row that has them (members
 * whose detections offer none are left out). Empty when no member offers features.
 *
 * @param rows - per row, each member's features (`undefined` where none)
 * @param members - how many members
 * @internal
 */
export function specFromRows(
  rows: readonly (readonly (DetectionFeatures | undefined)[] | undefined)[],
  members: number,
): MemberFeatureSpec[] {
  const spec: MemberFeatureSpec[] = [];
  for (let j = 0; j < members; j++) {
    for (const r of rows) {
      const f = r?.[j];
      if (f !== undefined && f.names.length > 0) {
        spec.push({ member: j, names: [...f.names] });
        break;
      }
    }
  }
  return spec;
}

/** How many combiner weights the member features take. @internal */
export function featureWeightCount(spec: readonly MemberFeatureSpec[] | undefined): number {
  let n = 0;
  for (const s of spec ?? []) n += s.names.length * FEATURE_TERMS;
  return n;
}

/** Per spec entry, the last names array it matched by content (a detector passes the same array every time). */
const matched = new WeakMap<MemberFeatureSpec, readonly string[]>();

/**
 * Writes the value of each feature of `spec` from `f` into `out` at `at` (0 for a name `f` lacks, or when `f` is
 * missing: the member abstained, failed or offered none).
 */
function valuesInto(
  spec: MemberFeatureSpec,
  f: DetectionFeatures | undefined,
  out: number[],
  at: number,
): void {
  const n = spec.names.length;
  if (f === undefined) {
    for (let k = 0; k < n; k++) out[at + k] = 0;
    return;
  }
  const v = f.values;
  if (matched.get(spec) === f.names || sameNames(spec.names, f.names)) {
    matched.set(spec, f.names);
    for (let k = 0; k < n; k++) out[at + k] = finite(v[k]);
    return;
  }
  const index = new Map(f.names.map((name, k) => [name, k]));
  for (let k = 0; k < n; k++) {
    const i = index.get(spec.names[k]!);
    out[at + k] = i === undefined ? 0 : finite(v[i]);
  }
}

function finite(x: number | undefined): number {
  return x !== undefined && Number.isFinite(x) ? x : 0;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Appends the combiner's member-feature terms ({@link FEATURE_TERMS}) to `x`: for each spec entry, the `u * f`
 * terms of its features, then their `first * f` terms.
 *
 * @param x - the combiner's features so far (extended in place)
 * @param spec - what the combiner learned on
 * @param features - per member (constructor order), its detection's features
 * @param support - the evidence the transcript holds
 * @internal
 */
export function pushFeatureTerms(
  x: number[],
  spec: readonly MemberFeatureSpec[],
  features: readonly (DetectionFeatures | undefined)[] | undefined,
  support: DetectionSupport,
): void {
  const u = thinness(support);
  const first = support.targetMessages <= 1 ? 1 : 0;
  for (const s of spec) {
    const at = x.length;
    const n = s.names.length;
    valuesInto(s, features?.[s.member], x, at);
    for (let k = 0; k < n; k++) {
      const f = x[at + k]!;
      x[at + k] = u * f;
      x[at + n + k] = first * f;
    }
  }
}

/**
 * The `member_features` notes of a combination: per member whose features moved the log-odds, their total share
 * and the features that moved it most, so the explanation says what drove the verdict.
 *
 * @param spec - what the combiner learned on
 * @param weights - the combiner's weights
 * @param x - the combiner's features for this transcript
 * @param from - where the member-feature terms start in `weights` and `x`
 * @param memberName - a member's name, quoted, for the sentence
 * @param scores - P(bot) per member (`null` when missing)
 * @param features - per member, its detection's features
 * @internal
 */
export function featureNotes(
  spec: readonly MemberFeatureSpec[],
  weights: readonly number[],
  x: readonly number[],
  from: number,
  memberName: (j: number) => string,
  scores: readonly (number | null)[],
  features: readonly (DetectionFeatures | undefined)[] | undefined,
): Evidence[] {
  const notes: Evidence[] = [];
  let at = from;
  for (const s of spec) {
    const n = s.names.length;
    if (scores[s.member] !== null && features?.[s.member] === undefined) {
      // Never silent: the member scored but offered none of the features the combiner was fitted on.
      notes.push({
        name: 'member_features_missing',
        value: memberName(s.member),
        sentence: `${memberName(s.member)} scored but its detection offered none of the ${n} features the combiner was fitted on (is it the same detector as in fitting?), so they count as 0 and the score may be off.`,
      });
    }
    let total = 0;
    const shares: { name: string; share: number }[] = [];
    for (let k = 0; k < n; k++) {
      const share = weights[at + k]! * x[at + k]! + weights[at + n + k]! * x[at + n + k]!;
      total += share;
      if (share !== 0) shares.push({ name: s.names[k]!, share });
    }
    at += n * FEATURE_TERMS;
    if (shares.length === 0) continue;
    const member = memberName(s.member);
    let text: string | undefined;
    notes.push({
      name: 'member_features',
      value: member,
      contribution: total,
      // Written on first read and kept (an enumerable getter, so JSON sees it): a stream combines after every
      // message, and the explanation and each serialization read it again.
      get sentence(): string {
        text ??= featureSentence(member, total, shares);
        return text;
      },
    });
  }
  return notes;
}

/** The `member_features` note's sentence: the total share and the three features that moved the log-odds most. */
function featureSentence(
  member: string,
  total: number,
  shares: readonly { name: string; share: number }[],
): string {
  const top = [...shares]
    .sort((a, b) => Math.abs(b.share) - Math.abs(a.share))
    .slice(0, 3)
    .map((t) => `${t.name} ${signed(t.share)}`)
    .join(', ');
  return `At this amount of evidence the combiner re-weighs the parts of ${member}'s score: they move the log-odds by ${signed(total)}, most of it from ${top}.`;
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}
