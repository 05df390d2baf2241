import type { Detection, DetectOptions, Detector, DetectorState } from '../core/detector.js';
import type { ValidationLimits } from '../core/validation-limits.js';

/** The ways an `Ensemble` can combine its members, as `EnsembleOptions.strategy` accepts them. */
export const ENSEMBLE_STRATEGIES = ['weighted-mean', 'stacking', 'cascade'] as const;

/**
 * How an `Ensemble` combines its members:
 * - `weighted-mean`: weighted mean of the members' log-odds (no fitting needed).
 * - `stacking`: a logistic combiner learned by `fit()` on out-of-fold member scores.
 * - `cascade`: members run cheapest first; stops once the running score is confidently on one side of the
 *   threshold.
 */
export type EnsembleStrategy = (typeof ENSEMBLE_STRATEGIES)[number];

/** Options of `Ensemble.fit`. */
export interface EnsembleFitOptions extends DetectOptions {
  /**
   * `stacking` and `cascade`: the group of each example, in the same order (for example its data source or bot
   * population). The combiner then learns from out-of-fold scores whose folds keep groups whole (one group per
   * fold when there are at most `folds` groups, else groups dealt into `folds` folds), so every score comes from
   * members fitted on other groups, and the combiner learns which members hold up on a population they were not
   * fitted on instead of trusting the ones that memorise the fitting populations. Needs at least two groups, and
   * both labels outside each fold. The members are still fitted on every example afterwards. It helps a model
   * meant to judge a population it was not fitted on, and costs the first messages in domain: see "By-group
   * combiner folds and a transfer setting" in docs/evaluation.md for the train-only leave-one-source-out figures.
   * @defaultValue undefined (stratified folds, option `folds`)
   */
  groups?: readonly string[];
}

/** Options of `Ensemble.dispose`. */
export interface EnsembleDisposeOptions {
  /**
   * How long `dispose()` waits for member calls still running (a cancelled `detect()` whose member ignores its
   * signal, a `fit()` or a stream push under way) before it disposes the members anyway and warns through
   * `onWarning`, naming the calls still running (they may then fail). Milliseconds, at most 2147483647 (the
   * longest timer), or `Infinity` to wait as long as they take.
   * @defaultValue 10000
   */
  timeoutMs?: number;
  /**
   * Receives the warning when the wait ran out.
   * @defaultValue `process.emitWarning` with code `BOTLENS_DISPOSE_TIMEOUT`
   */
  onWarning?: (message: string) => void;
}

/** A member's error, kept as data in an {@link EnsembleResult}. */
export type MemberError = MemberFailure['error'];

/** A member that threw instead of returning a detection. The rest of the ensemble still combines. */
export interface MemberFailure {
  /** The member's name. */
  detector: string;
  /** What it threw, as data. */
  error: {
    /** The error's class name, e.g. `ModelLoadError` or `TypeError`. */
    name: string;
    /** The botlens error code, when the error is a `BotlensError`. */
    code?: string;
    /** The error's message. */
    message: string;
  };
  /** Wall time spent before it threw, in milliseconds. */
  elapsedMs: number;
}

/** What one member produced: its {@link Detection}, or its error as data. */
export type MemberOutcome = Detection | MemberFailure;

/**
 * The result of `Ensemble.detect()`: a {@link Detection} for the ensemble as a whole, plus every member's
 * outcome and sentences saying what each contributed.
 *
 * @example
 * ```ts
 * const r = await ensemble.detect(transcript);
 * console.log(r.score, r.label, r.ran);
 * for (const line of r.explanation) console.log(line);
 * ```
 */
export interface EnsembleResult extends Detection {
  /** The strategy that combined the members. */
  strategy: EnsembleStrategy;
  /** The threshold the label was taken against. */
  threshold: number;
  /** Each member that ran, in run order: its detection, or its error as data. */
  members: MemberOutcome[];
  /** Names of the members that ran, in run order. */
  ran: string[];
  /** Names of the members a cascade skipped because it was already confident (empty otherwise). */
  skipped: string[];
  /** Readable sentences: the conclusion first, then what each member contributed. */
  explanation: string[];
}

