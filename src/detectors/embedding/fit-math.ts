import { TopK } from '../../ann/top-k.js';
import type { Neighbor, VectorIndex } from '../../ann/vector-index.js';
import { addScaled, type CompactVector, compactDot, dot } from '../../ann/vector-math.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { csrFromRows, SparseDesign } from '../../numeric/design-matrix.js';
import { fitLogisticRegression, type LogisticModel } from '../../numeric/logistic-regression.js';
import { solveLogistic } from '../../numeric/logistic-solver.js';
import { seededRandom, shuffle } from '../../numeric/random.js';
import { bucketScale, countsByRule, type RareBucketRule } from './bucket-spread.js';
import { type GramView, sparseRow } from './fit-cache.js';
import { withoutStops } from './knn-space.js';
import {
  centered,
  type FittedModel,
  featureVector,
  knnShare,
  meanVector,
  pairDot,
  selfDot,
  stratifiedSample,
  toScratch,
} from './model.js';

/**
 * Conversations and folds: examples with the same conversation key share a group, and groups are dealt to
 * `min(folds, groups)` folds in a seeded shuffle (so both speakers of a conversation share a fold).
 *
 * @param keys - the conversation key of each example
 * @param wanted - the number of folds asked for
 * @throws InvalidOptionsError when there are fewer than 2 conversations
 *
 * @internal
 */
export function assignFolds(
  keys: readonly string[],
  wanted: number,
): { group: number[]; fold: number[]; folds: number } {
  const groupOf = new Map<string, number>();
  const group = keys.map((k) => {
    let g = groupOf.get(k);
    if (g === undefined) {
      g = groupOf.size;
      groupOf.set(k, g);
    }
    return g;
  });
  const folds = Math.min(wanted, groupOf.size);
  if (folds < 2) {
    throw new InvalidOptionsError(
      'examples',
      'fit needs examples from at least 2 different conversations (for out-of-fold calibration)',
    );
  }
  const foldOfGroup = new Int32Array(groupOf.size);
  shuffle([...Array(groupOf.size).keys()], seededRandom(0x5eed)).forEach((g, r) => {
    foldOfGroup[g] = r % folds;
  });
  return { group, fold: group.map((g) => foldOfGroup[g]!), folds };
}

/** Everything the fit needs, already embedded and grouped. @internal */
export interface FitInput {
  /** The labelled embeddings (float16-rounded), dense or sparse. */
  vectors: CompactVector[];
  /** 1 = bot, 0 = human. */
  labels: Uint8Array;
  /** Conversation of each example. */
  group: readonly number[];
  /** Fold of each example (a conversation's examples share a fold). */
  fold: readonly number[];
  /** Number of folds. */
  folds: number;
  /** Vector length. */
  dim: number;
  /** The raw dot products `e_i . e_j`, when known (saves the n^2 kNN comparisons). */
  gram: GramView | undefined;
  /** Neighbours in the kNN vote. */
  k: number;
  /**
   * How many vectors, from the start, form the kNN vote's labelled set (the rest, prefix cuts, only shape the
   * centroids, the probe and the calibration); all when absent.
   */
  neighbourSet?: number;
  /**
   * Positions the kNN vote leaves out (see `FittedModel.knnStop`); none when absent. With some, the out-of-fold
   * votes are searched through `makeIndex`'s index (which stores the vectors without them), not read from `gram`.
   */
  knnStop?: Int32Array;
  /** Fit the linear probe. */
  probe: boolean;
  probeL2: number;
  probeMaxIter: number;
  probeMaxExamples: number;
  /** Positions (hashed buckets) seen in few training conversations get less or no probe weight; off when absent. */
  rareBuckets?: RareBucketRule | undefined;
  /**
   * Where the probe's solver starts (the probe of the detector's previous fit, e.g. the previous fold of an
   * ensemble's out-of-fold fitting); used only when it has `dim` weights. It stops at the same gradient norm as a
   * cold start, so the probe is the same optimum within the solver's tolerance, in fewer steps.
   */
  probeStart?: { weights: ArrayLike<number>; intercept: number } | undefined;
  /** Throws when the fit was cancelled; polled between stages and every 64 rows. */
  checkAborted: () => void;
}

