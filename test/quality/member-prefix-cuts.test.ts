import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DetectOptions, Detector, DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { withPrefixCuts } from '../../src/ensemble/member-examples.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';

const here = dirname(fileURLToPath(import.meta.url));
const chats = await readTranscriptsJsonl(join(here, 'fixtures/chats.jsonl'));

const resolve = (s: DetectorState): Detector =>
  s.kind === 'embedding'
    ? EmbeddingCentroidDetector.fromJSON(s)
    : HeuristicDetector.fromJSON(s as Parameters<typeof HeuristicDetector.fromJSON>[0]);
const unlabel = ({ label: _l, ...t }: LabelledTranscript): Transcript => t;
const targetMessages = (t: Transcript) => t.messages.filter((m) => m.speaker === t.target).length;

/** The real heuristic detector, recording how many target messages each transcript it is fitted on holds. */
class RecordingHeuristic extends HeuristicDetector {
  readonly fits: number[][] = [];
  override async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    this.fits.push(examples.map(targetMessages));
    await super.fit(examples, opts);
  }
}

/** The real heuristic detector, recording the transcripts it is fitted on. */
class RecordingTexts extends HeuristicDetector {
  readonly fits: LabelledTranscript[][] = [];
  override async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    this.fits.push([...examples]);
    await super.fit(examples, opts);
  }
}
/** The chat a transcript was cut from: a cut shares its message objects with the chat. */
const chatOf = new Map(chats.map((c, i) => [c.messages[0]!, i]));
const key = (t: LabelledTranscript) => chatOf.get(t.messages[0]!)!;

describe('withPrefixCuts', () => {
  it('adds each example cut after the k-th target message, only where that is shorter than the example', () => {
    // The fixture chats have 3 target messages, the last one ending the chat: the cut after the 3rd is the chat.
    const out = withPrefixCuts(chats.slice(0, 4), [1, 2, 3, 5]);
    expect(out).toHaveLength(4 + 4 + 4);
    expect(out.slice(0, 4)).toEqual(chats.slice(0, 4));
    expect(out.slice(4, 8).map(targetMessages)).toEqual([1, 1, 1, 1]);
    expect(out.slice(8).map(targetMessages)).toEqual([2, 2, 2, 2]);
    expect(out.slice(4).map((t) => t.label)).toEqual(
      [...chats.slice(0, 4), ...chats.slice(0, 4)].map((t) => t.label),
    );
    expect(withPrefixCuts(chats, [])).toEqual(chats);
  });
});

