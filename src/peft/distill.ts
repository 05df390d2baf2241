import { describeValue } from '../core/describe-value.js';
import type { Detection, DetectOptions, Detector } from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { Transcript } from '../core/transcript.js';
import { validateTranscriptAt } from '../core/validate-examples.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** A detector that can learn from soft targets: `LinearProbeDetector` and `LoraClassifierDetector` are. */
export interface DistillStudent extends Detector {
  /** Fits on P(bot) per transcript. */
  fitSoft(
    transcripts: readonly Transcript[],
    targets: readonly number[],
    opts?: DetectOptions,
  ): Promise<void>;
}

/**
 * Progress of {@link distill}, by `phase`: `label` (the teacher has labelled `done` of `total` transcripts)
 * or `fit` (the student starts fitting).
 */
export type DistillProgress =
  | {
      /** The teacher is labelling. */
      phase: 'label';
      /** Transcripts labelled so far. */
      done: number;
      /** Transcripts in all. */
      total: number;
    }
  | {
      /** The student starts fitting. */
      phase: 'fit';
    };

/** Options for {@link distill}. */
export interface DistillOptions<S extends DistillStudent> {
  /** The slow, accurate detector whose scores become the targets (any Detector, e.g. an `Ensemble`). */
  teacher: Detector;
  /** Unlabelled transcripts to label with the teacher. */
  transcripts: readonly Transcript[];
  /** The fast detector to train on the teacher's scores. */
  student: S;
  /**
   * Train on the teacher's labels (0/1 at its threshold) instead of its scores.
   * @defaultValue false
   */
  hardLabels?: boolean;
  /**
   * Transcripts per teacher `detectBatch` call.
   * @defaultValue 32
   */
  batchSize?: number;
  /** Cancels the work; the promise then rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Called as the teacher labels batches, and once when the student starts fitting. */
  onProgress?: (p: DistillProgress) => void;
}

/** What {@link distill} returns. */
export interface DistillResult<S extends DistillStudent> {
  /** The trained student (the same object that was passed). */
  student: S;
  /** The teacher's P(bot) per transcript (`null` where it abstained; those were left out). */
  targets: (number | null)[];
  /** Transcripts the student learned from. */
  used: number;
  /** Transcripts the teacher abstained on. */
  abstained: number;
  /** Milliseconds the teacher spent labelling and the student spent fitting. */
  timing: {
    /** Teacher labelling time. */
    teacherMs: number;
    /** Student fitting time. */
    studentMs: number;
  };
}

const DISTILL_OPTION_KEYS: OptionKeys<DistillOptions<DistillStudent>> = {
  teacher: true,
  transcripts: true,
  student: true,
  hardLabels: true,
  batchSize: true,
  signal: true,
  onProgress: true,
};

/**
 * Knowledge distillation: a slow teacher (an `Ensemble`, a large model) labels unlabelled transcripts with
 * its scores, and a fast student (a `LinearProbeDetector` or a `LoraClassifierDetector`) is trained on those soft
 * targets, so it learns the teacher's confidence, not only its decisions. Transcripts the teacher abstains on are
 * skipped. Measure what the student loses with `evaluateDetector` on labelled data.
 *
 * @param options - teacher, transcripts, student and settings; see {@link DistillOptions}
 * @throws InvalidOptionsError when the teacher scores too few transcripts of both kinds to learn from
 * @throws AbortedError when cancelled
 *
 * @example
 * ```ts
 * const { student } = await distill({ teacher: ensemble, transcripts: unlabelled, student: new LinearProbeDetector() });
 * const report = await evaluateDetector(student, dev);
 * ```
 */
export async function distill<S extends DistillStudent>(
  options: DistillOptions<S>,
): Promise<DistillResult<S>> {
  refuseUnknownKeys(options, DISTILL_OPTION_KEYS, 'the options of distill()');
  const { teacher, student, signal, onProgress } = options;
  const what = 'distillation';
  AbortedError.throwIfAborted(signal, what);
  if (!teacher || typeof teacher.detect !== 'function')
    throw new InvalidOptionsError('teacher', 'expected a Detector');
  if (!student || typeof student.fitSoft !== 'function') {
    throw new InvalidOptionsError(
      'student',
      'expected a detector with fitSoft() (LinearProbeDetector, LoraClassifierDetector)',
    );
  }
  if (!Array.isArray(options.transcripts))
    throw new InvalidOptionsError('transcripts', 'expected an array of transcripts');
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidOptionsError(
      'batchSize',
      `expected a positive integer, got ${describeValue(batchSize)}`,
    );
  const transcripts = options.transcripts.map((t, i) => validateTranscriptAt(t, `transcripts[${i}]`));
  const teacherStart = performance.now();
  const detections: Detection[] = [];
  const opts = signal ? { signal } : {};
  for (let at = 0; at < transcripts.length; at += batchSize) {
    AbortedError.throwIfAborted(signal, what);
    const chunk = transcripts.slice(at, at + batchSize);
    if (teacher.detectBatch) detections.push(...(await teacher.detectBatch(chunk, opts)));
    else for (const t of chunk) detections.push(await teacher.detect(t, opts));
    onProgress?.({
      phase: 'label',
      done: Math.min(at + batchSize, transcripts.length),
      total: transcripts.length,
    });
  }
  const teacherMs = performance.now() - teacherStart;
  const targets = detections.map((d) =>
    d.score === null ? null : options.hardLabels ? (d.label === 'bot' ? 1 : 0) : d.score,
  );
  const keep = targets.map((t, i) => (t === null ? -1 : i)).filter((i) => i >= 0);
  const bots = keep.filter((i) => targets[i]! >= 0.5).length;
  if (keep.length < 2 || bots === 0 || bots === keep.length) {
    throw new InvalidOptionsError(
      'transcripts',
      `the teacher scored ${keep.length} transcripts (${bots} as bot): distillation needs both kinds; give more transcripts`,
    );
  }
  AbortedError.throwIfAborted(signal, what);
  onProgress?.({ phase: 'fit' });
  const studentStart = performance.now();
  await student.fitSoft(
    keep.map((i) => transcripts[i]!),
    keep.map((i) => targets[i]!),
    opts,
  );
  return {
    student,
    targets,
    used: keep.length,
    abstained: targets.length - keep.length,
    timing: { teacherMs, studentMs: performance.now() - studentStart },
  };
}
