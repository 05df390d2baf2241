import { z } from 'zod';
import type { ValidTranscript } from '../core/transcript.js';
import { transcriptSchema, type ValidationLimits, validateTranscript } from '../core/validate.js';
import { limitTranscript } from '../data/transcript-limits.js';
import { InvalidTranscriptError, type TranscriptIssue } from '../errors/invalid-transcript-error.js';
import { bodyKeys, unknownBodyKeys } from './body-keys.js';
import { AnsweredError, answer } from './error-table.js';

/** How the service reads transcripts: the library's limits, plus truncation. */
export interface TranscriptPolicy {
  /** Passed to `validateTranscript` (`maxMessages` raised or lowered by the config). */
  limits: ValidationLimits;
  /** Keep the last `limits.maxMessages` messages of a longer transcript instead of refusing it. */
  truncate: boolean;
}

/**
 * The one rule the service adds to the library's: `profile.avatar` must be a base64 data URL, because the
 * service never reads a server path or fetches a URL on a client's behalf (the library accepts both).
 */
export const avatarDataUrlSchema = z
  .string()
  .regex(/^data:image\/[a-z0-9.+-]+;base64,/, {
    error:
      'profile.avatar must be a base64 data URL (data:image/png;base64,...): the service reads no paths or URLs',
  })
  .describe('The avatar as a base64 data URL (the service never reads server paths or fetches URLs).');

const timelineSchema = z
  .boolean({ error: 'timeline must be true or false' })
  .optional()
  .describe('Also return the score after each of the target speaker’s messages.');

/** The keys of a transcript (the library's schema): those of a batch's transcripts. */
const TRANSCRIPT_KEYS = bodyKeys(Object.keys(transcriptSchema().shape));
/** The keys of a `/v1/detect` body: a transcript's, and `timeline`. */
const DETECT_BODY_KEYS = bodyKeys([...Object.keys(TRANSCRIPT_KEYS), 'timeline']);
/** The keys of a `/v1/detect/batch` body (`timeline` aside: refused in its own words, see `noTimeline`). */
const BATCH_BODY_KEYS = bodyKeys(['transcripts']);

/**
 * The request schemas, built from the library's transcript schema (`transcriptSchema`) so the service
 * documents exactly what `validateTranscript` accepts; used for the OpenAPI document.
 */
export function requestSchemas(policy: TranscriptPolicy, maxBatch: number) {
  const transcript = transcriptSchema(policy.limits);
  const profile = transcript.shape.profile.unwrap().extend({ avatar: avatarDataUrlSchema.optional() });
  // Open everywhere, as in the library: other keys are ignored (a misspelt body key is a 400: readDetectBody).
  const serviceTranscript = transcript.extend({ profile: profile.optional() });
  return {
    Transcript: serviceTranscript,
    DetectRequest: serviceTranscript.extend({ timeline: timelineSchema }),
    BatchRequest: z.object({ transcripts: z.array(serviceTranscript).min(1).max(maxBatch) }),
  };
}

const batchShape = (maxBatch: number) =>
  z.object({
    transcripts: z
      .array(z.unknown(), { error: 'transcripts must be an array of transcripts' })
      .min(1, { error: 'transcripts is empty: send at least one transcript' })
      .max(maxBatch, { error: `transcripts has more than ${maxBatch} items: split the batch` }),
  });

/**
 * A batch over `maxBatch` transcripts is a request-level error (413 `BATCH_TOO_LARGE`), not a transcript's: its
 * items are not checked.
 */
