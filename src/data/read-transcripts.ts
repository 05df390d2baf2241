import { createReadStream } from 'node:fs';
import { describeValue } from '../core/describe-value.js';
import type { JsonValue } from '../core/json.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { Label, LabelledTranscript, Transcript } from '../core/transcript.js';
import { rememberValidated } from '../core/validate-examples.js';
import { withoutBom } from '../core/without-bom.js';
import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import { cannotReadError, checkReadable } from './check-readable.js';
import { decodeUtf8 } from './decode-utf8.js';
import { TRANSCRIPT_CAP_RULE, transcriptByteCap } from './input-byte-cap.js';
import { readCorpusLines } from './read-lines.js';
import {
  limitTranscript,
  markTruncated,
  TRANSCRIPT_LIMIT_OPTION_KEYS,
  type TranscriptLimitOptions,
  truncateTranscript,
  validateTruncated,
} from './transcript-limits.js';

const LABELS: readonly Label[] = ['human', 'bot'];

/** Options for {@link parseTranscriptsJsonl}: the limits of {@link TranscriptLimitOptions} and the rest. */
export interface ReadJsonlOptions extends TranscriptLimitOptions {
  /**
   * Require a `label` of `human` or `bot` on every record.
   * @defaultValue true
   */
  requireLabel?: boolean;
  /**
   * Validate each record with `validateTranscript` (errors name the line).
   * @defaultValue true
   */
  validate?: boolean;
  /**
   * Extra fields of each record to keep in its `fields` (e.g. `['source']` for `evaluateDetector`'s `groupBy`).
   * @defaultValue [] (extra fields are dropped)
   */
  fields?: readonly string[];
}

const READ_JSONL_OPTION_KEYS: OptionKeys<ReadJsonlOptions> = {
  ...TRANSCRIPT_LIMIT_OPTION_KEYS,
  requireLabel: true,
  validate: true,
  fields: true,
};

/** A record read from speaker-level JSONL: the labelled transcript, plus the extra fields asked for. */
export interface JsonlRecord extends LabelledTranscript {
  /** The record's fields named in {@link ReadJsonlOptions.fields} that it has. */
  fields?: Record<string, JsonValue>;
  /**
   * How many messages the line had when `truncate` kept only its last `limits.maxMessages` (absent when nothing
   * was cut): the service's and `botlens score`'s `truncatedFrom`. `truncatedFrom - messages.length` messages were
   * dropped from the start: the `messageOffset` of its timeline. `evaluateDetector` refuses a `prefix` on such a
   * record (its first messages are gone); read the data whole and give `evaluateDetector` `truncate` instead.
   */
  truncatedFrom?: number;
}

/**
 * Parses speaker-level JSONL (one `{ messages, target, label, ... }` object per line, as in the ConvAI
 * logs): the format `botlens eval` and `botlens fit` read. Blank lines are skipped; extra fields are ignored.
 *
 * @param text - the file contents
 * @param source - a name for error messages (a path)
 * @throws InvalidTranscriptError naming the line and field of the first bad record
 *
 * @example
 * ```ts
 * const rows = parseTranscriptsJsonl('{"messages":[{"speaker":"a","text":"hi"}],"target":"a","label":"bot"}');
 * rows[0].label; // 'bot'
 * ```
 */
export function parseTranscriptsJsonl(
  text: string,
  source = '<input>',
  options: ReadJsonlOptions = {},
): JsonlRecord[] {
  refuseUnknownKeys(options, READ_JSONL_OPTION_KEYS, 'the options of parseTranscriptsJsonl()');
  const out: JsonlRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line !== '') out.push(parseJsonlRow(line, `${source}:${i + 1}`, options));
  }
  return out;
}

/**
 * Parses one non-blank JSONL line into a record (see {@link parseTranscriptsJsonl}).
 *
 * @param line - the line, trimmed
 * @param where - `file:line`, for messages
 * @param options - labels, limits, fields
 */
function parseJsonlRow(line: string, where: string, options: ReadJsonlOptions): JsonlRecord {
  const requireLabel = options.requireLabel ?? true;
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch (cause) {
    throw new InvalidTranscriptError(
      [{ path: where, message: 'line is not valid JSON: one JSON object per line' }],
      { cause },
    );
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
    throw new InvalidTranscriptError([
      { path: where, message: 'each line must be a JSON object { messages, target, label }' },
    ]);
  }
  const r = rec as Record<string, unknown>;
  const label = r['label'];
  if (requireLabel && !LABELS.includes(label as Label)) {
    throw new InvalidTranscriptError([
      { path: `${where} label`, message: `label must be "human" or "bot", got ${describeValue(label)}` },
    ]);
  }
  const given = r['messages'] as Transcript['messages'];
  const { messages } = truncateTranscript({ messages: given }, options);
  const t: JsonlRecord = { messages, label: (label as Label) ?? 'human' };
  if (messages !== given) {
    t.truncatedFrom = given.length;
    markTruncated(t, given.length);
  }
  if (r['target'] !== undefined) t.target = r['target'] as string;
  if (r['profile'] !== undefined) t.profile = r['profile'] as Transcript['profile'];
  const kept = (options.fields ?? []).filter((f) => r[f] !== undefined);
  if (kept.length > 0) t.fields = Object.fromEntries(kept.map((f) => [f, r[f] as JsonValue]));
  if (options.validate ?? true) {
    try {
      const valid = validateTruncated(t, messages !== given ? given : undefined, options.limits);
      if (options.limits !== undefined) rememberValidated(t, valid);
    } catch (err) {
      if (InvalidTranscriptError.isInstance(err)) {
        throw new InvalidTranscriptError(
          err.issues.map((x) => ({ path: `${where} ${x.path}`, message: x.message })),
          { cause: err },
        );
      }
      throw err;
    }
  }
  return t;
}

