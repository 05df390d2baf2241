import { nowMs } from '../core/detection.js';
import type { Detection, Detector } from '../core/detector.js';
import type { Label, LabelledTranscript } from '../core/transcript.js';
import { validateLabelled } from '../core/validate-examples.js';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { computeMetrics, type Metrics } from './metrics.js';

/** Progress of {@link evaluateDetector}. */
export interface EvaluateProgress {
  /** Transcripts judged so far. */
  done: number;
  /** Transcripts in all. */
  total: number;
}

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
  onProgress?: (progress: EvaluateProgress) => void;
  /**
   * Transcripts per `detectBatch` call, for detectors that have one (others get one `detect` at a time).
   * @defaultValue 32
   */
  batchSize?: number;
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
}

/**
 * Runs a detector over labelled transcripts and measures it: precision, recall, F1, accuracy, AUROC, TPR at
 * 1% and 5% FPR, expected calibration error and confusion counts (`bot` = positive). Abstentions are
 * reported, not scored (see {@link EvaluationReport}). Errors from the detector propagate.
 *
 * @param detector - any {@link Detector}, including an `Ensemble`
 * @param labelled - labelled transcripts (validated up front; a bad one is named by index)
 * @param options - threshold, signal, progress callback, batch size
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
  const { signal, onProgress, threshold } = options;
  const what = `evaluateDetector(${detector?.name ?? '?'})`;
  if (typeof detector !== 'object' || detector === null || typeof detector.detect !== 'function') {
    throw new InvalidOptionsError('detector', 'expected a Detector (an object with name and detect())');
  }
  if (threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) {
    throw new InvalidOptionsError('threshold', `expected a number in [0, 1], got ${String(threshold)}`);
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidOptionsError('batchSize', `expected a positive integer, got ${String(batchSize)}`);
  }
  AbortedError.throwIfAborted(signal, what);
  const valids = validateLabelled(labelled, 'labelled');
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
  detections.forEach((d, i) => {
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
  };
}
