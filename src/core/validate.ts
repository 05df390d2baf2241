import { z } from 'zod';
import { InvalidTranscriptError, type TranscriptIssue } from '../errors/invalid-transcript-error.js';
import { numericTimestampProblem, stringTimestampProblem, timestampMs } from './iso-time.js';
import { sharedAcrossCopies } from './shared-across-copies.js';
import type { Message, Profile, Transcript, ValidMessage, ValidTranscript } from './transcript.js';
import { DEFAULT_LIMITS, resolveValidationLimits, type ValidationLimits } from './validation-limits.js';

export { DEFAULT_LIMITS, resolveValidationLimits, type ValidationLimits };

/**
 * Validated transcripts, with the limits they passed, so validating one again costs nothing. Shared by every copy
 * of this release of botlens in the process (see `sharedAcrossCopies`: another release, whose rules may differ,
 * keeps its own): a transcript validated under raised limits by one copy is accepted by another, as by the copy
 * that validated it.
 */
const validated = sharedAcrossCopies(
  'validated-transcripts',
  () => new WeakMap<object, Required<ValidationLimits>>(),
);

/**
 * True when `s` holds no lone UTF-16 surrogate (`String.prototype.isWellFormed`, native from Node 20; ES2023's
 * lib does not declare it): a string with one cannot be written as UTF-8, which the CLI refuses in files too.
 */
function wellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The error of a string field holding a lone surrogate: what it is and what to do. */
const loneSurrogate = (field: string) => ({
  error: `${field} holds a lone UTF-16 surrogate (half of a pair, e.g. "\\ud800"), which cannot be written as UTF-8: fix the code that cut or decoded the string, or replace it with String.prototype.toWellFormed() (U+FFFD)`,
});

function buildMessageSchema(l: Required<ValidationLimits>) {
  return z.object({
    speaker: z
      .string({ error: 'speaker must be a string: the name of who sent the message' })
      .min(1, { error: 'speaker is empty: give every message a non-empty speaker name' })
      .max(l.maxSpeakerLength, { error: `speaker is longer than ${l.maxSpeakerLength} characters` })
      .refine(wellFormed, loneSurrogate('speaker')),
    text: z
      .string({ error: 'text must be a string (use "" for an empty message)' })
      .max(l.maxTextLength, {
        error: `text is longer than ${l.maxTextLength} characters: split the message or raise maxTextLength`,
      })
      .refine(wellFormed, loneSurrogate('text')),
    timestamp: z
      .union([z.number(), z.string()], {
        error: 'timestamp must be epoch milliseconds (number) or an ISO 8601 string',
      })
      .optional(),
  });
}

function buildProfileSchema(l: Required<ValidationLimits>) {
  return z.object({
    bio: z
      .string({ error: 'profile.bio must be a string' })
      .max(l.maxBioLength, { error: `profile.bio is longer than ${l.maxBioLength} characters` })
      .refine(wellFormed, loneSurrogate('profile.bio'))
      .optional(),
    avatar: z
      .union([z.string().min(1), z.instanceof(Uint8Array)], {
        error: 'profile.avatar must be a non-empty path/URL string or a Uint8Array of image bytes',
      })
      .optional(),
  });
}

function buildSchema(l: Required<ValidationLimits>) {
  const message = buildMessageSchema(l);
  const profile = buildProfileSchema(l);
  const transcript = z.object({
    messages: z
      .array(message, { error: 'messages must be an array of { speaker, text, timestamp? }' })
      .min(l.minMessages, {
        error: `messages has fewer than ${l.minMessages} message(s): a transcript needs at least ${l.minMessages}`,
      })
      .max(l.maxMessages, {
        error: `messages has more than ${l.maxMessages} messages: keep the last ${l.maxMessages} or raise maxMessages`,
      }),
    target: z.string({ error: 'target must be a string naming one of the speakers' }).optional(),
    profile: profile.optional(),
  });
  return { transcript, message, profile };
}

const schemaCache = new Map<string, ReturnType<typeof buildSchema>>();

function schemaFor(l: Required<ValidationLimits>) {
  const key = `${l.minMessages},${l.maxMessages},${l.maxTextLength},${l.maxSpeakerLength},${l.maxBioLength}`;
  let s = schemaCache.get(key);
  if (!s) {
    s = buildSchema(l);
    schemaCache.set(key, s);
  }
  return s;
}

