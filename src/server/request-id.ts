import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id travels in, both ways. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id the service keeps: 1 to 128 letters, digits and `.`, `_`, `:`, `-` (safe in logs and headers). */
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The prefix of the ids this process makes: 12 random hex digits (48 bits), drawn once at start, so ids made by
 * two processes (replicas, restarts) differ with high probability while each id costs a counter step, not a random
 * UUID.
 */
const PREFIX = randomBytes(6).toString('hex');

/** How many ids this process has made. */
let made = 0;

/**
 * The id of a request (Fastify's `genReqId`): the client's `X-Request-Id` when it is a valid one (see
 * {@link VALID_ID}), else a new one, `<prefix>-<n>`: a random prefix drawn once per process (12 hex digits) and a
 * counter in base 36 (`3f9a0c1d2e4b-1`, `3f9a0c1d2e4b-2`, ...), unique within the process. It is the log's
 * `reqId`, the `X-Request-Id` of the answer and the `requestId` of an error body, so a client's report can be
 * matched to the server's log.
 *
 * @param req - the incoming request
 * @internal
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  if (typeof given === 'string' && VALID_ID.test(given)) return given;
  made++;
  return `${PREFIX}-${made.toString(36)}`;
}
