import type { FastifyRequest } from 'fastify';
import { invalidUtf8At } from '../data/decode-utf8.js';
import { AnsweredError, answer } from './error-table.js';

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
