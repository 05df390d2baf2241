import { HNSW_DEFAULTS } from '../../ann/hnsw-index.js';
import { describeValue } from '../../core/describe-value.js';
import { checkName, checkThreshold } from '../../core/detector-kit.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import type { TransformersEmbedderOptions } from '../../runtime/transformers-embedder.js';

/** HNSW settings for the kNN index; see `HNSW_DEFAULTS`. */
export interface EmbeddingHnswOptions {
  /**
   * Graph out-degree.
   * @defaultValue 16
   */
  m?: number;
  /**
   * Build-time candidate list size.
   * @defaultValue 200
   */
  efConstruction?: number;
  /**
   * Search-time candidate list size.
   * @defaultValue 64
   */
  efSearch?: number;
}

/** See {@link EmbeddingCentroidOptions.rareBuckets}. */
export interface EmbeddingRareBucketOptions {
  /** Distinct training conversations a position must occur in to get the probe's full weight (an integer >= 2). */
  minConversations: number;
  /**
   * `'drop'`: rarer positions get no weight; `'shrink'`: their L2 penalty is scaled by `minConversations / count`.
   * @defaultValue 'drop'
   */
  action?: 'drop' | 'shrink';
  /**
   * What is counted: `'any'` = conversations where either speaker's example has the position; `'eachClass'` =
   * the fewer of bot examples' and human examples' conversations (a position only one class uses, however often,
   * counts 0: class-exclusive vocabulary is what names one bot family).
   * @defaultValue 'any'
   */
  count?: 'any' | 'eachClass';
}

/** Options for {@link EmbeddingCentroidDetector}. */
export interface EmbeddingCentroidOptions {
  /**
   * The detector's name in results and ensembles.
   * @defaultValue 'embedding'
   */
  name?: string;
  /**
   * Score at or above which the label is `bot`.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * Turns the target's text into a vector. `HashingEmbedder` needs no model (fast, offline, strong on chat
   * style); `TransformersEmbedder` captures meaning. When omitted, a `TransformersEmbedder` with
   * `embedderOptions` is created on first use (its module is imported only then).
   * @defaultValue a TransformersEmbedder for Xenova/e5-small-v2
   */
  embedder?: Embedder;
  /**
   * Options for the default `TransformersEmbedder`; ignored when `embedder` is given.
   * @defaultValue {}
   */
  embedderOptions?: TransformersEmbedderOptions;
  /**
   * Neighbours in the kNN vote (capped at the number of labelled examples).
   * @defaultValue 10
   */
  k?: number;
  /**
   * How the kNN vote finds neighbours: `true` = HNSW index (hnswlib-node), `false` = exact search,
   * `'auto'` = HNSW when at least `annMinExamples` labelled vectors are stored and they are dense (sparse
   * hashed vectors are searched exactly: a sparse scan is cheap, and HNSW would store them dense).
   * @defaultValue 'auto'
   */
  useAnn?: boolean | 'auto';
  /**
   * Labelled vectors from which `useAnn: 'auto'` switches to HNSW.
   * @defaultValue 5000
   */
  annMinExamples?: number;
  /**
   * HNSW settings.
   * @defaultValue `HNSW_DEFAULTS`
   */
  hnsw?: EmbeddingHnswOptions;
  /**
   * Add a linear probe (L2 logistic regression on the embedding) to the features. The probe is the strongest
   * single feature on lexical embeddings; without it the score uses the centroids and the kNN vote only.
   * @defaultValue true
   */
  probe?: boolean;
  /**
   * L2 penalty of the probe (over the centered, unit-length embeddings; the loss is summed over examples).
   * @defaultValue 0.01
   */
  probeL2?: number;
  /**
   * Most Newton iterations of the probe's solver on the whole sample (the shared truncated-Newton solver; each
   * fold then takes two Newton steps from that fit).
   * @defaultValue 10
   */
  probeMaxIter?: number;
  /**
   * Most examples the probe is fitted on; above it a deterministic, class-stratified sample is used (the
   * probe's fit time grows with the non-zeros of the sampled embeddings).
   * @defaultValue 2000
   */
  probeMaxExamples?: number;
  /**
   * Guard against learning one bot family's vocabulary: embedding positions (hashed n-gram buckets) that occur
   * in fewer than `minConversations` distinct training conversations get no probe weight (`action: 'drop'`) or
   * an L2 penalty scaled up by `minConversations / count` (`'shrink'`). Rare n-grams tend to be one bot's or one
   * persona's phrases. Counted over the probe's training rows (per fold for the out-of-fold values). Affects the
   * probe only (centroids and the kNN vote are unchanged); off when absent. See docs/evaluation.md for what it
   * did on ConvAI.
   * @defaultValue undefined (off)
   */
  rareBuckets?: EmbeddingRareBucketOptions;
  /**
   * Leave common n-grams out of the kNN vote's similarity: embedding positions (hashed n-gram buckets) that more
   * than this share of the labelled vectors use at fit time are "stop" positions, and the vote compares the
   * target with each labelled vector over the other positions only (centered cosine in that subspace). The
   * centroids and the probe keep every position. Common n-grams say little about which labelled example a text
   * is nearest, and they are what a stream's pushes spend most of their time on: each message changes them,
   * and each change moves the similarity of most labelled vectors. A number in (0, 1]; `1` leaves nothing out.
   * Hashing embedder only: a share below 1 with any other embedder (whose dense vectors use every position) is
   * refused with an InvalidOptionsError. The positions are fixed by `fit()` and saved with the fitted state
   * (CLI: `botlens fit --embedder hashing --knn-stop-share X`); see
   * docs/evaluation.md for what it did on ConvAI (kept off by default: it cost accuracy across bot populations).
   * @defaultValue 1 (nothing left out)
   */
  knnStopShare?: number;
  /**
   * Folds for the out-of-fold features the calibration is fitted on. Both speakers of a conversation are
   * always in the same fold.
   * @defaultValue 5
   */
  folds?: number;
  /**
   * Texts per `embed()` call during `fit()` and `detectBatch()`.
   * @defaultValue 64
   */
  batchSize?: number;
}

