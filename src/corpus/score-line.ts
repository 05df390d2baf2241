import type { Detection, Detector } from '../core/detector.js';
import { parseTranscriptsJsonl } from '../data/read-transcripts.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import type { CorpusLine, ScoreMember, ScoreOutcome, ScoreRecord } from './types.js';

type MemberLike = Partial<Detection> & { detector: string; error?: { message: string } };

function recordId(text: string, line: number): string | number {
  // The row parser keeps only the transcript fields; the id is read from the same (already valid) JSON.
  const id = (JSON.parse(text) as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : line;
}

function members(d: Detection): ScoreMember[] {
  const list: MemberLike[] = (d as Detection & { members?: MemberLike[] }).members ?? [d];
  return list.map((m) => ({
    detector: m.detector,
    score: m.score ?? null,
    label: m.label ?? null,
    ...(m.error && { error: m.error.message }),
  }));
}

/** The reason a line is invalid, without the parser's line prefix (the reject names the line itself). */
function reasonOf(err: unknown): string {
  if (InvalidTranscriptError.isInstance(err)) {
    return err.issues.map((x) => `${x.path.replace(/^<line>:1 ?/, '') || 'record'}: ${x.message}`).join('; ');
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses and scores one corpus line with the shared JSONL row parser (labels optional). An invalid record
 * becomes a reject; a detector that throws on a valid record (a bug, not bad input) throws.
 *
 * @param detector - the detector to run
 * @param input - the line and its number
 * @param evidence - include the evidence in the record
 */
export async function scoreLine(
  detector: Detector,
  input: CorpusLine,
  evidence = false,
): Promise<ScoreOutcome> {
  if (input.invalid !== undefined)
    return { line: input.line, reject: { line: input.line, reason: input.invalid } };
  let transcript: ReturnType<typeof parseTranscriptsJsonl>[number] | undefined;
  try {
    transcript = parseTranscriptsJsonl(input.text, '<line>', { requireLabel: false })[0];
  } catch (err) {
    if (!BotlensError.isInstance(err)) throw err;
    return { line: input.line, reject: { line: input.line, reason: reasonOf(err) } };
  }
  if (!transcript) return { line: input.line, reject: { line: input.line, reason: 'blank line' } };
  const d = await detector.detect(transcript);
  const record: ScoreRecord = {
    line: input.line,
    id: recordId(input.text, input.line),
    score: d.score,
    label: d.label,
    members: members(d),
    ...(evidence && { evidence: d.evidence }),
  };
  return { line: input.line, record };
}

/**
 * Scores a batch of lines in order; see {@link scoreLine}.
 *
 * @param detector - the detector to run
 * @param lines - the lines
 * @param evidence - include the evidence in each record
 */
export async function scoreLines(
  detector: Detector,
  lines: readonly CorpusLine[],
  evidence = false,
): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for (const l of lines) out.push(await scoreLine(detector, l, evidence));
  return out;
}