/**
 * Options for `new Ensemble(detectors, options)`.
 *
 * @example
 * ```ts
 * const options: EnsembleOptions = { strategy: 'cascade', costs: { heuristic: 1, embedding: 20 } };
 * ```
 */
export interface EnsembleOptions {
  /**
   * How members are combined; see {@link EnsembleStrategy}.
   * @defaultValue 'weighted-mean'
   */
  strategy?: EnsembleStrategy;
  /**
   * The ensemble's own name, used in results, errors and metrics.
   * @defaultValue 'ensemble'
   */
  name?: string;
  /**
   * P(bot) at or above which the label is `bot`. `calibrate()` replaces it.
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * Non-negative weight per member name, for `weighted-mean` and for an unfitted `cascade`. Names must be
   * members' names. Members not listed weigh 1.
   * @defaultValue every member weighs 1
   */
  weights?: Record<string, number>;
  /**
   * `cascade` only: relative cost per member name; members run cheapest first (ties keep the given order).
   * Members not listed cost 1. Refused (`InvalidOptionsError`) with another strategy, where it would have no effect.
   * @defaultValue the order the detectors were given in
   */
  costs?: Record<string, number>;
  /**
   * `cascade` only: how far, in log-odds, the running score must be from the threshold to stop early.
   * The default, ln 9, stops at P(bot) >= 0.9 or <= 0.1 when the threshold is 0.5. Refused
   * (`InvalidOptionsError`) with another strategy, where it would have no effect.
   * @defaultValue Math.log(9) (about 2.197)
   */
  margin?: number;
  /**
   * `stacking` and `cascade` only: number of folds for the out-of-fold scores `fit()` learns their combiners
   * from. Refused (`InvalidOptionsError`) with `weighted-mean`, which learns none.
   * @defaultValue 5
   */
  folds?: number;
  /**
   * `stacking` and `cascade` only: seed of the deterministic, stratified fold split (and of the choice of
   * `memberPrefixCutShare`). Refused with `weighted-mean`.
   * @defaultValue 42
   */
  seed?: number;
  /**
   * `stacking` and `cascade` only: L2 penalty of the logistic combiner(s). Refused with `weighted-mean`.
   * @defaultValue 1
   */
  l2?: number;
  /**
   * `stacking` only: what to do with transcripts far from the fitted data. `fit()` records how familiar held-out
   * training transcripts look to the members that judge by resemblance to fitted examples (those reporting
   * `nearest_examples` evidence, such as the embedding detector) and fits a second combiner without them. A
   * transcript less familiar than the least familiar quarter of held-out ones then gets an `out_of_distribution`
   * evidence entry saying how far it is; with `fallback` its decision also moves toward that second combiner,
   * for populations unlike the fitting data (what it gains on unseen bots and costs in domain: docs/benchmarks.md,
   * section "generalization"); `report` leaves the score alone and says what the fallback would give; `off` fits
   * nothing. Saved in the state.
   * @defaultValue 'report'
   */
  noveltyGuard?: 'report' | 'fallback' | 'off';
  /**
   * `stacking` only: members with `fit()` are fitted on the training transcripts and also on each of them cut
   * right after the target's k-th message, for each k listed here (in the out-of-fold fits and the final one),
   * so a member has seen short openings like those it must judge early in a conversation. The cuts are marked
   * as such: the embedding detector learns its centroids, probe (at half weight) and calibration from them but
   * keeps them out of its kNN vote's labelled set, so detection cost and saved state stay those of a fit on
   * whole transcripts. With cuts the combiner also learns message-length terms. On ConvAI (heuristic + hashing
   * embedding, fitted on train; dev figures in docs/evaluation.md) `[1]` lifts the verdict after the target's
   * 1st message (dev: F1 0.764 → 0.878, ECE 0.080 → 0.047) for about 1.1-1.2x the fit's CPU time, with the cuts
   * taken from a share of the training examples (`memberPrefixCutShare`, a quarter by default); longer lists
   * such as `[1, 2, 3, 5, 8]` cost several times the fit time (every cut list adds examples, and past 2,048
   * distinct texts the embedding fit loses its cache). `[]` fits the members on whole transcripts only (the
   * fastest fit, and the default before `memberPrefixCutShare` existed). An example a reader truncated (it carries
   * `truncatedFrom`: `botlens fit --truncate`, `readTranscriptsJsonl(path, { truncate: true })`) is never cut, by
   * these or the combiner's cuts: its first messages are the middle of a long chat, not its opening (read long chats
   * whole, with a larger `limits.maxMessages`, to learn their openings). Saved in the state (state saved without
   * it was fitted with `[]`, and keeps `[]` for a later `fit()`).
   * @defaultValue [1] (from `memberPrefixCutShare` of the training examples)
   */
  memberPrefixCuts?: readonly number[];
  /**
   * `stacking` only: the share of training examples whose prefix cuts (`memberPrefixCuts`) members also learn
   * from, chosen once per fit in each class by a seeded shuffle (`seed`), the same examples in every
   * out-of-fold fit and the final one. Each cut adds a training text, so the share sets the fit's extra cost; on
   * ConvAI train (train-only 5-fold CV) the cuts after the 1st message of a quarter of the chats gave what those of
   * all chats gave after that message (F1 0.871 vs 0.838, without cuts 0.755), see docs/evaluation.md. Saved in
   * the state (state saved without it used every example's cuts, and keeps 1 for a later `fit()`).
   * @defaultValue 0.25
   */
  memberPrefixCutShare?: number;
  /**
   * `stacking` only: the combiner also learns on the named numbers members attach to their detections beside
   * the score (the heuristic detector's per-signal log-odds terms; other built-in members attach none), each
   * scaled by how thin the evidence is (`u * f`, `u = 1 / sqrt(target messages)`) and once more for a verdict on
   * the first message alone. So it can re-weigh a member's parts where the member's own weighting, fitted on whole
   * conversations, is off: after one or two messages. The explanation names the parts that moved the verdict most
   * (`member_features`). Costs nothing measurable in `detect()` or a stream push (the heuristic computes the
   * terms anyway). On ConvAI (heuristic + hashing embedding, dev, fitted on train): F1 after the target's 1st
   * message 0.743 → 0.764, 2nd 0.903 → 0.917, 3rd 0.917 → 0.923, whole transcripts 0.949 → 0.952 (ECE 0.026 →
   * 0.015); with `memberPrefixCuts: [1, 2, 3, 5, 8]`, after the 1st message 0.779 → 0.873 (docs/evaluation.md).
   * Saved in the state; a combiner saved without member features keeps combining without them.
   * @defaultValue true
   */
  memberFeatures?: boolean;
  /**
   * `stacking` only: the share of bots expected among the transcripts the ensemble will judge, when it differs
   * from the share in the training examples. The combiner's probabilities carry the training share as their
   * prior; with `prior` set, every verdict's log-odds move by `logit(prior) - logit(training share)` (Bayes'
   * rule for a changed prior, the same for every transcript), so P(bot) and the threshold keep their meaning
   * where bots are rarer or commoner than in training. `0.5` assumes nothing about the new population. The
   * explanation lists the shift (`prior_shift`). On ConvAI (fitted on the 257 `convai1-2017` training
   * dialogues, 20% bots, tested on ConvAI2 sources, about 48% bots; train-only) F1 0.659 -> 0.736 and ECE 0.229
   * -> 0.160 with `prior: 0.5`, ranking unchanged; in domain it moves little (see docs/evaluation.md). Saved in
   * the state with the training share.
   * @defaultValue undefined (the training share: no shift)
   */
  prior?: number;
  /**
   * Makes a fresh, unfitted copy of a member, so `fit()` can fit one copy per fold (then disposes it) and
   * leave the member itself untouched until the final fit on all examples. Without it, members with `fit()`
   * are re-fitted in place fold after fold, which requires that `fit()` replaces (never accumulates) what
   * was learned before.
   * @defaultValue undefined (members are re-fitted in place)
   */
  cloneMember?: (detector: Detector) => Detector;
  /**
   * Limits for the transcripts the ensemble reads (`detect`, `detectBatch`, `calibrate`, and the messages of a
   * `stream`): raise `maxMessages` for chats longer than 200 messages, e.g. `{ maxMessages: 2000 }`. Checked at
   * construction, with the same type and meaning as a detector's `limits`.
   *
   * These are the limits of the whole call: the ensemble validates each transcript with them once, and members
   * are handed that validated copy. A member given no `limits` of its own takes it as it is; a member whose own
   * limits are stricter (`new HeuristicDetector({ limits: { maxMessages: 300 } })`) refuses it, and is reported
   * failed in `members` under its name (as any member that throws), never skipped silently. A member's limits do
   * not raise the ensemble's: set them here. A `stream` gives its limits (`StreamOptions.limits`, else these) to
   * every member's stream, as a stream's `limits` always override a detector's own. `fit()` validates its
   * examples under the defaults, as before. Not part of the saved state (nor are the detectors' limits): give
   * them again when you rebuild an ensemble.
   * @defaultValue DEFAULT_LIMITS (1 to 200 messages)
   */
  limits?: ValidationLimits;
}

