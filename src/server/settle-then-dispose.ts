/** What {@link settleThenDispose} needs from the service. @internal */
export interface SettleThenDispose {
  /** Settles once the detections under way (the warm-up and every request's) have settled. */
  idle: Promise<unknown>;
  /** Disposes the detector (`undefined`: leave it to the caller). */
  dispose: (() => Promise<void>) | undefined;
  /** The `performance.now()` by which to give up waiting (work past it ignores its signal). */
  by: number;
  /** Where a give-up is reported. */
  log: { warn(msg: string): void; error(obj: { err: unknown }, msg: string): void };
}

/**
 * The service's last step at `close()`: waits for the detections under way to settle, then disposes the detector
 * (an `Ensemble` waits for its members' calls, an embedder for its embeds, so no model is freed under a run), all
 * within `by`. Past it, close goes on and what is left (the wait, the dispose) finishes in the background: a
 * detection that ignores its signal cannot hold the process open for ever.
 *
 * @param o - what to wait for and how long; see {@link SettleThenDispose}
 * @throws whatever `dispose()` throws, when it fails within `by`
 * @internal
 */
export async function settleThenDispose(o: SettleThenDispose): Promise<void> {
  if (!(await settlesBy(o.idle.then(noop, noop), o.by))) {
    o.log.warn('closing with detections still running past their deadline (they ignore their signal)');
  }
  if (!o.dispose) return;
  const disposed = o.dispose();
  if (await settlesBy(disposed, o.by)) return;
  o.log.warn('closing before the detector finished disposing (it waits for calls that ignore their signal)');
  disposed.catch((err: unknown) => o.log.error({ err }, 'disposing the detector failed after close'));
}

function noop(): void {}

/** `true` once `work` has resolved (rejecting with its error) by `by`, `false` if it still runs then. */
async function settlesBy(work: Promise<unknown>, by: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, by - performance.now()), false);
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
