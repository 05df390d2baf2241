import { checkedDetection } from '../core/assert-detection.js';
import { describeValue } from '../core/describe-value.js';
import type { Detection, Detector } from '../core/detector.js';
import type { CorpusLine } from '../data/read-lines.js';
import { parseTranscriptsJsonl } from '../data/read-transcripts.js';
import { refusedByTruncation, type TranscriptLimitOptions } from '../data/transcript-limits.js';
import { BotlensError } from '../errors/botlens-error.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import type { ScoreMember, ScoreOutcome, ScoreRecord } from './types.js';

type MemberLike = Partial<Detection> & { detector: string; error?: { message: string } };

/** The line's own fields that the row parser does not keep: `id`, `label`, and its message count. */
interface LineFields {
  id?: unknown;
  label?: unknown;
  messages: unknown[];
}

/**
 * Why the line's `id` or `label` is invalid, if one is: an `id`, when given, is a string or a finite number (it
 * names the record, so an object or `null` is refused rather than replaced by the line number); a `label`, when
 * given, is `"human"` or `"bot"`.
 */
function fieldIssue(fields: LineFields): string | undefined {
  const { id, label } = fields;
  if (id !== undefined && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id)))
    return `id: must be a string or a number (or left out, for the line number), got ${describeValue(id)}`;
  if (label !== undefined && label !== 'human' && label !== 'bot')
    return `label: must be "human" or "bot" (or left out), got ${describeValue(label)}`;
  return undefined;
}

/** The record's id and, when truncation dropped messages, the line's original message count. */
function recordFields(
  fields: LineFields,
  line: number,
  kept: number,
): Pick<ScoreRecord, 'id' | 'truncatedFrom'> {
  const { id, messages } = fields;
  return {
    id: typeof id === 'string' || typeof id === 'number' ? id : line,
    ...(messages.length > kept && { truncatedFrom: messages.length }),
  };
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
 * @param limits - the transcript limits and truncation (`{}`: the defaults, 200 messages, no truncation)
 */
export async function scoreLine(
  detector: Detector,
  input: CorpusLine,
  evidence = false,
  limits: TranscriptLimitOptions = {},
): Promise<ScoreOutcome> {
  if (input.invalid !== undefined)
    return { line: input.line, reject: { line: input.line, reason: input.invalid } };
  let transcript: ReturnType<typeof parseTranscriptsJsonl>[number] | undefined;
  try {
    transcript = parseTranscriptsJsonl(input.text, '<line>', { requireLabel: false, ...limits })[0];
  } catch (err) {
    if (!BotlensError.isInstance(err)) throw err;
    return {
      line: input.line,
      reject: { line: input.line, reason: reasonOf(err) },
      ...(refusedByTruncation(err) && { cause: 'truncation' as const }),
    };
  }
  if (!transcript) return { line: input.line, reject: { line: input.line, reason: 'blank line' } };
  // The row parser keeps only the transcript fields; these are read from the same (already valid) JSON.
  const fields = JSON.parse(input.text) as LineFields;
  const issue = fieldIssue(fields);
  if (issue !== undefined) return { line: input.line, reject: { line: input.line, reason: issue } };
  const d = checkedDetection(await detector.detect(transcript), detector.name);
  const record: ScoreRecord = {
    line: input.line,
    ...recordFields(fields, input.line, transcript.messages.length),
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
 * @param limits - the transcript limits and truncation (see {@link scoreLine})
 */
export async function scoreLines(
  detector: Detector,
  lines: readonly CorpusLine[],
  evidence = false,
  limits: TranscriptLimitOptions = {},
): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = [];
  for (const l of lines) out.push(await scoreLine(detector, l, evidence, limits));
  return out;
}
