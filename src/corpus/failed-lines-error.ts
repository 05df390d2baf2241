import { BotlensError } from '../errors/botlens-error.js';

/**
 * A resume was refused because the scores file holds lines whose record carries a failed ensemble member's error
 * (written by a run that exited 3): continuing would mix them silently with the lines scored now. Thrown by
 * `writeScores` (`failedLines: 'refuse'`, the default) and `botlens score --resume` (without `--allow-partial`)
 * before anything is scored. Its code is `MEMBER_FAILED`.
 *
 * @example
 * ```ts
 * try {
 *   await writeScores('corpus.jsonl', scorer, { out: 'scores.jsonl', resume: true });
 * } catch (err) {
 *   if (FailedLinesError.isInstance(err)) console.error(`${err.lines} lines failed, the first is ${err.firstLine}`);
 *   else throw err;
 * }
 * ```
 */
export class FailedLinesError extends BotlensError {
  /** Always `MEMBER_FAILED`. */
  declare readonly code: 'MEMBER_FAILED';
  /** The scores file (absolute). */
  readonly out: string;
  /** How many of its lines hold a member's error. */
  readonly lines: number;
  /** The first input line whose record holds one. */
  readonly firstLine: number;

  /**
   * @param out - the scores file
   * @param lines - how many of its lines hold a member's error
   * @param firstLine - the first input line whose record holds one
   */
  constructor(out: string, lines: number, firstLine: number) {
    super(
      'MEMBER_FAILED',
      `${out} holds ${lines} line(s) whose record carries a failed member's error (the first: input line ${firstLine}); a resume cannot score them again. Fix the member, then remove ${out} and score the corpus again, or pass failedLines: 'keep' to keep those lines as they are and go on after the last one.`,
    );
    this.name = 'FailedLinesError';
    this.out = out;
    this.lines = lines;
    this.firstLine = firstLine;
  }

  /** True when `value` is a FailedLinesError from any copy of the package. */
  static override isInstance(value: unknown): value is FailedLinesError {
    return BotlensError.isInstance(value) && value.name === 'FailedLinesError';
  }
}
