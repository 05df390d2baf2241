import { nowMs } from '../../core/detection.js';
import type { Detection, DetectOptions, StreamOptions } from '../../core/detector.js';
import { MessageLog } from '../../core/message-log.js';
import { ImmediateStream } from '../../core/stream.js';
import type { Message, ValidMessage } from '../../core/transcript.js';
import type { ValidationLimits } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import type { StyleAccumulator } from './style-accumulator.js';

/** Another speaker's running style sums, message count, order of first message, and last message fed. */
interface OtherSpeaker {
  readonly acc: StyleAccumulator;
  count: number;
  readonly order: number;
  /** Index of the latest message this accumulator was fed. */
  fed: number;
}

/**
 * The partner-contrast detector's incremental stream: each push validates the message, adds it to the running
 * style sums of the target and of its speaker, and scores the target against the other speaker with the most
 * messages so far (the earliest to speak among equals, as `partnerOf` picks for `detect()`), tracked as counts
 * change. A push costs the same however many speakers and messages came before. Pushes are applied in call
 * order, synchronously.
 *
 * Why a speaker's accumulator needs only its own messages and the one just before each: a `StyleAccumulator`
 * counts only its target's messages; a message of anyone else sets no more than the previous message's speaker
 * and time (reply timing) and the latest text from someone else (echo), and each such message overwrites what
 * the one before it set. So the message just before one of the speaker's own stands for all the others since
 * its last one (the test "streams ... every prefix" checks this against `detect()`).
 *
 * @internal
 */
export class PartnerContrastStream extends ImmediateStream {
  private readonly log: MessageLog;
  private readonly target: string;
  private readonly mine: StyleAccumulator;
  /** The other speakers, by name. */
  private readonly others = new Map<string, OtherSpeaker>();
  /** The other speaker with the most messages (earliest among equals), or undefined before any speaks. */
  private partner: string | undefined;
  private top: OtherSpeaker | undefined;
  /** The latest message pushed, and its index. */
  private previous: ValidMessage | undefined;
  private index = -1;
  private latest: Detection | undefined;

  /**
   * @param name - the detector's name (for abort messages)
   * @param opts - target and profile
   * @param limits - the stream's validation limits (`opts.limits`, else the detector's)
   * @param start - makes an accumulator for a speaker
   * @param score - scores the target's accumulator against its partner's
   */
  constructor(
    private readonly name: string,
    opts: StreamOptions,
    limits: ValidationLimits | undefined,
    private readonly start: (speaker: string) => StyleAccumulator,
    private readonly score: (
      mine: StyleAccumulator,
      theirs: StyleAccumulator | undefined,
      partner: string | undefined,
      started: number,
    ) => Detection,
  ) {
    super();
    this.log = new MessageLog(opts?.target, opts?.profile, limits, false);
    this.target = opts.target;
    this.mine = start(opts.target);
  }

  /** `push` without the promise: the detection, or the error `push` rejects with, thrown. @internal */
  pushNow(message: Message, opts: DetectOptions = {}): Detection {
    const started = nowMs();
    if (opts.signal?.aborted) AbortedError.throwIfAborted(opts.signal, `${this.name} stream`);
    const m = this.log.append(message);
    const previous = this.previous;
    this.previous = m;
    this.index++;
    this.mine.push(m);
    if (m.speaker !== this.target) {
      let o = this.others.get(m.speaker);
      if (o === undefined) {
        o = { acc: this.start(m.speaker), count: 0, order: this.others.size, fed: -1 };
        this.others.set(m.speaker, o);
      }
      // Catch up on the message just before when it was someone else's (see the class comment).
      if (previous !== undefined && o.fed < this.index - 1) o.acc.push(previous);
      o.acc.push(m);
      o.fed = this.index;
      o.count++;
      const top = this.top;
      if (top === undefined || o.count > top.count || (o.count === top.count && o.order < top.order)) {
        this.top = o;
        this.partner = m.speaker;
      }
    }
    this.latest = this.score(this.mine, this.top?.acc, this.partner, started);
    return this.latest;
  }

  detection(): Detection | undefined {
    return this.latest;
  }
}
