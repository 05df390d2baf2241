import { z } from 'zod';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { InvalidTranscriptError, type TranscriptIssue } from '../errors/invalid-transcript-error.js';
import type { Transcript, ValidMessage, ValidTranscript } from './transcript.js';

/** Limits applied by {@link validateTranscript}. */
export interface ValidationLimits {
  /**
   * Fewest messages accepted.
   * @defaultValue 1
   */
  minMessages?: number;
  /**
   * Most messages accepted.
   * @defaultValue 200
   */
  maxMessages?: number;
  /**
   * Longest message text, in UTF-16 code units.
   * @defaultValue 10000
   */
  maxTextLength?: number;
  /**
   * Longest speaker name, in UTF-16 code units.
   * @defaultValue 256
   */
  maxSpeakerLength?: number;
  /**
   * Longest profile bio, in UTF-16 code units.
   * @defaultValue 5000
   */
  maxBioLength?: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<Required<ValidationLimits>> = Object.freeze({
  minMessages: 1,
  maxMessages: 200,
  maxTextLength: 10_000,
  maxSpeakerLength: 256,
  maxBioLength: 5_000,
});

const validated = new WeakSet<object>();

function buildSchema(l: Required<ValidationLimits>) {
  const message = z.object({
    speaker: z
      .string({ error: 'speaker must be a string: the name of who sent the message' })
      .min(1, { error: 'speaker is empty: give every message a non-empty speaker name' })
      .max(l.maxSpeakerLength, { error: `speaker is longer than ${l.maxSpeakerLength} characters` }),
    text: z.string({ error: 'text must be a string (use "" for an empty message)' }).max(l.maxTextLength, {
      error: `text is longer than ${l.maxTextLength} characters: split the message or raise maxTextLength`,
    }),
    timestamp: z
      .union([z.number(), z.string()], {
        error: 'timestamp must be epoch milliseconds (number) or an ISO 8601 string',
      })
      .optional(),
  });
  return z.object({
    messages: z
      .array(message, { error: 'messages must be an array of { speaker, text, timestamp? }' })
      .min(l.minMessages, {
        error: `messages has fewer than ${l.minMessages} message(s): a transcript needs at least ${l.minMessages}`,
      })
      .max(l.maxMessages, {
        error: `messages has more than ${l.maxMessages} messages: keep the last ${l.maxMessages} or raise maxMessages`,
      }),
    target: z.string({ error: 'target must be a string naming one of the speakers' }).optional(),
    profile: z
      .object({
        bio: z
          .string({ error: 'profile.bio must be a string' })
          .max(l.maxBioLength, { error: `profile.bio is longer than ${l.maxBioLength} characters` })
          .optional(),
        avatar: z
          .union([z.string().min(1), z.instanceof(Uint8Array)], {
            error: 'profile.avatar must be a non-empty path/URL string or a Uint8Array of image bytes',
          })
          .optional(),
      })
      .optional(),
  });
}

const schemaCache = new Map<string, ReturnType<typeof buildSchema>>();

function resolveLimits(limits: ValidationLimits | undefined): Required<ValidationLimits> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isInteger(v) || v < 0) {
      throw new InvalidOptionsError(k, `expected a non-negative integer, got ${String(v)}`);
    }
  }
  if (l.minMessages > l.maxMessages) {
    throw new InvalidOptionsError('minMessages', `must not exceed maxMessages (${l.maxMessages})`);
  }
  return l;
}

function schemaFor(l: Required<ValidationLimits>) {
  const key = JSON.stringify(l);
  let s = schemaCache.get(key);
  if (!s) {
    s = buildSchema(l);
    schemaCache.set(key, s);
  }
  return s;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

function toMs(ts: number | string | undefined, i: number, issues: TranscriptIssue[]): number | undefined {
  if (ts === undefined) return undefined;
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts) || ts < 0) {
      issues.push({
        path: `messages[${i}].timestamp`,
        message: `timestamp ${ts} is not a finite, non-negative number of epoch milliseconds`,
      });
      return undefined;
    }
    return ts;
  }
  // Date.parse accepts many loose formats; require something ISO-shaped so "yesterday" is not silently NaN-ed.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(ts) ? Date.parse(ts) : Number.NaN;
  if (Number.isNaN(ms)) {
    issues.push({
      path: `messages[${i}].timestamp`,
      message: `"${ts.slice(0, 40)}" is not an ISO 8601 date-time (e.g. 2024-05-01T10:00:00Z)`,
    });
    return undefined;
  }
  return ms;
}

