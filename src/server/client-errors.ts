import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { answer, type ErrorAnswer } from './error-table.js';

/**
 * The answer for an error Node's HTTP parser raises before Fastify sees a request (`clientError`): a request
 * that is not received in time, headers over Node's size limit, or a request that is not valid HTTP/1.1 (a
 * garbage request line, a bad chunk, `Transfer-Encoding` with `Content-Length`).
 *
 * @param code - the error's `code` (`ERR_HTTP_REQUEST_TIMEOUT`, `HPE_HEADER_OVERFLOW`, `HPE_...`)
 */
export function clientErrorAnswer(code: string | undefined): ErrorAnswer {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return answer('REQUEST_TIMEOUT', 'The request was not received in time: send the whole request at once.');
  if (code === 'HPE_HEADER_OVERFLOW')
    return answer(
      'HEADERS_TOO_LARGE',
      'The request headers are too large (16 KiB at most in all): send fewer or shorter headers.',
    );
  return answer(
    'MALFORMED_REQUEST',
    'The request is not valid HTTP/1.1 (request line, headers, chunked encoding, or both Transfer-Encoding and Content-Length).',
  );
}

/**
 * Fastify's `clientErrorHandler`: answers Node's HTTP-layer errors with the service's error body
 * (`{ code, error, message }`, as every other error) and closes the connection, as Fastify's default does.
 *
 * @param err - the parser's or the request timeout's error
 * @param socket - the client's connection
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const a = clientErrorAnswer(err.code);
    const body = JSON.stringify(a.body);
    socket.write(
      `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
