import { AbortedError } from '../errors/aborted-error.js';
import { HubError } from '../errors/hub-error.js';

/** Options for {@link createHubFetch}. */
export interface HubFetchOptions {
  /**
   * The fetch to wrap (a proxy, a test double, undici's fetch with a dispatcher).
   * @defaultValue globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Retries after a 429, a 5xx, a timeout or a network error (so up to `retries + 1` attempts).
   * @defaultValue 3
   */
  retries?: number;
  /**
   * Milliseconds to wait for the response headers of one attempt. The body may take longer (large downloads).
   * @defaultValue 30000
   */
  timeoutMs?: number;
  /**
   * First backoff delay in milliseconds; it doubles after each retry, with up to 25% random jitter.
   * A `Retry-After` header from the hub takes precedence.
   * @defaultValue 500
   */
  baseDelayMs?: number;
  /**
   * Longest wait between two attempts, in milliseconds (also caps `Retry-After`).
   * @defaultValue 30000
   */
  maxDelayMs?: number;
  /**
   * Cancels the requests, the waits between retries and the body streams.
   * @defaultValue undefined
   */
  signal?: AbortSignal;
  /**
   * The setting that chose the hub's address, as the caller's user knows it, for "check the network and ..." when
   * the hub cannot be reached: `hubUrl` where the caller gave that option, `HF_ENDPOINT` where the address came
   * from the environment or the default (a detector loading a model, every CLI command), so no message names an
   * option its reader cannot set.
   * @defaultValue undefined (the message says "the URL")
   */
  hubSetting?: HubSetting;
}

/** The setting that chose the hub's address: the `hubUrl` option, or the `HF_ENDPOINT` environment variable. */
export type HubSetting = 'hubUrl' | 'HF_ENDPOINT';

/** What to check when the hub cannot be reached, by the setting that chose its address (whole, for cli-wording). */
const UNREACHABLE: Record<HubSetting, string> = {
  hubUrl: 'check the network and hubUrl',
  HF_ENDPOINT: 'check the network and HF_ENDPOINT',
};

function nonNegative(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('retry-after');
  if (h === null) return undefined;
  const seconds = Number(h);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(h);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError('Hub request', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError('Hub request', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps `fetch` for the Hugging Face Hub: each attempt gets a time limit for its response headers, and 429, 5xx,
 * timeouts and network errors are retried with exponential backoff (honouring `Retry-After`). Pass the result as
 * the `fetch` option of `@huggingface/hub` functions.
 *
 * After the last retry a 429 or 5xx response is returned as is (the hub client turns it into its API error, which
 * botlens reports as a {@link HubError}); a timeout or a network error throws a `HubError` of kind `timeout` or
 * `network`; an abort through `signal` throws `AbortedError`.
 *
 * @param options - the fetch to wrap, retries, time limit and backoff
 * @example
 * ```ts
 * import { modelInfo } from '@huggingface/hub';
 * const info = await modelInfo({ name: 'Xenova/gpt2', fetch: createHubFetch({ retries: 2, timeoutMs: 10_000 }) });
 * ```
 */
export function createHubFetch(options: HubFetchOptions = {}): typeof fetch {
  const base = options.fetch ?? globalThis.fetch;
  const retries = Math.floor(nonNegative(options.retries, 3));
  const timeoutMs = nonNegative(options.timeoutMs, 30_000);
  const baseDelayMs = nonNegative(options.baseDelayMs, 500);
  const maxDelayMs = nonNegative(options.maxDelayMs, 30_000);
  const outer = options.signal;
  const unreachable =
    options.hubSetting !== undefined ? UNREACHABLE[options.hubSetting] : 'check the network and the URL';

  const backoff = (attempt: number) => {
    const d = baseDelayMs * 2 ** attempt;
    return Math.min(maxDelayMs, d + d * 0.25 * Math.random());
  };

  const hubFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    for (let attempt = 0; ; attempt++) {
      AbortedError.throwIfAborted(outer, 'Hub request');
      const timer = new AbortController();
      const signals = [timer.signal];
      if (outer) signals.push(outer);
      if (init?.signal) signals.push(init.signal);
      const handle = setTimeout(() => timer.abort(), timeoutMs);
      let res: Response;
      try {
        res = await base(input, { ...init, signal: AbortSignal.any(signals) });
      } catch (cause) {
        if (outer?.aborted) throw new AbortedError('Hub request', { cause: outer.reason });
        if (init?.signal?.aborted) throw cause;
        const timedOut = timer.signal.aborted;
        if (attempt < retries) {
          await sleep(backoff(attempt), outer);
          continue;
        }
        throw timedOut
          ? new HubError(
              'timeout',
              `The hub did not answer ${url} within ${timeoutMs} ms (${attempt + 1} attempts): try again later or raise timeoutMs.`,
              { url, cause },
            )
          : new HubError(
              'network',
              `Could not reach the hub at ${url} (${attempt + 1} attempts): ${unreachable}.`,
              { url, cause },
            );
      } finally {
        clearTimeout(handle);
      }
      const transient = res.status === 429 || res.status >= 500;
      if (transient && attempt < retries) {
        await res.body?.cancel().catch(() => undefined);
        await sleep(Math.min(maxDelayMs, retryAfterMs(res) ?? backoff(attempt)), outer);
        continue;
      }
      return res;
    }
  };
  return hubFetch as typeof fetch;
}