/**
 * Reads a speaker-level JSONL file; see {@link parseTranscriptsJsonl}.
 *
 * @param path - file path, or `-` for standard input
 * @throws BotlensError with code `READ_FAILED` when the file cannot be read
 * @throws InvalidTranscriptError naming the line and byte of the first malformed UTF-8 sequence, and as
 *   {@link parseTranscriptsJsonl} does
 *
 * @example
 * ```ts
 * const train = await readTranscriptsJsonl('data/train.jsonl');
 * ```
 */
export async function readTranscriptsJsonl(
  path: string,
  options: ReadJsonlOptions = {},
): Promise<JsonlRecord[]> {
  refuseUnknownKeys(options, READ_JSONL_OPTION_KEYS, 'the options of readTranscriptsJsonl()');
  const out: JsonlRecord[] = [];
  // Line by line: a file larger than the longest string works. A line is capped as a transcript file is (its other
  // fields fit in the cap's 64 KiB allowance): a longer one is refused without reading on, so memory stays bounded.
  // `-` is standard input, as for readTranscriptJson.
  const cap = transcriptByteCap(options);
  for await (const l of readCorpusLines(path === '-' ? process.stdin : path, 0, undefined, cap)) {
    const where = `${path}:${l.line}`;
    if (l.invalid !== undefined) throw new InvalidTranscriptError([{ path: where, message: l.invalid }]);
    out.push(parseJsonlRow(l.line === 1 ? withoutBom(l.text) : l.text, where, options));
  }
  return out;
}

/**
 * Reads one transcript from a JSON file (`{ messages, target?, profile? }`), or from standard input when
 * `path` is `-`. The result is validated (under `options.limits`; with `options.truncate`, a longer
 * transcript keeps its last `maxMessages` messages: {@link truncatedFrom} of the result says how many it had, for the
 * `messageOffset` of its timeline). A file that is not valid UTF-8 is an `InvalidTranscriptError` naming the line
 * and byte (never decoded with replacement characters).
 *
 * @example
 * ```ts
 * const t = await readTranscriptJson('examples/transcript.json');
 * ```
 */
export async function readTranscriptJson(
  path: string,
  options: TranscriptLimitOptions = {},
): Promise<Transcript> {
  refuseUnknownKeys(options, TRANSCRIPT_LIMIT_OPTION_KEYS, 'the options of readTranscriptJson()');
  const cap = transcriptByteCap(options);
  const text = decodeUtf8(await readBounded(path, cap), path === '-' ? '<stdin>' : path);
  let value: unknown;
  try {
    value = JSON.parse(withoutBom(text));
  } catch (cause) {
    const what = path === '-' ? 'standard input' : 'file';
    const message =
      withoutBom(text).trim() === ''
        ? `${what} is empty: expected one transcript as JSON, { "messages": [...], "target": "..." }`
        : `${what} is not valid JSON: expected { "messages": [...], "target": "..." }`;
    throw new InvalidTranscriptError([{ path, message }], { cause });
  }
  // The validated copy is returned, so detectors accept it as it is even under raised limits.
  return limitTranscript(value, options);
}

/**
 * The bytes of a file, or of standard input for `-`, read as a stream and refused past `cap` bytes (a transcript
 * cannot be larger under the limits), so an endless input such as `/dev/zero` stops at the cap.
 */
async function readBounded(path: string, cap: number): Promise<Buffer> {
  let stream: NodeJS.ReadableStream;
  if (path === '-') stream = process.stdin;
  else {
    await checkReadable(path);
    stream = createReadStream(path);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const c of stream) {
      const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      bytes += chunk.length;
      if (bytes > cap)
        throw new InvalidTranscriptError([
          {
            path: path === '-' ? '<stdin>' : path,
            message: `input is more than ${cap} bytes, larger than a transcript can be under the limits (${TRANSCRIPT_CAP_RULE}): give one transcript, or raise the limits (--max-messages, maxMessages, maxTextLength) if it is one`,
          },
        ]);
      chunks.push(chunk);
    }
  } catch (cause) {
    if (InvalidTranscriptError.isInstance(cause) || path === '-') throw cause;
    throw cannotReadError(path, cause);
  } finally {
    if (path !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
  }
  return Buffer.concat(chunks);
}
