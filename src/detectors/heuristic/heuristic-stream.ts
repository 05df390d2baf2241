import { nowMs } from '../../core/detection.js';
import type { Detection, DetectOptions, StreamOptions } from '../../core/detector.js';
import { MessageLog } from '../../core/message-log.js';
import { ImmediateStream } from '../../core/stream.js';
import type { Message } from '../../core/transcript.js';
import type { ValidationLimits } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import type { StyleAccumulator } from './style-accumulator.js';

/**
 * The heuristic detector's incremental stream: each push validates the message, adds it to the running sums
 * and scores them. Pushes are applied in call order, synchronously, so detections come back in message order.
 * Another speaker's message changes none of the target's sums (it is only remembered for the target's next
 * reply), so it keeps the latest detection, the same object: a caller (the ensemble's stream) can tell that
 * nothing changed.
 *
 * @internal
 */
export class HeuristicStream extends ImmediateStream {
  private readonly log: MessageLog;
  private readonly acc: StyleAccumulator;
  private latest: Detection | undefined;
  private readonly target: string;

  /**
   * @param name - the detector's name (for abort messages)
   * @param opts - target and profile
   * @param limits - the stream's validation limits (`opts.limits`, else the detector's)
   * @param start - makes the accumulator for `opts.target`
   * @param score - scores the accumulator
   */
  constructor(
    private readonly name: string,
    opts: StreamOptions,
    limits: ValidationLimits | undefined,
    start: () => StyleAccumulator,
    private readonly score: (acc: StyleAccumulator, started: number) => Detection,
  ) {
    super();
    this.log = new MessageLog(opts?.target, opts?.profile, limits, false);
    this.target = opts.target;
    this.acc = start();
  }

  /** `push` without the promise: the detection, or the error `push` rejects with, thrown. @internal */
  pushNow(message: Message, opts: DetectOptions = {}): Detection {
    const started = nowMs();
    // (The name of the call is built only when it is needed, as in detect(): a push is a hot path.)
    if (opts.signal?.aborted) AbortedError.throwIfAborted(opts.signal, `${this.name} stream`);
    const m = this.log.append(message);
    this.acc.push(m);
    if (m.speaker !== this.target && this.latest) return this.latest;
    this.latest = this.score(this.acc, started);
    return this.latest;
  }

  detection(): Detection | undefined {
    return this.latest;
  }
}
