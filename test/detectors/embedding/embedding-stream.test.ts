import { describe, expect, it } from 'vitest';
import { evidenceFacts } from '../../../src/core/detection.js';
import type { Transcript } from '../../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../../src/detectors/embedding/embedding-centroid-detector.js';
import { neighbourSimilarity } from '../../../src/ensemble/novelty.js';
import { NotFittedError } from '../../../src/errors/not-fitted-error.js';
import { seededRandom } from '../../../src/numeric/random.js';
import { HashingEmbedder } from '../../../src/runtime/hashing-embedder.js';
import { expectSameDetection, labelled } from '../../helpers/embedding-stream-fixture.js';
import { CONVAI_DIR, HAS_SHARED, SHARED_SKIP_REASON } from '../../helpers/shared.js';
import { chat } from '../../helpers/transcripts.js';

async function streamAll(d: EmbeddingCentroidDetector, t: Transcript) {
  const live = d.stream({ target: t.target! });
  const seen = [];
  for (const m of t.messages) seen.push(await live.push(m));
  return { live, seen };
}

describe('EmbeddingCentroidDetector.stream', () => {
  it('ends on the detection detect() gives for the whole transcript, and updates only on target messages', async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await d.fit(labelled(20));
    const t = chat('b', [
      'a: hi',
      'b:    ',
      'b: Hello ! How are you today ?',
      'a: fine, you?',
      "b: i 'm a teacher .\ndo you have any pets ?",
    ]);
    const { live, seen } = await streamAll(d, t);
    const whole = await d.detect(t);
    const last = live.detection()!;
    expectSameDetection(last, whole);
    expect(last.support).toEqual({ targetMessages: 3, targetCharacters: 3 + 27 + 39 });
    expect(whole.support).toEqual(last.support);
    // Before the target wrote text it abstains; a message of the other speaker changes nothing.
    expect(seen[0]!.score).toBeNull();
    expect(seen[1]!.score).toBeNull();
    expect(seen[2]!.score).not.toBeNull();
    expect(seen[3]!.score).toBe(seen[2]!.score);
    expect(seen[4]!.score).not.toBe(seen[2]!.score);
    // Every intermediate detection equals detect() on the prefix.
    for (let i = 2; i < t.messages.length; i++) {
      const prefix = await d.detect({ target: 'b', messages: t.messages.slice(0, i + 1) });
      expectSameDetection(seen[i]!, prefix);
    }
  });

  it("states its neighbours' mean similarity before its evidence is written, as the evidence then says", async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await d.fit(labelled(20));
    const t = chat('b', ['a: hi', 'b: Hello ! How are you today ?', 'a: ok', 'b: I love to read .']);
    const { seen } = await streamAll(d, t);
    for (const x of [seen[1]!, seen[3]!, await d.detect(t)]) {
      const stated = evidenceFacts(x)?.nearestSimilarity;
      expect(typeof stated).toBe('number');
      // Reading the evidence writes it; the ensemble's guard reads the same value from it.
      expect(neighbourSimilarity(x)).toBe(stated);
      // Evidence assigned later is no longer described by the stated facts.
      x.evidence = [];
      expect(evidenceFacts(x)).toBeUndefined();
    }
  });

  it('costs the same per push at the 1,000th target message as at the first', async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
    await d.fit(labelled(40));
    // Messages of 8 words drawn from 3,000 made-up ones: the text's vector keeps growing for hundreds of
    // messages (thousands of non-zeros), so a push that read the whole vector, or re-summed the n-grams that
    // share a bucket, would cost more and more.
    const r = seededRandom(11);
    const letters = () => String.fromCharCode(97 + Math.floor(r() * 26));
    const pool = Array.from({ length: 3000 }, () =>
      Array.from({ length: 3 + Math.floor(r() * 6) }, letters).join(''),
    );
    const messages: Transcript['messages'] = Array.from({ length: 2000 }, (_, i) => ({
      speaker: i % 2 === 0 ? 'b' : 'a',
      text: Array.from({ length: 8 }, () => pool[Math.floor(r() * pool.length)]!).join(' '),
    }));
    const blockMs = async (): Promise<number[]> => {
      // A chat this long needs the message limit raised, as any stream past 200 messages does.
      const live = d.stream({ target: 'b', limits: { maxMessages: messages.length } });
      const blocks: number[] = [];
      for (let at = 0; at < messages.length; at += 200) {
        const t0 = performance.now();
        for (const m of messages.slice(at, at + 200)) await live.push(m);
        blocks.push(performance.now() - t0);
      }
      return blocks;
    };
    await blockMs(); // warm-up (JIT, the index and its tables)
    // Per block of 100 target pushes, the best of three runs; then the median of the first and of the last
    // three blocks, so a busy machine does not decide it.
    const runs = [await blockMs(), await blockMs(), await blockMs()];
    const best = runs[0]!.map((_, b) => Math.min(...runs.map((x) => x[b]!)));
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1]!;
    expect(median(best.slice(-3))).toBeLessThan(3 * median(best.slice(0, 3)) + 2);
  }, 60_000);

  it('needs a fitted detector and a target', async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await expect(d.stream({ target: 'b' }).push({ speaker: 'b', text: 'hi' })).rejects.toBeInstanceOf(
      NotFittedError,
    );
    expect(() => d.stream({ target: '' })).toThrow(/target/);
  });

  // knnStopShare 0.1: the stream's query then has no hot columns (every common n-gram is a stop position) and
  // reads every labelled vector at each message; 1 (the default) leaves nothing out and defers the hot columns.
  it.skipIf(!HAS_SHARED).each([1, 0.1])(
    `matches detect() on ConvAI dev transcripts pushed message by message (knnStopShare %s)${HAS_SHARED ? '' : ` (${SHARED_SKIP_REASON})`}`,
    async (knnStopShare) => {
      const train = await readTranscriptsJsonl(`${CONVAI_DIR}/train.jsonl`);
      const dev = (await readTranscriptsJsonl(`${CONVAI_DIR}/dev.jsonl`)).slice(0, 12);
      const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder(), knnStopShare });
      await d.fit(train.slice(0, 300));
      if (knnStopShare < 1) expect((await d.streamParts()).m.knnStop.length).toBeGreaterThan(100);
      for (const t of dev) {
        const { live, seen } = await streamAll(d, t);
        expectSameDetection(live.detection()!, await d.detect(t));
        // Every push equals detect() on the transcript so far.
        for (let i = 0; i < t.messages.length; i += 3) {
          const prefix = { ...t, messages: t.messages.slice(0, i + 1) };
          if (prefix.messages.some((m) => m.speaker === t.target))
            expectSameDetection(seen[i]!, await d.detect(prefix));
        }
      }
    },
    60_000,
  );

  it.skipIf(!HAS_SHARED)(
    `keeps many short streams interleaved apart, each push equal to detect() on its prefix${HAS_SHARED ? '' : ` (${SHARED_SKIP_REASON})`}`,
    async () => {
      // Each stream keeps its own compact per-bucket state, grown as its text touches buckets: streams pushed in
      // turn (one message to each, round after round) must each answer as detect() on their own prefix.
      const train = await readTranscriptsJsonl(`${CONVAI_DIR}/train.jsonl`);
      const dev = (await readTranscriptsJsonl(`${CONVAI_DIR}/dev.jsonl`)).slice(0, 40);
      const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
      await d.fit(train.slice(0, 300));
      const live = dev.map((t) => d.stream({ target: t.target! }));
      let compared = 0;
      for (let i = 0; i < 12; i++)
        for (let s = 0; s < dev.length; s++) {
          const t = dev[s]!;
          if (i >= t.messages.length) continue;
          const got = await live[s]!.push(t.messages[i]!);
          const prefix = { ...t, messages: t.messages.slice(0, i + 1) };
          if (!prefix.messages.some((m) => m.speaker === t.target)) continue;
          expectSameDetection(got, await d.detect(prefix));
          compared++;
        }
      expect(compared).toBeGreaterThan(300);
    },
    60_000,
  );
});

