import { describeValue } from '../core/describe-value.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import type { Transcript } from '../core/transcript.js';
import { DEFAULT_LIMITS } from '../core/validate.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';

/** Limits and behaviour of the HTTP service. */
export interface ServerOptions {
  /**
   * Largest request body in bytes; larger bodies get 413.
   * @defaultValue 1048576 (1 MiB)
   */
  bodyLimit?: number;
  /**
   * Most transcripts in one `/v1/detect/batch` request: a larger batch is answered 413 `BATCH_TOO_LARGE`.
   * @defaultValue 32
   */
  maxBatch?: number;
  /**
   * Time limit per detection request in milliseconds, counted from the request's arrival (queue wait included);
   * past it the work is aborted and the answer is 503 with Retry-After. Also the time an optional member
   * (`optionalMembers`) gets to answer the warm-up.
   * @defaultValue 10000
   */
  timeoutMs?: number;
  /**
   * Detection requests processed at the same time.
   * @defaultValue 4
   */
  maxConcurrent?: number;
  /**
   * Requests allowed to wait for a slot; past that the answer is 429 with Retry-After.
   * @defaultValue 64
   */
  maxQueued?: number;
  /**
   * Request-body bytes admitted at once (the cost bound: from `Content-Length`, before the body is read); a
   * request that would pass it gets 429 with Retry-After at once. One request is always admitted when none is in
   * flight.
   * @defaultValue 8 × bodyLimit
   */
  maxBytesInFlight?: number;
  /**
   * Most messages in one transcript (the library's `maxMessages`).
   * @defaultValue 200
   */
  maxMessages?: number;
  /**
   * Keep the last `maxMessages` messages of a longer transcript instead of answering 400.
   * @defaultValue false
   */
  truncate?: boolean;
  /**
   * Time for a client to send a whole request (headers and body); past it Node answers 408 and closes the
   * connection. Checked every second, so the answer comes within this plus about 1 s.
   * @defaultValue 20000
   */
  requestTimeoutMs?: number;
  /**
   * Time for a client to send the request headers (at most `requestTimeoutMs`).
   * @defaultValue 10000
   */
  headersTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open.
   * @defaultValue 5000
   */
  keepAliveTimeoutMs?: number;
  /**
   * When set, every route but the open ones (`/healthz`, `/readyz`, `/openapi.json`) requires
   * `Authorization: Bearer <apiKey>` (compared in constant time).
   * @defaultValue undefined (no authentication)
   */
  apiKey?: string;
  /**
   * Authentication: `'bearer'` requires `apiKey`; `'none'` is the explicit opt-in to serve a non-loopback address
   * without a key (as `"auth": "none"` in `botlens serve`'s config). Left out, a server without `apiKey` fails
   * closed: `app.listen` on an address other than loopback (`0.0.0.0`, `::`, a LAN address) closes the server
   * and rejects with `ServiceStartError`. See docs/security.md.
   * @defaultValue undefined (`'bearer'` with `apiKey`; without it, loopback only)
   */
  auth?: 'bearer' | 'none';
  /**
   * Ensemble members (by name) allowed to fail at warm-up; any other member that fails makes `ready` reject and
   * keeps `/readyz` at 503. An optional member also gets `timeoutMs` to answer the warm-up (required members get as
   * long as they take): one still working then is listed as degraded (`timedOut`) and the service is ready without
   * waiting for it. No member is dropped: every request still runs each one (see `BotlensServer.degraded`).
   * @defaultValue [] (every member is required)
   */
  optionalMembers?: readonly string[];
  /**
   * A transcript run once at start so `/readyz` reports ready only when models are loaded and warm.
   * @defaultValue a short built-in two-speaker transcript
   */
  warmup?: Transcript;
  /**
   * Call the detector's `dispose()` when the server closes, once the detections under way have settled (those
   * whose client went away and the warm-up included; `close()` waits for them and the dispose for at most
   * `timeoutMs` + 1 s, then leaves the rest to finish in the background).
   * @defaultValue false
   */
  disposeOnClose?: boolean;
  /**
   * Fastify's logger setting.
   * @defaultValue false
   */
  logger?: boolean;
}

/** {@link ServerOptions} with every default applied. */
export type ResolvedServerOptions = Required<Omit<ServerOptions, 'apiKey' | 'auth' | 'warmup'>> &
  Pick<ServerOptions, 'apiKey'> & { warmup: Transcript };