/**
 * The zod schema of a transcript under `limits`: THE definition of the transcript's shape (the service's JSON
 * Schema is generated from it). `validateTranscript` adds the rules a schema cannot say (timestamp order,
 * target among the speakers).
 *
 * @param limits - overrides for {@link DEFAULT_LIMITS}
 */
export function transcriptSchema(limits?: ValidationLimits) {
  return schemaFor(resolveValidationLimits(limits)).transcript;
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** zod's `isObject`: what `z.object()` accepts as an object. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * True when the message schema of `transcriptSchema` accepts `m`, checked by hand with the same rules
 * (a property test holds the two together). A fast path only: `false` sends the input to zod, which decides
 * and words the error.
 *
 * @param m - the message
 * @param l - the limits
 * @param checkedA - a speaker name already found well-formed (a chat's speakers repeat: a name equal to it is
 *   not checked for lone surrogates again)
 * @param checkedB - another such name
 * @internal
 */
export function messageMatches(
  m: unknown,
  l: Required<ValidationLimits>,
  checkedA?: string,
  checkedB?: string,
): m is Message {
  if (!isObject(m)) return false;
  const { speaker, text, timestamp } = m;
  return (
    typeof speaker === 'string' &&
    speaker.length >= 1 &&
    speaker.length <= l.maxSpeakerLength &&
    typeof text === 'string' &&
    text.length <= l.maxTextLength &&
    wellFormed(text) &&
    (speaker === checkedA || speaker === checkedB || wellFormed(speaker)) &&
    (timestamp === undefined ||
      typeof timestamp === 'string' ||
      (typeof timestamp === 'number' && Number.isFinite(timestamp)))
  );
}

/** As {@link messageMatches}, for the profile schema. */
function profileMatches(p: unknown, l: Required<ValidationLimits>): boolean {
  if (p === undefined) return true;
  if (!isObject(p)) return false;
  const { bio, avatar } = p;
  if (bio !== undefined && !(typeof bio === 'string' && bio.length <= l.maxBioLength && wellFormed(bio))) {
    return false;
  }
  return (
    avatar === undefined || (typeof avatar === 'string' && avatar.length >= 1) || avatar instanceof Uint8Array
  );
}

/**
 * True when `transcriptSchema` accepts `input`: the fast path of {@link validateTranscript}. It never
 * accepts what zod rejects (see test/validate-fast-path.test.ts).
 *
 * @internal
 */
export function matchesTranscriptSchema(input: unknown, limits?: ValidationLimits): boolean {
  const l = resolveValidationLimits(limits);
  if (!matchesTranscriptHead(input, l)) return false;
  const { messages } = input as { messages: unknown[] };
  for (let i = 0; i < messages.length; i++) if (!messageMatches(messages[i], l)) return false;
  return true;
}

/**
 * {@link matchesTranscriptSchema} but for the messages themselves: an object whose `messages` is an array of
 * an allowed length, with a valid `target` and `profile` (check each message with {@link messageMatches}).
 *
 * @internal
 */
export function matchesTranscriptHead(input: unknown, l: Required<ValidationLimits>): boolean {
  if (!isObject(input)) return false;
  const { messages, target } = input;
  if (!Array.isArray(messages) || messages.length < l.minMessages || messages.length > l.maxMessages) {
    return false;
  }
  if (target !== undefined && typeof target !== 'string') return false;
  return profileMatches(input['profile'], l);
}

/** The profile as zod outputs it: the known keys that are present, in schema order. */
function copyProfile(p: Record<string, unknown>): Transcript['profile'] {
  const out: Record<string, unknown> = {};
  if ('bio' in p) out['bio'] = p['bio'];
  if ('avatar' in p) out['avatar'] = p['avatar'];
  return out as Transcript['profile'];
}

function zodIssues(error: z.ZodError, prefix = ''): TranscriptIssue[] {
  // zod still runs an array's size checks on a value that is not an array but has a length (a string given as
  // `messages`), which would add "has more than 200 messages" to "must be an array": keep the type issue only.
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map((i) => pathOf(i.path)));
  const sized = (i: z.core.$ZodIssue) =>
    (i.code === 'too_big' || i.code === 'too_small') && wrongType.has(pathOf(i.path));
  return error.issues
    .filter((i) => !sized(i))
    .map((i) => {
      const path = pathOf(i.path);
      return {
        path: prefix && path ? `${prefix}.${path}` : prefix || path,
        message:
          i.code === 'invalid_type' && i.path.length === 0 && prefix === ''
            ? 'a transcript must be an object { messages, target? }'
            : i.message,
      };
    });
}

