import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DetectionFeatures } from '../src/core/detection-features.js';
import type { Detector } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { guardedLogOdds, guardNovelty } from '../src/ensemble/novelty.js';
import { combineStacking, fitCombiner, stackingLogOdds } from '../src/ensemble/stacking.js';
import type { EnsembleResult, NoveltyState } from '../src/ensemble/types.js';
import { seededRandom } from '../src/numeric/random.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
import { CONVAI_DIR, HAS_SHARED, SHARED_SKIP_REASON } from './helpers/shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const chats = await readTranscriptsJsonl(join(here, 'quality/fixtures/chats.jsonl'));
const unlabel = ({ label: _l, ...t }: LabelledTranscript): Transcript => t;

/**
 * Pushes every message of `t` and compares each detection with `detect()` on the transcript so far: the score
 * within 1e-12 (the hashing embedding member's stream sums in another order than its detect()), the label, the
 * evidence amount and the explanation, whose shares and notes the stream works out only when they are read.
 * Returns how many pushes carried an out-of-distribution note with a contribution (the guard moved the score).
 */
async function pushAndCompare(e: Ensemble, t: Transcript): Promise<number> {
  const live = e.stream({ target: t.target! });
  let guarded = 0;
  for (let i = 0; i < t.messages.length; i++) {
    const pushed = (await live.push(t.messages[i]!)) as EnsembleResult;
    const prefix = { ...t, messages: t.messages.slice(0, i + 1) };
    if (!prefix.messages.some((m) => m.speaker === t.target)) {
      expect(pushed.score).toBeNull();
      continue;
    }
    const whole = await e.detect(prefix);
    if (whole.score === null) expect(pushed.score).toBeNull();
    else expect(Math.abs(pushed.score! - whole.score)).toBeLessThanOrEqual(1e-12);
    expect(pushed.label).toBe(whole.label);
    expect(pushed.support).toEqual(whole.support);
    expect(pushed.explanation).toEqual(whole.explanation);
    expect(pushed.evidence.map((x) => x.name)).toEqual(whole.evidence.map((x) => x.name));
    const note = pushed.evidence.find((x) => x.name === 'out_of_distribution');
    if (note?.contribution !== undefined && note.contribution !== 0) guarded++;
  }
  return guarded;
}

const members = (dim: number): Detector[] => [
  new HeuristicDetector(),
  new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim }) }),
];

describe('Ensemble.stream: every push equals detect() on the transcript so far', () => {
  for (const noveltyGuard of ['report', 'fallback'] as const) {
    it(`stacking with member features, noveltyGuard '${noveltyGuard}', on the fixture chats`, async () => {
      const e = new Ensemble(members(512), { strategy: 'stacking', noveltyGuard });
      await e.fit(chats);
      let guarded = 0;
      for (const t of chats.slice(0, 12)) guarded += await pushAndCompare(e, unlabel(t));
      // A made-up vocabulary is far from everything fitted: in fallback mode the guard moves its score.
      guarded += await pushAndCompare(e, {
        target: 'target',
        messages: [
          { speaker: 'other', text: 'hi there' },
          { speaker: 'target', text: 'Zorblat quinex vurmadge splee, frotwin dazzik plomb.' },
          { speaker: 'other', text: 'what do you do for fun?' },
          { speaker: 'target', text: 'Krellum vox ubbatrine gnosh; willop yarn trezzik.' },
        ],
      });
      if (noveltyGuard === 'fallback') expect(guarded).toBeGreaterThan(0);
      else expect(guarded).toBe(0);
    }, 60_000);
  }

  it.skipIf(!HAS_SHARED)(
    `on ConvAI dev transcripts (heuristic + hashing embedding fitted on train)${HAS_SHARED ? '' : ` (${SHARED_SKIP_REASON})`}`,
    async () => {
      const train = await readTranscriptsJsonl(`${CONVAI_DIR}/train.jsonl`);
      const dev = await readTranscriptsJsonl(`${CONVAI_DIR}/dev.jsonl`);
      const e = new Ensemble(members(16384), { strategy: 'stacking' });
      await e.fit(train.slice(0, 300));
      for (const t of dev.slice(0, 6)) await pushAndCompare(e, unlabel(t));
    },
    120_000,
  );
});

describe("the stream's combine: the log-odds alone, bit for bit those of the full combination", () => {
  const next = seededRandom(7);
  const support = () => {
    const targetMessages = 1 + Math.floor(next() * 20);
    return { targetMessages, targetCharacters: targetMessages * Math.floor(1 + next() * 80) };
  };
  const score = () => (next() < 0.15 ? null : next() < 0.05 ? (next() < 0.5 ? 0 : 1) : next());
  const NAMES = ['a', 'b', 'c'];
  const features = (): (DetectionFeatures | undefined)[] => [
    next() < 0.2 ? undefined : { names: NAMES, values: NAMES.map(() => next() * 4 - 2) },
    undefined,
  ];
  const rows = Array.from({ length: 80 }, () => [score(), score()]);
  const supports = rows.map(support);
  const labels = rows.map((): 'bot' | 'human' => (next() < 0.5 ? 'bot' : 'human'));
  const rowFeatures = rows.map(features);

  it('stackingLogOdds equals combineStacking(...).logOdds for every combiner layout', () => {
    const models = [
      fitCombiner(rows, labels, 1),
      fitCombiner(rows, labels, 1, supports),
      fitCombiner(rows, labels, 1, supports, true),
      fitCombiner(rows, labels, 1, supports, true, rowFeatures),
    ];
    expect(models[3]!.memberFeatures).toEqual([{ member: 0, names: NAMES }]);
    for (const m of models) {
      for (let i = 0; i < 200; i++) {
        const s = [score(), score()];
        const sup = support();
        const f = features();
        expect(stackingLogOdds(m, s, sup, f)).toBe(combineStacking(m, s, sup, f).logOdds);
      }
      expect(stackingLogOdds(m, [null, null], support())).toBeNull();
    }
  });

  it('guardedLogOdds equals guardNovelty(...).logOdds in both modes, at every novelty', () => {
    const main = fitCombiner(rows, labels, 1, supports, true);
    const transfer = fitCombiner(
      rows.map((r) => [r[0]!, null]),
      labels,
      1,
      supports,
      true,
    );
    for (const mode of ['report', 'fallback'] as const) {
      const state: NoveltyState = {
        version: 1,
        mode,
        buckets: [
          { upTo: 1, low: 0.1, high: 0.3, rows: 40 },
          { upTo: 3, low: 0.2, high: 0.4, rows: 40 },
          { upTo: null, low: 0.25, high: 0.25, rows: 40 },
        ],
        setAside: [1],
        transfer: { weights: [...transfer.weights], intercept: transfer.intercept },
        shrink: 0.3,
      };
      let moved = 0;
      for (let i = 0; i < 300; i++) {
        const s = [score(), score()];
        const sup = support();
        const fam = next() < 0.1 ? null : { value: next() * 0.6, members: [1] };
        const full = combineStacking(main, s, sup);
        const guarded = guardNovelty(state, full, s, sup, fam, (j) => `"${j}"`).logOdds;
        expect(guardedLogOdds(state, full.logOdds, s, sup, fam)).toBe(guarded);
        if (guarded !== full.logOdds) moved++;
      }
      if (mode === 'fallback') expect(moved).toBeGreaterThan(50);
      else expect(moved).toBe(0);
    }
  });
});
