import { describeValue } from '../core/describe-value.js';
import { nowMs } from '../core/detection.js';
import type { Detection, Detector } from '../core/detector.js';
import { checkInRange, PROBABILITY } from '../core/number-range.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { Label, LabelledTranscript } from '../core/transcript.js';
import type { ValidationLimits } from '../core/validate.js';
import { validateLabelled } from '../core/validate-examples.js';
import { truncatedFrom, truncateTranscript, validateTruncated } from '../data/transcript-limits.js';
import { MemberFailureTally } from '../ensemble/member-failure-tally.js';
import { cutAfterTargetMessage } from '../ensemble/prefix-cut.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import { type BootstrapIntervals, type BootstrapOptions, bootstrapIntervals } from './bootstrap.js';
import { type GroupMetrics, groupMetrics, type ScoredSlice } from './group-metrics.js';
import { computeMetrics, type Metrics } from './metrics.js';

/** Options for {@link evaluateDetector}. */
export interface EvaluateOptions {
  /**
   * Score at or above which a transcript counts as labelled bot. When omitted, each detection's own label
   * (the detector's own threshold) is used.
   * @defaultValue undefined (the detector's labels)
   */
  threshold?: number;
  /**
   * Cancels the evaluation; the promise then rejects with `AbortedError`.
   * @defaultValue undefined
   */
  signal?: AbortSignal;
  /**
   * Called after each batch with how many transcripts are done.
   * @defaultValue undefined
   */
  onProgress?: (progress: {
    /** Transcripts judged so far. */
    done: number;
    /** Transcripts in all. */
    total: number;
  }) => void;
  /**
   * Transcripts per `detectBatch` call, for detectors that have one (others get one `detect` at a time).
   * @defaultValue 32
   */
  batchSize?: number;
  /**
   * Names the group of each example (e.g. its data source); the report then has metrics per group in `by`.
   * Examples whose group is `undefined` or `null` are counted only in the overall metrics.
   * @defaultValue undefined (no breakdown)
   */
  groupBy?: (example: LabelledTranscript, index: number) => string | null | undefined;
  /**
   * Bootstrap 95% intervals for F1 and AUROC (`true` for the defaults of {@link BootstrapOptions}).
   * @defaultValue undefined (no intervals)
   */
  ci?: boolean | BootstrapOptions;
  /**
   * The early-verdict protocol: judge every example cut right after the target's `prefix`-th message, counted from
   * the chat's start. Examples whose target wrote fewer messages are left out and counted in `prefix.skipped`.
   * Examples a reader truncated (`truncate`: their first messages are gone, see `truncatedFrom`) are refused:
   * read them whole and give `truncate` here, which cuts after the prefix.
   * @defaultValue undefined (whole transcripts)
   */
  prefix?: number;
  /**
   * Validation limits for the examples (e.g. a higher `maxMessages` for long chats).
   * @defaultValue the defaults of `validateTranscript`
   */
  limits?: ValidationLimits;
  /**
   * Keep only the last `limits.maxMessages` messages (200 by default) of an example longer than that, after the
   * `prefix` cut: the prefix is taken from the chat's real start, and truncation applies to what is left when it
   * is still too long (`botlens eval --truncate --prefix K`). The report counts the examples it cut in
   * `truncated`.
   * @defaultValue false
   */
  truncate?: boolean;
}

/**
 * The result of {@link evaluateDetector}: the {@link Metrics} fields (precision, recall, f1, accuracy, auroc,
 * tprAt1Fpr, tprAt5Fpr, ece, confusion, positives, negatives) over the scored transcripts, plus counts and
 * timing. Abstentions are not guessed at: transcripts the detector abstained on are left out of the metrics
 * and counted in `abstained`, so the metrics cover `scored = n - abstained` transcripts. Report coverage
 * (`scored / n`) beside the metrics when comparing detectors that abstain at different rates.
 */
