import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { readCorpusLines } from './read-lines.js';
import type { ScoreOutcome, ScoreRecord } from './types.js';

/** The input line of a scores-file line whose record carries a member's error; `undefined` for any other. */
function failedRecordLine(text: string): number | undefined {
  if (!text.includes('"error":')) return undefined; // most records: no parse
  const record = JSON.parse(text) as ScoreRecord;
  return record.members.some((m) => m.error !== undefined) ? record.line : undefined;
}

/**
 * The input lines whose record in a scores file carries a member's error (scored from the other members), in order:
 * what a resumed run scores again. Reads the file as a stream, parsing only the lines that hold an error.
 *
 * @param out - a scores file written by `writeScores` (a missing one has none)
 */
export async function linesWithMemberErrors(out: string): Promise<number[]> {
  if (!existsSync(out)) return [];
  const lines: number[] = [];
  for await (const { text } of readCorpusLines(out)) {
    const line = failedRecordLine(text);
    if (line !== undefined) lines.push(line);
  }
  return lines;
}

/**
 * Where {@link rescoreFailedRecords} writes the new scores file before renaming it over `out`.
 *
 * @param out - the scores file (absolute)
 */
export function rescoreTempPath(out: string): string {
  return `${out}.rescore.tmp`;
}

/**
 * Rewrites a scores file with each record that carries a member's error replaced by its line's new outcome, taken
 * from `outcomes` (in input order; those of other lines before it are passed over). A record whose line gets no new
 * record (the outcomes ended, or the line was rejected this time) is kept as it was. The new file is written beside
 * the old one and renamed over it once complete and synced: a run killed meanwhile leaves the old file whole.
 *
 * @param out - the scores file (complete lines only: `lastCompleteLine` cut a partial one)
 * @param outcomes - the scorer's outcomes, in input order
 * @param onRecord - called with each record of a failed line, in order: the new one (`rescored`) or the one kept
 * @returns the first outcome not used (one of a line after the file's), or `undefined` once the outcomes ended
 */
export async function rescoreFailedRecords(
  out: string,
  outcomes: AsyncIterator<ScoreOutcome>,
  onRecord: (record: ScoreRecord, rescored: boolean) => void,
): Promise<ScoreOutcome | undefined> {
  const tmp = rescoreTempPath(out);
  const fh = await open(tmp, 'w');
  let next: ScoreOutcome | undefined;
  let ended = false;
  try {
    let chunk = '';
    for await (const { text } of readCorpusLines(out)) {
      let written = text;
      const line = failedRecordLine(text);
      if (line !== undefined) {
        while (!ended && (next === undefined || next.line < line)) {
          const r = await outcomes.next();
          ended = r.done === true;
          next = r.done ? undefined : r.value;
        }
        if (next?.line === line && 'record' in next) {
          written = JSON.stringify(next.record);
          onRecord(next.record, true);
        } else onRecord(JSON.parse(text) as ScoreRecord, false);
        if (next?.line === line) next = undefined;
      }
      chunk += `${written}\n`;
      if (chunk.length >= 1 << 16) {
        await fh.write(chunk);
        chunk = '';
      }
    }
    await fh.write(chunk);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, out);
  return next;
}
