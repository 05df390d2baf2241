import type { FastifyReply } from 'fastify';
import { AbortedError } from '../errors/aborted-error.js';
import { BotlensError } from '../errors/botlens-error.js';
import { DeadlineExceededError } from '../errors/deadline-exceeded-error.js';
import { InvalidTranscriptError, type TranscriptIssue } from '../errors/invalid-transcript-error.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { ROUTE_PATHS } from './route-table.js';

/**
 * Every `code` the HTTP service puts in an error body. Stable: clients may branch on it.
 * `INVALID_TRANSCRIPT` and `INVALID_REQUEST` come with `issues`.
 */
export type ServiceErrorCode =
  | 'INVALID_TRANSCRIPT'
  | 'INVALID_REQUEST'
  | 'MALFORMED_BODY'
  | 'MALFORMED_REQUEST'
  | 'INVALID_UTF8'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'BODY_TOO_LARGE'
  | 'BATCH_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNSUPPORTED_CONTENT_ENCODING'
  | 'HEADERS_TOO_LARGE'
  | 'QUEUE_FULL'
  | 'INTERNAL'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'NOT_READY';

/** The HTTP status of each error code: the one table the service answers from. */
export const ERROR_STATUS: Readonly<Record<ServiceErrorCode, number>> = Object.freeze({
  INVALID_TRANSCRIPT: 400,
  INVALID_REQUEST: 400,
  MALFORMED_BODY: 400,
  MALFORMED_REQUEST: 400,
  INVALID_UTF8: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_CONTENT_ENCODING: 415,
  HEADERS_TOO_LARGE: 431,
  QUEUE_FULL: 429,
  INTERNAL: 500,
  TIMEOUT: 503,
  ABORTED: 503,
  NOT_READY: 503,
});

/** Seconds a client should wait before retrying, by code (sent as `Retry-After`). */
const RETRY_AFTER_S: Partial<Record<ServiceErrorCode, number>> = { QUEUE_FULL: 1, TIMEOUT: 5, NOT_READY: 5 };

/**
 * The body of every error answer, framework errors included: `{ code, error, message, issues? }`. `error`
 * repeats `code` for clients written against earlier versions.
 */
export interface ServiceErrorBody {
  /** Stable machine-readable code, see {@link ServiceErrorCode}. */
  code: ServiceErrorCode;
  /** The same value as `code`. */
  error: ServiceErrorCode;
  /** What went wrong and what to do, in words. Never a server path or a stack trace. */
  message: string;
  /** For 400s: each problem with its field path, e.g. `messages[0].speaker`. */
  issues?: readonly TranscriptIssue[];
  /**
   * The request's id, as in the answer's `X-Request-Id` header and the server log's `reqId`: the client's own
   * `X-Request-Id` when valid (1 to 128 letters, digits, `.`, `_`, `:`, `-`), else one the server made. Absent
   * from the answers Node's HTTP layer writes before a request exists (`MALFORMED_REQUEST`, `HEADERS_TOO_LARGE`).
   */
  requestId?: string;
}

// Absolute POSIX paths (not the "//host/path" of a URL) and Windows drive paths.
const PATH_PATTERN = /(?<![\w:/.~-])\/[^\s"'`),;:]+|\b[A-Za-z]:\\[^\s"'`),;]+/g;

/**
 * Replaces server file paths in a message with `<path>`, so answers never reveal the server's layout; the
 * service's own routes ({@link ROUTE_PATHS}) stay as they are (a trailing `.` ending the sentence aside).
 */
export function redactPaths(message: string): string {
  return message.replace(PATH_PATTERN, (p) => (ROUTE_PATHS.has(p.replace(/\.$/, '')) ? p : '<path>'));
}

/** An error answer: status, body and headers. */
export interface ErrorAnswer {
  status: number;
  body: ServiceErrorBody;
  retryAfterS?: number;
}

/** Builds the answer for a code and message (with server paths redacted, see {@link redactPaths}). */
export function answer(
  code: ServiceErrorCode,
  message: string,
  issues?: readonly TranscriptIssue[],
): ErrorAnswer {
  const retryAfterS = RETRY_AFTER_S[code];
  return {
    status: ERROR_STATUS[code],
    body: {
      code,
      error: code,
      message: redactPaths(message),
      ...(issues && { issues }),
    },
    ...(retryAfterS !== undefined && { retryAfterS }),
  };
}

/** An error that carries the answer to send for it (built where the problem is known in detail). */
export class AnsweredError extends Error {
  /** @param answer - the status and body to send */
  constructor(readonly answer: ErrorAnswer) {
    super(answer.body.message);
    this.name = 'AnsweredError';
  }
}

interface FrameworkError {
  statusCode?: number;
  code?: string;
}

function frameworkAnswer(err: FrameworkError, bodyLimit: number): ErrorAnswer | undefined {
  const status = err.statusCode;
  if (status === undefined || status >= 500) return undefined;
  if (status === 413) return answer('BODY_TOO_LARGE', `Request body exceeds ${bodyLimit} bytes.`);
  if (status === 415)
    return answer('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with "Content-Type: application/json".');
  if (status === 408) return answer('REQUEST_TIMEOUT', 'The request was not received in time.');
  if (err.code === 'FST_ERR_BAD_URL') return answer('NOT_FOUND', 'The URL is not valid (bad % encoding).');
  if (status === 400)
    // Fastify words a "__proto__" key (refused: prototype poisoning) as invalid JSON too, without telling them apart.
    return answer(
      'MALFORMED_BODY',
      'The body is not valid JSON, is empty, or has a "__proto__" or "constructor.prototype" key (refused): send one JSON object.',
    );
  return answer('INVALID_REQUEST', 'The request is not valid.');
}

/**
 * Maps anything thrown while answering to its error answer: botlens errors by class, Fastify's own errors by
 * status, anything else to a 500 whose message hides the details (they go to the log, not to the client).
 *
 * @param err - what was thrown
 * @param bodyLimit - the configured body limit, for the 413 message
 */
export function errorAnswer(err: unknown, bodyLimit: number): ErrorAnswer {
  if (err instanceof AnsweredError) return err.answer;
  if (InvalidTranscriptError.isInstance(err)) return answer('INVALID_TRANSCRIPT', err.message, err.issues);
  if (QueueFullError.isInstance(err)) return answer('QUEUE_FULL', err.message);
  if (DeadlineExceededError.isInstance(err)) return answer('TIMEOUT', err.message);
  if (AbortedError.isInstance(err)) return answer('ABORTED', 'The request was cancelled before it finished.');
  if (!BotlensError.isInstance(err) && typeof err === 'object' && err !== null) {
    const fw = frameworkAnswer(err as FrameworkError, bodyLimit);
    if (fw) return fw;
  }
  const message = BotlensError.isInstance(err)
    ? `Internal error while detecting (${err.code}): ${err.message}`
    : 'Internal error while detecting.';
  return answer('INTERNAL', message);
}

/** Sends an error answer with its status and `Retry-After` header. */
export function sendAnswer(reply: FastifyReply, a: ErrorAnswer): FastifyReply {
  if (a.retryAfterS !== undefined) reply.header('Retry-After', String(a.retryAfterS));
  if (a.status === 401) reply.header('WWW-Authenticate', 'Bearer');
  // RFC 7694: a 415 for the body's coding lists the codings the server accepts.
  if (a.body.code === 'UNSUPPORTED_CONTENT_ENCODING') reply.header('Accept-Encoding', 'identity');
  return reply
    .code(a.status)
    .type('application/json; charset=utf-8')
    .send({ ...a.body, requestId: reply.request.id });
}
