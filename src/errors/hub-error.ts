import { BotlensError } from './botlens-error.js';

/**
 * What went wrong talking to the Hugging Face Hub:
 * - `not-found`: no such repo, revision or file (or a private repo seen without a token);
 * - `unauthorized`: the token is missing, wrong or expired;
 * - `gated`: the repo is gated and the token has not been granted access;
 * - `rate-limited`: HTTP 429 after every retry;
 * - `server`: HTTP 5xx after every retry;
 * - `timeout`: no answer within the time limit, after every retry;
 * - `network`: the request could not be sent (DNS, refused connection, offline);
 * - `malformed`: the hub answered, but not with what the hub API returns (bad JSON, missing headers);
 * - `http`: any other HTTP error status.
 */
export type HubErrorKind =
  | 'not-found'
  | 'unauthorized'
  | 'gated'
  | 'rate-limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'http';

/** Details attached to a {@link HubError}. */
export interface HubErrorDetails {
  /** HTTP status, when the hub answered. */
  status?: number;
  /** The URL requested, when known. */
  url?: string;
  /** The hub repo id concerned, when known. */
  model?: string;
  /** The underlying error (a `HubApiError` from `@huggingface/hub`, a `SyntaxError`, a `TypeError` from fetch). */
  cause?: unknown;
}

/**
 * A request to the Hugging Face Hub failed: the repo does not exist, is gated or private, the hub is rate
 * limiting or down, the network is unreachable, or the answer was not what the hub API returns. `kind` says
 * which; the message says what to do. Transient failures (429, 5xx, timeouts) are retried with backoff before
 * this is thrown.
 *
 * @example
 * ```ts
 * try {
 *   await checkModel('no-such/model', { task: 'nli', memoryBudget: '2GB' });
 * } catch (err) {
 *   if (HubError.isInstance(err) && err.kind === 'not-found') console.error(err.message);
 * }
 * ```
 */
export class HubError extends BotlensError {
  /** The kind of failure. */
  readonly kind: HubErrorKind;
  /** HTTP status, when the hub answered. */
  readonly status: number | undefined;
  /** The URL requested, when known. */
  readonly url: string | undefined;
  /** The hub repo id concerned, when known. */
  readonly model: string | undefined;

  /**
   * @param kind - the kind of failure
   * @param message - what happened and what to do about it
   * @param details - HTTP status, URL, repo id and the underlying cause
   */
  constructor(kind: HubErrorKind, message: string, details: HubErrorDetails = {}) {
    super('HUB', message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HubError';
    this.kind = kind;
    this.status = details.status;
    this.url = details.url;
    this.model = details.model;
  }

  /** True when `value` is a HubError from any copy of the package. */
  static override isInstance(value: unknown): value is HubError {
    return BotlensError.isInstance(value) && value.code === 'HUB';
  }
}
