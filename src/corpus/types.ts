import type { DetectorState, Evidence } from '../core/detector.js';
import type { DetectorLoadOptions } from '../detectors/descriptor.js';
import type { EnsembleSpec } from '../detectors/detector-spec.js';

/**
 * What a corpus is scored with. It must be plain data, because every worker thread (and every queue worker on
 * another machine) builds its own copy: an ensemble to build from specs, a saved detector state (what
 * `toJSON()` or `botlens fit --out` wrote), or the path of such a file.
 *
 * @example
 * ```ts
 * const heuristic: ScoringDetector = { ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic' }] } };
 * const fitted: ScoringDetector = { file: 'fitted.json' };
 * ```
 */
export type ScoringDetector =
  | {
      /** Build this ensemble of built-in detectors. */
      ensemble: EnsembleSpec;
    }
  | {
      /** Restore this saved detector state. */
      state: DetectorState;
      /**
       * How to load it, as for `{ file }` (see {@link DetectorLoadOptions}).
       * @defaultValue `{}` (the saved settings)
       */
      options?: DetectorLoadOptions;
    }
  | {
      /** Read the saved detector state from this JSON file. */
      file: string;
      /**
       * How to load it: where its models are, a new threshold, a new prior for a fitted stacking ensemble
       * (see {@link DetectorLoadOptions}); plain data, so a worker thread or queue worker gets the same.
       * @defaultValue `{}` (the saved settings)
       */
      options?: DetectorLoadOptions;
    };

/** One member's verdict in a {@link ScoreRecord}. */
export interface ScoreMember {
  /** The member's name. */
  detector: string;
  /** Its P(bot), or `null` when it abstained or failed. */
  score: number | null;
  /** Its label, or `null`. */
  label: 'human' | 'bot' | null;
  /** The error message when the member failed (the ensemble still combined the others). */
  error?: string;
}

/** The output for one scored input line (one line of `scores.jsonl`). Timings are left out: the same input gives the same record. */
export interface ScoreRecord {
  /** 1-based input line number. */
  line: number;
  /** The record's `id` field when it has a string or number one, else the line number. */
  id: string | number;
  /** P(bot), or `null` when every member abstained. */
  score: number | null;
  /** `bot`, `human`, or `null` when abstaining. */
  label: 'human' | 'bot' | null;
  /** Each member's verdict (one entry, the detector itself, when it is not an ensemble). */
  members: ScoreMember[];
  /**
   * Only when `truncate` cut this line: its original message count (the verdict rests on the last
   * `maxMessages` messages).
   */
  truncatedFrom?: number;
  /** The evidence, only when asked for (`evidence: true`, `--evidence`). */
  evidence?: Evidence[];
}

/** An input line that could not be scored (one line of the rejects file). */
export interface RejectRecord {
  /** 1-based input line number. */
  line: number;
  /** Why: the JSON or validation error, or the failure that stopped its job. */
  reason: string;
}

/** What a scorer yields for each non-blank input line, in input order. */
export type ScoreOutcome =
  | {
      /** 1-based input line number. */
      line: number;
      /** The line was scored. */
      record: ScoreRecord;
    }
  | {
      /** 1-based input line number. */
      line: number;
      /** The line was invalid, or its job failed for good. */
      reject: RejectRecord;
      /**
       * `truncation`: the line is valid, but truncating it to its last `maxMessages` messages dropped every message
       * of its target; a larger `maxMessages` scores it (absent for a line that must be fixed itself).
       */
      cause?: 'truncation';
    };
