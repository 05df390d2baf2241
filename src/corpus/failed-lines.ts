import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { readCorpusLines } from '../data/read-lines.js';
import { BotlensError } from '../errors/botlens-error.js';
import { FailedLinesError } from './failed-lines-error.js';
import type { ScoreRecord } from './types.js';

/** The lines of a scores file whose record holds a member's error: how many, and the first input line. */
export interface FailedLines {
  /** How many. */
  lines: number;
  /** The first one's input line (0 when there are none). */
  firstLine: number;
}

/** Whether the file's last byte is a line end (a killed run can leave a partial last line, cut when resuming). */
async function endsWithNewline(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) return true;
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, size - 1);
    return byte[0] === 10;
  } finally {
    await fh.close();
  }
}

/** The record of scores-file line `n`, or a `READ_FAILED` error naming the file and line. */
function parseRecord(out: string, n: number, text: string): ScoreRecord {
  const damaged = (why: string) =>
    new BotlensError(
      'READ_FAILED',
      `${out}:${n}: not a botlens score record (${why}); it was not written by botlens score, or was edited. Remove the file and score the corpus again, or repair that line.`,
    );
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    throw damaged((err as Error).message);
  }
  const r = record as Partial<ScoreRecord> | null;
  if (typeof r !== 'object' || r === null || !Number.isInteger(r.line) || !Array.isArray(r.members))
    throw damaged('no "line" number or "members" list');
  return r as ScoreRecord;
}

/**
 * Counts the lines of a scores file whose record holds a member's error (a run that exited 3). Streams the file
 * and parses only the lines holding `"error":`; a partial last line (a killed run's, cut when resuming) is left out.
 *
 * @param out - a scores file written by `writeScores` (a missing one has none)
 * @throws BotlensError `READ_FAILED` (naming `file:line`) for a line holding `"error":` that is not a score record
 */
export async function countFailedLines(out: string): Promise<FailedLines> {
  if (!existsSync(out)) return { lines: 0, firstLine: 0 };
  const found: FailedLines = { lines: 0, firstLine: 0 };
  let pending: { line: number; text: string } | undefined; // the last line seen, checked once the next one comes
  const check = ({ line, text }: { line: number; text: string }) => {
    if (!text.includes('"error":')) return; // most records: no parse
    const record = parseRecord(out, line, text);
    if (!record.members.some((m) => m?.error !== undefined)) return;
    found.lines++;
    if (found.firstLine === 0) found.firstLine = record.line;
  };
  for await (const l of readCorpusLines(out)) {
    if (pending) check(pending);
    pending = l;
  }
  if (pending && (await endsWithNewline(out))) check(pending);
  return found;
}

/**
 * What a resume does with the lines of `out` whose record holds a member's error: `refuse` throws, `keep` returns
 * them (to count in the summary).
 *
 * @param out - the scores file (absolute)
 * @param policy - `writeScores`' `failedLines`
 * @throws FailedLinesError with `refuse` when there are any
 * @throws BotlensError `READ_FAILED` for a damaged line (see {@link countFailedLines})
 * @internal
 */
export async function checkFailedLines(out: string, policy: 'refuse' | 'keep'): Promise<FailedLines> {
  const found = await countFailedLines(out);
  if (policy === 'refuse' && found.lines > 0) throw new FailedLinesError(out, found.lines, found.firstLine);
  return found;
}