/** A logistic combiner as stored in {@link EnsembleState}. */
export type SerializedCombiner = {
  /**
   * One weight per feature: `[logit(score) or 0, missing]` for each member in turn; an evidence-aware combiner
   * then has `[u * z, u * z^2 / 10, u * |z|]` for each member (`z` its log-odds, clipped to +-12 in the last
   * two) and `u` itself, where `u = 1 / sqrt(target messages)`; a length-aware one (fitted since the message
   * length terms were added; older saved combiners keep their format and scores) then has `[u * l, l]` with
   * `l = log(1 + target characters per target message)`. The format is read from the number of weights.
   */
  weights: number[];
  /**
   * The members' named features a stacking combiner learned on (option `memberFeatures`): per member (constructor
   * index), the feature names. Their weights come last, entry after entry: `u * f` for each of its names, then
   * `first * f` for each (`first` = 1 when the verdict rests on the target's first message). Absent in
   * combiners fitted without member features (and in all state saved before the option existed).
   */
  memberFeatures?: {
    /** The member's index, constructor order. */
    member: number;
    /** The feature names the combiner has weights for, in order. */
    names: string[];
  }[];
  /** The bias term. */
  intercept: number;
};

/**
 * The state a member without `toJSON()` is saved as, so the resolver passed to `Ensemble.fromJSON()` can
 * still rebuild it by name.
 */
