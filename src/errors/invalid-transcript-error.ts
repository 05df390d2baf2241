import { BotlensError } from './botlens-error.js';

/** One problem found in a transcript: where it is and how to fix it. */
export interface TranscriptIssue {
  /** Path of the offending field, e.g. `messages[3].timestamp`. */
  path: string;
  /** What is wrong and what to do. */
  message: string;
}

/**
 * A transcript failed validation. `issues` lists every problem found, each with the field and the fix.
 *
 * @example
 * ```ts
 * try {
 *   parseTranscript({ messages: [] });
 * } catch (err) {
 *   if (InvalidTranscriptError.isInstance(err)) console.log(err.issues[0]?.path); // "messages"
 * }
 * ```
 */
export class InvalidTranscriptError extends BotlensError {
  /** Every problem found, in document order. */
  readonly issues: readonly TranscriptIssue[];

  /** @param issues - the problems found (at least one) */
  constructor(issues: readonly TranscriptIssue[], options?: { cause?: unknown }) {
    const lines = issues.slice(0, 5).map((i) => `${i.path || '(root)'}: ${i.message}`);
    const more = issues.length > 5 ? `\n  (+${issues.length - 5} more)` : '';
    super('INVALID_TRANSCRIPT', `Invalid transcript:\n  ${lines.join('\n  ')}${more}`, options);
    this.name = 'InvalidTranscriptError';
    this.issues = issues;
  }

  /** True when `value` is an InvalidTranscriptError from any copy of the package. */
  static override isInstance(value: unknown): value is InvalidTranscriptError {
    return BotlensError.isInstance(value) && value.code === 'INVALID_TRANSCRIPT';
  }
}