function toMs(ts: number | string | undefined, i: number, issues: TranscriptIssue[]): number | undefined {
  if (ts === undefined) return undefined;
  const ms = timestampMs(ts);
  if (Number.isNaN(ms)) {
    issues.push({
      path: `messages[${i}].timestamp`,
      message: typeof ts === 'number' ? numericTimestampProblem(ts) : stringTimestampProblem(ts),
    });
    return undefined;
  }
  return ms;
}

/** A validated message: frozen, with `timeMs` (and `timestamp`, when given) in epoch milliseconds. */
function validMessage(speaker: string, text: string, timeMs: number | undefined): ValidMessage {
  return Object.freeze(
    timeMs === undefined ? { speaker, text, timeMs } : { speaker, text, timestamp: timeMs, timeMs },
  );
}

/** True when a transcript that passed `had` also passes `want`. */
function withinLimits(had: Required<ValidationLimits>, want: Required<ValidationLimits>): boolean {
  return (
    had === want ||
    (had.minMessages >= want.minMessages &&
      had.maxMessages <= want.maxMessages &&
      had.maxTextLength <= want.maxTextLength &&
      had.maxSpeakerLength <= want.maxSpeakerLength &&
      had.maxBioLength <= want.maxBioLength)
  );
}

/**
 * `input` when `validateTranscript` returned it under limits at least as strict as `limits` (without limits:
 * under any, so a long chat validated with a raised maxMessages passes code that uses the defaults). The registry
 * is reachable by its public symbol, so only an object frozen as `validateTranscript` returns it (it and its
 * messages array) is taken on its word: anything else is validated again.
 * @internal
 */
export function alreadyValidated(
  input: unknown,
  limits: ValidationLimits | undefined,
  resolved: Required<ValidationLimits>,
): ValidTranscript | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const had = validated.get(input);
  return had !== undefined &&
    (limits === undefined || withinLimits(had, resolved)) &&
    Object.isFrozen(input) &&
    Object.isFrozen((input as ValidTranscript).messages)
    ? (input as ValidTranscript)
    : undefined;
}

/**
 * The limits `validateTranscript` checked `t` under (the ones it returned `t` for), so code that goes over its
 * messages again (a timeline's stream) checks them as they were checked. @internal
 */
export function limitsValidatedUnder(t: ValidTranscript): Readonly<Required<ValidationLimits>> | undefined {
  return validated.get(t);
}

/**
 * Checks a transcript and returns a frozen, normalized copy. Every detector calls this, so bad input always
 * gets an {@link InvalidTranscriptError} that names the field and the fix, never a crash or a silent guess.
 *
 * Rules: 1..200 messages (configurable), non-empty speakers, texts up to 10,000 characters, timestamps
 * (epoch ms from 0 to 8.64e15 but not 1e9 to 1e10, which is epoch seconds: see `Message.timestamp`; or ISO 8601)
 * that never go backwards, and a `target` that is one of the speakers. `target` may be
 * omitted only when the transcript has a single speaker.
 *
 * The shape rules are `transcriptSchema` (zod); well-formed input takes a hand-written check of the same
 * rules, and anything it does not accept goes through zod, which words the errors.
 *
 * @param input - anything; typically parsed JSON
 * @param limits - overrides for {@link DEFAULT_LIMITS} (a `resolveValidationLimits` result is cheapest)
 * @throws InvalidTranscriptError listing every problem found
 *
 * @example
 * ```ts
 * const t = validateTranscript({ messages: [{ speaker: 'a', text: 'hi' }] });
 * t.target; // 'a'
 * ```
 */