function refuseOversizedBatch(body: unknown, maxBatch: number): void {
  const items = isRecord(body) ? body['transcripts'] : undefined;
  if (!Array.isArray(items) || items.length <= maxBatch) return;
  throw new AnsweredError(
    answer(
      'BATCH_TOO_LARGE',
      `The batch holds ${items.length} transcripts, more than the ${maxBatch} this server accepts (server.maxBatch): split it into batches of at most ${maxBatch}.`,
    ),
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Applies the service rules (data-URL avatar, then truncation) to one transcript, then the library's validation
 * (`limitTranscript`, which remembers what truncation dropped: `messagesBeforeTruncation`).
 */
function checkTranscript(raw: unknown, policy: TranscriptPolicy): ValidTranscript {
  if (!isRecord(raw)) return validateTranscript(raw, policy.limits);
  let t: Record<string, unknown> = raw;
  const profile = t['profile'];
  if (isRecord(profile) && profile['avatar'] !== undefined) {
    const r = avatarDataUrlSchema.safeParse(profile['avatar']);
    if (!r.success) {
      throw new InvalidTranscriptError([{ path: 'profile.avatar', message: r.error.issues[0]!.message }]);
    }
    const bytes = new Uint8Array(Buffer.from(r.data.slice(r.data.indexOf(',') + 1), 'base64'));
    t = { ...t, profile: { ...profile, avatar: bytes } };
  }
  return limitTranscript(t, policy);
}

/** {@link checkTranscript} with issue paths under `at` (e.g. `transcripts[2]`). */
function checkTranscriptAt(raw: unknown, policy: TranscriptPolicy, at: string): ValidTranscript {
  try {
    return checkTranscript(raw, policy);
  } catch (err) {
    if (!InvalidTranscriptError.isInstance(err)) throw err;
    throw new InvalidTranscriptError(
      err.issues.map((i) => ({ path: i.path ? `${at}.${i.path}` : at, message: i.message })),
    );
  }
}

/** A `/v1/detect` body: the transcript and whether a timeline was asked for. */
export function readDetectBody(
  body: unknown,
  policy: TranscriptPolicy,
): { transcript: ValidTranscript; timeline: boolean } {
  // A misspelt key ("timelin") is refused with the transcript's own problems, never dropped without a word.
  const unknown = unknownBodyKeys(body, DETECT_BODY_KEYS, 'a /v1/detect body');
  let timeline = false;
  if (isRecord(body) && 'timeline' in body) {
    const r = timelineSchema.safeParse(body['timeline']);
    if (!r.success)
      throw new InvalidTranscriptError([
        ...unknown,
        { path: 'timeline', message: r.error.issues[0]!.message },
      ]);
    timeline = r.data === true;
  }
  let transcript: ValidTranscript;
  try {
    transcript = checkTranscript(body, policy);
  } catch (err) {
    if (unknown.length === 0 || !InvalidTranscriptError.isInstance(err)) throw err;
    throw new InvalidTranscriptError([...unknown, ...err.issues]);
  }
  if (unknown.length > 0) throw new InvalidTranscriptError(unknown);
  return { transcript, timeline };
}

/**
 * A `/v1/detect/batch` body: every transcript checked, every problem of every transcript reported with its
 * index. The batch is judged all or nothing: one invalid transcript (a lone surrogate, a bad field, a
 * `timeline`) makes the whole request a 400 `INVALID_TRANSCRIPT` whose message names the invalid items
 * (`transcripts[1]`) and whose `issues` paths start with them (`transcripts[1].messages[0].text`), so a client
 * can drop or fix those and send the batch again; `results` always holds one detection per transcript sent.
 */
export function readBatchBody(body: unknown, policy: TranscriptPolicy, maxBatch: number): ValidTranscript[] {
  refuseOversizedBatch(body, maxBatch);
  // A misspelt `transcripts` (`timeline` is refused below in its own words).
  const unknown = unknownBodyKeys(withoutTimeline(body), BATCH_BODY_KEYS, 'a /v1/detect/batch body');
  const shape = batchShape(maxBatch).safeParse(body);
  if (!shape.success) {
    throw new InvalidTranscriptError([
      ...unknown,
      ...shape.error.issues.map((i) => ({
        // The whole body is path '' (a JSON pointer to the document), as /v1/detect and the library name it.
        path: i.path.length ? i.path.join('.') : '',
        message: i.path.length ? i.message : 'the body must be an object { transcripts: [...] }',
      })),
    ]);
  }
  const items = shape.data.transcripts;
  const issues: TranscriptIssue[] = [...unknown];
  // A timeline is not computed in a batch: refused rather than silently left out.
  if (isRecord(body) && body['timeline'] !== undefined) issues.push(noTimeline('timeline'));
  const bad = new Set<number>();
  const out: ValidTranscript[] = [];
  items.forEach((raw, i) => {
    const at = `transcripts[${i}]`;
    if (isRecord(raw) && raw['timeline'] !== undefined) {
      issues.push(noTimeline(`${at}.timeline`));
      bad.add(i);
    }
    const unknownKeys = unknownBodyKeys(withoutTimeline(raw), TRANSCRIPT_KEYS, 'a transcript', at);
    if (unknownKeys.length > 0) {
      issues.push(...unknownKeys);
      bad.add(i);
    }
    try {
      out.push(checkTranscriptAt(raw, policy, at));
    } catch (err) {
      if (!InvalidTranscriptError.isInstance(err)) throw err;
      issues.push(...err.issues);
      bad.add(i);
    }
  });
  if (issues.length > 0) throw invalidBatch(items.length, [...bad], issues);
  return out;
}

/** `v` without its `timeline` key (a batch refuses that key in its own words: {@link noTimeline}). */
function withoutTimeline(v: unknown): unknown {
  if (!isRecord(v) || !Object.hasOwn(v, 'timeline')) return v;
  const { timeline: _timeline, ...rest } = v;
  return rest;
}

function noTimeline(path: string): TranscriptIssue {
  return {
    path,
    message:
      '/v1/detect/batch gives no timelines: post each transcript to /v1/detect with "timeline": true, or leave the field out',
  };
}

/**
 * The 400 for a batch with invalid items: `INVALID_TRANSCRIPT` with every issue, and a message that names the
 * invalid items and says the batch is judged all or nothing.
 */
function invalidBatch(
  size: number,
  bad: readonly number[],
  issues: readonly TranscriptIssue[],
): AnsweredError {
  const shown = bad.slice(0, 10).map((i) => `transcripts[${i}]`);
  const named = bad.length > 10 ? `${shown.join(', ')} and ${bad.length - 10} more` : shown.join(', ');
  const head =
    bad.length === 0
      ? 'The batch is invalid, so none of its transcripts was judged'
      : `${bad.length} of ${size} transcripts ${bad.length === 1 ? 'is' : 'are'} invalid (${named}): a batch is judged all or nothing, so none was judged. Fix or leave out ${bad.length === 1 ? 'that transcript' : 'those transcripts'} and send the batch again`;
  const lines = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > 5 ? `\n  (+${issues.length - 5} more)` : '';
  return new AnsweredError(answer('INVALID_TRANSCRIPT', `${head}:\n  ${lines.join('\n  ')}${more}`, issues));
}