export interface EvaluationReport extends Omit<Metrics, 'n'> {
  /** The detector's name. */
  detector: string;
  /** Labelled transcripts given. */
  n: number;
  /** Transcripts the detector scored (the ones the metrics cover). */
  scored: number;
  /** Transcripts the detector abstained on (score `null`; excluded from the metrics). */
  abstained: number;
  /**
   * The threshold behind the confusion metrics: the `threshold` option, else the detector's own `threshold`
   * property when it has one (its labels were used), else `null`.
   */
  threshold: number | null;
  /** Wall time of the whole evaluation, in milliseconds. */
  elapsedMs: number;
  /** Metrics per group (option `groupBy`), keyed by group name. */
  by?: Record<string, GroupMetrics>;
  /**
   * Metrics of each ensemble member on the same examples, keyed by member name (present when the detections
   * carry their members' outcomes, as `Ensemble` results do; a member that did not run or failed on an example
   * is left out of its metrics there).
   */
  members?: Record<string, GroupMetrics>;
  /**
   * The ensemble members that threw instead of scoring, in the order they first failed: on how many examples, and
   * the first error. Empty when every member ran on every example. Those examples were scored from the other
   * members, so the metrics above are not the whole ensemble's: check this before reading them (`botlens eval`
   * refuses to print such a report without `--allow-partial`). The same shape as `botlens score`'s `failedMembers`,
   * counted over examples instead of lines.
   */
  failedMembers: MemberFailureCount[];
  /** Bootstrap intervals for F1 and AUROC (option `ci`). */
  ci?: BootstrapIntervals;
  /**
   * With the option `truncate`: the examples cut to their last `limits.maxMessages` messages (after the `prefix`
   * cut); their verdicts rest on those messages alone.
   */
  truncated?: number;
  /** How the early-verdict protocol was applied (option `prefix`). */
  prefix?: {
    /** The target's messages each transcript was cut after. */
    k: number;
    /** Examples left out because their target wrote fewer than `k` messages. */
    skipped: number;
  };
}

/** How often one ensemble member threw during an evaluation (see {@link EvaluationReport.failedMembers}). */
export interface MemberFailureCount {
  /** The member's name. */
  detector: string;
  /** Examples on which it threw. */
  examples: number;
  /** The index (in the labelled list, counting from 0) of the first example it threw on. */
  firstExample: number;
  /** Its error message on that example. */
  firstError: string;
}

const EVALUATE_OPTION_KEYS: OptionKeys<EvaluateOptions> = {
  threshold: true,
  signal: true,
  onProgress: true,
  batchSize: true,
  groupBy: true,
  ci: true,
  prefix: true,
  limits: true,
  truncate: true,
};

const BOOTSTRAP_OPTION_KEYS: OptionKeys<BootstrapOptions> = { resamples: true, seed: true, level: true };

/**
 * Runs a detector over labelled transcripts and measures it: precision, recall, F1, accuracy, AUROC, TPR at
 * 1% and 5% FPR, expected calibration error and confusion counts (`bot` = positive). Abstentions are
 * reported, not scored (see {@link EvaluationReport}). Errors from the detector propagate.
 *
 * @param detector - any {@link Detector}, including an `Ensemble`
 * @param labelled - labelled transcripts (validated up front; a bad one is named by index)
 * @param options - threshold, signal, progress callback, batch size, groups, intervals, prefix, limits, truncate
 * @throws InvalidOptionsError for a bad option, or a `prefix` on examples a reader truncated (read them whole and
 *   pass `truncate`, which cuts after the prefix)
 * @throws InvalidTranscriptError naming `labelled[i]` for an example that is invalid (under `limits`)
 *
 * @example
 * ```ts
 * const report = await evaluateDetector(new HeuristicDetector(), await readTranscriptsJsonl('test.jsonl'));
 * console.log(report.auroc, report.f1, report.abstained);
 * ```
 */
