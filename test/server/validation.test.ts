import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { startService } from '../../src/server/serve.js';
import { chat } from '../helpers/transcripts.js';
import {
  heuristicEnsemble,
  invalidTranscriptBody,
  libraryAccepts,
  postJson,
  sample,
  startServer,
} from './start-server.js';

describe('one validation for the library and the service', () => {
  it('refuses what validateTranscript refuses, with no type coercion', async () => {
    const { post } = await startServer(heuristicEnsemble());
    for (const target of ['a', '5']) {
      const body = { target, messages: [{ speaker: 5, text: null, timestamp: true, x: 1 }] };
      expect(!libraryAccepts(body)).toBe(true);
      const r = await post('/v1/detect', body);
      expect(r.status, `target ${target}`).toBe(400);
      const e = (await r.json()) as { code: string; issues: { path: string }[] };
      expect(e.code).toBe('INVALID_TRANSCRIPT');
      expect(e.issues.map((i) => i.path)).toEqual(
        expect.arrayContaining(['messages[0].speaker', 'messages[0].text', 'messages[0].timestamp']),
      );
    }
    // a key a message has beyond the library's is ignored, as the library ignores it; so is an unknown key at the
    // top of the body, unless it reads as a misspelt body key ("timelin": openapi-matches-service.test.ts)
    const tagged = { ...sample, messages: sample.messages.map((m) => ({ ...m, extra: 1 })) };
    expect((await post('/v1/detect', tagged)).status).toBe(200);
    expect((await post('/v1/detect', { ...sample, extra: 1 })).status).toBe(200);
    // A corpus row posted as it is (its label, id and source ride along); a misspelt key is refused instead.
    const row = { ...sample, label: 'bot', id: 'row-7', source: 'convai2' };
    expect((await post('/v1/detect', row)).status).toBe(200);
    expect((await post('/v1/detect/batch', { transcripts: [row, row] })).status).toBe(200);
    expect((await post('/v1/detect', { ...sample, Target: sample.target })).status).toBe(400);
    const batch = await post('/v1/detect/batch', {
      transcripts: [sample, { messages: [{ speaker: 'a', text: 7 }] }],
    });
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe(
      'transcripts[1].messages[0].text',
    );
  });

  it('never reads a path or URL avatar: only data URLs', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const r = await post('/v1/detect', { ...sample, profile: { avatar: '/etc/passwd' } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe('profile.avatar');
    const ok = await post('/v1/detect', {
      ...sample,
      profile: { avatar: 'data:image/png;base64,iVBORw0KGgo=' },
    });
    expect(ok.status).toBe(200);
  });

  it('answers framework errors with the same body shape and a stable code', async () => {
    const { base, post } = await startServer(heuristicEnsemble(), { bodyLimit: 4000 });
    const cases: [Promise<Response>, number, string][] = [
      [post('/v1/detect', '{oops'), 400, 'MALFORMED_BODY'],
      [post('/v1/detect', ''), 400, 'MALFORMED_BODY'],
      [post('/v1/detect', '{"target":"a","__proto__":{"x":1}}'), 400, 'MALFORMED_BODY'],
      [
        fetch(`${base}/v1/detect`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [fetch(`${base}/nowhere`), 404, 'NOT_FOUND'],
      [fetch(`${base}/v1/detect`), 405, 'METHOD_NOT_ALLOWED'],
      [fetch(`${base}/v1/detect`, { method: 'PUT' }), 405, 'METHOD_NOT_ALLOWED'],
      [
        post('/v1/detect', { target: 'a', messages: [{ speaker: 'a', text: 'x'.repeat(5000) }] }),
        413,
        'BODY_TOO_LARGE',
      ],
      [post('/v1/detect', { messages: [] }), 400, 'INVALID_TRANSCRIPT'],
      [post('/v1/detect', { ...sample, timeline: 'yes' }), 400, 'INVALID_TRANSCRIPT'],
    ];
    for (const [pending, status, code] of cases) {
      const r = await pending;
      const body = (await r.json()) as Record<string, unknown>;
      expect([r.status, body['code']]).toEqual([status, code]);
      expect(body['error']).toBe(code);
      expect(typeof body['message']).toBe('string');
      expect(
        Object.keys(body).every((k) => ['code', 'error', 'message', 'issues', 'requestId'].includes(k)),
      ).toBe(true);
      expect(body['requestId']).toBe(r.headers.get('x-request-id'));
    }
    expect((await fetch(`${base}/v1/detect`)).headers.get('allow')).toBe('POST');
    const poisoned = await post('/v1/detect', '{"target":"a","__proto__":{"x":1}}');
    expect(((await poisoned.json()) as { message: string }).message).toMatch(/"__proto__"/);
    // The route it points to is named (a route, not a server path to hide).
    expect(((await (await fetch(`${base}/nowhere`)).json()) as { message: string }).message).toBe(
      'No such route: see /openapi.json for the API.',
    );
  });

  it('documents every error status with the shared, named schemas in the OpenAPI document', async () => {
    const { base } = await startServer(heuristicEnsemble());
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }
        >
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'Transcript',
        'DetectRequest',
        'BatchRequest',
        'Detection',
        'BatchResult',
        'Error',
      ]),
    );
    for (const path of ['/v1/detect', '/v1/detect/batch']) {
      const responses = doc.paths[path]!['post']!.responses;
      for (const s of ['400', '401', '404', '405', '413', '415', '429', '500', '503']) {
        expect(responses[s]?.content?.['application/json']?.schema.$ref, `${path} ${s}`).toBe(
          '#/components/schemas/Error',
        );
      }
    }
    // generated from the library's zod schema: the limits come from validateTranscript's definition
    const messages = doc.components.schemas['Transcript']!.properties!['messages'] as { maxItems: number };
    expect(messages.maxItems).toBe(200);
  });
});

