import { AbortedError } from '../errors/aborted-error.js';

/**
 * The lifetime of a model-backed object (an embedder, a scorer) whose `dispose()` may come while its work runs:
 * `end()` stops work in flight at its next batch (the batch that runs on the model finishes first), refuses new
 * work, and resolves once the work in flight has settled, so the caller frees the model after it and ONNX
 * Runtime never runs on a disposed session.
 *
 * @internal
 */
export class ModelLifetime {
  private readonly controller = new AbortController();
  private readonly inflight = new Set<Promise<unknown>>();

  /** @param what - names the work in the `AbortedError` of work refused or stopped once ended */
  constructor(private readonly what: string) {}

  /** Throws `AbortedError` once {@link ModelLifetime.end} was called. */
  throwIfEnded(): void {
    AbortedError.throwIfAborted(this.controller.signal, this.what);
  }

  /** The caller's signal joined with this lifetime: it aborts at the caller's abort or at `end()`. */
  signalFor(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.controller.signal]) : this.controller.signal;
  }

  /** Keeps `work` in the set that {@link ModelLifetime.end} waits for. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const done = () => this.inflight.delete(work);
    work.then(done, done);
    return work;
  }

  /** Ends the lifetime (idempotent) and resolves once every tracked work has settled. */
  async end(): Promise<void> {
    if (!this.controller.signal.aborted) this.controller.abort();
    await Promise.allSettled([...this.inflight]);
  }
}
