import { AbortedError } from '../errors/aborted-error.js';

/**
 * Settles as `work` does, or rejects with {@link AbortedError} as soon as `signal` aborts, whichever comes
 * first: a call returns at its abort even when the code it waits on (a user's detector) ignores its signal.
 * `work` keeps running and is still observed (its rejection is never left unhandled): whoever must wait for
 * it (an ensemble's `dispose()`) tracks it separately.
 *
 * @param work - the running work
 * @param signal - the caller's signal (none: `work` itself is returned)
 * @param what - the operation, for the `AbortedError` message
 * @internal
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new AbortedError(what, { cause: signal.reason }));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(what, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