describe('stacking fits its members on prefix cuts of the training chats (memberPrefixCuts)', () => {
  it('when asked, in every out-of-fold fit and in the final one; with [] whole chats only', async () => {
    const h = new RecordingHeuristic();
    const e = new Ensemble([h], {
      strategy: 'stacking',
      folds: 3,
      memberPrefixCuts: [1, 2, 3, 5, 8],
      memberPrefixCutShare: 1,
    });
    await e.fit(chats);
    expect(h.fits).toHaveLength(3 + 1);
    for (const f of h.fits) {
      expect(f.filter((n) => n === 1).length).toBe(f.filter((n) => n === 3).length);
      expect(f.filter((n) => n === 2).length).toBe(f.filter((n) => n === 3).length);
    }
    expect(h.fits[3]).toHaveLength(3 * chats.length);
    expect(e.toJSON().memberPrefixCuts).toEqual([1, 2, 3, 5, 8]);

    const first = new RecordingHeuristic();
    const d = new Ensemble([first], {
      strategy: 'stacking',
      folds: 3,
      memberPrefixCuts: [1],
      memberPrefixCutShare: 1,
    });
    await d.fit(chats);
    expect(first.fits[3]!.filter((n) => n === 1)).toHaveLength(chats.length);
    expect(first.fits[3]!.filter((n) => n === 3)).toHaveLength(chats.length);

    const whole = new RecordingHeuristic();
    const w = new Ensemble([whole], { strategy: 'stacking', folds: 3, memberPrefixCuts: [] });
    expect(w.toJSON().memberPrefixCuts).toEqual([]);
    await w.fit(chats);
    expect(whole.fits.flat().every((n) => n === 3)).toBe(true);
    expect(whole.fits[3]).toHaveLength(chats.length);
    // The option survives a save and load, so a refit of the loaded ensemble fits the same way.
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(w.toJSON())), { resolve });
    expect(back.toJSON().memberPrefixCuts).toEqual([]);
  });

  it('by default: cuts after the 1st message of a quarter of the chats of each class, the same chats in every fit', async () => {
    const h = new RecordingTexts();
    const e = new Ensemble([h], { strategy: 'stacking', folds: 3 });
    expect(e.toJSON()).toMatchObject({ memberPrefixCuts: [1], memberPrefixCutShare: 0.25 });
    await e.fit(chats);
    const final = h.fits[3]!;
    const cuts = final.filter((t) => targetMessages(t) === 1);
    const quarter = (label: string) => Math.ceil(chats.filter((c) => c.label === label).length / 4);
    expect(final).toHaveLength(chats.length + quarter('bot') + quarter('human'));
    expect(cuts.filter((t) => t.label === 'bot')).toHaveLength(quarter('bot'));
    // Each out-of-fold fit learns from the cuts of the chosen chats in its training folds, and of no others.
    const chosen = new Set(cuts.map(key));
    for (const f of h.fits.slice(0, 3)) {
      const foldCuts = f.filter((t) => targetMessages(t) === 1).map(key);
      expect(foldCuts.every((k) => chosen.has(k))).toBe(true);
      const whole = new Set(f.filter((t) => targetMessages(t) === 3).map(key));
      expect(foldCuts).toHaveLength([...chosen].filter((k) => whole.has(k)).length);
    }
    // The same seed chooses the same chats; the option survives a save and load.
    const again = new RecordingTexts();
    await new Ensemble([again], { strategy: 'stacking', folds: 3 }).fit(chats);
    expect(again.fits[3]!.map(key)).toEqual(final.map(key));
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(e.toJSON())), { resolve });
    expect(back.toJSON()).toMatchObject({ memberPrefixCuts: [1], memberPrefixCutShare: 0.25 });
  });

  it('state saved before memberPrefixCutShare existed refits on the cuts of every chat', async () => {
    const fitted = new Ensemble([new HeuristicDetector()], {
      strategy: 'stacking',
      folds: 3,
      memberPrefixCuts: [1],
    });
    await fitted.fit(chats);
    const { memberPrefixCutShare, ...old } = fitted.toJSON();
    expect(memberPrefixCutShare).toBe(0.25);
    const h = new RecordingHeuristic();
    const loaded = await Ensemble.fromJSON(JSON.parse(JSON.stringify(old)), { resolve: () => h });
    expect(loaded.toJSON().memberPrefixCutShare).toBe(1);
    await loaded.fit(chats);
    expect(h.fits[3]!.filter((n) => n === 1)).toHaveLength(chats.length);
  });

  it('rejects a memberPrefixCutShare outside (0, 1]', () => {
    for (const bad of [0, -0.5, 1.5, Number.NaN, '0.5'] as unknown[]) {
      expect(
        () =>
          new Ensemble([new HeuristicDetector()], {
            strategy: 'stacking',
            memberPrefixCutShare: bad as number,
          }),
      ).toThrow(/memberPrefixCutShare/);
    }
  });

  it('rejects counts that are not distinct positive integers', () => {
    for (const bad of [[0], [1.5], [2, 2], 'all'] as unknown[]) {
      expect(
        () =>
          new Ensemble([new HeuristicDetector()], {
            strategy: 'stacking',
            memberPrefixCuts: bad as number[],
          }),
      ).toThrow(InvalidOptionsError);
    }
  });

  it('gives a combiner with message-length terms whose explanation still adds up, and streams to detect()', async () => {
    const e = new Ensemble(
      [
        new HeuristicDetector(),
        new EmbeddingCentroidDetector({ embedder: new HashingEmbedder({ dim: 512 }) }),
      ],
      { strategy: 'stacking', memberPrefixCuts: [1, 2, 3, 5, 8], memberFeatures: false },
    );
    await e.fit(chats);
    expect(e.toJSON().combiner!.weights).toHaveLength(5 * 2 + 1 + 2);
    const t = unlabel(chats[7]!);
    const r = (await e.detect(t)) as EnsembleResult;
    const note = r.evidence.find((x) => x.name === 'message_length');
    expect(note?.value).toBeCloseTo(
      t.messages.filter((m) => m.speaker === t.target).reduce((s, m) => s + m.text.length, 0) / 3,
      9,
    );
    const sum = r.evidence.reduce((s, x) => s + (x.contribution ?? 0), 0);
    expect(Math.log(r.score! / (1 - r.score!))).toBeCloseTo(sum, 9);
    const live = e.stream({ target: t.target! });
    let last: EnsembleResult | undefined;
    for (const m of t.messages) last = (await live.push(m)) as EnsembleResult;
    expect(last!.score).toBeCloseTo(r.score!, 12);
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(e.toJSON())), { resolve });
    // The embedding member saves its vectors rounded (float16/float32), hence closeness rather than equality.
    expect((await back.detect(t)).score).toBeCloseTo(r.score!, 9);
  });
});

describe('state saved at 3a4314d (before prefix-cut member fitting and the length terms)', () => {
  it('loads and scores exactly as it did then', async () => {
    const saved = JSON.parse(readFileSync(join(here, 'fixtures/ensemble-state-3a4314d.json'), 'utf8')) as {
      state: DetectorState & { combiner: { weights: number[] } };
      probeRows: number[];
      scores: number[];
    };
    expect(saved.state.combiner.weights).toHaveLength(5 * 2 + 1);
    expect(saved.state['memberPrefixCuts']).toBeUndefined();
    const ens = await Ensemble.fromJSON(saved.state, { resolve });
    // Fitted on whole transcripts before the option existed: a refit keeps doing so, whatever the default.
    expect(ens.toJSON().memberPrefixCuts).toEqual([]);
    expect(ens.toJSON().memberPrefixCutShare).toBe(1);
    const got = (await ens.detectBatch(saved.probeRows.map((i) => unlabel(chats[i]!)))) as EnsembleResult[];
    got.forEach((r, i) => {
      expect(r.score).toBeCloseTo(saved.scores[i]!, 12);
      expect(r.evidence.map((x) => x.name)).not.toContain('message_length');
    });
  });
});
