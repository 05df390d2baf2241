import { describeValue } from '../core/describe-value.js';
import type { OptionKeys } from '../core/refuse-unknown-keys.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { createHubFetch, type HubSetting } from './hub-fetch.js';

/** How to reach the Hugging Face Hub. Shared by {@link checkModel}, `fetchModelFacts` and {@link pullModel}. */
export interface HubAccessOptions {
  /**
   * Git revision: a branch, tag or commit sha.
   * @defaultValue the repo's default branch (`main`)
   */
  revision?: string;
  /**
   * Base URL of the hub (a mirror, an enterprise hub, or a local test server).
   * @defaultValue `$HF_ENDPOINT`, else 'https://huggingface.co'
   */
  hubUrl?: string;
  /**
   * A Hugging Face access token (`hf_...`), needed for gated and private repos.
   * @defaultValue `$HF_TOKEN` when it is set
   */
  accessToken?: string;
  /**
   * The fetch used for every request (a proxy, custom headers, a test server).
   * @defaultValue globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Retries after a 429, a 5xx, a timeout or a network error.
   * @defaultValue 3
   */
  retries?: number;
  /**
   * Milliseconds to wait for the headers of each response.
   * @defaultValue 30000
   */
  timeoutMs?: number;
  /**
   * First backoff delay between retries in milliseconds (it doubles each time).
   * @defaultValue 500
   */
  retryDelayMs?: number;
  /**
   * Cancels the work; the promise then rejects with `AbortedError`.
   * @defaultValue undefined
   */
  signal?: AbortSignal;
}

/** Every key of {@link HubAccessOptions}, for the options checks of the hub functions. @internal */
export const HUB_ACCESS_OPTION_KEYS: OptionKeys<HubAccessOptions> = {
  revision: true,
  hubUrl: true,
  accessToken: true,
  fetch: true,
  retries: true,
  timeoutMs: true,
  retryDelayMs: true,
  signal: true,
};

/** {@link HubAccessOptions} checked and resolved by {@link resolveHubAccess}. */
export interface ResolvedHubAccess {
  /** Base URL without a trailing slash. */
  hubUrl: string;
  /** The token, if any. */
  accessToken: string | undefined;
  /** The revision asked for, if any. */
  revision: string | undefined;
  /** The retrying, time-limited fetch. */
  fetch: typeof fetch;
  /** The cancellation signal, if any. */
  signal: AbortSignal | undefined;
  /**
   * The setting that chose `hubUrl`, for messages that say what to check: `hubUrl` when the caller gave that
   * option, else `HF_ENDPOINT` (the environment, or its default), which is what a detector's user and the CLI set.
   */
  hubSetting: HubSetting;
}

/**
 * Checks {@link HubAccessOptions}, fills in the defaults (`HF_ENDPOINT`, `HF_TOKEN`) and wraps the fetch with
 * retries and time limits ({@link createHubFetch}).
 *
 * @param options - the caller's options
 * @throws InvalidOptionsError for a hubUrl that is not an http(s) URL, or a token that does not start with `hf_`
 * @example
 * ```ts
 * const hub = resolveHubAccess({ hubUrl: 'http://127.0.0.1:8080/' });
 * hub.hubUrl; // 'http://127.0.0.1:8080'
 * ```
 */
export function resolveHubAccess(options: HubAccessOptions): ResolvedHubAccess {
  const envUrl = process.env['HF_ENDPOINT'];
  const rawUrl = options.hubUrl ?? (envUrl && envUrl.trim() !== '' ? envUrl : 'https://huggingface.co');
  let parsed: URL | undefined;
  try {
    parsed = new URL(rawUrl);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidOptionsError(
      'hubUrl',
      `expected an http(s) URL such as https://huggingface.co, got ${describeValue(rawUrl)}`,
    );
  }
  const envToken = process.env['HF_TOKEN'];
  const accessToken =
    options.accessToken ?? (envToken && envToken.trim() !== '' ? envToken.trim() : undefined);
  if (accessToken !== undefined && (typeof accessToken !== 'string' || !accessToken.startsWith('hf_'))) {
    throw new InvalidOptionsError(
      options.accessToken !== undefined ? 'accessToken' : 'HF_TOKEN',
      'a Hugging Face token starts with "hf_": create one at https://huggingface.co/settings/tokens',
    );
  }
  if (
    options.revision !== undefined &&
    (typeof options.revision !== 'string' || options.revision.trim() === '')
  ) {
    throw new InvalidOptionsError(
      'revision',
      `expected a branch, tag or commit sha, got ${describeValue(options.revision)}`,
    );
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new InvalidOptionsError('fetch', 'expected a function with the signature of globalThis.fetch');
  }
  const hubSetting: HubSetting = options.hubUrl !== undefined ? 'hubUrl' : 'HF_ENDPOINT';
  return {
    hubUrl: rawUrl.replace(/\/+$/, ''),
    accessToken,
    revision: options.revision,
    signal: options.signal,
    hubSetting,
    fetch: createHubFetch({
      hubSetting,
      fetch: options.fetch,
      retries: options.retries,
      timeoutMs: options.timeoutMs,
      baseDelayMs: options.retryDelayMs,
      signal: options.signal,
    }),
  };
}
