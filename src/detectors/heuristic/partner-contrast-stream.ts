import { nowMs } from '../../core/detection.js';
import type { Detection, DetectOptions, StreamOptions } from '../../core/detector.js';
import { MessageLog } from '../../core/message-log.js';
import type { SyncPushStream } from '../../core/stream.js';
import type { Message } from '../../core/transcript.js';
import type { ValidationLimits } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import type { StyleAccumulator } from './style-accumulator.js';

/**
 * The partner-contrast detector's incremental stream: each push validates the message, adds it to the running
 * style sums of the target and of every other speaker, and scores the target against the other speaker with
 * the most messages so far (the earliest to speak among equals, as `partnerOf` picks for `detect()`). A speaker
 * who first speaks late gets an accumulator caught up on the messages before, once. Pushes are applied in call
 * order, synchronously.
 *
 * @internal
 */
export class PartnerContrastStream implements SyncPushStream {
  private readonly log: MessageLog;
  private readonly target: string;
  private readonly mine: StyleAccumulator;
  /** The other speakers' accumulators and message counts, in order of first appearance. */
  private readonly others = new Map<string, { acc: StyleAccumulator; count: number }>();
  private latest: Detection | undefined;

  /**
   * @param name - the detector's name (for abort messages)
   * @param opts - target and profile
   * @param limits - the detector's validation limits
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
    this.log = new MessageLog(opts?.target, opts?.profile, limits, true);
    this.target = opts.target;
    this.mine = start(opts.target);
  }

  push(message: Message, opts: DetectOptions = {}): Promise<Detection> {
    try {
      return Promise.resolve(this.pushNow(message, opts));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Always true: every push runs at once. @internal */
  canPushNow(): boolean {
    return true;
  }

  /** `push` without the promise: the detection, or the error `push` rejects with, thrown. @internal */
  pushNow(message: Message, opts: DetectOptions = {}): Detection {
    const started = nowMs();
    if (opts.signal?.aborted) AbortedError.throwIfAborted(opts.signal, `${this.name} stream`);
    const m = this.log.append(message);
    if (m.speaker !== this.target && !this.others.has(m.speaker)) {
      const acc = this.start(m.speaker);
      const before = this.log.messages;
      for (let i = 0; i < before.length - 1; i++) acc.push(before[i]!);
      this.others.set(m.speaker, { acc, count: 0 });
    }
    this.mine.push(m);
    let partner: string | undefined;
    let theirs: StyleAccumulator | undefined;
    let most = 0;
    for (const [speaker, o] of this.others) {
      o.acc.push(m);
      if (speaker === m.speaker) o.count++;
      if (o.count > most) {
        most = o.count;
        partner = speaker;
        theirs = o.acc;
      }
    }
    this.latest = this.score(this.mine, theirs, partner, started);
    return this.latest;
  }

  detection(): Detection | undefined {
    return this.latest;
  }
}
