import { z } from 'zod';
import { NONZERO_SHARE, numberInRange, OPEN_SHARE, PROBABILITY } from '../core/number-range.js';
import { ZOO_DETECTORS } from '../zoo/model-zoo.js';
import type { DetectorDescriptor } from './descriptor.js';
import { descriptorForType, REGISTER_HINT, registeredDetectorTypes } from './detector-registry.js';
import type { EmbeddingRareBucketOptions } from './embedding/options.js';

/**
 * The built-in detector types, by the names the CLI and config files use: the model-free ones, the model-backed
 * ones with a zoo default, then `linear-probe` (model-backed, its embedder chosen by the model options).
 */
export const DETECTOR_TYPES = ['heuristic', 'partner-contrast', ...ZOO_DETECTORS, 'linear-probe'] as const;

/** A built-in detector type name. */
export type DetectorType = (typeof DETECTOR_TYPES)[number];

/** A problem of a detector spec, as the zod issue {@link detectorSpecSchema} reports (path relative to the spec). */
type SpecIssue =
  | { code: 'custom'; path: PropertyKey[]; message: string }
  | { code: 'unrecognized_keys'; keys: string[]; path: PropertyKey[]; message: string };

/**
 * Validates a detector spec against its type's descriptor (built-in or registered with `registerDetector`),
 * without applying defaults.
 *
 * @param raw - the spec as written
 * @returns the problems found, as zod issues (path relative to the spec)
 */
function specIssues(raw: unknown): SpecIssue[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [{ code: 'custom', path: [], message: 'expected an object like { "type": "heuristic" }' }];
  }
  const { type, ...options } = raw as Record<string, unknown>;
  let descriptor: DetectorDescriptor;
  try {
    descriptor = descriptorForType(type);
  } catch {
    return [
      {
        code: 'custom',
        path: ['type'],
        message: `type must be one of ${registeredDetectorTypes().join(', ')}; ${REGISTER_HINT}`,
      },
    ];
  }
  const r = descriptor.optionsSchema.safeParse(options);
  if (r.success) return [];
  // An unknown key keeps its code and keys, so a config reader can word it (the nearest known key).
  return r.error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? { code: i.code, keys: i.keys, path: i.path, message: i.message }
      : { code: 'custom' as const, path: i.path, message: i.message },
  );
}

/**
 * Schema of one detector in a config file or built from CLI flags; parses to {@link DetectorSpec}. Each type's
 * options are checked by its descriptor, so a type added with `registerDetector` is accepted too.
 * @internal
 */
export const detectorSpecSchema = z.unknown().transform((raw, ctx): DetectorSpec => {
  const issues = specIssues(raw);
  for (const issue of issues) {
    // An unknown key's issue is found only in an object (the spec's own options).
    ctx.issues.push(
      issue.code === 'unrecognized_keys'
        ? { ...issue, input: raw as Record<string, unknown> }
        : { ...issue, input: raw },
    );
  }
  return issues.length > 0 ? z.NEVER : (raw as DetectorSpec);
});

/**
 * How to build one built-in detector: its type and, for model-backed ones, which model to load.
 *
 * @example
 * ```ts
 * const spec: DetectorSpec = { type: 'embedding', embedder: 'hashing' };
 * ```
 */
export interface DetectorSpec {
  /** Which detector: a built-in {@link DetectorType} or a type added with `registerDetector`. */
  type: DetectorType | (string & {});
  /**
   * Name in results and ensembles.
   * @defaultValue the type
   */
  name?: string | undefined;
  /**
   * A hub id or a local folder.
   * @defaultValue the model zoo's default for the type
   */
  model?: string | undefined;
  /** A folder holding `<model>/` in the transformers.js layout; implies offline. */
  modelDir?: string | undefined;
  /**
   * Weights to load.
   * @defaultValue 'fp32'
   */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'q4' | undefined;
  /**
   * Hub revision (branch, tag or commit) to pin.
   * @defaultValue 'main'
   */
  revision?: string | undefined;
  /**
   * Never fetch from the hub (local folder or cache only).
   * @defaultValue false, or true when BOTLENS_OFFLINE=1
   */
  offline?: boolean | undefined;
  /**
   * ONNX Runtime intra-op threads.
   * @defaultValue ONNX Runtime's default (one per core)
   */
  threads?: number | undefined;
  /**
   * Where downloaded models are kept.
   * @defaultValue `$BOTLENS_CACHE_DIR`, else `~/.cache/botlens`
   */
  cacheDir?: string | undefined;
  /**
   * Where models run; `auto`, `gpu` and `cuda` fall back to the CPU when no GPU runtime is present.
   * @defaultValue 'cpu'
   */
  device?: 'cpu' | 'auto' | 'gpu' | 'cuda' | undefined;
  /**
   * For `embedding`: `hashing` (feature hashing) needs no model; `transformers` loads `model`.
   * @defaultValue 'transformers'
   */
  embedder?: 'hashing' | 'transformers' | undefined;
  /**
   * For `embedding`: give the probe no weight (or a larger penalty) for hashed positions seen in fewer than
   * `minConversations` training conversations; see `EmbeddingCentroidOptions.rareBuckets`.
   * @defaultValue undefined (off)
   */
  rareBuckets?: EmbeddingRareBucketOptions | undefined;
  /**
   * For `embedding`: leave hashed positions that more than this share of the labelled vectors use (common
   * n-grams) out of the kNN vote's similarity (CLI `--knn-stop-share`); see `EmbeddingCentroidOptions.knnStopShare`.
   * @defaultValue 1 (nothing left out)
   */
  knnStopShare?: number | undefined;
  /**
   * P(bot) at or above which the label is bot.
   * @defaultValue 0.5
   */
  threshold?: number | undefined;
  /** Further options of the type, as its descriptor's `optionsSchema` declares them. */
  [option: string]: unknown;
}