export type UnserializedMemberState = {
  /** Always `unserialized`. */
  kind: 'unserialized';
  /** Always 0. */
  version: 0;
  /** The member's name. */
  name: string;
};

/**
 * Fitted state of an `Ensemble`, as `toJSON()` returns it and `Ensemble.fromJSON()` reads it.
 *
 * @example
 * ```ts
 * const state: EnsembleState = ensemble.toJSON();
 * await writeFile('ensemble.json', JSON.stringify(state));
 * ```
 */
export type EnsembleState = DetectorState & {
  /** Always `ensemble`. */
  kind: 'ensemble';
  /** State format version: 1. */
  version: 1;
  /** The ensemble's name. */
  name: string;
  /** The combination strategy. */
  strategy: EnsembleStrategy;
  /** The decision threshold. */
  threshold: number;
  /** Weight per member name (every member listed). */
  weights: Record<string, number>;
  /** Cost per member name, or `null` when the given order is the run order. */
  costs: Record<string, number> | null;
  /** The cascade's early-stop margin in log-odds. */
  margin: number;
  /** Folds used by `fit()`. */
  folds: number;
  /** Seed of the fold split. */
  seed: number;
  /** L2 penalty of the combiner(s). */
  l2: number;
  /** The stacking combiner, or `null` when not fitted (or not stacking). */
  combiner: SerializedCombiner | null;
  /** The cascade's combiner per prefix length (index k for the first k+1 members), or `null`. */
  combiners: SerializedCombiner[] | null;
  /**
   * The stacking combiner's out-of-distribution guard (see {@link EnsembleOptions.noveltyGuard}); `null` when
   * there is none. Version 1 state has no such field.
   */
  novelty?: NoveltyState | null;
  /**
   * The `memberPrefixCuts` option the ensemble was built with; absent in state saved before it existed (such
   * an ensemble was fitted on whole transcripts, and a later `fit()` keeps `[]`).
   */
  memberPrefixCuts?: number[];
  /**
   * The `memberPrefixCutShare` option the ensemble was built with; absent in state saved before it existed
   * (such an ensemble learned from every example's cuts, and a later `fit()` keeps 1).
   */
  memberPrefixCutShare?: number;
  /** The `memberFeatures` option the ensemble was built with; absent in state saved before it existed. */
  memberFeatures?: boolean;
  /** The `prior` option the ensemble was built with; absent when it was not set (and in earlier state). */
  prior?: number;
  /**
   * The share of bots among the whole training transcripts the stacking combiner was fitted on (what `prior`
   * shifts from); absent when not fitted, and in state saved before it was recorded. Counted over whole
   * transcripts only, although the combiner also learns from their prefix cuts: where bots' and humans'
   * conversations differ in length the two shares differ a little (ConvAI's convai1-2017 train rows: 0.198
   * whole, 0.212 with the cuts, 0.08 in log-odds).
   */
  trainingBotShare?: number;
  /**
   * `true` when the combiner(s) learned from out-of-fold folds grouped by `EnsembleFitOptions.groups` (CLI
   * `--group-by`); absent when the folds were stratified, when nothing was fitted, and in state saved before it
   * was recorded. The groups themselves are not saved: a refit must pass them again.
   */
  groupedFolds?: true;
  /** Member names, in the order given to the constructor. */
  memberNames: string[];
  /** Each member's own `toJSON()` (or `{ kind: 'unserialized', version: 0, name }` for a member without `toJSON()`), in the same order. */
  members: DetectorState[];
};

