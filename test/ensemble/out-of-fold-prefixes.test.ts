import { describe, expect, it } from 'vitest';
import type { Detection, DetectOptions, Detector } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript, ValidTranscript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { type OutOfFoldRows, outOfFoldScores, PREFIX_CUTS } from '../../src/ensemble/out-of-fold.js';
import { seededRandom } from '../../src/numeric/random.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';

const BOT_LINES = [
  'hello ! how are you ?',
  'i like to read books .',
  'what do you do for fun ?',
  'that is great .',
];
const WORDS = [
  'lol',
  'yeah',
  'idk',
  'haha',
  'my',
  'dog',
  'went',
  'out',
  'weird',
  'day',
  'tbh',
  'nah',
  'coffee',
];

/** Conversations of 2-12 target messages (some empty), bots in templated lines, humans in loose words. */
function conversations(n: number): LabelledTranscript[] {
  const rand = seededRandom(3);
  return Array.from({ length: n }, (_, i) => {
    const bot = i % 2 === 0;
    const turns = 2 + Math.floor(rand() * 11);
    const messages: { speaker: string; text: string }[] = [];
    for (let t = 0; t < turns; t++) {
      messages.push({ speaker: 'other', text: `question ${t} ${WORDS[Math.floor(rand() * WORDS.length)]}` });
      const words = Array.from({ length: 2 + Math.floor(rand() * 5) }, () => WORDS[Math.floor(rand() * 13)]);
      const text = bot ? BOT_LINES[Math.floor(rand() * BOT_LINES.length)]! : words.join(' ');
      // The first target message of every fifth conversation is empty: its first cut abstains.
      messages.push({ speaker: 'u', text: i % 5 === 0 && t === 0 ? ' ' : `${text} ${i}` });
    }
    return { target: 'u', label: bot ? 'bot' : 'human', messages };
  });
}

const DATA = conversations(60);
const VALIDS = DATA.map((t) => validateTranscript(t));
const embedding = () =>
  new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 1024 }), folds: 3 });

/** The member seen through fit/detect/detectBatch only, so out-of-fold fitting scores every prefix on its own. */
function withoutPrefixes(d: EmbeddingCentroidDetector): Detector {
  return {
    name: d.name,
    fit: (e, o) => d.fit(e, o),
    detect: (t, o) => d.detect(t, o),
    detectBatch: (ts: Transcript[], o?: DetectOptions) => d.detectBatch(ts, o),
  };
}

const run = (m: Detector): Promise<OutOfFoldRows> =>
  outOfFoldScores([m], DATA, VALIDS, { folds: 4, seed: 9, what: 'test', prefixCuts: PREFIX_CUTS });

function expectSameRows(a: OutOfFoldRows, b: OutOfFoldRows): void {
  expect(a.labels).toEqual(b.labels);
  expect(a.rows.length).toBe(b.rows.length);
  a.rows.forEach((r, i) => {
    const o = b.rows[i]!;
    expect(r.whole).toBe(o.whole);
    expect(r.support).toEqual(o.support);
    expect(r.scores.length).toBe(1);
    if (o.scores[0] === null) expect(r.scores[0]).toBeNull();
    else expect(Math.abs(r.scores[0]! - o.scores[0]!)).toBeLessThan(1e-12);
    if (!o.familiarity) expect(r.familiarity ?? null).toBeNull();
    else expect(Math.abs(r.familiarity!.value - o.familiarity.value)).toBeLessThan(1e-12);
  });
}

describe('out-of-fold scoring of prefix cuts in one pass (detectPrefixes)', () => {
  it('gives the rows that scoring every cut on its own gives (hashed embedding member)', async () => {
    const d = embedding();
    const calls: number[] = [];
    const own = d.detectPrefixes.bind(d);
    d.detectPrefixes = (groups, o) => {
      calls.push(groups.length);
      return own(groups, o);
    };
    const fast = await run(d);
    // One call per fold, one group per held-out example.
    expect(calls.length).toBe(4);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(DATA.length);
    const slow = await run(withoutPrefixes(embedding()));
    // Whole transcripts and cuts, with abstentions where the target had only sent empty text.
    expect(fast.rows.length).toBeGreaterThan(2 * DATA.length);
    expect(slow.rows.some((r) => r.scores[0] === null)).toBe(true);
    expectSameRows(fast, slow);
  });

  it('matches detectBatch on each prefix, support included, in the order asked', async () => {
    const d = embedding();
    await d.fit(DATA.slice(20));
    const groups: ValidTranscript[][] = VALIDS.slice(0, 20).map((v) => [
      v,
      validateTranscript({ ...v, messages: v.messages.slice(0, 2) }),
      validateTranscript({ ...v, messages: v.messages.slice(0, 4) }),
    ]);
    const got = await d.detectPrefixes(groups);
    const want = await d.detectBatch(groups.flat());
    got.flat().forEach((g: Detection, i) => {
      const w = want[i]!;
      expect(g.support).toEqual(w.support);
      expect(g.label).toBe(w.label);
      if (w.score === null) expect(g.score).toBeNull();
      else expect(Math.abs(g.score! - w.score)).toBeLessThan(1e-12);
    });
  });

  it('scores a group whose transcripts are not prefixes of one another one by one', async () => {
    const d = embedding();
    await d.fit(DATA);
    const [a, b] = [VALIDS[1]!, VALIDS[2]!];
    const [got] = await d.detectPrefixes([[a, b]]);
    const want = await d.detectBatch([a, b]);
    expect(got!.map((x) => x.score)).toEqual(want.map((x) => x.score));
  });

  it('falls back to scoring every cut when detectPrefixes fails or answers the wrong shape', async () => {
    const slow = await run(withoutPrefixes(embedding()));
    for (const broken of [
      async (): Promise<Detection[][]> => {
        throw new Error('no prefixes today');
      },
      async (): Promise<Detection[][]> => [],
    ]) {
      const d = embedding();
      const m = Object.assign(withoutPrefixes(d), { detectPrefixes: broken });
      expectSameRows(await run(m), slow);
    }
  });
});
