import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../../src/core/detection.js';
import type { DetectOptions, Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { forgetServer, startServer } from './start-server.js';

/**
 * A real detector: scores the share of the target's messages with tokenizer-style spacing (" ?"). It takes
 * `delayMs` on transcripts that mention SLOW, so the warm-up stays fast.
 */
class SpacingDetector implements Detector {
  readonly name = 'spacing';
  constructor(private readonly delayMs = 0) {}
  async detect(t: Transcript, opts?: DetectOptions) {
    const start = nowMs();
    const v = validateTranscript(t);
    if (this.delayMs > 0 && v.messages.some((m) => m.text.includes('SLOW'))) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, this.delayMs);
        opts?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new AbortedError('spacing'));
        });
      });
    }
    const mine = v.messages.filter((m) => m.speaker === v.target);
    if (mine.every((m) => m.text === '')) return abstained(this.name, 'The target wrote nothing.', start);
    const share = mine.filter((m) => / [?.!,]/.test(m.text)).length / mine.length;
    return scored(
      this.name,
      share,
      0.5,
      [{ name: 'spaced_punct_share', value: share, sentence: `${share}` }],
      start,
    );
  }
}

const start = startServer;

const bot: Transcript = {
  target: 'b',
  messages: [
    { speaker: 'a', text: 'hey' },
    { speaker: 'b', text: 'Hello ! How are you ?' },
  ],
};

describe('botlens HTTP service on 127.0.0.1', () => {
  it('judges one transcript and a batch', async () => {
    const { post } = await start(new SpacingDetector());
    const r = await post('/v1/detect', bot);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { score: number; label: string; detector: string };
    expect(body).toMatchObject({ detector: 'spacing', score: 1, label: 'bot' });
    const human = { ...bot, messages: [bot.messages[0]!, { speaker: 'b', text: 'not much, you?' }] };
    const rb = await post('/v1/detect/batch', { transcripts: [bot, human] });
    expect(rb.status).toBe(200);
    const { results } = (await rb.json()) as { results: { label: string }[] };
    expect(results.map((x) => x.label)).toEqual(['bot', 'human']);
  });

  it('answers 400 with the field and the fix for invalid transcripts', async () => {
    const { post } = await start(new SpacingDetector());
    const schemaFail = await post('/v1/detect', { messages: [] });
    expect(schemaFail.status).toBe(400);
    const e1 = (await schemaFail.json()) as { issues: { path: string }[] };
    expect(e1.issues[0]!.path).toBe('messages');
    const deepFail = await post('/v1/detect', { ...bot, target: 'nobody' });
    expect(deepFail.status).toBe(400);
    const e2 = (await deepFail.json()) as { error: string; issues: { path: string; message: string }[] };
    expect(e2.error).toBe('INVALID_TRANSCRIPT');
    expect(e2.issues[0]).toMatchObject({ path: 'target', message: expect.stringContaining('"a", "b"') });
    const batchFail = await post('/v1/detect/batch', { transcripts: [bot, { ...bot, target: 'zz' }] });
    expect(((await batchFail.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe(
      'transcripts[1].target',
    );
    const notJson = await fetch(`${(await start(new SpacingDetector())).base}/v1/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses bodies over the limit with 413 and batches over the limit with 413 BATCH_TOO_LARGE', async () => {
    const { post } = await start(new SpacingDetector(), { bodyLimit: 2000, maxBatch: 2 });
    const big = { target: 'a', messages: [{ speaker: 'a', text: 'x'.repeat(3000) }] };
    expect((await post('/v1/detect', big)).status).toBe(413);
    const tooMany = await post('/v1/detect/batch', { transcripts: [bot, bot, bot] });
    expect(tooMany.status).toBe(413);
    const body = (await tooMany.json()) as { code: string; message: string };
    expect(body.code).toBe('BATCH_TOO_LARGE');
    expect(body.message).toMatch(/3 transcripts, more than the 2 .*split it into batches of at most 2/);
  });

  it('requires the API key when one is set, on /v1 and /metrics but not on health probes', async () => {
    const { post, base } = await start(new SpacingDetector(), { apiKey: 's3cret' });
    expect((await post('/v1/detect', bot)).status).toBe(401);
    expect((await post('/v1/detect', bot, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('/v1/detect', bot, { authorization: 'Bearer s3cret' })).status).toBe(200);
    // The scheme's name in any case, then one or more spaces; the key itself is compared exactly.
    expect((await post('/v1/detect', bot, { authorization: 'bearer s3cret' })).status).toBe(200);
    expect((await post('/v1/detect', bot, { authorization: 'BEARER  s3cret' })).status).toBe(200);
    expect((await post('/v1/detect', bot, { authorization: 'Bearer S3CRET' })).status).toBe(401);
    expect((await post('/v1/detect', bot, { authorization: 'Basic s3cret' })).status).toBe(401);
    expect((await post('/v1/detect', bot, { authorization: 'Bearers3cret' })).status).toBe(401);
    // A key no client could send in a header is refused when the server is made, not answered 401 forever.
    await expect(start(new SpacingDetector(), { apiKey: ' s3cret' })).rejects.toThrow(
      /starts or ends with whitespace/,
    );
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('stops slow work with 503 and Retry-After', async () => {
    const { post } = await start(new SpacingDetector(5000), { timeoutMs: 150 });
    const t0 = Date.now();
    const r = await post('/v1/detect', {
      ...bot,
      messages: [...bot.messages, { speaker: 'a', text: 'SLOW' }],
    });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await post('/v1/detect', bot)).status).toBe(200);
  });

  it('answers 429 under overload instead of queueing without bound', async () => {
    const { post } = await start(new SpacingDetector(300), {
      maxConcurrent: 1,
      maxQueued: 1,
      timeoutMs: 5000,
    });
    const slowT = { ...bot, messages: [...bot.messages, { speaker: 'a', text: 'SLOW' }] };
    const statuses = await Promise.all([1, 2, 3, 4].map(() => post('/v1/detect', slowT))).then((rs) =>
      rs.map((r) => r.status),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
  });

  it('reports health, readiness, Prometheus metrics and an OpenAPI document', async () => {
    const { base, post } = await start(new SpacingDetector());
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    await post('/v1/detect', bot);
    await post('/v1/detect', { messages: [] });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/botlens_requests_total\{route="\/v1\/detect",status="200"\} 1/);
    expect(metrics).toMatch(/botlens_requests_total\{route="\/v1\/detect",status="400"\} 1/);
    expect(metrics).toMatch(/botlens_detector_duration_seconds_count\{detector="spacing"\} 1/);
    expect(metrics).toMatch(/botlens_request_duration_seconds_bucket/);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/detect', '/v1/detect/batch', '/healthz', '/readyz']),
    );
  });

  it('finishes in-flight requests when closing', async () => {
    const { s, post } = await start(new SpacingDetector(300), { timeoutMs: 5000 });
    const pending = post('/v1/detect', {
      ...bot,
      messages: [...bot.messages, { speaker: 'a', text: 'SLOW' }],
    });
    await new Promise((r) => setTimeout(r, 50));
    const closing = s.app.close();
    const r = await pending;
    await closing;
    forgetServer(s);
    expect(r.status).toBe(200);
  });
});