export async function evaluateDetector(
  detector: Detector,
  labelled: LabelledTranscript[],
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const started = nowMs();
  refuseUnknownKeys(options, EVALUATE_OPTION_KEYS, 'the options of evaluateDetector()');
  if (typeof options.ci === 'object' && options.ci !== null)
    refuseUnknownKeys(options.ci, BOOTSTRAP_OPTION_KEYS, 'the bootstrap options', { at: 'ci' });
  const { signal, onProgress, threshold } = options;
  const what = `evaluateDetector(${detector?.name ?? '?'})`;
  if (typeof detector !== 'object' || detector === null || typeof detector.detect !== 'function') {
    throw new InvalidOptionsError('detector', 'expected a Detector (an object with name and detect())');
  }
  if (threshold !== undefined) checkInRange('threshold', threshold, PROBABILITY);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidOptionsError(
      'batchSize',
      `expected a positive integer, got ${describeValue(batchSize)}`,
    );
  }
  AbortedError.throwIfAborted(signal, what);
  if (!Array.isArray(labelled) || labelled.length === 0) {
    throw new InvalidOptionsError(
      'labelled',
      'no labelled transcripts to evaluate: give at least one (is the data file empty?)',
    );
  }
  const { examples, skipped } = prefixed(labelled, options.prefix);
  const cut = options.truncate ? truncated(examples, options.limits) : { examples, count: 0 };
  labelled = cut.examples;
  const valids = validateLabelled(labelled, 'labelled', options.limits);
  const total = valids.length;
  const detections: Detection[] = [];
  const opts = signal ? { signal } : {};
  for (let at = 0; at < total; ) {
    AbortedError.throwIfAborted(signal, what);
    if (detector.detectBatch) {
      const chunk = valids.slice(at, at + batchSize);
      const got = await detector.detectBatch(chunk, opts);
      if (!Array.isArray(got) || got.length !== chunk.length) {
        throw new BotlensError(
          'BAD_DETECTION',
          `"${detector.name}".detectBatch() returned ${Array.isArray(got) ? got.length : 'no'} results for ${chunk.length} transcripts.`,
        );
      }
      detections.push(...got);
      at += chunk.length;
    } else {
      detections.push(await detector.detect(valids[at]!, opts));
      at++;
    }
    onProgress?.({ done: at, total });
  }
  AbortedError.throwIfAborted(signal, what);

  const scores: number[] = [];
  const labels: Label[] = [];
  const predicted: Label[] = [];
  const groups = new Map<string, ScoredSlice>();
  const members = new Map<string, ScoredSlice>();
  const failures = new MemberFailureTally();
  detections.forEach((d, i) => {
    collectMembers(d, labelled[i]!.label, members);
    collectFailures(d, i, failures);
    if (d?.score === null) return;
    if (
      typeof d?.score !== 'number' ||
      !(d.score >= 0 && d.score <= 1) ||
      (d.label !== 'bot' && d.label !== 'human')
    ) {
      throw new BotlensError(
        'BAD_DETECTION',
        `"${detector.name}" returned score ${String(d?.score)} with label ${String(d?.label)} for labelled[${i}]: a detection needs a score in [0, 1] and a label, or score and label null.`,
      );
    }
    scores.push(d.score);
    labels.push(labelled[i]!.label);
    predicted.push(d.label);
    const g = options.groupBy?.(labelled[i]!, i);
    if (g !== undefined && g !== null) addTo(groups, String(g), d.score, labelled[i]!.label, d.label);
  });
  const { n: scoredCount, ...metrics } = computeMetrics(
    scores,
    labels,
    threshold === undefined ? { predicted } : { threshold },
  );
  const own = (detector as { threshold?: unknown }).threshold;
  return {
    detector: detector.name,
    n: total,
    scored: scoredCount,
    abstained: total - scoredCount,
    threshold: threshold ?? (typeof own === 'number' ? own : null),
    ...metrics,
    elapsedMs: nowMs() - started,
    ...(options.groupBy && { by: sliceMetrics(groups) }),
    ...(members.size > 0 && { members: sliceMetrics(members) }),
    failedMembers: failures.entries().map((f) => ({
      detector: f.detector,
      examples: f.count,
      firstExample: f.first,
      firstError: f.firstError,
    })),
    ...(options.ci && {
      ci: bootstrapIntervals(scores, labels, predicted, options.ci === true ? {} : options.ci),
    }),
    ...(options.truncate && { truncated: cut.count }),
    ...(options.prefix !== undefined && { prefix: { k: options.prefix, skipped } }),
  };
}

/**
 * The examples (already cut after the prefix) with each longer than `limits.maxMessages` cut to its last ones,
 * and how many were cut; an example whose target truncation drops is refused as the readers refuse it.
 */
