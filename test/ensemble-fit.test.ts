import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../src/core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState } from '../src/core/detector.js';
import type { Label, LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { stratifiedFolds } from '../src/ensemble/folds.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { NotFittedError } from '../src/errors/not-fitted-error.js';

/** Every example carries its id as the target's first message: "ex-7". */
const idOf = (t: Transcript): string => validateTranscript(t).messages.find((m) => m.speaker === 'u')!.text;

function example(i: number, label: Label, extra = ''): LabelledTranscript {
  return {
    target: 'u',
    label,
    messages: [
      { speaker: 'a', text: 'hello?' },
      { speaker: 'u', text: `ex-${i}` },
      ...(extra ? [{ speaker: 'u', text: extra }] : []),
    ],
  };
}

/** 20 examples, even ids are bots. */
const DATA: LabelledTranscript[] = Array.from({ length: 20 }, (_, i) =>
  example(i, i % 2 === 0 ? 'bot' : 'human'),
);

/**
 * A detector that memorizes its training set: 0.99 / 0.01 for examples it was fitted on, 0.5 otherwise.
 * Perfect in-sample and useless out of sample, exactly what out-of-fold stacking must see through.
 * It records every fit() and, for every detect(), which examples it had been fitted on at the time.
 */
class Memorizer implements Detector {
  static readonly kind = 'test-memorizer';
  known = new Map<string, Label>();
  readonly fits: string[][] = [];
  readonly detects: { id: string; trainedOn: Set<string> }[] = [];
  disposed = 0;
  constructor(readonly name = 'memorizer') {}
  async fit(examples: LabelledTranscript[]): Promise<void> {
    this.fits.push(examples.map(idOf));
    this.known = new Map(examples.map((e) => [idOf(e), e.label]));
  }
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, this.name);
    const id = idOf(t);
    this.detects.push({ id, trainedOn: new Set(this.known.keys()) });
    const l = this.known.get(id);
    return scored(this.name, l === undefined ? 0.5 : l === 'bot' ? 0.99 : 0.01, 0.5, [], started);
  }
  toJSON(): DetectorState {
    return { kind: Memorizer.kind, version: 1, name: this.name, known: Object.fromEntries(this.known) };
  }
  static fromJSON(s: DetectorState): Memorizer {
    const m = new Memorizer(String(s['name']));
    m.known = new Map(Object.entries(s['known'] as Record<string, Label>));
    return m;
  }
  async dispose(): Promise<void> {
    this.disposed++;
  }
}

/** Honest but noisy: 0.7 for bots and 0.3 for humans, except every 5th example, which it gets backwards. */
class Honest implements Detector {
  readonly name = 'honest';
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, this.name);
    const i = Number(idOf(t).slice(3));
    const bot = i % 2 === 0;
    const right = i % 5 !== 0;
    return scored(this.name, bot === right ? 0.7 : 0.3, 0.5, [], started);
  }
}

/** Abstains unless the target wrote a second message; then says 0.9. */
class Sometimes implements Detector {
  readonly name = 'sometimes';
  async detect(t: Transcript): Promise<Detection> {
    const started = nowMs();
    const v = validateTranscript(t);
    if (v.messages.length < 3)
      return abstained(this.name, 'Needs a second message from the target.', started);
    return scored(this.name, 0.9, 0.5, [], started);
  }
}

describe('stratifiedFolds', () => {
  it('is deterministic, balanced per class, and changes with the seed', () => {
    const labels = DATA.map((e) => e.label);
    const a = stratifiedFolds(labels, 5, 42);
    expect(stratifiedFolds(labels, 5, 42)).toEqual(a);
    expect(stratifiedFolds(labels, 5, 7)).not.toEqual(a);
    for (let f = 0; f < 5; f++) {
      const inFold = labels.filter((_, i) => a[i] === f);
      expect(inFold.filter((l) => l === 'bot')).toHaveLength(2);
      expect(inFold.filter((l) => l === 'human')).toHaveLength(2);
    }
    expect(() => stratifiedFolds(labels.slice(0, 3), 5, 1)).toThrow(InvalidOptionsError);
  });
});