/** What {@link fitEmbeddingModel} learns (the model less its embedder id and training counts). @internal */
export interface FitOutput {
  center: Float32Array;
  centroidBot: Float32Array;
  centroidHuman: Float32Array;
  probe: FittedModel['probe'];
  calibration: LogisticModel;
  probeExamples: number;
}

/**
 * The pure fit of the embedding detector: centering, class centroids, out-of-fold centroid margins and kNN
 * votes (each example's own conversation left out), a linear probe (L2 logistic regression on the centered,
 * unit-length embeddings, fitted sparse by the shared Newton solver, per fold for out-of-fold values), and the
 * calibration over those out-of-fold features.
 *
 * @param x - embeddings, labels, folds and settings
 * @param makeIndex - builds a search index over the kNN vote's labelled set, the first `x.neighbourSet` vectors
 *   (used only when `x.gram` is absent or `x.knnStop` names positions)
 *
 * @internal
 */
export async function fitEmbeddingModel(
  x: FitInput,
  makeIndex: (center: Float32Array) => Promise<VectorIndex>,
): Promise<{ out: FitOutput; index: VectorIndex | undefined }> {
  const { vectors, labels, group, dim, gram } = x;
  const n = vectors.length;
  const nn = Math.min(n, x.neighbourSet ?? n);

  // Center and per-vector quantities: v_i = (e_i - mu) / cn_i.
  const center = meanVector(vectors, dim);
  const cc = dot(center, center);
  const ec = vectors.map((e) => compactDot(e, center));
  const cn = vectors.map((e, i) =>
    Math.sqrt(Math.max(0, (gram ? gramAt(gram, i, i) : selfDot(e)) - 2 * ec[i]! + cc)),
  );
  const inv = cn.map((c) => (c > 1e-12 ? 1 / c : 0));

  // Class sums of v (dense), for centroids and their leave-own-conversation-out versions.
  const sums = [new Float64Array(dim), new Float64Array(dim)];
  const invSum = [0, 0];
  for (let i = 0; i < n; i++) {
    addScaled(sums[labels[i]!]!, vectors[i]!, inv[i]!);
    invSum[labels[i]!]! += inv[i]!;
  }
  for (let c = 0; c < 2; c++) for (let j = 0; j < dim; j++) sums[c]![j]! -= invSum[c]! * center[j]!;
  const sumNorm2 = sums.map((s) => dot(s, s));
  // Pairs of two prefix cuts are not in the Gram matrix (see FitCache.gramFor): the few read are dotted here.
  const raw = (i: number, j: number): number => {
    const g = gram ? gramAt(gram, i, j) : Number.NaN;
    return Number.isNaN(g) ? pairDot(vectors[i]!, vectors[j]!) : g;
  };
  // vdot(i, j) = v_i . v_j from plain dot products.
  const vdot = (i: number, j: number): number => (raw(i, j) - ec[i]! - ec[j]! + cc) * inv[i]! * inv[j]!;
  const centerDotSum = sums.map((s) => dot(center, s));
  const vdotSum = (i: number, c: number): number =>
    (compactDot(vectors[i]!, sums[c]!) - centerDotSum[c]!) * inv[i]!;
  const membersOfGroup = new Map<number, number[]>();
  group.forEach((g, i) => {
    const list = membersOfGroup.get(g);
    if (list) list.push(i);
    else membersOfGroup.set(g, [i]);
  });
  const centroid = (c: number): Float32Array => {
    const s = sums[c]!;
    const nrm = Math.sqrt(sumNorm2[c]!);
    return Float32Array.from(s, (v) => (nrm > 0 ? v / nrm : 0));
  };
  x.checkAborted();
  const stop = x.knnStop ?? new Int32Array(0);
  // The Gram matrix holds whole-vector dot products: a vote without the stop positions searches the index.
  const knnGram = stop.length === 0 ? gram : undefined;
  const index = knnGram ? undefined : await makeIndex(center);

  // Out-of-fold centroid margin and kNN share.
  const oofMargin = new Float64Array(n);
  const oofKnn = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if ((i & 63) === 0) x.checkAborted();
    const own = membersOfGroup.get(group[i]!)!;
    const cos = [0, 0];
    for (let c = 0; c < 2; c++) {
      // S_c minus the own conversation's members of class c.
      let dotS = vdotSum(i, c);
      let norm2 = sumNorm2[c]!;
      const mine = own.filter((j) => labels[j] === c);
      for (const j of mine) {
        dotS -= vdot(i, j);
        norm2 -= 2 * vdotSum(j, c);
      }
      for (const a of mine) for (const b of mine) norm2 += vdot(a, b);
      cos[c] = norm2 > 1e-12 ? dotS / Math.sqrt(norm2) : 0;
    }
    oofMargin[i] = cos[1]! - cos[0]!;
    const g = group[i]!;
    const kk = Math.min(x.k, nn - own.filter((j) => j < nn).length);
    let neighbours: Neighbor[] = [];
    if (kk > 0 && knnGram) {
      // The cosine ExactSearch computes, from the Gram matrix.
      const top = new TopK(kk);
      const { values, stride, slots } = knnGram;
      const row = slots[i]! * stride;
      const cni = cn[i]!;
      const eci = ec[i]!;
      // A candidate at or below the k-th best so far cannot enter (ids only grow, and ties go to the lower id),
      // so only the others are offered: the same neighbours as offering every pair, without a call per pair.
      let floor = top.floor;
      for (let j = 0; j < nn; j++) {
        if (group[j] === g) continue;
        const den = cni * cn[j]!;
        const s = den <= 1e-12 ? 0 : (values[row + slots[j]!]! - eci - ec[j]! + cc) / den;
        const sim = Math.min(1, Math.max(-1, s));
        if (!(sim <= floor)) {
          top.offer(j, sim);
          floor = top.floor;
        }
      }
      neighbours = top.sorted();
    } else if (kk > 0 && index) {
      neighbours = index.search(withoutStops(toScratch(vectors[i]!, dim), stop), kk, {
        exclude: (id) => group[id] === g,
      });
    }
    oofKnn[i] = knnShare(neighbours, labels);
  }

  const { probe, oofProbe, probeExamples } = x.probe
    ? fitProbe(x, center, inv)
    : { probe: null, oofProbe: new Float64Array(n), probeExamples: 0 };

  // Calibration on the out-of-fold features.
  const X: number[][] = [];
  for (let i = 0; i < n; i++) {
    X.push(
      featureVector(
        { cosBot: oofMargin[i]!, cosHuman: 0, knnShare: oofKnn[i]!, neighbours: [], probe: oofProbe[i]! },
        probe !== null,
      ),
    );
  }
  const calibration = fitLogisticRegression(X, Array.from(labels), { l2: 1 });
  return {
    out: {
      center,
      centroidBot: centroid(1),
      centroidHuman: centroid(0),
      probe,
      calibration,
      probeExamples,
    },
    index,
  };
}