function truncated(
  examples: LabelledTranscript[],
  limits: ValidationLimits | undefined,
): { examples: LabelledTranscript[]; count: number } {
  let count = 0;
  const out = examples.map((e, i) => {
    const c = truncateTranscript(e, { ...(limits && { limits }), truncate: true });
    if (c === e) return e;
    count++;
    try {
      validateTruncated(c, e.messages, limits);
    } catch (err) {
      if (!InvalidTranscriptError.isInstance(err)) throw err;
      throw new InvalidTranscriptError(
        err.issues.map((x) => ({ path: `labelled[${i}]${x.path ? `.${x.path}` : ''}`, message: x.message })),
        { cause: err },
      );
    }
    return c;
  });
  return { examples: out, count };
}

/**
 * Refuses a `prefix` on an example a reader truncated: its target's first messages may be gone, so "after the
 * K-th" would count from the cut, not from the chat's start, and the verdicts would silently judge other messages.
 */
function refuseTruncatedPrefix(labelled: LabelledTranscript[], k: number): void {
  const at = labelled.findIndex((e) => typeof e === 'object' && e !== null && truncatedFrom(e) !== undefined);
  if (at < 0) return;
  const e = labelled[at]!;
  throw new InvalidOptionsError(
    'prefix',
    `labelled[${at}] was cut to its last ${e.messages.length} of ${truncatedFrom(e)} messages when it was read (truncate), so its target's ${k} first message(s) would be counted from the cut, not from the chat's start: read the data without truncate (limits: { maxMessages } large enough to hold whole chats) and pass limits and truncate: true to evaluateDetector, which takes the prefix first and truncates what is left (the CLI: botlens eval --truncate --prefix ${k} does this)`,
  );
}

/** The examples cut after the target's `k`-th message (all of them when `k` is undefined). */
function prefixed(
  labelled: LabelledTranscript[],
  k: number | undefined,
): { examples: LabelledTranscript[]; skipped: number } {
  if (k === undefined) return { examples: labelled, skipped: 0 };
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidOptionsError(
      'prefix',
      `expected a whole number of target messages (1 or more), got ${describeValue(k)}`,
    );
  }
  refuseTruncatedPrefix(labelled, k);
  const examples = labelled.flatMap((e) => {
    const c = cutAfterTargetMessage(e, k);
    return c === null ? [] : [c];
  });
  if (examples.length === 0) {
    throw new InvalidOptionsError('prefix', `no example's target wrote ${k} messages: use a smaller prefix`);
  }
  return { examples, skipped: labelled.length - examples.length };
}

function addTo(
  map: Map<string, ScoredSlice>,
  key: string,
  score: number,
  label: Label,
  predicted: Label,
): void {
  let s = map.get(key);
  if (!s) {
    s = { scores: [], labels: [], predicted: [] };
    map.set(key, s);
  }
  s.scores.push(score);
  s.labels.push(label);
  s.predicted.push(predicted);
}

/** Adds each scored member outcome of an ensemble detection to its member's slice. */
function collectMembers(d: Detection, label: Label, into: Map<string, ScoredSlice>): void {
  const ms = (d as { members?: unknown }).members;
  if (!Array.isArray(ms)) return;
  for (const m of ms as { detector?: unknown; score?: unknown; label?: unknown }[]) {
    if (typeof m?.detector !== 'string' || typeof m.score !== 'number') continue;
    if (m.label !== 'bot' && m.label !== 'human') continue;
    addTo(into, m.detector, m.score, label, m.label);
  }
}

/** Counts each member of an ensemble detection that threw (its outcome carries `error` instead of a score). */
function collectFailures(d: Detection, at: number, into: MemberFailureTally): void {
  const ms = (d as { members?: unknown }).members;
  if (!Array.isArray(ms)) return;
  for (const m of ms as { detector?: unknown; error?: { message?: unknown } }[]) {
    if (typeof m?.detector !== 'string' || typeof m.error !== 'object' || m.error === null) continue;
    into.add(m.detector, typeof m.error.message === 'string' ? m.error.message : describeValue(m.error), at);
  }
}

function sliceMetrics(map: Map<string, ScoredSlice>): Record<string, GroupMetrics> {
  return Object.fromEntries(
    [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, groupMetrics(s)]),
  );
}
