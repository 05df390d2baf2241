import type { Detection } from '../core/detector.js';
import { inCliTerms } from './cli-wording.js';
import { EXIT } from './exit-codes.js';
import { runningCommandFlags } from './running-command.js';

/** One ensemble member that threw instead of scoring, as {@link reportFailedMembers} names it. */
export interface FailedMemberLine {
  /** The member's name. */
  detector: string;
  /** Its (first) error message. */
  error: string;
  /** On how many of the command's units (transcripts, lines) it failed; left out where there is only one. */
  count?: number;
}

/** Options for {@link reportFailedMembers}. */
export interface ReportFailedMembersOptions {
  /** How many units the command scored and what they are (`transcripts`, `lines`), for "failed on N of M ...". */
  of?: { total: number; unit: string };
  /** `--allow-partial`: name the members, and keep the result. */
  allowPartial: boolean;
  /** What is withheld and what to do, after `botlens: ` (e.g. `no verdict: 1 detector(s) failed. Fix them, ...`). */
  refusal: (failed: number) => string;
}

/**
 * The report of `detect`, `eval` and `score` on members that threw: one stderr line per member (`botlens: detector
 * "X" failed on N of M lines: <error>`, its remedies in CLI terms: `--model-dir`, not `modelDir`), then, without `--allow-partial`, the refusal line and exit code 3 (a
 * partial result): a member that cannot run is never dropped silently.
 *
 * @param failed - the members that failed (none: nothing is written)
 * @param options - the unit counted, `--allow-partial`, and the refusal sentence
 * @returns true when the command must not print its result (a member failed and `--allow-partial` was not given)
 */
export function reportFailedMembers(
  failed: readonly FailedMemberLine[],
  options: ReportFailedMembersOptions,
): boolean {
  if (failed.length === 0) return false;
  const { of } = options;
  for (const f of failed) {
    const where = of && f.count !== undefined ? ` on ${f.count} of ${of.total} ${of.unit}` : '';
    // The member's error is the library's message: its remedies are worded with the command's flags.
    const error = inCliTerms(f.error, runningCommandFlags());
    process.stderr.write(`botlens: detector "${f.detector}" failed${where}: ${error}\n`);
  }
  if (options.allowPartial) return false;
  process.stderr.write(`botlens: ${options.refusal(failed.length)}\n`);
  process.exitCode = EXIT.partial;
  return true;
}

/**
 * The members of an ensemble's detection that threw instead of scoring (the result keeps them as data), with
 * `name: message`; none for a detection without members.
 *
 * @param d - a detection
 */
export function failedMembers(d: Detection): FailedMemberLine[] {
  const members =
    (d as Detection & { members?: { detector: string; error?: { name?: string; message: string } }[] })
      .members ?? [];
  return members.flatMap((m) =>
    m.error
      ? [{ detector: m.detector, error: `${m.error.name ? `${m.error.name}: ` : ''}${m.error.message}` }]
      : [],
  );
}
