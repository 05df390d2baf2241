import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id travels in, both ways. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id the service keeps: 1 to 128 letters, digits and `.`, `_`, `:`, `-` (safe in logs and headers). */
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request (Fastify's `genReqId`): the client's `X-Request-Id` when it is a valid one (see
 * {@link VALID_ID}), else a new random UUID. It is the log's `reqId`, the `X-Request-Id` of the answer and the
 * `requestId` of an error body, so a client's report can be matched to the server's log.
 *
 * @param req - the incoming request
 * @internal
 */
export function requestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && VALID_ID.test(given) ? given : randomUUID();
}
