import { describe, expect, it } from 'vitest';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { heuristicEnsemble, invalidTranscriptBody, sample, startServer } from './start-server.js';

interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode & { maxItems?: number; minItems?: number }>;
  items?: JsonSchemaNode;
  additionalProperties?: unknown;
  description?: string;
}

/** The named request schemas of a running server's /openapi.json. */
async function requestSchemas(base: string): Promise<Record<string, JsonSchemaNode>> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
    components: { schemas: Record<string, JsonSchemaNode> };
  };
  return doc.components.schemas;
}

/** A chat of `n` messages, two speakers taking turns (the target `b` writes every other one). */
function chatOf(n: number) {
  return {
    target: 'b',
    messages: Array.from({ length: n }, (_, i) => ({
      speaker: i % 2 ? 'b' : 'a',
      text: i % 2 ? `Hello ! I like books . ${i}` : `so what about ${i}?`,
    })),
  };
}

describe('/openapi.json advertises what the service accepts', () => {
  it('without truncation: maxItems is the message limit, and the service answers a body at it and refuses one past it', async () => {
    const { base, post } = await startServer(new HeuristicDetector(), { maxMessages: 300 });
    const schemas = await requestSchemas(base);
    const max = schemas['DetectRequest']!.properties!['messages']!.maxItems!;
    expect(max).toBe(300);
    expect((await post('/v1/detect', chatOf(max))).status).toBe(200);
    expect((await post('/v1/detect', chatOf(max + 1))).status).toBe(400);
  });

  it('with truncation: no maxItems on any messages array, and a longer body is answered (truncatedFrom)', async () => {
    const { base, post } = await startServer(new HeuristicDetector(), { maxMessages: 200, truncate: true });
    const schemas = await requestSchemas(base);
    const arrays = [
      schemas['DetectRequest']!.properties!['messages']!,
      schemas['Transcript']!.properties!['messages']!,
      schemas['BatchRequest']!.properties!['transcripts']!.items!.properties!['messages']!,
    ];
    for (const messages of arrays) {
      expect(messages.maxItems).toBeUndefined();
      expect(messages.minItems).toBe(1);
      expect(messages.description).toMatch(/truncates.*last 200.*truncatedFrom/);
    }
    const r = await post('/v1/detect', chatOf(1500));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { truncatedFrom: number }).truncatedFrom).toBe(1500);
    const batch = await post('/v1/detect/batch', { transcripts: [chatOf(1500), sample] });
    expect(batch.status).toBe(200);
  });

  it('leaves other keys open at every level, as the service ignores them (only a misspelt body key is refused)', async () => {
    const { base } = await startServer(heuristicEnsemble());
    const schemas = await requestSchemas(base);
    expect(schemas['DetectRequest']!.additionalProperties).not.toBe(false);
    expect(schemas['BatchRequest']!.additionalProperties).not.toBe(false);
    expect(schemas['BatchRequest']!.properties!['transcripts']!.items!.additionalProperties).not.toBe(false);
    expect(schemas['Transcript']!.additionalProperties).not.toBe(false);
    const message = schemas['DetectRequest']!.properties!['messages']!.items!;
    expect(message.additionalProperties).toBeUndefined();
  });
});

describe('an unknown key of a request body', () => {
  it('is a 400 naming the key and the nearest valid one, on /v1/detect', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const e = await invalidTranscriptBody(await post('/v1/detect', { ...sample, timelin: true }));
    expect(e.issues).toEqual([
      {
        path: 'timelin',
        message: expect.stringMatching(
          /^not a key of a \/v1\/detect body; did you mean "timeline"\? Its keys are messages, target, profile, timeline: remove or rename it\.$/,
        ),
      },
    ]);
    expect(e.message).toMatch(/timelin: not a key .*did you mean "timeline"/);
    // Reported with the transcript's own problems; a key near no body key is ignored, not guessed at.
    const both = await invalidTranscriptBody(
      await post('/v1/detect', { messages: [], mesages: [], zzzzzzzz: 1 }),
    );
    expect(both.issues.map((i) => i.path)).toEqual(['mesages', 'messages']);
    expect(both.issues[0]!.message).toMatch(/did you mean "messages"/);
    // A message's own keys stay open (ignored, as in the library).
    const extra = { ...sample, messages: sample.messages.map((m, i) => ({ ...m, id: i })) };
    expect((await post('/v1/detect', extra)).status).toBe(200);
  });

  it('is a 400 on /v1/detect/batch, at the top and in a transcript, which the message names', async () => {
    const { post } = await startServer(heuristicEnsemble());
    const top = await invalidTranscriptBody(
      await post('/v1/detect/batch', { transcripts: [sample], transcript: [] }),
    );
    expect(top.issues[0]).toEqual({
      path: 'transcript',
      message: expect.stringMatching(
        /^not a key of a \/v1\/detect\/batch body; did you mean "transcripts"\?/,
      ),
    });
    const item = await invalidTranscriptBody(
      await post('/v1/detect/batch', { transcripts: [sample, { ...sample, targt: 'b' }] }),
    );
    expect(item.issues).toEqual([
      {
        path: 'transcripts[1].targt',
        message: expect.stringMatching(/^not a key of a transcript; did you mean "target"\?/),
      },
    ]);
    expect(item.message).toMatch(/1 of 2 transcripts is invalid \(transcripts\[1\]\)/);
    // "timeline" keeps its own refusal in a batch, not an unknown-key one.
    const tl = await invalidTranscriptBody(
      await post('/v1/detect/batch', { transcripts: [{ ...sample, timeline: true }] }),
    );
    expect(tl.issues.map((i) => i.path)).toEqual(['transcripts[0].timeline']);
    expect(tl.issues[0]!.message).toMatch(/gives no timelines/);
  });
});