export function validateTranscript(input: unknown, limits?: ValidationLimits): ValidTranscript {
  const l = resolveValidationLimits(limits);
  const done = alreadyValidated(input, limits, l);
  if (done !== undefined) return done;
  let t: Transcript;
  if (matchesTranscriptSchema(input, l)) {
    t = input as Transcript;
  } else {
    const parsed = schemaFor(l).transcript.safeParse(input);
    if (!parsed.success) throw new InvalidTranscriptError(zodIssues(parsed.error));
    t = parsed.data as Transcript;
  }
  const issues: TranscriptIssue[] = [];
  const n = t.messages.length;
  const messages: ValidMessage[] = new Array(n);
  const speakers = new Set<string>();
  let lastMs: number | undefined;
  let lastIdx = -1;
  let lastSpeaker: string | undefined;
  for (let i = 0; i < n; i++) {
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
    // Most messages alternate between two speakers: skip the set when the speaker did not change.
    if (m.speaker !== lastSpeaker) {
      speakers.add(m.speaker);
      lastSpeaker = m.speaker;
    }
    messages[i] = validMessage(m.speaker, m.text, timeMs);
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
    issues.push({ path: 'target', message: noMessageFrom(target, speakers) });
  }
  if (issues.length > 0) throw new InvalidTranscriptError(issues);
  const out: ValidTranscript = Object.freeze({
    messages: Object.freeze(messages) as ValidMessage[],
    target: target!,
    ...(t.profile ? { profile: Object.freeze(copyProfile(t.profile as Record<string, unknown>)) } : {}),
  });
  validated.set(out, l);
  return out;
}

function noMessageFrom(target: string, speakers: Set<string>): string {
  return `target "${target.slice(0, 80)}" sent no message: use one of ${listSpeakers(speakers)}`;
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
 * Checks one message as {@link validateTranscript} checks `messages[index]`, for transcripts that arrive a
 * message at a time (streams). Returns it validated (frozen, `timeMs` set); `previousMs` is the latest
 * timestamp before it, which its own must not precede.
 *
 * @param input - the message
 * @param index - its place in the transcript, for the issue paths
 * @param previous - the index and time of the latest earlier timed message, if any
 * @param limits - overrides for {@link DEFAULT_LIMITS}
 * @throws InvalidTranscriptError naming `messages[index]` and the fix
 *
 * @internal
 */
export function validateMessageAt(
  input: unknown,
  index: number,
  previous: { index: number; timeMs: number } | undefined,
  limits?: ValidationLimits,
): ValidMessage {
  const l = resolveValidationLimits(limits);
  let m: Message;
  if (messageMatches(input, l)) m = input as Message;
  else {
    const parsed = schemaFor(l).message.safeParse(input);
    if (!parsed.success) {
      throw new InvalidTranscriptError(zodIssues(parsed.error, `messages[${index}]`));
    }
    m = parsed.data;
  }
  const issues: TranscriptIssue[] = [];
  const timeMs = toMs(m.timestamp, index, issues);
  if (timeMs !== undefined && previous !== undefined && timeMs < previous.timeMs) {
    issues.push({
      path: `messages[${index}].timestamp`,
      message: `timestamp goes backwards (earlier than messages[${previous.index}]): order messages by time or fix the clock`,
    });
  }
  if (issues.length > 0) throw new InvalidTranscriptError(issues);
  return validMessage(m.speaker, m.text, timeMs);
}

/**
 * Checks a stream's target and profile as {@link validateTranscript} checks a transcript's.
 *
 * @param target - the speaker to judge
 * @param profile - the target's profile, if any
 * @param limits - overrides for {@link DEFAULT_LIMITS}
 * @returns the profile as validated (frozen), or `undefined`
 * @throws InvalidTranscriptError naming `target` or `profile...`
 *
 * @internal
 */
export function validateStreamHead(
  target: unknown,
  profile: unknown,
  limits?: ValidationLimits,
): Profile | undefined {
  const l = resolveValidationLimits(limits);
  if (typeof target !== 'string' || target.length < 1 || target.length > l.maxSpeakerLength) {
    throw new InvalidTranscriptError([
      {
        path: 'target',
        message: `target must be a non-empty string of at most ${l.maxSpeakerLength} characters naming the speaker to judge`,
      },
    ]);
  }
  if (profile === undefined) return undefined;
  const parsed = schemaFor(l).profile.safeParse(profile);
  if (!parsed.success) throw new InvalidTranscriptError(zodIssues(parsed.error, 'profile'));
  return Object.freeze(copyProfile(profile as Record<string, unknown>)) as Profile;
}
