/**
 * Request bodies are UTF-8 JSON, read as strictly as the CLI reads files: invalid UTF-8 is refused (it used to
 * be scored with U+FFFD in place of the bad bytes), and a charset other than UTF-8 is refused instead of being
 * decoded as UTF-8 regardless.
 */
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

  it('valid non-ASCII UTF-8 is scored as sent', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const r = await post('/v1/detect', {
      ...sample,
      messages: [...sample.messages, { speaker: 'b', text: 'café 😀 naïve' }],
    });
    expect(r.status).toBe(200);
  });
});