describe('Ensemble stacking', () => {
  it('refuses to detect before fit(), saying what to call', async () => {
    const ens = new Ensemble([new Honest()], { strategy: 'stacking' });
    await expect(ens.detect(DATA[0]!)).rejects.toSatisfy(
      (e: unknown) => NotFittedError.isInstance(e) && /call ensemble\.fit\(examples\)/.test(e.message),
    );
    expect(ens.isFitted).toBe(false);
  });

  it('fits the combiner on out-of-fold scores: no member scores an example it was fitted on', async () => {
    const mem = new Memorizer();
    const ens = new Ensemble([mem, new Honest()], { strategy: 'stacking', folds: 5, seed: 3 });
    await ens.fit(DATA);

    // 5 fold fits on 16 examples each, then one final fit on all 20.
    expect(mem.fits.map((f) => f.length)).toEqual([16, 16, 16, 16, 16, 20]);
    // During the out-of-fold pass (before the final fit) each example was scored exactly once, by a model
    // that had not seen it.
    const oof = mem.detects.slice(0, 20);
    expect(mem.detects).toHaveLength(20);
    expect(new Set(oof.map((d) => d.id)).size).toBe(20);
    for (const d of oof) expect(d.trainedOn.has(d.id)).toBe(false);
    // ...and by a model fitted on the other 16.
    for (const d of oof) expect(d.trainedOn.size).toBe(16);

    // Out of fold the memorizer always said 0.5 (logit 0), so the combiner gives it no weight, while the
    // honest member (right on 16 of 20) gets a clearly positive one.
    const state = ens.toJSON();
    const [wMem, , wHonest] = state.combiner!.weights;
    expect(Math.abs(wMem!)).toBeLessThan(1e-6);
    expect(wHonest!).toBeGreaterThan(0.3);

    // After fit the memorizer knows every training example (0.99/0.01), yet the ensemble follows the
    // honest member: on example 0 (honest is wrong there: it says 0.3 for a bot) the ensemble says human.
    const r = await ens.detect(DATA[0]!);
    expect(r.label).toBe('human');
    expect(r.explanation[0]).toMatch(/fitted stacking combiner/);
    expect(r.explanation.some((s) => s.startsWith("The combiner's intercept adds"))).toBe(true);
  });

  it('with cloneMember fits a fresh copy per fold and disposes it, fitting the member itself once', async () => {
    const mem = new Memorizer();
    const clones: Memorizer[] = [];
    const ens = new Ensemble([mem, new Honest()], {
      strategy: 'stacking',
      cloneMember: (d) => {
        const c = new Memorizer(d.name);
        clones.push(c);
        return c;
      },
    });
    await ens.fit(DATA);
    expect(clones).toHaveLength(5);
    expect(clones.map((c) => [c.fits.length, c.disposed])).toEqual(Array(5).fill([1, 1]));
    expect(mem.fits.map((f) => f.length)).toEqual([20]);
    for (const c of clones) for (const d of c.detects) expect(c.fits[0]).not.toContain(d.id);
  });

  it('learns what a missing score means through the missing indicator', async () => {
    // "sometimes" only speaks on bots that wrote twice; its silence is informative.
    const data = DATA.map((e, i) => (i % 2 === 0 && i % 4 === 0 ? example(i, 'bot', 'again') : e));
    const ens = new Ensemble([new Sometimes(), new Honest()], { strategy: 'stacking' });
    await ens.fit(data);
    const [wLogit, wMissing] = ens.toJSON().combiner!.weights;
    expect(wMissing!).toBeLessThan(0); // missing -> more likely human
    expect(wLogit!).toBeGreaterThan(0);
    const r = await ens.detect(data[1]!);
    expect(
      r.explanation.some((s) =>
        /"sometimes" abstained: .*missing-score term moved the log-odds by -/.test(s),
      ),
    ).toBe(true);
  });

  it('needs both labels and enough examples', async () => {
    const ens = new Ensemble([new Honest()], { strategy: 'stacking' });
    await expect(ens.fit(DATA.filter((e) => e.label === 'bot'))).rejects.toThrow(/both human and bot/);
    await expect(ens.fit(DATA.slice(0, 4))).rejects.toThrow(/5 folds need at least 5 examples/);
  });

  it('names a bad example and honours abort during fit', async () => {
    const ens = new Ensemble([new Honest()], { strategy: 'stacking' });
    const bad = [
      ...DATA,
      { messages: [{ speaker: 'u', text: 'x' }], label: 'robot' } as unknown as LabelledTranscript,
    ];
    await expect(ens.fit(bad)).rejects.toThrow(/examples\[20\]\.label/);
    const ac = new AbortController();
    ac.abort();
    await expect(ens.fit(DATA, { signal: ac.signal })).rejects.toSatisfy(AbortedError.isInstance);
  });

  it('throws when a member fails on every example, instead of learning from nothing', async () => {
    const broken: Detector = {
      name: 'broken',
      detect: async () => {
        throw new Error('no weights');
      },
    };
    const ens = new Ensemble([new Honest(), broken], { strategy: 'stacking' });
    await expect(ens.fit(DATA)).rejects.toSatisfy(
      (e: unknown) =>
        BotlensError.isInstance(e) && e.code === 'MEMBER_FAILED' && /no weights/.test(e.message),
    );
  });

  it.each(['stacking', 'weighted-mean'] as const)(
    '%s: a member that cannot be fitted is named in the error, with its own error as the cause',
    async (strategy) => {
      const picky: Detector = {
        name: 'picky',
        detect: async () => abstained('picky', 'never sure', nowMs()),
        fit: async () => {
          throw new InvalidOptionsError('examples', 'needs profiles with avatars');
        },
      };
      const ens = new Ensemble([new Honest(), picky], { strategy });
      await expect(ens.fit(DATA)).rejects.toSatisfy(
        (e: unknown) =>
          BotlensError.isInstance(e) &&
          e.code === 'MEMBER_FIT_FAILED' &&
          /Member "picky" could not be fitted/.test(e.message) &&
          /needs profiles with avatars/.test(e.message) &&
          InvalidOptionsError.isInstance((e as Error).cause),
      );
    },
  );
});

