import { Inflight } from '../core/inflight.js';
import { AbortedError } from '../errors/aborted-error.js';

/** Options for {@link ModelLifetime}. @internal */
export interface ModelLifetimeOptions {
  /**
   * Whether work may start again once {@link ModelLifetime.end} has finished (the object reloads its model on
   * the next call, as `TransformersEmbedder` does); work that comes while it ends waits for the end, then runs.
   * When false, the end is final: later work is refused with `AbortedError`.
   * @defaultValue false
   */
  renewable?: boolean;
}

/**
 * The lifetime of a model-backed object (an embedder, a scorer) whose `dispose()` may come while its work runs:
 * `end()` stops work in flight at its next batch (the batch that runs on the model finishes first), waits for
 * the work in flight to settle, and only then frees the model, so ONNX Runtime never runs on a disposed session.
 *
 * @internal
 */
export class ModelLifetime {
  private controller = new AbortController();
  private readonly inflight = new Inflight();
  private ending: Promise<void> | undefined;
  private readonly renewable: boolean;

  /**
   * @param what - names the work in the `AbortedError` of work refused or stopped by the end
   * @param options - see {@link ModelLifetimeOptions}
   */
  constructor(
    private readonly what: string,
    options: ModelLifetimeOptions = {},
  ) {
    this.renewable = options.renewable ?? false;
  }

  /** Throws `AbortedError` while the lifetime ends (and, unless renewable, once it has ended). */
  throwIfEnded(): void {
    AbortedError.throwIfAborted(this.controller.signal, this.what);
  }

  /**
   * Runs `work` under the lifetime: it gets a signal that aborts at the caller's abort or at `end()`, and `end()`
   * waits for it to settle. The signal's listeners are removed once the work settles (`AbortSignal.any` against a
   * long-lived caller signal keeps one per call on Node 20).
   *
   * @param signal - the caller's signal
   * @param work - the work, given the joined signal
   * @throws AbortedError when the lifetime has ended and is not renewable
   */
  async run<T>(signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    while (this.renewable && this.ending) await this.ending.catch(() => undefined);
    this.throwIfEnded();
    const own = this.controller.signal;
    if (!signal) return this.inflight.track(work(own));
    const joined = new AbortController();
    const stop = (): void => joined.abort(signal.aborted ? signal.reason : own.reason);
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    own.addEventListener('abort', stop, { once: true });
    try {
      return await this.inflight.track(work(joined.signal));
    } finally {
      signal.removeEventListener('abort', stop);
      own.removeEventListener('abort', stop);
    }
  }

  /**
   * Ends the lifetime: work in flight is stopped at its next batch, new work waits (renewable) or is refused,
   * and once the work in flight has settled, `release` frees the model. Calls while it ends share that end; a
   * final lifetime's later calls return it too.
   *
   * @param release - frees the model
   */
  end(release: () => Promise<void>): Promise<void> {
    this.ending ??= this.finish(release);
    return this.ending;
  }

  private async finish(release: () => Promise<void>): Promise<void> {
    this.controller.abort();
    try {
      await this.inflight.settled();
      await release();
    } finally {
      if (this.renewable) {
        this.controller = new AbortController();
        this.ending = undefined;
      }
    }
  }
}