describe('timelines and long chats', () => {
  it('answers "timeline": true with the score after each target message, the last equal to the detection', async () => {
    const { post } = await startServer(new HeuristicDetector());
    // starts with the target: detectTimeline's recomputing fallback cannot score a prefix without a target message
    const sample = {
      target: 'b',
      messages: [
        { speaker: 'b', text: 'Hello ! I am fine . How are you ?' },
        { speaker: 'a', text: 'good, went hiking' },
        { speaker: 'b', text: 'That is great ! I love hiking too .' },
      ],
    };
    const r = await post('/v1/detect', { ...sample, timeline: true });
    expect(r.status).toBe(200);
    const d = (await r.json()) as {
      score: number;
      timeline: { messageIndex: number; targetMessages: number; score: number }[];
    };
    expect(d.timeline.map((p) => p.messageIndex)).toEqual([0, 2]);
    expect(d.timeline.map((p) => p.targetMessages)).toEqual([1, 2]);
    expect(d.timeline.at(-1)!.score).toBeCloseTo(d.score, 12);
    const plain = (await (await post('/v1/detect', sample)).json()) as Record<string, unknown>;
    expect(plain['timeline']).toBeUndefined();
  });

  it('raises the message limit or keeps the last messages, as configured', async () => {
    const long = {
      target: 'b',
      messages: Array.from({ length: 300 }, (_, i) => ({
        speaker: i % 2 ? 'b' : 'a',
        text: `message ${i} .`,
      })),
    };
    const strict = await startServer(heuristicEnsemble());
    const r400 = await strict.post('/v1/detect', long);
    expect(r400.status).toBe(400);
    const raised = await startServer(heuristicEnsemble(), { maxMessages: 1000 });
    expect((await raised.post('/v1/detect', long)).status).toBe(200);
    const cut = await startServer(new HeuristicDetector(), { truncate: true });
    const r = await cut.post('/v1/detect', long);
    expect(r.status).toBe(200);
    const last200 = await new HeuristicDetector().detect({ ...long, messages: long.messages.slice(-200) });
    expect(((await r.json()) as { score: number }).score).toBeCloseTo(last200.score!, 12);
  });
});

