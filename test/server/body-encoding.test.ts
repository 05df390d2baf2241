/**
 * Request bodies are UTF-8 JSON, read as strictly as the CLI reads files: invalid UTF-8 is refused (it used to
 * be scored with U+FFFD in place of the bad bytes), and a charset other than UTF-8 is refused instead of being
 * decoded as UTF-8 regardless.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { heuristicEnsemble, sample, startServer } from './start-server.js';

const json = JSON.stringify(sample);

describe('request body encoding', () => {
  it('invalid UTF-8 gets 400 INVALID_UTF8 naming the byte', async () => {
    const { base } = await startServer(heuristicEnsemble());
    const at = json.indexOf('Hello');
    const bytes = Buffer.concat([
      Buffer.from(json.slice(0, at)),
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]), // "caf\xe9 \xff": latin-1, not UTF-8
      Buffer.from(json.slice(at)),
    ]);
    for (const path of ['/v1/detect', '/v1/detect/batch']) {
      const body =
        path === '/v1/detect'
          ? bytes
          : Buffer.concat([Buffer.from('{"transcripts":['), bytes, Buffer.from(']}')]);
      const r = await fetch(base + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(r.status, path).toBe(400);
      const offset = (path === '/v1/detect' ? 0 : '{"transcripts":['.length) + at + 3;
      expect(await r.json()).toEqual({
        code: 'INVALID_UTF8',
        error: 'INVALID_UTF8',
        message: `The body is not valid UTF-8 at byte ${offset} (0xe9): send JSON encoded as UTF-8.`,
        requestId: expect.any(String),
      });
    }
  });

  it('a charset other than UTF-8 gets 415; utf-8, us-ascii, an empty one and none are accepted', async () => {
    const { post } = await startServer(heuristicEnsemble());
    for (const charset of ['utf-16', 'latin1', 'ISO-8859-1', '"utf-16le"']) {
      const r = await post('/v1/detect', json, { 'content-type': `application/json; charset=${charset}` });
      expect(r.status, charset).toBe(415);
      expect(await r.json()).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: expect.stringContaining(`charset "${charset.replaceAll('"', '')}" is not supported`),
      });
    }
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF8',
      'application/json; charset=us-ascii', // a subset of UTF-8
      'application/json; charset=',
    ]) {
      expect((await post('/v1/detect', json, { 'content-type': type })).status, type).toBe(200);
    }
  });

  it('a Content-Encoding other than identity gets 415 UNSUPPORTED_CONTENT_ENCODING (it got INVALID_UTF8 0x8b)', async () => {
    const { post } = await startServer(heuristicEnsemble());
    for (const [path, body] of [
      ['/v1/detect', json],
      ['/v1/detect/batch', JSON.stringify({ transcripts: [sample] })],
    ] as const) {
      for (const coding of ['gzip', 'GZIP', 'br', 'deflate', 'identity, gzip']) {
        const r = await post(path, gzipSync(body), { 'content-encoding': coding });
        expect(r.status, `${path} ${coding}`).toBe(415);
        expect(r.headers.get('accept-encoding')).toBe('identity');
        expect(await r.json()).toEqual({
          code: 'UNSUPPORTED_CONTENT_ENCODING',
          error: 'UNSUPPORTED_CONTENT_ENCODING',
          message: expect.stringMatching(
            /^The body's Content-Encoding "[^"]+" is not supported: send the JSON body uncompressed \(identity-encoded/,
          ),
          requestId: expect.any(String),
        });
      }
      for (const coding of ['identity', 'Identity', '']) {
        expect((await post(path, body, { 'content-encoding': coding })).status, coding).toBe(200);
      }
    }
    // Other routes read no body: the header changes nothing there.
    const { base } = await startServer(heuristicEnsemble());
    expect((await fetch(`${base}/healthz`, { headers: { 'content-encoding': 'gzip' } })).status).toBe(200);
  });

  it('refuses an encoded body before reading it: the answer comes while the body is still unsent', async () => {
    const { port } = await startServer(heuristicEnsemble());
    const got = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (b) => {
        text += b.toString('latin1');
        if (text.includes('}')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      // Headers only: a server that waited for the 100 000 bytes announced would never answer.
      socket.on('connect', () =>
        socket.write(
          'POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            'Content-Encoding: gzip\r\nContent-Length: 100000\r\n\r\n',
        ),
      );
      setTimeout(() => reject(new Error(`no answer; got ${JSON.stringify(text)}`)), 5000).unref();
    });
    expect(got).toMatch(/^HTTP\/1\.1 415 /);
    expect(got).toMatch(/connection: close/i);
    expect(got).toContain('"code":"UNSUPPORTED_CONTENT_ENCODING"');
  });

  it('valid non-ASCII UTF-8 is scored as sent', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const r = await post('/v1/detect', {
      ...sample,
      messages: [...sample.messages, { speaker: 'b', text: 'café 😀 naïve' }],
    });
    expect(r.status).toBe(200);
  });
});