/**
 * The transcript a detector is tried on before it serves (the service's default warm-up) or scores a corpus
 * (`botlens score`): a short exchange every detector can judge, so that each member loads its model. @internal
 */
export const DEFAULT_WARMUP: Transcript = {
  target: 'b',
  messages: [
    { speaker: 'a', text: 'hi, how are you?' },
    { speaker: 'b', text: 'I am fine , thank you . What do you do for fun ?' },
  ],
};

function positiveInt(name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x <= 0)
    throw new InvalidOptionsError(name, `expected a positive integer, got ${describeValue(x)}`);
  return x;
}

const SERVER_OPTION_KEYS: OptionKeys<ServerOptions> = {
  bodyLimit: true,
  maxBatch: true,
  timeoutMs: true,
  maxConcurrent: true,
  maxQueued: true,
  maxBytesInFlight: true,
  maxMessages: true,
  truncate: true,
  requestTimeoutMs: true,
  headersTimeoutMs: true,
  keepAliveTimeoutMs: true,
  apiKey: true,
  auth: true,
  optionalMembers: true,
  warmup: true,
  disposeOnClose: true,
  logger: true,
};

/** Applies the defaults and checks every option once, where options enter (an unknown key is refused). */
export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  refuseUnknownKeys(o, SERVER_OPTION_KEYS, 'the options of createServer()');
  const bodyLimit = positiveInt('bodyLimit', o.bodyLimit, 1024 * 1024);
  const requestTimeoutMs = positiveInt('requestTimeoutMs', o.requestTimeoutMs, 20_000);
  const headersTimeoutMs = positiveInt(
    'headersTimeoutMs',
    o.headersTimeoutMs,
    Math.min(10_000, requestTimeoutMs),
  );
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new InvalidOptionsError(
      'headersTimeoutMs',
      `must not exceed requestTimeoutMs (${requestTimeoutMs})`,
    );
  }
  if (o.apiKey !== undefined && o.apiKey.length === 0) {
    throw new InvalidOptionsError('apiKey', 'is empty: give a key, or leave it out to serve without one');
  }
  const unsendable = o.apiKey !== undefined ? unsendableKey(o.apiKey) : undefined;
  if (unsendable !== undefined) {
    throw new InvalidOptionsError('apiKey', unsendable);
  }
  const maxQueued = o.maxQueued ?? 64;
  if (!Number.isInteger(maxQueued) || maxQueued < 0) {
    throw new InvalidOptionsError(
      'maxQueued',
      `expected a non-negative integer, got ${describeValue(maxQueued)}`,
    );
  }
  return {
    bodyLimit,
    maxBatch: positiveInt('maxBatch', o.maxBatch, 32),
    timeoutMs: positiveInt('timeoutMs', o.timeoutMs, 10_000),
    maxConcurrent: positiveInt('maxConcurrent', o.maxConcurrent, 4),
    maxQueued,
    maxBytesInFlight: positiveInt('maxBytesInFlight', o.maxBytesInFlight, 8 * bodyLimit),
    maxMessages: positiveInt('maxMessages', o.maxMessages, DEFAULT_LIMITS.maxMessages),
    truncate: o.truncate ?? false,
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: positiveInt('keepAliveTimeoutMs', o.keepAliveTimeoutMs, 5_000),
    ...(o.apiKey !== undefined && { apiKey: o.apiKey }),
    optionalMembers: o.optionalMembers ?? [],
    warmup: o.warmup ?? DEFAULT_WARMUP,
    disposeOnClose: o.disposeOnClose ?? false,
    logger: o.logger ?? false,
  };
}

/**
 * Why no client can send `key` in an `Authorization` header, or `undefined` when one can: a header value loses its
 * leading and trailing blanks and cannot hold control characters, so with such a key every request would get 401
 * (a key read from a file often ends in a newline).
 *
 * @internal
 */
export function unsendableKey(key: string): string | undefined {
  // What Node's http client and server accept in a header value: tab, printable ASCII and latin-1.
  return key !== key.trim() || /[^\t\x20-\x7e\x80-\xff]/.test(key)
    ? 'starts or ends with whitespace or holds a character a header cannot carry (a control character, or one past U+00FF), so no client can send it in an Authorization header: remove them (a key read from a file often ends in a newline)'
    : undefined;
}
