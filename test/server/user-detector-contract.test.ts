import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Detection, DetectOptions, Detector } from '../../src/core/detector.js';
import { detectTimeline } from '../../src/core/timeline.js';
import type { Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { createServer } from '../../src/server/app.js';
import { validDetection } from '../helpers/valid-detection.js';
import { sample, startServer } from './start-server.js';

/** A user's detector (not an Ensemble) answering whatever `answer` returns. */
function userDetector(name: string, answer: (t: Transcript) => unknown): Detector {
  return {
    name,
    async detect(t: Transcript, _opts?: DetectOptions): Promise<Detection> {
      validateTranscript(t);
      return answer(t) as Detection;
    },
  };
}

const valid = validDetection;

describe('createServer with a bare user detector that breaks the Detection contract', () => {
  it('answers 500 INTERNAL (BAD_DETECTION) instead of a score of 1.7 labelled bot', async () => {
    // Warm-up runs detect once: a valid answer for it, 1.7 afterwards.
    let calls = 0;
    const d = userDetector('overshoot', () =>
      calls++ === 0 ? valid('overshoot', 0.9) : valid('overshoot', 1.7),
    );
    const { post } = await startServer(d);
    const res = await post('/v1/detect', sample);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('INTERNAL');
    expect(body.message).toContain('BAD_DETECTION');
    expect(body.message).toContain('"overshoot"');
    expect(body.message).toContain('1.7');
  });

  it('refuses a broken result in a batch answer too', async () => {
    let calls = 0;
    const d = userDetector('half', () =>
      calls++ === 0 ? valid('half', 0.2) : { ...valid('half', 0.2), label: 'maybe' },
    );
    const { post } = await startServer(d);
    const res = await post('/v1/detect/batch', { transcripts: [sample, sample] });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toContain('BAD_DETECTION');
  });

  it('fails the warm-up with BAD_DETECTION naming the detector when detect() returns undefined', async () => {
    const s = await createServer(userDetector('nothing', () => undefined));
    try {
      await s.app.listen({ host: '127.0.0.1', port: 0 });
      await expect(s.ready).rejects.toThrow(/"nothing".*breaks the Detection contract: it is undefined/);
      const { port } = s.app.server.address() as AddressInfo;
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { message: string }).message).not.toContain('reading');
    } finally {
      await s.app.close();
    }
  });

  it('counts a failing bare detector under its own name in botlens_errors_total', async () => {
    let calls = 0;
    const d = userDetector('counted', () => {
      if (calls++ > 0) throw new Error('model fell over');
      return valid('counted', 0.3);
    });
    const { post, base } = await startServer(d);
    expect((await post('/v1/detect', sample)).status).toBe(500);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/botlens_errors_total\{detector="counted",kind="internal"\} 1/);
  });
});

describe('detectTimeline on a bare user detector', () => {
  it('rejects with BAD_DETECTION instead of returning points with score 1.7', async () => {
    const d = userDetector('timeline-overshoot', () => valid('timeline-overshoot', 1.7));
    await expect(detectTimeline(d, sample)).rejects.toMatchObject({ code: 'BAD_DETECTION' });
  });

  it('rejects a detection that names another detector', async () => {
    const d = userDetector('me', () => valid('someone-else', 0.4));
    await expect(detectTimeline(d, sample)).rejects.toThrow(/"someone-else".*"me"/);
  });
});

describe('routing wins over a bad JSON body', () => {
  it('answers 404 for an unknown route and 405 for a wrong method, not 400 MALFORMED_BODY', async () => {
    const { base } = await startServer(userDetector('plain', () => valid('plain', 0.5)));
    const send = (method: string, path: string) =>
      fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: '{oops' });
    const nowhere = await send('POST', '/nowhere');
    expect([nowhere.status, ((await nowhere.json()) as { code: string }).code]).toEqual([404, 'NOT_FOUND']);
    const wrong = await send('PUT', '/v1/detect');
    expect([wrong.status, ((await wrong.json()) as { code: string }).code]).toEqual([
      405,
      'METHOD_NOT_ALLOWED',
    ]);
    // The real route still reads (and refuses) the body.
    const real = await send('POST', '/v1/detect');
    expect([real.status, ((await real.json()) as { code: string }).code]).toEqual([400, 'MALFORMED_BODY']);
  });
});

describe('request ids', () => {
  /** An id the server makes: 12 hex digits drawn once per process, then a base-36 counter. */
  const MADE_ID = /^[0-9a-f]{12}-[0-9a-z]+$/;

  it('echoes a valid X-Request-Id in the header and the error body, and makes one otherwise', async () => {
    const { base, post } = await startServer(userDetector('ids', () => valid('ids', 0.5)));
    const ok = await post('/v1/detect', sample, { 'x-request-id': 'client-42.a:b_c' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('client-42.a:b_c');
    const bad = await post('/v1/detect', '{oops', { 'x-request-id': 'trace-7' });
    expect(bad.headers.get('x-request-id')).toBe('trace-7');
    expect(((await bad.json()) as { requestId: string }).requestId).toBe('trace-7');
    for (const hostile of ['x'.repeat(129), 'has space', 'new\u00e9line']) {
      const r = await post('/v1/detect', '{oops', { 'x-request-id': hostile });
      const made = r.headers.get('x-request-id');
      expect(made).toMatch(MADE_ID);
      expect(((await r.json()) as { requestId: string }).requestId).toBe(made);
    }
    // A made id is this process's random prefix and a counter: two requests get two ids under one prefix.
    const plain = (await fetch(`${base}/healthz`)).headers.get('x-request-id')!;
    const next = (await fetch(`${base}/healthz`)).headers.get('x-request-id')!;
    expect([plain, next]).toEqual([expect.stringMatching(MADE_ID), expect.stringMatching(MADE_ID)]);
    expect(next).not.toBe(plain);
    expect(next.split('-')[0]).toBe(plain.split('-')[0]);
  });
});
