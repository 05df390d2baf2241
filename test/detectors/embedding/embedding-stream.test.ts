import { describe, expect, it } from 'vitest';
import type { LabelledTranscript, Transcript } from '../../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../../src/detectors/embedding/embedding-centroid-detector.js';
import { NotFittedError } from '../../../src/errors/not-fitted-error.js';
import { seededRandom } from '../../../src/numeric/random.js';
import { HashingEmbedder } from '../../../src/runtime/hashing-embedder.js';
import { CONVAI_DIR, HAS_SHARED, SHARED_SKIP_REASON } from '../../helpers/shared.js';

const BOT = ['Hello ! How are you today ?', "i 'm a teacher . do you have any pets ?", 'I love to read .'];
const HUMAN = ['hey whats up', 'lol yeah', 'brb getting coffee', 'nah not really, you?'];

function labelled(n: number): LabelledTranscript[] {
  const r = seededRandom(7);
  const out: LabelledTranscript[] = [];
  for (let i = 0; i < n; i++) {
    const messages: Transcript['messages'] = [];
    for (let t = 0; t < 3 + (i % 3); t++) {
      messages.push({ speaker: 'human', text: `${HUMAN[Math.floor(r() * HUMAN.length)]!} ${i}` });
      messages.push({ speaker: 'bot', text: BOT[Math.floor(r() * BOT.length)]! });
    }
    out.push({ messages, target: 'bot', label: 'bot' }, { messages, target: 'human', label: 'human' });
  }
  return out;
}

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
    const t: Transcript = {
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hi' },
        { speaker: 'b', text: '   ' },
        { speaker: 'b', text: 'Hello ! How are you today ?' },
        { speaker: 'a', text: 'fine, you?' },
        { speaker: 'b', text: "i 'm a teacher .\ndo you have any pets ?" },
      ],
    };
    const { live, seen } = await streamAll(d, t);
    const whole = await d.detect(t);
    const last = live.detection()!;
    expect(last.score).toBe(whole.score);
    expect(last.label).toBe(whole.label);
    expect(last.evidence).toEqual(whole.evidence);
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
      expect(seen[i]!.score).toBe(prefix.score);
    }
  });

  it('needs a fitted detector and a target', async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }) });
    await expect(d.stream({ target: 'b' }).push({ speaker: 'b', text: 'hi' })).rejects.toBeInstanceOf(
      NotFittedError,
    );
    expect(() => d.stream({ target: '' })).toThrow(/target/);
  });

  it.skipIf(!HAS_SHARED)(
    `matches detect() on ConvAI dev transcripts pushed message by message${HAS_SHARED ? '' : ` (${SHARED_SKIP_REASON})`}`,
    async () => {
      const train = await readTranscriptsJsonl(`${CONVAI_DIR}/train.jsonl`);
      const dev = (await readTranscriptsJsonl(`${CONVAI_DIR}/dev.jsonl`)).slice(0, 12);
      const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
      await d.fit(train.slice(0, 300));
      for (const t of dev) {
        const { live } = await streamAll(d, t);
        expect(live.detection()!.score).toBe((await d.detect(t)).score);
      }
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
