/**
 * Errors raised by Node's HTTP layer before Fastify routes a request (a request not received in time, headers
 * over Node's limit, requests that are not valid HTTP/1.1) answer with the service's error body
 * `{ code, error, message }`, as docs/security.md promises; they used to get Fastify's
 * `{"error":"Bad Request","message":"Client Error","statusCode":400}`, with no `code`.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { heuristicEnsemble, startServer } from './start-server.js';

/** Writes raw bytes to the server and reads everything it sends until it closes the connection. */
function raw(port: number, chunks: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (b) => {
      got += b.toString('latin1');
    });
    socket.on('error', () => {}); // the server destroys the connection after answering
    socket.on('close', () => resolve(got));
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
    setTimeout(() => reject(new Error(`no close; got ${JSON.stringify(got)}`)), 15_000).unref();
  });
}

/** Status code and JSON body of a raw HTTP answer. */
function parse(answer: string): { status: number; body: Record<string, unknown>; head: string } {
  const split = answer.indexOf('\r\n\r\n');
  const head = answer.slice(0, split);
  return { status: Number(head.split(' ')[1]), body: JSON.parse(answer.slice(split + 4)), head };
}

describe("Node's HTTP-layer errors use the documented error body", () => {
  it('a garbage request line, a bad chunk, and Transfer-Encoding with Content-Length: 400 MALFORMED_REQUEST', async () => {
    const { port } = await startServer(heuristicEnsemble());
    const requests = [
      'GARBAGE\r\n\r\n',
      'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}',
    ];
    for (const request of requests) {
      const a = parse(await raw(port, [request]));
      expect(a.status, request).toBe(400);
      expect(a.head).toMatch(/content-type: application\/json; charset=utf-8/i);
      expect(a.body).toEqual({
        code: 'MALFORMED_REQUEST',
        error: 'MALFORMED_REQUEST',
        message: expect.stringMatching(/not valid HTTP\/1\.1/),
      });
    }
  });

  it('headers over 16 KiB: 431 HEADERS_TOO_LARGE', async () => {
    const { port } = await startServer(heuristicEnsemble());
    const a = parse(
      await raw(port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]),
    );
    expect(a.status).toBe(431);
    expect(a.body).toMatchObject({ code: 'HEADERS_TOO_LARGE', error: 'HEADERS_TOO_LARGE' });
  });

  it('a request not received within requestTimeoutMs: 408 REQUEST_TIMEOUT', async () => {
    const { port } = await startServer(heuristicEnsemble(), { requestTimeoutMs: 1000 });
    const partial =
      'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tar';
    const a = parse(await raw(port, [partial]));
    expect(a.status).toBe(408);
    expect(a.body).toMatchObject({ code: 'REQUEST_TIMEOUT', error: 'REQUEST_TIMEOUT' });
  });
});