/**
 * Checks a transcript and returns a frozen, normalized copy. Every detector calls this, so bad input always
 * gets an {@link InvalidTranscriptError} that names the field and the fix, never a crash or a silent guess.
 *
 * Rules: 1..200 messages (configurable), non-empty speakers, texts up to 10,000 characters, timestamps
 * (epoch ms or ISO 8601) that never go backwards, and a `target` that is one of the speakers. `target` may be
 * omitted only when the transcript has a single speaker.
 *
 * @param input - anything; typically parsed JSON
 * @param limits - overrides for {@link DEFAULT_LIMITS}
 * @throws InvalidTranscriptError listing every problem found
 *
 * @example
 * ```ts
 * const t = validateTranscript({ messages: [{ speaker: 'a', text: 'hi' }] });
 * t.target; // 'a'
 * ```
 */
export function validateTranscript(input: unknown, limits?: ValidationLimits): ValidTranscript {
  if (typeof input === 'object' && input !== null && validated.has(input)) {
    if (limits === undefined) return input as ValidTranscript;
  }
  const l = resolveLimits(limits);
  const parsed = schemaFor(l).safeParse(input);
  if (!parsed.success) {
    throw new InvalidTranscriptError(
      parsed.error.issues.map((i) => ({
        path: pathOf(i.path),
        message:
          i.code === 'invalid_type' && i.path.length === 0
            ? 'a transcript must be an object { messages, target? }'
            : i.message,
      })),
    );
  }
  const t = parsed.data as Transcript;
  const issues: TranscriptIssue[] = [];
  const messages: ValidMessage[] = new Array(t.messages.length);
  const speakers = new Set<string>();
  let lastMs: number | undefined;
  let lastIdx = -1;
  for (let i = 0; i < t.messages.length; i++) {
    const m = t.messages[i]!;
    const timeMs = toMs(m.timestamp, i, issues);
    if (timeMs !== undefined) {
      if (lastMs !== undefined && timeMs < lastMs) {
        issues.push({
          path: `messages[${i}].timestamp`,
          message: `timestamp goes backwards (earlier than messages[${lastIdx}]): order messages by time or fix the clock`,
        });
      }
      lastMs = timeMs;
      lastIdx = i;
    }
    speakers.add(m.speaker);
    messages[i] = Object.freeze(
      timeMs === undefined
        ? { speaker: m.speaker, text: m.text, timeMs }
        : { speaker: m.speaker, text: m.text, timestamp: timeMs, timeMs },
    );
  }
  let target = t.target;
  if (target === undefined) {
    if (speakers.size === 1) target = [...speakers][0]!;
    else
      issues.push({
        path: 'target',
        message: `target is missing and the transcript has ${speakers.size} speakers: set target to one of ${listSpeakers(speakers)}`,
      });
  } else if (!speakers.has(target)) {
    issues.push({
      path: 'target',
      message: `target "${target.slice(0, 80)}" sent no message: use one of ${listSpeakers(speakers)}`,
    });
  }
  if (issues.length > 0) throw new InvalidTranscriptError(issues);
  const out: ValidTranscript = Object.freeze({
    messages: Object.freeze(messages) as ValidMessage[],
    target: target!,
    ...(t.profile ? { profile: Object.freeze({ ...t.profile }) } : {}),
  });
  validated.add(out);
  return out;
}

function listSpeakers(speakers: Set<string>): string {
  const names = [...speakers].slice(0, 10).map((s) => JSON.stringify(s));
  return names.join(', ') + (speakers.size > 10 ? ', ...' : '');
}

/** The target speaker's messages, in order. */
export function targetMessages(t: ValidTranscript): ValidMessage[] {
  return t.messages.filter((m) => m.speaker === t.target);
}

/**
 * The zod schema behind {@link validateTranscript} for the given limits: the one definition of a transcript's
 * shape, from which the HTTP service generates its request JSON Schema. The deeper rules (target among the
 * speakers, timestamps in order) are checked by `validateTranscript` after this schema.
 *
 * @param limits - overrides for {@link DEFAULT_LIMITS}
 * @internal
 */
export function transcriptShapeSchema(limits?: ValidationLimits): ReturnType<typeof buildSchema> {
  return schemaFor(resolveLimits(limits));
}