describe('EmbeddingCentroidDetector fit cache', () => {
  it('refits to the same model a fresh detector fits (the cache changes cost, not results)', async () => {
    const all = labelled(30);
    const a = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await a.fit(all.slice(0, 40));
    await a.fit(all.slice(20));
    const b = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await b.fit(all.slice(20));
    expect(a.toJSON()).toEqual(b.toJSON());
    const probe = all[1]!;
    expect((await a.detect(probe)).score).toBe((await b.detect(probe)).score);
  });
});

describe('EmbeddingCentroidDetector.stream messages', () => {
  it('rejects a malformed message or a backwards timestamp without keeping it, and goes on', async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await d.fit(labelled(10));
    const t: Transcript = {
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hey there', timestamp: 1000 },
        { speaker: 'b', text: 'Hello ! How are you today ?', timestamp: 2000 },
        { speaker: 'b', text: 'I love to read .', timestamp: 3000 },
      ],
    };
    const live = d.stream({ target: 'b' });
    await live.push(t.messages[0]!);
    await live.push(t.messages[1]!);
    const before = live.detection();
    await expect(live.push({ speaker: 'b', text: 'too early', timestamp: 10 })).rejects.toThrow(
      /messages\[2\]\.timestamp.*goes backwards/,
    );
    await expect(live.push({ speaker: 'b' } as never)).rejects.toThrow(/messages\[2\]/);
    expect(live.detection()).toBe(before);
    // Pushes not awaited still resolve in order, each to the detection after its own message.
    const fresh = d.stream({ target: 'b' });
    const all = await Promise.all(t.messages.map((m) => fresh.push(m)));
    expectSameDetection(all[2]!, await d.detect(t));
    expectSameDetection(all[1]!, await d.detect({ ...t, messages: t.messages.slice(0, 2) }));
    expectSameDetection(await live.push(t.messages[2]!), await d.detect(t));
  });
});
