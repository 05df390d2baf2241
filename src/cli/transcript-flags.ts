import type { Command } from 'commander';
import type { Transcript } from '../core/transcript.js';
import { DEFAULT_LIMITS, type ValidationLimits } from '../core/validate.js';
import { type JsonlRecord, type ReadJsonlOptions, readTranscriptJson } from '../data/read-transcripts.js';
import { messagesBeforeTruncation } from '../data/transcript-limits.js';
import { parseNumberFlag } from '../flags/parse-number.js';
import { usageChecked } from './flag-parsers.js';
import { readLabelledData } from './read-labelled.js';
import { hintWhenStdinIsTerminal, STDIN } from './standard-streams.js';

/** The transcript-limit flags shared by `detect`, `eval`, `fit` and `score`. */
export interface TranscriptFlags {
  /** `--max-messages N`: the most messages a transcript may have. */
  maxMessages?: string;
  /** `--truncate`: keep the last N messages of a longer transcript instead of failing. */
  truncate?: boolean;
}

/** Most messages `--max-messages` accepts: detectors stay bounded in time and memory up to here. */
export const MAX_MESSAGES_CEILING = 100_000;

/**
 * The flags that read chats whole (up to {@link MAX_MESSAGES_CEILING} messages, none cut): what `eval --truncate
 * --prefix K` reads, so that the prefix counts from each chat's start and truncation applies after it.
 */
export const WHOLE_CHATS: TranscriptFlags = Object.freeze({ maxMessages: String(MAX_MESSAGES_CEILING) });

/**
 * Parses `--max-messages`: a whole number from 1 to {@link MAX_MESSAGES_CEILING}.
 *
 * @param value - the flag's value
 * @throws InvalidOptionsError naming `--max-messages`
 */
function parseMaxMessages(value: string): number {
  return parseNumberFlag('--max-messages', value, { min: 1, max: MAX_MESSAGES_CEILING, integer: true });
}

/**
 * Adds `--max-messages <n>` and `--truncate` to a command.
 *
 * @param cmd - the command
 * @returns the same command, for chaining
 */
export function addTranscriptFlags(cmd: Command): Command {
  return cmd
    .option(
      '--max-messages <n>',
      `most messages per transcript (default ${DEFAULT_LIMITS.maxMessages}); longer ones fail unless --truncate`,
      usageChecked(parseMaxMessages),
    )
    .option('--truncate', 'keep the last --max-messages messages of a longer transcript instead of failing');
}

/**
 * The reader options the flags describe: the validation limits and whether to truncate.
 *
 * @param flags - the parsed flags
 * @throws InvalidOptionsError naming `--max-messages` for a bad number
 */
export function transcriptOptionsFromFlags(
  flags: TranscriptFlags,
): Pick<ReadJsonlOptions, 'limits' | 'truncate'> {
  let limits: ValidationLimits | undefined;
  if (flags.maxMessages !== undefined) limits = { maxMessages: parseMaxMessages(flags.maxMessages) };
  return { ...(limits && { limits }), ...(flags.truncate && { truncate: true }) };
}

/**
 * Reads labelled JSONL under the flags' limits (see {@link transcriptOptionsFromFlags}).
 *
 * @param path - the JSONL file
 * @param flags - the parsed flags
 * @param option - the flag that named the file, for messages (`--data`, `--fit`)
 * @param fields - extra record fields to keep (e.g. `['source']` for `eval --by source`)
 */
export async function readLabelledWithFlags(
  path: string,
  flags: TranscriptFlags,
  option: string,
  fields: readonly string[] = [],
): Promise<JsonlRecord[]> {
  const options = transcriptOptionsFromFlags(flags);
  if (path === STDIN) hintWhenStdinIsTerminal(`${option} (JSONL, one labelled transcript per line)`);
  const rows = await readLabelledData(path, option, { ...options, fields });
  const cut = rows.filter((r) => messagesBeforeTruncation(r) !== undefined).length;
  if (cut > 0)
    reportTruncated(
      { count: cut, of: rows.length, what: 'transcripts', where: `${option} ${path}` },
      options,
    );
  return rows;
}

/** What {@link reportTruncated} says was cut. */
export interface TruncatedCount {
  /** How many were cut (at least 1). */
  count: number;
  /** Among how many. */
  of: number;
  /** What they are, plural (`transcripts`, `scored lines`). */
  what: string;
  /** Where they came from or what marks them, in parentheses after the count. */
  where: string;
}

/**
 * Says on stderr, in one line, that `--truncate` cut transcripts to their last `--max-messages` messages: the note
 * `eval`, `fit` and `score` print once per input (never one line per row).
 *
 * @param cut - how many of how many, and where
 * @param options - the limits the flags describe
 */
export function reportTruncated(cut: TruncatedCount, options: Pick<ReadJsonlOptions, 'limits'>): void {
  const max = options.limits?.maxMessages ?? DEFAULT_LIMITS.maxMessages;
  process.stderr.write(
    `botlens: note: --truncate cut ${cut.count} of ${cut.of} ${cut.what} (${cut.where}) to their last ${max} messages; the results rest on those messages alone\n`,
  );
}

/**
 * Reads one transcript (a JSON file, or `-` for standard input) under the flags' limits.
 *
 * @param path - the file, or `-`
 * @param flags - the parsed flags
 */
export function readTranscriptWithFlags(path: string, flags: TranscriptFlags): Promise<Transcript> {
  if (path === STDIN) hintWhenStdinIsTerminal('the transcript (JSON)');
  return readTranscriptJson(path, transcriptOptionsFromFlags(flags));
}