/** The probe's solver stops once its gradient is 1/1000 of the initial one (liblinear's default is 1/100). */
const PROBE_REL_GRAD_TOL = 1e-3;
/**
 * Newton steps per fold, from the full fit: out-of-fold probe values by approximate cross-validation (one
 * Newton step from the full-data optimum approximates the fold's optimum closely; on ConvAI it gave the same
 * dev F1 as fold fits run to convergence, at a fraction of the cost).
 */
const FOLD_NEWTON_STEPS = 1;
/**
 * The weight of a prefix cut (a vector after `neighbourSet`) in the probe's fit, against 1 for a whole
 * conversation: the probe learns openings without giving up much on whole conversations (train-only 5-fold CV
 * on ConvAI with cuts after the 1st message: whole-transcript F1 0.964 at weight 1, 0.969 at 0.5; see
 * docs/evaluation.md).
 */
const CUT_PROBE_WEIGHT = 0.5;

/**
 * The linear probe: L2 logistic regression on the centered, unit-length embeddings `(e_i - mu) / cn_i`, fitted
 * on the sparse rows without densifying them (the centering and scaling enter the solver's products), first on
 * the whole sample, then per fold, warm-started from it, for out-of-fold values.
 */
function fitProbe(
  x: FitInput,
  center: Float32Array,
  inv: number[],
): { probe: FittedModel['probe']; oofProbe: Float64Array; probeExamples: number } {
  const { vectors, labels, fold, folds, dim } = x;
  const n = vectors.length;
  const nn = Math.min(n, x.neighbourSet ?? n);
  const oofProbe = new Float64Array(n);
  const sample = stratifiedSample(labels, x.probeMaxExamples);
  const csrRows = vectors.map(sparseRow);
  const csr = csrFromRows(csrRows, dim);
  const rowScale = Float64Array.from(inv);
  // With a rare-bucket rule the probe is fitted on scaled columns (weights mapped back by `rescaled`), the
  // conversation counts taken over the rows each fit sees (the fold's training rows for out-of-fold values).
  const rule = x.rareBuckets;
  const counts = rule && countsByRule(rule, csrRows, sample, labels, x.group, fold, folds, dim);
  const scaleFor = (f?: number) => (counts && rule ? bucketScale(counts(f), rule) : undefined);
  const scaling = (colScale?: Float64Array) => ({ center, rowScale, ...(colScale && { colScale }) });
  const design = (rows: readonly number[], colScale?: Float64Array) =>
    new SparseDesign(csr, { rowIds: Int32Array.from(rows), ...scaling(colScale) });
  const solve = (
    X: SparseDesign,
    rows: number[],
    maxIter: number,
    init?: { weights: ArrayLike<number>; intercept: number },
    relGradFromZero = false,
  ) =>
    solveLogistic(
      X,
      rows.map((i) => labels[i]!),
      {
        l2: x.probeL2,
        maxIter,
        tol: 1e-6,
        relGradTol: PROBE_REL_GRAD_TOL,
        init,
        relGradFromZero,
        ...(nn < n && { sampleWeights: rows.map((i) => (i < nn ? 1 : CUT_PROBE_WEIGHT)) }),
      },
    );
  x.checkAborted();
  const fullScale = scaleFor();
  const given = x.probeStart?.weights.length === dim ? x.probeStart : undefined;
  const start = given && fullScale ? rescaled(given, fullScale, 'to') : given;
  const whole = design(sample, fullScale);
  const full = solve(whole, sample, x.probeMaxIter, start, true);
  const fullWeights = fullScale ? rescaled(full, fullScale, 'from').weights : full.weights;
  const probe = { weights: Float32Array.from(fullWeights), intercept: full.intercept };
  const inSample = new Uint8Array(n);
  for (const i of sample) inSample[i] = 1;
  for (let f = 0; f < folds; f++) {
    x.checkAborted();
    // The fold's training rows, by position in the sample (its design is a subset of the whole sample's, whose
    // column index it filters instead of building its own).
    const at: number[] = [];
    const held: number[] = [];
    sample.forEach((i, q) => {
      if (fold[i] !== f) at.push(q);
      else held.push(i);
    });
    if (at.length === 0 || held.length === 0) continue;
    const tr = at.map((q) => sample[q]!);
    const foldScale = scaleFor(f);
    // The fold's scaled start: the full probe's weights in the fold's own column scale.
    const init = foldScale
      ? rescaled({ weights: fullWeights, intercept: full.intercept }, foldScale, 'to')
      : full;
    const m = solve(whole.subset(Int32Array.from(at), scaling(foldScale)), tr, FOLD_NEWTON_STEPS, init);
    const scores = new Float64Array(held.length);
    design(held, foldScale).times(m.weights, scores);
    held.forEach((i, a) => {
      oofProbe[i] = scores[a]! + m.intercept;
    });
  }
  // Examples outside the probe's sample are out-of-sample for the full probe.
  for (let i = 0; i < n; i++) {
    if (inSample[i]) continue;
    const v = centered(toScratch(vectors[i]!, dim), center);
    oofProbe[i] = v ? dot(v, probe.weights) + probe.intercept : 0;
  }
  return { probe, oofProbe, probeExamples: sample.length };
}

/**
 * Weights between the original columns and columns scaled by `scale`: `'from'` scaled weights to original ones
 * (`w * a`), `'to'` original ones to scaled (`w / a`, 0 where the column is dropped).
 */
function rescaled(
  m: { weights: ArrayLike<number>; intercept: number },
  scale: Float64Array,
  direction: 'from' | 'to',
): { weights: Float64Array; intercept: number } {
  const w = Float64Array.from(m.weights);
  for (let j = 0; j < w.length; j++) {
    const a = scale[j]!;
    w[j] = direction === 'from' ? w[j]! * a : a > 0 ? w[j]! / a : 0;
  }
  return { weights: w, intercept: m.intercept };
}

/** The dot product of texts i and j of a fit from its {@link GramView}. */
function gramAt(g: GramView, i: number, j: number): number {
  return g.values[g.slots[i]! * g.stride + g.slots[j]!]!;
}
