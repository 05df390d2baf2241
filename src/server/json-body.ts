import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidUtf8At } from '../data/decode-utf8.js';
import { AnsweredError, answer, type ErrorAnswer, sendAnswer } from './error-table.js';

/** A Fastify body parser of `B` bodies (a string, or raw bytes with `parseAs: 'buffer'`). */
export type BodyParser<B> = (
  req: FastifyRequest,
  body: B,
  done: (err: Error | null, body?: unknown) => void,
) => void;

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * The `charset` parameter of a `Content-Type` header that names one other than UTF-8, or undefined (UTF-8, US-ASCII
 * (a subset of it), an empty one, or none: JSON is UTF-8, RFC 8259).
 */
function otherCharset(contentType: string | undefined): string | undefined {
  const charset = contentType === undefined ? undefined : CHARSET.exec(contentType)?.[1];
  if (charset === undefined) return undefined;
  return /^(utf-?8|us-ascii|ascii|)$/i.test(charset) ? undefined : charset;
}

/**
 * Wraps a JSON parser of strings into one of raw bodies that decodes them as UTF-8 strictly, as the CLI reads
 * files (`invalidUtf8At`, one check with Node's native `isUtf8`): a body that is not valid UTF-8 is refused
 * with 400 `INVALID_UTF8` naming the byte, never scored with U+FFFD in its place, and a `charset` other than
 * UTF-8 with 415 `UNSUPPORTED_MEDIA_TYPE`, never decoded as UTF-8 regardless.
 *
 * @param parse - the JSON parser (Fastify's, with its prototype-poisoning checks)
 */
export function utf8JsonParser(parse: BodyParser<string>): BodyParser<Buffer> {
  return (req, body, done) => {
    const charset = otherCharset(req.headers['content-type']);
    if (charset !== undefined) {
      const message = `The body's charset "${charset}" is not supported: send JSON encoded as UTF-8 (charset=utf-8, or no charset).`;
      return done(new AnsweredError(answer('UNSUPPORTED_MEDIA_TYPE', message)));
    }
    const bad = invalidUtf8At(body);
    if (bad !== undefined) {
      const message = `The body is not valid UTF-8 at byte ${bad.offset} (0x${bad.hex}): send JSON encoded as UTF-8.`;
      return done(new AnsweredError(answer('INVALID_UTF8', message)));
    }
    parse(req, body.toString('utf8'), done);
  };
}

/**
 * The answer for a request whose body is sent with a `Content-Encoding` other than `identity` (gzip, br,
 * deflate, ...), or undefined when it has none (absent, empty, or `identity` only). The service reads bodies as
 * sent, so such a body used to reach the UTF-8 check and be refused as `INVALID_UTF8 ... (0x8b)`, which names a
 * byte rather than the cause.
 *
 * @param header - the request's `Content-Encoding` header
 */
export function contentEncodingAnswer(header: string | string[] | undefined): ErrorAnswer | undefined {
  if (header === undefined) return undefined;
  const codings = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c.toLowerCase() !== 'identity');
  if (codings.length === 0) return undefined;
  const named = codings.map((c) => `"${c}"`).join(', ');
  return answer(
    'UNSUPPORTED_CONTENT_ENCODING',
    `The body's Content-Encoding ${named} is not supported: send the JSON body uncompressed (identity-encoded: no Content-Encoding header, or "Content-Encoding: identity").`,
  );
}

/**
 * Refuses a request with an encoded body ({@link contentEncodingAnswer}) with 415
 * `UNSUPPORTED_CONTENT_ENCODING` and `Accept-Encoding: identity` on the routes that read a body (the detection
 * routes), before its body is read (the connection is
 * then closed rather than drained). An `onRequest` hook; install it after authentication and before admission,
 * so a refused body holds none of `maxBytesInFlight`.
 */
export function refuseEncodedBodies(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const header = req.headers['content-encoding'];
  // Only the detection routes read a body.
  const a =
    header === undefined || req.routeOptions.config.detection !== true
      ? undefined
      : contentEncodingAnswer(header);
  if (a === undefined) {
    done();
    return;
  }
  reply.header('Connection', 'close');
  sendAnswer(reply, a);
}
