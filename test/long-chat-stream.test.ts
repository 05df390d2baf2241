import { describe, expect, it } from 'vitest';
import { openStream } from '../src/core/stream.js';
import { detectTimeline } from '../src/core/timeline.js';
import type { LabelledTranscript, Message, Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../src/ensemble/types.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';

const BOT = ['Hello ! How are you today ?', 'I am a bot , I like to chat .', 'What do you do for fun ?'];
const HUMAN = ['lol idk', 'yeah my cat is asleep on the couch', 'haha same, work was rough today'];

/** A chat of `n` messages alternating between `a` and the target `b`, which writes like a bot or a human. */
function chat(n: number, bot: boolean, seed = 0): Transcript {
  const lines = bot ? BOT : HUMAN;
  const messages: Message[] = Array.from({ length: n }, (_, i) => ({
    speaker: i % 2 ? 'b' : 'a',
    text: i % 2 ? `${lines[(i + seed) % lines.length]} ${i % 5 === 0 ? 'ok' : ''}`.trim() : `hi there ${i}`,
    timestamp: 1_700_000_000_000 + i * (bot ? 1000 : 7000 + ((i * 37 + seed) % 5000)),
  }));
  return { target: 'b', messages };
}

const labelled: LabelledTranscript[] = Array.from({ length: 24 }, (_, k) => ({
  ...chat(12 + (k % 5), k % 2 === 0, k),
  label: k % 2 === 0 ? 'bot' : 'human',
}));

const LONG = { maxMessages: 1000 };
const long = chat(1000, true);

describe('streams and timelines under raised limits (1000 messages)', () => {
  it('heuristic: the last timeline point equals detect(), past the default 200', async () => {
    const h = new HeuristicDetector();
    const points = await detectTimeline(h, long, { limits: LONG });
    expect(points).toHaveLength(500);
    const whole = await h.detect(validateTranscript(long, LONG));
    expect(points.at(-1)!.score).toBe(whole.score);
  });

  it('messageOffset shifts every index to the original chat (a truncated one); a bad offset is refused', async () => {
    const cut = { target: 'b', messages: long.messages.slice(-200) };
    const points = await detectTimeline(new HeuristicDetector(), cut, { messageOffset: 800 });
    expect(points[0]!.messageIndex).toBe(801);
    expect(points.at(-1)!.messageIndex).toBe(999);
    await expect(detectTimeline(new HeuristicDetector(), cut, { messageOffset: -1 })).rejects.toThrow(
      /messageOffset/,
    );
  });

  it('a transcript validated under raised limits carries them to the timeline (no limits passed again)', async () => {
    const points = await detectTimeline(new HeuristicDetector(), validateTranscript(long, LONG));
    expect(points.at(-1)!.messageIndex).toBe(999);
  });

  it('hashing embedding and a stacking ensemble: timeline end equals detect(), no member failed anywhere', async () => {
    const emb = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
    await emb.fit(labelled);
    const v = validateTranscript(long, LONG);
    const ep = await detectTimeline(emb, long, { limits: LONG });
    expect(Math.abs(ep.at(-1)!.score! - (await emb.detect(v)).score!)).toBeLessThanOrEqual(1e-12);

    const e = new Ensemble(
      [new HeuristicDetector(), new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() })],
      { strategy: 'stacking', folds: 3 },
    );
    await e.fit(labelled);
    const points = await detectTimeline(e, long, { limits: LONG });
    const whole = (await e.detect(v)) as EnsembleResult;
    expect(whole.members.every((m) => !('error' in m))).toBe(true);
    expect(points.filter((p) => p.failedMembers !== undefined)).toEqual([]);
    expect(Math.abs(points.at(-1)!.score! - whole.score!)).toBeLessThanOrEqual(1e-12);
    expect(points.at(-1)!.label).toBe(whole.label);
  }, 60_000);

  it('a stream refuses the push past its limit with a typed error naming the option, and keeps its verdict', async () => {
    const h = openStream(new HeuristicDetector(), { target: 'b' });
    for (const m of long.messages.slice(0, 200)) await h.push(m);
    const before = h.detection();
    const err = await h.push(long.messages[200]!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTranscriptError);
    expect((err as Error).message).toMatch(/more than 200 messages.*limits\.maxMessages/);
    expect(h.detection()).toBe(before);
    expect(before!.score).toBe(
      (await new HeuristicDetector().detect({ target: 'b', messages: long.messages.slice(0, 200) })).score,
    );
    // Raised, the same stream type reads all 1000.
    const raised = openStream(new HeuristicDetector(), { target: 'b', limits: LONG });
    for (const m of long.messages) await raised.push(m);
    expect(raised.detection()!.score).toBe(
      (await new HeuristicDetector().detect(validateTranscript(long, LONG))).score,
    );
  });

  it('embedding and ensemble streams refuse the push past their limit too (the embedding one used to read on)', async () => {
    const emb = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
    await emb.fit(labelled);
    const short = { maxMessages: 30 };
    const live = emb.stream({ target: 'b', limits: short });
    for (const m of long.messages.slice(0, 30)) await live.push(m);
    await expect(live.push(long.messages[30]!)).rejects.toThrow(/more than 30 messages/);
    const defaults = emb.stream({ target: 'b' });
    for (const m of long.messages.slice(0, 200)) await defaults.push(m);
    await expect(defaults.push(long.messages[200]!)).rejects.toThrow(/more than 200 messages/);

    const e = new Ensemble([new HeuristicDetector(), emb]);
    const es = e.stream({ target: 'b', limits: short });
    for (const m of long.messages.slice(0, 30)) await es.push(m);
    await expect(es.push(long.messages[30]!)).rejects.toThrow(InvalidTranscriptError);

    // Without limits, the ensemble checks the default 200 itself, as its detect() does: the push past it is
    // refused with the typed error before any member sees it, no member is failed, and the verdict stays.
    const plain = new Ensemble([new HeuristicDetector(), new HeuristicDetector({ name: 'h2' })]);
    const ps = plain.stream({ target: 'b' });
    for (const m of long.messages.slice(0, 200)) await ps.push(m);
    const before = ps.detection();
    const refused = await ps.push(long.messages[200]!).catch((e: unknown) => e);
    expect(InvalidTranscriptError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/more than 200 messages.*maxMessages/);
    expect(ps.detection()).toBe(before);
    expect((before as EnsembleResult).members.every((m) => !('error' in m))).toBe(true);
    await expect(plain.detect({ target: 'b', messages: long.messages.slice(0, 201) })).rejects.toThrow(
      InvalidTranscriptError,
    );
  });

  it('an ensemble member that fails mid-stream (past its own limit) is reported at every later point, as detect() on the whole transcript reports it', async () => {
    const e = new Ensemble([
      new HeuristicDetector({ limits: { maxMessages: 50 } }),
      new HeuristicDetector({ name: 'h2' }),
    ]);
    const t = chat(60, true);
    const points = await detectTimeline(e, t);
    expect(points.findIndex((p) => p.failedMembers !== undefined)).toBe(25); // message 51 is point 25
    expect(points.at(-1)!.failedMembers).toEqual(['heuristic']);
    const whole = (await e.detect(t)) as EnsembleResult;
    expect(whole.members.filter((m) => 'error' in m).map((m) => m.detector)).toEqual(['heuristic']);
    expect(points.at(-1)!.score).toBe(whole.score);
  });
});
