import { InvalidTranscriptError } from '../errors/invalid-transcript-error.js';
import type { Message, Profile, ValidMessage, ValidTranscript } from './transcript.js';
import {
  resolveValidationLimits,
  type ValidationLimits,
  validateMessageAt,
  validateStreamHead,
} from './validate.js';

/** The latest message with a timestamp: its index and time. */
type Timed = { index: number; timeMs: number };

/** The error of a push past `maxMessages`: the stream keeps what it had. */
function tooManyMessages(max: number): InvalidTranscriptError {
  return new InvalidTranscriptError([
    {
      path: 'messages',
      message: `messages has more than ${max} messages: this push was refused and the stream judges the first ${max}; open the stream with a raised limits.maxMessages (StreamOptions.limits, or --max-messages / the service's maxMessages) for longer chats`,
    },
  ]);
}

/**
 * The order check of messages that arrive one at a time: each is checked as `validateTranscript` checks
 * `messages[i]` (`validateMessageAt`: shape, timestamp, never earlier than the latest timed one before), with
 * the index and the latest timed message kept between calls. A message that fails moves nothing.
 *
 * @internal
 */
export class MessageSequence {
  private count = 0;
  private lastTimed: Timed | undefined;

  /** How many messages have passed. */
  get length(): number {
    return this.count;
  }

  /**
   * Checks the next message.
   *
   * @param message - the message as pushed
   * @param limits - overrides for `DEFAULT_LIMITS` (resolved ones are used as they are)
   * @returns the message as validated (frozen, `timeMs` set)
   * @throws InvalidTranscriptError naming `messages[i]` and the fix, or `maxMessages` when this message would
   *   pass it
   */
  next(message: Message, limits?: ValidationLimits): ValidMessage {
    const index = this.count;
    const max = resolveValidationLimits(limits).maxMessages;
    if (index >= max) throw tooManyMessages(max);
    const m = validateMessageAt(message, index, this.lastTimed, limits);
    this.count++;
    if (m.timeMs !== undefined) this.lastTimed = { index, timeMs: m.timeMs };
    return m;
  }

  /** Goes back to `count` messages, the latest timed one among them being `lastTimed`. */
  rewind(count: number, lastTimed: Timed | undefined): void {
    this.count = count;
    this.lastTimed = lastTimed;
  }
}

/**
 * The messages of a transcript that arrives one message at a time (a stream), each checked as
 * `validateTranscript` checks it in a whole transcript: its shape, its timestamp (epoch ms or ISO 8601, never
 * earlier than the latest one before) and the message count limit. A message that fails is not kept, so one
 * bad push does not spoil the messages after it.
 *
 * @internal
 */
export class MessageLog {
  /** The validated messages, in order (empty when the log was made with `keepMessages: false`). */
  readonly messages: ValidMessage[] = [];
  private readonly sequence = new MessageSequence();
  /** The validated profile, if any. */
  readonly profile: Profile | undefined;
  private readonly limits: Readonly<Required<ValidationLimits>>;
  private targetCount = 0;

  /**
   * @param target - the speaker to judge
   * @param profile - the target's profile
   * @param limits - overrides for `DEFAULT_LIMITS`
   * @param keepMessages - keep the messages (false: only count them, for streams that fold each message into
   *   running sums)
   * @throws InvalidTranscriptError when `target` or `profile` is malformed; InvalidOptionsError for bad limits
   */
  constructor(
    readonly target: string,
    profile?: Profile,
    limits?: ValidationLimits,
    private readonly keepMessages = true,
  ) {
    this.limits = resolveValidationLimits(limits);
    this.profile = validateStreamHead(target, profile, this.limits);
  }

  /** True once the target has sent a message. */
  get targetSpoke(): boolean {
    return this.targetCount > 0;
  }

  /**
   * Checks `message` and keeps it.
   *
   * @returns the message as validated (frozen, `timeMs` set)
   * @throws InvalidTranscriptError naming `messages[i]` and the fix, or the message limit; nothing is kept then
   */
  append(message: Message): ValidMessage {
    const m = this.sequence.next(message, this.limits);
    if (this.keepMessages) this.messages.push(m);
    if (m.speaker === this.target) this.targetCount++;
    return m;
  }

  /** Forgets the latest message (a push whose detection failed); only for a log that keeps its messages. */
  pop(): void {
    const m = this.messages.pop();
    if (m === undefined) return;
    if (m.speaker === this.target) this.targetCount--;
    let lastTimed: Timed | undefined;
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const t = this.messages[i]!.timeMs;
      if (t !== undefined) {
        lastTimed = { index: i, timeMs: t };
        break;
      }
    }
    this.sequence.rewind(this.messages.length, lastTimed);
  }

  /** The messages so far as a transcript (a copy of the list). */
  transcript(): ValidTranscript {
    return {
      target: this.target,
      messages: this.messages.slice(),
      ...(this.profile !== undefined && { profile: this.profile }),
    };
  }
}
