import { resolveValidationLimits } from '../core/validate.js';
import type { TranscriptLimitOptions } from '../data/transcript-limits.js';

/**
 * The transcript limits of a corpus run, checked before any line is read and reduced to plain data (a copy of
 * the limits given, and `truncate` when true), so they travel unchanged to worker threads and queue jobs.
 *
 * @param options - the run's options (`limits`, `truncate`)
 * @returns `{}` when neither is given: every scorer then applies the defaults (200 messages)
 * @throws InvalidOptionsError naming a limit that is not a non-negative integer
 * @internal
 */
export function corpusLineLimits(options: TranscriptLimitOptions): TranscriptLimitOptions {
  const out: TranscriptLimitOptions = {};
  if (options.limits !== undefined) {
    resolveValidationLimits(options.limits);
    out.limits = { ...options.limits };
  }
  if (options.truncate === true) out.truncate = true;
  return out;
}
