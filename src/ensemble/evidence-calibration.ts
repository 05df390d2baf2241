import { z } from 'zod';
import type { DetectionSupport } from '../core/detector.js';
import type { Label } from '../core/transcript.js';
import { fitLogisticRegression } from '../numeric/logistic-regression.js';
import type { Combination } from './combination.js';

/** Evidence buckets (target messages up to this many) that get their own recalibration. */
const BUCKET_UPTO = [1, 2, 3, 5, 8, Number.POSITIVE_INFINITY];
/** Fewest rows of each class a bucket needs for its own recalibration; thinner buckets are left as they are. */
const MIN_CLASS_ROWS = 20;
/** L2 penalty of each bucket's two-parameter fit, which pulls its slope toward 0 only a little. */
const L2 = 1;

/**
 * A recalibration of the combiner's log-odds per amount of evidence: for transcripts with up to `upTo` target
 * messages (and more than the bucket before), `z -> slope * z + shift`. Fitted on the combiner's log-odds of the
 * out-of-fold rows in each bucket, so each amount of evidence gets the scale its own rows call for (the combiner
 * itself only scales by `1 / sqrt(messages)`).
 */
export type EvidenceCalibration = {
  version: 1;
  buckets: { upTo: number | null; slope: number; shift: number; rows: number }[];
};

/** Schema of {@link EvidenceCalibration}, for saved state. @internal */
export const evidenceCalibrationSchema = z.object({
  version: z.literal(1),
  buckets: z
    .array(
      z.object({
        upTo: z.number().int().positive().nullable(),
        slope: z.number().finite(),
        shift: z.number().finite(),
        rows: z.number().int().nonnegative(),
      }),
    )
    .min(1),
});

function bucketOf(support: DetectionSupport): number {
  const n = Math.max(1, support.targetMessages);
  return BUCKET_UPTO.findIndex((u) => n <= u);
}

/**
 * Fits one `slope * z + shift` per evidence bucket.
 *
 * @param logOdds - the combiner's log-odds per out-of-fold row (`null` rows are skipped)
 * @param labels - their labels
 * @param supports - their evidence
 *
 * @internal
 */
export function fitEvidenceCalibration(
  logOdds: readonly (number | null)[],
  labels: readonly Label[],
  supports: readonly DetectionSupport[],
): EvidenceCalibration {
  const xs = BUCKET_UPTO.map((): number[][] => []);
  const ys = BUCKET_UPTO.map((): number[] => []);
  logOdds.forEach((z, i) => {
    if (z === null) return;
    const b = bucketOf(supports[i]!);
    xs[b]!.push([z]);
    ys[b]!.push(labels[i] === 'bot' ? 1 : 0);
  });
  return {
    version: 1,
    buckets: BUCKET_UPTO.map((u, b) => {
      const y = ys[b]!;
      const bots = y.reduce((a, v) => a + v, 0);
      const upTo = Number.isFinite(u) ? u : null;
      if (bots < MIN_CLASS_ROWS || y.length - bots < MIN_CLASS_ROWS)
        return { upTo, slope: 1, shift: 0, rows: y.length };
      const m = fitLogisticRegression(xs[b]!, y, { l2: L2, standardize: false });
      return { upTo, slope: m.weights[0]!, shift: m.intercept, rows: y.length };
    }),
  };
}

/**
 * Applies the bucket's recalibration to a combination, keeping it additive: the members' shares, the baseline
 * and the notes' contributions scale by the slope and the shift joins the baseline.
 *
 * @internal
 */
export function recalibrate(
  cal: EvidenceCalibration,
  c: Combination,
  support: DetectionSupport,
): Combination {
  if (c.logOdds === null) return c;
  const b = cal.buckets[Math.min(bucketOf(support), cal.buckets.length - 1)]!;
  if (b.slope === 1 && b.shift === 0) return c;
  const a = b.slope;
  return {
    logOdds: a * c.logOdds + b.shift,
    baseline: a * c.baseline + b.shift,
    contributions: c.contributions.map((x) => (x === null ? null : a * x)),
    method: `${c.method}, recalibrated for ${b.upTo === null ? 'long transcripts' : `up to ${b.upTo} target message${b.upTo === 1 ? '' : 's'}`}`,
    ...(c.notes
      ? {
          notes: c.notes.map((n) =>
            n.contribution === undefined ? n : { ...n, contribution: a * n.contribution },
          ),
        }
      : {}),
  };
}
