import { BotlensError } from './botlens-error.js';

/**
 * A detection ran longer than the service's time limit and was stopped (HTTP 503). Retry later, send a shorter
 * transcript, or raise the service's `timeoutMs`.
 */
export class DetectionTimeoutError extends BotlensError {
  /** @param ms - the time limit that was exceeded, in milliseconds */
  constructor(ms: number) {
    super(
      'TIMEOUT',
      `Detection took longer than ${ms} ms and was stopped: retry later or send a shorter transcript.`,
    );
    this.name = 'DetectionTimeoutError';
  }

  /** True when `value` is a DetectionTimeoutError from any copy of the package. */
  static override isInstance(value: unknown): value is DetectionTimeoutError {
    return BotlensError.isInstance(value) && value.code === 'TIMEOUT';
  }
}