describe('timelines of long chats and batches', () => {
  const long = {
    target: 'b',
    messages: Array.from({ length: 1000 }, (_, i) => ({
      speaker: i % 2 ? 'b' : 'a',
      text: i % 2 ? `Hello ! I like books . ${i}` : `so what about ${i}?`,
    })),
  };

  it('raised maxMessages reaches the timeline: 1000 messages answer 200, the last point equals the detection', async () => {
    const { post } = await startServer(heuristicEnsemble(), { maxMessages: 1000 });
    const r = await post('/v1/detect', { ...long, timeline: true });
    expect(r.status).toBe(200);
    const d = (await r.json()) as {
      score: number;
      timeline: { messageIndex: number; score: number; failedMembers?: string[] }[];
    };
    expect(d.timeline).toHaveLength(500);
    expect(d.timeline.at(-1)!.messageIndex).toBe(999);
    expect(d.timeline.at(-1)!.score).toBeCloseTo(d.score, 12);
    expect(d.timeline.filter((p) => p.failedMembers)).toEqual([]);
  });

  it('and in worker threads (server.workers): the limits reach every worker’s timeline', async () => {
    const { server, url } = await startService(
      { server: { workers: 1, maxMessages: 1000 } },
      { port: 0, handleSignals: false },
    );
    try {
      const r = await postJson(`${url}/v1/detect`, { ...long, timeline: true });
      expect(r.status).toBe(200);
      const d = (await r.json()) as { score: number; timeline: { messageIndex: number; score: number }[] };
      expect(d.timeline.at(-1)!.messageIndex).toBe(999);
      expect(d.timeline.at(-1)!.score).toBeCloseTo(d.score, 12);
    } finally {
      await server.app.close();
    }
  }, 60_000);

  it('truncate: the answer says truncatedFrom and timeline indexes count from the original chat (batch too)', async () => {
    const { post } = await startServer(heuristicEnsemble(), { truncate: true });
    const d = (await (await post('/v1/detect', { ...long, timeline: true })).json()) as {
      truncatedFrom: number;
      timeline: { messageIndex: number }[];
    };
    expect(d.truncatedFrom).toBe(1000);
    expect(d.timeline.map((p) => p.messageIndex).slice(0, 2)).toEqual([801, 803]);
    expect(d.timeline.at(-1)!.messageIndex).toBe(999);
    const b = (await (await post('/v1/detect/batch', { transcripts: [long, sample] })).json()) as {
      results: { truncatedFrom?: number }[];
    };
    expect(b.results.map((r) => r.truncatedFrom)).toEqual([1000, undefined]);
  });

  it('/v1/detect/batch is all or nothing: one 400 names every invalid item (a lone surrogate too) and all its issues', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const lone = chat('a', ['a: lonely \ud800 surrogate', 'b: ok']);
    const r = await post('/v1/detect/batch', {
      transcripts: [sample, lone, sample, { ...sample, target: 5, timeline: true }],
    });
    const e = await invalidTranscriptBody(r);
    expect(e.message).toMatch(
      /^2 of 4 transcripts are invalid \(transcripts\[1\], transcripts\[3\]\): a batch is judged all or nothing, so none was judged\. Fix or leave out those transcripts and send the batch again:\n {2}transcripts\[1\]\.messages\[0\]\.text: text holds a lone UTF-16 surrogate/,
    );
    // Every problem of every item, the timeline refusal with the others (it used to hide the other items' issues).
    expect(e.issues.map((i) => i.path)).toEqual([
      'transcripts[1].messages[0].text',
      'transcripts[3].timeline',
      'transcripts[3].target',
    ]);
    const one = await post('/v1/detect/batch', { transcripts: [lone] });
    expect(((await one.json()) as { message: string }).message).toMatch(
      /^1 of 1 transcripts is invalid \(transcripts\[0\]\): .* Fix or leave out that transcript/,
    );
    // Without the invalid items the batch is answered, one result per transcript, in order.
    const ok = await post('/v1/detect/batch', { transcripts: [sample, sample] });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { results: unknown[] }).results).toHaveLength(2);
  });

  it('/v1/detect/batch refuses "timeline" with a 400 naming the field instead of ignoring it', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const r = await post('/v1/detect/batch', {
      transcripts: [sample, { ...sample, timeline: true }],
      timeline: true,
    });
    const e = await invalidTranscriptBody(r);
    expect(e.issues.map((i) => i.path)).toEqual(['timeline', 'transcripts[1].timeline']);
    expect(e.issues[0]!.message).toMatch(/\/v1\/detect with "timeline": true/);
    // The routes it names are kept in the message too (they are routes, not server paths to hide).
    expect(e.message).toContain(
      '/v1/detect/batch gives no timelines: post each transcript to /v1/detect with',
    );
    expect(e.message).not.toContain('<path>');
    expect((await post('/v1/detect/batch', { transcripts: [sample] })).status).toBe(200);
  });
});