/**
 * What the guard does with a far transcript: `report` adds the `out_of_distribution` evidence (how far, and the
 * score the fallback would give) and leaves the score alone; `fallback` also moves the decision toward the
 * members that transfer.
 */
export type NoveltyMode = 'report' | 'fallback';

/**
 * What the out-of-distribution guard learned in fitting: per evidence bucket, the familiarity of held-out
 * (out-of-fold) transcripts at two quantiles, which members judge by resemblance (and are set aside when a
 * transcript is far from the fitted data), and the combiner of the remaining members, fitted on the same
 * out-of-fold rows.
 */
export type NoveltyState = {
  /** Format version of this block: 1. */
  version: 1;
  /** What the guard does with a far transcript. */
  mode: NoveltyMode;
  /** One per evidence bucket, fewest target messages first. */
  buckets: {
    /** The bucket holds transcripts with up to this many target messages (`null`: no limit). */
    upTo: number | null;
    /** Familiarity at or below which a transcript counts as fully out of distribution (5th percentile). */
    low: number;
    /** Familiarity at or above which a transcript counts as in distribution (25th percentile). */
    high: number;
    /** Out-of-fold rows in the bucket (a bucket with fewer than 30 uses the pooled quantiles). */
    rows: number;
  }[];
  /** Members set aside out of distribution (they reported nearest examples). */
  setAside: number[];
  /** The combiner over the other members (the set-aside members' scores as missing). */
  transfer: SerializedCombiner;
  /** Log-odds shrink at full novelty. */
  shrink: number;
};