describe('Ensemble cascade fit', () => {
  it('learns one combiner per prefix of the run order and uses them for the running score', async () => {
    const ens = new Ensemble([new Memorizer(), new Honest()], {
      strategy: 'cascade',
      costs: { honest: 1, memorizer: 5 },
    });
    expect(ens.runOrder).toEqual(['honest', 'memorizer']);
    await ens.fit(DATA);
    const s = ens.toJSON();
    expect(s.combiners!.map((c) => c.weights.length)).toEqual([2, 4]);
    expect(ens.isFitted).toBe(true);
    const r = await ens.detect(DATA[2]!);
    expect(r.explanation[0]).toMatch(/fitted cascade combiner for the first/);
  });
});

describe('Ensemble.calibrate', () => {
  // One member whose score is written in the transcript, so the ensemble score equals it.
  const fromText: Detector = {
    name: 'from-text',
    async detect(t) {
      const started = nowMs();
      return scored('from-text', Number(idOf(t)), 0.5, [], started);
    },
  };
  const at = (score: number, label: Label): LabelledTranscript => ({
    target: 'u',
    label,
    messages: [{ speaker: 'u', text: String(score) }],
  });
  // Humans h = 0..99 score (h + 0.5) / 100 * 0.8: 0.004, 0.012, ..., 0.788, 0.796.
  // Bots b = 0..49 score 0.505 + b / 100: 0.505, 0.515, ..., 0.995.
  const humans = Array.from({ length: 100 }, (_, h) => at(((h + 0.5) / 100) * 0.8, 'human'));
  const bots = Array.from({ length: 50 }, (_, b) => at(0.505 + b / 100, 'bot'));

  it('sets the threshold for the target FPR and reports what it achieves', async () => {
    const ens = new Ensemble([fromText]);
    const c = await ens.calibrate([...humans, ...bots], { fpr: 0.01 });
    // floor(0.01 * 100) = 1 false positive allowed; the 2nd highest human is 0.788, and the smallest score
    // above it is bot b = 29: 0.505 + 0.29 = 0.795. At 0.795 the top human (0.796) is the one false
    // positive: FPR 1 / 100 = 0.01; bots b = 29..49 pass: TPR 21 / 50 = 0.42.
    expect(c.threshold).toBeCloseTo(0.795, 9);
    expect(c.fpr).toBeCloseTo(0.01, 12);
    expect(c.tpr).toBeCloseTo(0.42, 12);
    expect(c).toMatchObject({ met: true, targetFpr: 0.01, negatives: 100, positives: 50, abstained: 0 });
    expect(ens.threshold).toBe(c.threshold);
    expect((await ens.detect(at(0.796, 'human'))).label).toBe('bot');
    expect((await ens.detect(at(0.788, 'human'))).label).toBe('human');
  });

  it('calibrates a cascade on its real, early-stopping run', async () => {
    const ens = new Ensemble([fromText, new Sometimes()], { strategy: 'cascade' });
    const c = await ens.calibrate([...humans, ...bots], { fpr: 0.05 });
    expect(c.fpr).toBeLessThanOrEqual(0.05);
    // floor(0.05 * 100) = 5: the 6th highest human is h = 94, 0.756; the smallest score above it is human
    // h = 95, 0.764 (bot b = 26 is 0.765). At 0.764: humans 95..99 -> FPR 5 / 100; bots 26..49 -> TPR 24 / 50.
    // "sometimes" abstains on all of these, so the early-stopping run scores as the full one.
    expect(c.threshold).toBeCloseTo(0.764, 9);
    expect(c.fpr).toBeCloseTo(0.05, 12);
    expect(c.tpr).toBeCloseTo(0.48, 12);
  });

  it('leaves the threshold alone when a cascade that stops early cannot meet the target', async () => {
    // "loud" says 0.9999 for everyone; "judge" says 0.01 for humans and 0.99 for bots.
    const byLabel = (name: string, human: number, bot: number): Detector => ({
      name,
      async detect(t) {
        return scored(name, idOf(t) === 'h' ? human : bot, 0.5, [], nowMs());
      },
    });
    const ens = new Ensemble([byLabel('loud', 0.9999, 0.9999), byLabel('judge', 0.01, 0.99)], {
      strategy: 'cascade',
    });
    const data: LabelledTranscript[] = ['h', 'h', 'h', 'b', 'b'].map((x) => ({
      target: 'u',
      label: x === 'h' ? 'human' : 'bot',
      messages: [{ speaker: 'u', text: x }],
    }));
    // Running both: humans (logit 0.9999 + logit 0.01) / 2 = (9.21 - 4.60) / 2 = 2.31 -> 0.910; bots
    // (9.21 + 4.60) / 2 = 6.90 -> 0.999. With FPR 0 the threshold is 0.999 (logit 6.90). But "loud" alone is
    // 9.21 - 6.90 = 2.31 >= ln 9 log-odds above it, so the real cascade stops there and every human is a
    // false positive.
    await expect(ens.calibrate(data, { fpr: 0 })).rejects.toSatisfy(
      (e: unknown) =>
        BotlensError.isInstance(e) && e.code === 'CALIBRATION_UNMET' && /raise margin/.test(e.message),
    );
    expect(ens.threshold).toBe(0.5);
  });
});