/**
 * Schema of an ensemble in a config file; parses to {@link EnsembleSpec}.
 * @internal
 */
export const ensembleSpecSchema = z.strictObject({
  strategy: z.enum(['weighted-mean', 'stacking', 'cascade'], {
    error: (issue) =>
      issue.input === undefined
        ? 'strategy is missing: set it to one of weighted-mean, stacking, cascade (an ensemble spec names it; new Ensemble() alone defaults to weighted-mean)'
        : 'strategy must be one of weighted-mean, stacking, cascade',
  }),
  threshold: numberInRange(PROBABILITY).optional(),
  weights: z.record(z.string(), z.number().nonnegative()).optional(),
  noveltyGuard: z
    .enum(['report', 'fallback', 'off'], { error: 'noveltyGuard must be one of report, fallback, off' })
    .optional(),
  memberPrefixCuts: z
    .array(z.number().int().positive(), { error: 'memberPrefixCuts must be an array of positive integers' })
    .optional(),
  memberPrefixCutShare: numberInRange(NONZERO_SHARE).optional(),
  memberFeatures: z.boolean({ error: 'memberFeatures must be true or false' }).optional(),
  prior: numberInRange(OPEN_SHARE).optional(),
  detectors: z.array(detectorSpecSchema).min(1, { error: 'list at least one detector' }),
});

/**
 * How to build an ensemble of built-in detectors (the `ensemble` key of `botlens.config.json`).
 *
 * @example
 * ```ts
 * const spec: EnsembleSpec = { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] };
 * ```
 */
export interface EnsembleSpec {
  /**
   * How member scores combine; see `Ensemble`. Required here (a spec that leaves it out is refused with
   * "strategy is missing"), though `new Ensemble()` defaults it to `weighted-mean`.
   */
  strategy: 'weighted-mean' | 'stacking' | 'cascade';
  /**
   * P(bot) at or above which the ensemble says bot.
   * @defaultValue 0.5
   */
  threshold?: number | undefined;
  /**
   * Weight per detector name for `weighted-mean`.
   * @defaultValue 1 for every detector
   */
  weights?: Record<string, number> | undefined;
  /**
   * What the stacking combiner's out-of-distribution guard does with a transcript unlike the fitted ones;
   * see `EnsembleOptions.noveltyGuard`. Fixed when the ensemble is fitted.
   * @defaultValue 'report'
   */
  noveltyGuard?: 'report' | 'fallback' | 'off' | undefined;
  /**
   * `stacking`: the target-message counts to also cut training transcripts (a share of them,
   * `memberPrefixCutShare`) at when fitting the members;
   * see `EnsembleOptions.memberPrefixCuts` (`[1]`: better verdicts after the first message). `[]` fits them on
   * whole transcripts only.
   * @defaultValue [1]
   */
  memberPrefixCuts?: number[] | undefined;
  /**
   * `stacking`: the share of training transcripts, in (0, 1], whose `memberPrefixCuts` cuts the members also
   * learn from; see `EnsembleOptions.memberPrefixCutShare`.
   * @defaultValue 0.25
   */
  memberPrefixCutShare?: number | undefined;
  /**
   * `stacking`: whether the combiner also learns on the members' named features (the heuristic's per-signal
   * terms); see `EnsembleOptions.memberFeatures`.
   * @defaultValue true
   */
  memberFeatures?: boolean | undefined;
  /**
   * `stacking`: the share of bots expected where the ensemble is used, when it differs from the training
   * examples' share; see `EnsembleOptions.prior`.
   * @defaultValue undefined (the training share)
   */
  prior?: number | undefined;
  /** The detectors, cheapest first for `cascade`. */
  detectors: DetectorSpec[];
}
