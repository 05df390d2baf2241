import { IsoTimeReader } from './iso-time.js';
import type { Message } from './transcript.js';
import {
  alreadyValidated,
  matchesTranscriptHead,
  messageMatches,
  resolveValidationLimits,
  type ValidationLimits,
  validateTranscript,
} from './validate.js';

/**
 * A transcript that passed {@link checkTranscript}: its own messages, not copied, and the epoch milliseconds of
 * their timestamps. Read it at once: it is a view of the caller's input, which the caller may change later.
 *
 * @internal
 */
export interface CheckedTranscript {
  /** The resolved target speaker. */
  readonly target: string;
  /** The messages, as given (or as validated, for a transcript `validateTranscript` returned). */
  readonly messages: readonly Message[];
  /**
   * Epoch milliseconds of each message's timestamp (ISO strings converted); `NaN` where it has none. May be
   * longer than `messages` (the caller's scratch array): read the first `messages.length`.
   */
  readonly timeMs: Float64Array;
}

/**
 * Checks a transcript by exactly the rules of `validateTranscript`, without copying or freezing it: for code
 * that reads a transcript once, right away (a detector's `detect`). Building the frozen copy, an object per
 * message, cost as much as checking the rules. Input that breaks a rule goes to `validateTranscript`, which
 * throws the same error it always throws; input that only the zod schema accepts (the hand-written check is a
 * fast path) is read from `validateTranscript`'s copy.
 *
 * @param input - anything; typically parsed JSON
 * @param limits - overrides for `DEFAULT_LIMITS` (a `resolveValidationLimits` result is cheapest)
 * @param scratch - an array to hold `timeMs` when it is long enough (a caller that checks transcript after
 *   transcript saves allocating one each time; its first `messages.length` entries are then the view's)
 * @throws InvalidTranscriptError listing every problem found, as `validateTranscript` does
 * @internal
 */
export function checkTranscript(
  input: unknown,
  limits?: ValidationLimits,
  scratch?: Float64Array,
): CheckedTranscript {
  const l = resolveValidationLimits(limits);
  const valid = alreadyValidated(input, limits, l);
  if (valid === undefined && matchesTranscriptHead(input, l)) {
    const t = input as { messages: Message[]; target?: string };
    const checked = checkRules(t.messages, t.target, times(t.messages.length, scratch), l);
    if (checked !== undefined) return checked;
  }
  // Already validated, or a rule is broken (validateTranscript throws), or only zod can tell.
  const v = valid ?? validateTranscript(input, limits);
  const timeMs = times(v.messages.length, scratch);
  v.messages.forEach((m, i) => {
    timeMs[i] = m.timeMs ?? Number.NaN;
  });
  return { target: v.target, messages: v.messages, timeMs };
}

/** `scratch` when it holds `n` numbers, else a new array. */
function times(n: number, scratch: Float64Array | undefined): Float64Array {
  return scratch !== undefined && scratch.length >= n ? scratch : new Float64Array(n);
}

/** The timestamp reader of {@link checkRules} (nothing there awaits, so calls cannot interleave). */
const READER = new IsoTimeReader();

/**
 * The message schema and the rules `validateTranscript` adds to it, in a pass over the messages of a
 * transcript whose head matched and one over their timestamps: each message of the right shape, timestamps
 * that parse and never go backwards, and a target among the speakers (or a single speaker when it is
 * missing). `undefined` when one is broken (or only zod can tell).
 */
function checkRules(
  messages: readonly unknown[],
  target: string | undefined,
  timeMs: Float64Array,
  l: Required<ValidationLimits>,
): CheckedTranscript | undefined {
  const n = messages.length;
  // (Read before the first message is checked: when it is not a message, the loop gives up on it at once.)
  const first = (messages[0] as Message | undefined)?.speaker;
  let targetSpoke = false;
  let oneSpeaker = true;
  let timed = false;
  // The first two speaker names checked: a later message by either is not checked for lone surrogates again
  // (about 1 µs of a 200-message detect).
  let checkedA: string | undefined;
  let checkedB: string | undefined;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    if (!messageMatches(m, l, checkedA, checkedB)) return undefined;
    if (m.timestamp === undefined) timeMs[i] = Number.NaN;
    else timed = true;
    if (m.speaker === target) targetSpoke = true;
    else if (m.speaker !== first) oneSpeaker = false;
    if (checkedA === undefined) checkedA = m.speaker;
    else if (checkedB === undefined && m.speaker !== checkedA) checkedB = m.speaker;
  }
  // The timestamps in a loop of their own, the reader's (a fresh start for each transcript: it remembers only
  // this transcript's timestamps). Written into the array, not returned: a returned time would be boxed.
  if (timed && !READER.readAll(messages as readonly Message[], timeMs)) return undefined;
  if (target === undefined)
    return oneSpeaker && first !== undefined
      ? { target: first, messages: messages as readonly Message[], timeMs }
      : undefined;
  return targetSpoke ? { target, messages: messages as readonly Message[], timeMs } : undefined;
}