/** Options with their defaults applied. @internal */
export interface Resolved {
  name: string;
  threshold: number;
  k: number;
  useAnn: boolean | 'auto';
  annMinExamples: number;
  hnsw: Required<EmbeddingHnswOptions>;
  probe: boolean;
  probeL2: number;
  probeMaxIter: number;
  probeMaxExamples: number;
  rareBuckets: Required<EmbeddingRareBucketOptions> | undefined;
  knnStopShare: number;
  folds: number;
  batchSize: number;
}

function positiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidOptionsError(name, `expected a positive integer, got ${describeValue(v)}`);
  }
  return v;
}

function positiveNumber(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InvalidOptionsError(name, `expected a finite number > 0, got ${describeValue(v)}`);
  }
  return v;
}

function shareOf(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) {
    throw new InvalidOptionsError(
      name,
      `expected a number in (0, 1] (1 leaves nothing out), got ${describeValue(v)}`,
    );
  }
  return v;
}

function rareBucketRule(v: unknown): Required<EmbeddingRareBucketOptions> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidOptionsError('rareBuckets', 'expected { minConversations, action?, count? }');
  }
  const { minConversations, action = 'drop', count = 'any', ...rest } = v as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    throw new InvalidOptionsError('rareBuckets', `unknown key ${describeValue(extra[0])}`);
  }
  const min = positiveInt('rareBuckets.minConversations', minConversations, 0);
  if (min < 2) {
    throw new InvalidOptionsError(
      'rareBuckets.minConversations',
      `expected an integer >= 2 (1 keeps every position; leave rareBuckets out for that), got ${describeValue(minConversations)}`,
    );
  }
  if (action !== 'drop' && action !== 'shrink') {
    throw new InvalidOptionsError(
      'rareBuckets.action',
      `expected "drop" or "shrink", got ${describeValue(action)}`,
    );
  }
  if (count !== 'any' && count !== 'eachClass') {
    throw new InvalidOptionsError(
      'rareBuckets.count',
      `expected "any" or "eachClass", got ${describeValue(count)}`,
    );
  }
  return { minConversations: min, action, count };
}

/** Validates options and applies defaults. @internal */
export function resolveOptions(o: EmbeddingCentroidOptions): Resolved {
  if (typeof o !== 'object' || o === null)
    throw new InvalidOptionsError('options', 'expected an options object');
  const name = checkName(o.name, 'embedding');
  const threshold = checkThreshold(o.threshold);
  const useAnn = o.useAnn ?? 'auto';
  if (useAnn !== true && useAnn !== false && useAnn !== 'auto') {
    throw new InvalidOptionsError('useAnn', `expected true, false or "auto", got ${describeValue(useAnn)}`);
  }
  if (o.probe !== undefined && typeof o.probe !== 'boolean') {
    throw new InvalidOptionsError('probe', `expected a boolean, got ${describeValue(o.probe)}`);
  }
  const folds = positiveInt('folds', o.folds, 5);
  if (folds < 2) throw new InvalidOptionsError('folds', `expected at least 2, got ${folds}`);
  return {
    name,
    threshold,
    k: positiveInt('k', o.k, 10),
    useAnn,
    annMinExamples: positiveInt('annMinExamples', o.annMinExamples, 5000),
    hnsw: {
      m: positiveInt('hnsw.m', o.hnsw?.m, HNSW_DEFAULTS.m),
      efConstruction: positiveInt(
        'hnsw.efConstruction',
        o.hnsw?.efConstruction,
        HNSW_DEFAULTS.efConstruction,
      ),
      efSearch: positiveInt('hnsw.efSearch', o.hnsw?.efSearch, HNSW_DEFAULTS.efSearch),
    },
    probe: o.probe ?? true,
    probeL2: positiveNumber('probeL2', o.probeL2, 0.01),
    probeMaxIter: positiveInt('probeMaxIter', o.probeMaxIter, 10),
    probeMaxExamples: positiveInt('probeMaxExamples', o.probeMaxExamples, 2000),
    rareBuckets: rareBucketRule(o.rareBuckets),
    knnStopShare: shareOf('knnStopShare', o.knnStopShare, 1),
    folds,
    batchSize: positiveInt('batchSize', o.batchSize, 64),
  };
}