describe('Ensemble toJSON / fromJSON', () => {
  const resolve = (s: DetectorState): Detector => {
    if (s.kind === Memorizer.kind) return Memorizer.fromJSON(s);
    if (s.kind === 'unserialized' && s['name'] === 'honest') return new Honest();
    throw new Error(`unknown kind ${s.kind}`);
  };

  it('round-trips a fitted stacking ensemble through JSON with the same scores', async () => {
    const ens = new Ensemble([new Memorizer(), new Honest()], {
      strategy: 'stacking',
      name: 'stack',
      threshold: 0.4,
    });
    await ens.fit(DATA);
    const state = ens.toJSON();
    expect(state).toMatchObject({
      kind: 'ensemble',
      version: 1,
      name: 'stack',
      strategy: 'stacking',
      threshold: 0.4,
    });
    expect(state.members[1]).toEqual({ kind: 'unserialized', version: 0, name: 'honest' });
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(state)), { resolve });
    expect(back.toJSON()).toEqual(state);
    const probe = [...DATA, example(99, 'bot')];
    const a = await ens.detectBatch(probe);
    const b = await back.detectBatch(probe);
    expect(b.map((r) => r.score)).toEqual(a.map((r) => r.score));
  });

  it('round-trips a fitted cascade, keeping its order and prefix combiners', async () => {
    const ens = new Ensemble([new Memorizer(), new Honest()], {
      strategy: 'cascade',
      costs: { memorizer: 3 },
      margin: 1,
    });
    await ens.fit(DATA);
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(ens.toJSON())), { resolve });
    expect(back.runOrder).toEqual(['honest', 'memorizer']);
    const a = await ens.detectBatch(DATA);
    const b = await back.detectBatch(DATA);
    expect(b.map((r) => [r.score, r.ran])).toEqual(a.map((r) => [r.score, r.ran]));
  });

  it('rejects state it cannot read, and members that come back under another name', async () => {
    const state = new Ensemble([new Honest()]).toJSON();
    await expect(Ensemble.fromJSON({ ...state, version: 2 }, { resolve })).rejects.toThrow(
      /version must be 1/,
    );
    await expect(Ensemble.fromJSON({ ...state, members: [] }, { resolve })).rejects.toThrow(
      InvalidOptionsError,
    );
    await expect(
      Ensemble.fromJSON({ ...state, combiner: { weights: [1], intercept: 0 } }, { resolve }),
    ).rejects.toThrow(/combiner has 1 weight\(s\); expected 2/);
    await expect(Ensemble.fromJSON(state, { resolve: async () => new Memorizer('other') })).rejects.toThrow(
      /saved as "honest"/,
    );
  });
});
