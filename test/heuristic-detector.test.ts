import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../src/core/detector.js';
import type { LabelledTranscript, Message, Transcript } from '../src/core/transcript.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { DEFAULT_HEURISTIC_WEIGHTS } from '../src/detectors/heuristic/default-weights.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { STYLE_FEATURE_NAMES, TIMING_FEATURE_NAMES } from '../src/detectors/heuristic/style-feature-types.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { logit } from '../src/numeric/logistic-regression.js';
import { CONVAI_DIR, describeWithShared, HAS_SHARED, SHARED_SKIP_REASON } from './helpers/shared.js';

const BOT_LINES = [
  "hello ! i 'm fine . what do you do for a living ? ",
  'i love to read . what is your favorite book ? ',
  "i 'm a teacher . do you have any pets ? ",
  'i love to read . i also like to play video games . ',
];
const HUMAN_LINES = [
  'hey whats up',
  'lol no',
  'i was at the beach all day, so tired now',
  'ok',
  'haha my cat hates me 😂',
  'wait what',
  'idk maybe tomorrow',
  'brb dinner',
];

/** Alternating dialogue where `b` says `lines` in turn; optional timestamps `gapMs(i)` after each message. */
function dialogue(lines: string[], turns: number, gapMs?: (i: number) => number): Transcript {
  const messages: Message[] = [];
  let t = 1_700_000_000_000;
  for (let i = 0; i < turns * 2; i++) {
    const mine = i % 2 === 1;
    const text = mine
      ? lines[(i >> 1) % lines.length]!
      : ['so what about you?', 'nice', 'tell me more'][(i >> 1) % 3]!;
    const m: Message = { speaker: mine ? 'b' : 'a', text };
    if (gapMs) {
      t += gapMs(i);
      m.timestamp = t;
    }
    messages.push(m);
  }
  return { target: 'b', messages };
}

const botLike = dialogue(BOT_LINES, 8);
const humanLike = dialogue(HUMAN_LINES, 8);

function byName(d: Detection, name: string) {
  const e = d.evidence.find((x) => x.name === name);
  if (!e) throw new Error(`no evidence named ${name}`);
  return e;
}

describe('HeuristicDetector with the default weights', () => {
  const detector = new HeuristicDetector();

  it('scores an obvious bot-style transcript above an obvious human-style one', async () => {
    const bot = await detector.detect(botLike);
    const human = await detector.detect(humanLike);
    expect(bot.score!).toBeGreaterThan(human.score!);
    expect(bot.label).toBe('bot');
    expect(human.label).toBe('human');
    expect(bot.detector).toBe('heuristic');
    expect(bot.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('explains the score: every signal with value, sentence and contribution, summing to the log-odds', async () => {
    const d = await detector.detect(botLike);
    const names = d.evidence.map((e) => e.name);
    expect(names.sort()).toEqual([...STYLE_FEATURE_NAMES, 'baseline'].sort());
    let z = 0;
    for (const e of d.evidence) {
      expect(typeof e.sentence).toBe('string');
      expect(e.sentence.length).toBeGreaterThan(20);
      expect(Number.isFinite(e.contribution)).toBe(true);
      z += e.contribution!;
    }
    expect(z).toBeCloseTo(logit(d.score!), 6);
    const spacing = byName(d, 'tokenizer_spacing_share');
    expect(spacing.value).toBe(1);
    expect(spacing.contribution!).toBeGreaterThan(0);
    expect(spacing.sentence).toMatch(/toward bot/);
    // The strongest measured signal comes first.
    expect(Math.abs(d.evidence[0]!.contribution!)).toBeGreaterThanOrEqual(Math.abs(spacing.contribution!));
  });

  it('reports timing as not measured, with no effect, when there are no timestamps', async () => {
    const d = await detector.detect(botLike);
    for (const name of TIMING_FEATURE_NAMES) {
      const e = byName(d, name);
      expect(e.value).toBeNull();
      expect(e.contribution).toBe(0);
      expect(e.sentence).toMatch(/no timed reply.*no effect on the score/);
    }
  });

  it('uses timing when timestamps exist: instant replies push toward bot, slow irregular ones toward human', async () => {
    const lines = ['I was out walking the dog, it was nice.', 'Not much really. Just tired today.'];
    const fast = await detector.detect(dialogue(lines, 6, (i) => (i % 2 === 1 ? 300 : 5000)));
    const slow = await detector.detect(
      dialogue(lines, 6, (i) => (i % 2 === 1 ? 8000 + ((i * 7919) % 20_000) : 5000)),
    );
    const untimed = await detector.detect(dialogue(lines, 6));
    expect(byName(fast, 'fast_reply_share').value).toBe(1);
    expect(byName(fast, 'fast_reply_share').contribution!).toBeGreaterThan(0);
    expect(byName(slow, 'median_delay_ms').contribution!).toBeLessThan(0);
    expect(fast.score!).toBeGreaterThan(untimed.score!);
    expect(slow.score!).toBeLessThan(untimed.score!);
  });

  it('abstains when no signal can be measured, and scores from timing alone when text is blank', async () => {
    const blank = await detector.detect({
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hello?' },
        { speaker: 'b', text: '' },
        { speaker: 'b', text: '   ' },
      ],
    });
    expect(blank.score).toBeNull();
    expect(blank.label).toBeNull();
    expect(blank.evidence).toHaveLength(1);
    expect(blank.evidence[0]!.name).toBe('abstained');

    const timedBlank = await detector.detect({
      target: 'b',
      messages: [
        { speaker: 'a', text: 'hello?', timestamp: 0 },
        { speaker: 'b', text: '', timestamp: 100 },
      ],
    });
    expect(timedBlank.score).not.toBeNull();
    expect(byName(timedBlank, 'mean_words').value).toBeNull();
    expect(byName(timedBlank, 'median_delay_ms').value).toBe(100);
  });

  it('scores single-message and Unicode transcripts without abstaining', async () => {
    for (const text of ['hi', '🙂', 'مرحبا كيف حالك؟', 'cafe\u0301 ?']) {
      const d = await detector.detect({ messages: [{ speaker: 'solo', text }] });
      expect(d.score, text).not.toBeNull();
      expect(d.score!).toBeGreaterThan(0);
      expect(d.score!).toBeLessThan(1);
    }
  });

  it('is deterministic and detectBatch matches detect', async () => {
    const [a, b] = await detector.detectBatch([botLike, humanLike]);
    expect(a!.score).toBe((await detector.detect(botLike)).score);
    expect(b!.score).toBe((await detector.detect(humanLike)).score);
    expect(a!.evidence.map((e) => e.sentence)).toEqual(
      (await detector.detect(botLike)).evidence.map((e) => e.sentence),
    );
  });

  it('rejects bad input with InvalidTranscriptError', async () => {
    await expect(detector.detect({ messages: [] })).rejects.toBeInstanceOf(InvalidTranscriptError);
    await expect(
      detector.detect({ target: 'x', messages: [{ speaker: 'a', text: 'hi' }] }),
    ).rejects.toBeInstanceOf(InvalidTranscriptError);
    await expect(detector.detect(null as unknown as Transcript)).rejects.toBeInstanceOf(
      InvalidTranscriptError,
    );
    await expect(
      detector.detectBatch([botLike, { messages: [{ speaker: '', text: 'x' }] }]),
    ).rejects.toBeInstanceOf(InvalidTranscriptError);
  });

  it('honours an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(detector.detect(botLike, { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
    await expect(detector.detectBatch([botLike], { signal: ac.signal })).rejects.toBeInstanceOf(AbortedError);
    await expect(new HeuristicDetector().fit(synthetic(10), { signal: ac.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
  });
});

describe('HeuristicDetector options', () => {
  it('uses its name and threshold', async () => {
    const strict = new HeuristicDetector({ name: 'style', threshold: 0.999999 });
    const d = await strict.detect(humanLike);
    expect(d.detector).toBe('style');
    expect(d.label).toBe('human');
    const lax = await new HeuristicDetector({ threshold: 0 }).detect(humanLike);
    expect(lax.label).toBe('bot');
  });

  it('takes partial weights, keeping the defaults for the rest', async () => {
    const d = new HeuristicDetector({
      weights: { intercept: 0, features: { tokenizer_spacing_share: { weight: 0, mean: 0.1, scale: 0.2 } } },
    });
    expect(d.weights.features.mean_words).toEqual(DEFAULT_HEURISTIC_WEIGHTS.features.mean_words);
    const r = await d.detect(botLike);
    expect(byName(r, 'tokenizer_spacing_share').contribution).toBe(0);
    expect(byName(r, 'baseline').contribution).toBe(0);
    const base = await new HeuristicDetector().detect(botLike);
    expect(r.score!).toBeLessThan(base.score!);
  });

  it('rejects bad options with InvalidOptionsError', () => {
    expect(() => new HeuristicDetector({ threshold: 2 })).toThrow(InvalidOptionsError);
    expect(() => new HeuristicDetector({ name: '' })).toThrow(InvalidOptionsError);
    expect(() => new HeuristicDetector({ l2: -1 })).toThrow(InvalidOptionsError);
    expect(() => new HeuristicDetector({ minHumanDelayMs: Number.NaN })).toThrow(InvalidOptionsError);
    expect(
      () =>
        new HeuristicDetector({
          weights: { intercept: 0, features: { nope: { weight: 1, mean: 0, scale: 1 } } as never },
        }),
    ).toThrow(/unknown signal "nope"/);
    expect(
      () =>
        new HeuristicDetector({
          weights: { intercept: 0, features: { emoji_rate: { weight: 1, mean: 0, scale: 0 } } },
        }),
    ).toThrow(InvalidOptionsError);
  });
});

/**
 * A synthetic set on which the default weights are wrong: here the bots write short lower-case fragments and
 * the humans write long, punctuated sentences.
 */
function synthetic(n: number): LabelledTranscript[] {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const frag = ['ok', 'yes', 'cool', 'no way', 'sure thing', 'maybe'];
  const long = [
    'I spent the whole weekend repairing the old bicycle in my garage.',
    'Honestly, I think the weather here has been strange all month.',
    'My brother is visiting next week, so I am cleaning the flat.',
    'Have you ever tried cooking with fresh basil from a balcony garden?',
  ];
  const out: LabelledTranscript[] = [];
  for (let k = 0; k < n; k++) {
    const bot = k % 2 === 0;
    const pool = bot ? frag : long;
    const messages: Message[] = [];
    for (let i = 0; i < 6; i++) {
      messages.push({ speaker: 'a', text: 'and then?' });
      messages.push({ speaker: 'b', text: pool[Math.floor(rand() * pool.length)]! });
    }
    out.push({ target: 'b', messages, label: bot ? 'bot' : 'human' });
  }
  return out;
}

async function accuracy(d: HeuristicDetector, rows: LabelledTranscript[]): Promise<number> {
  const dets = await d.detectBatch(rows);
  return dets.filter((x, i) => x.label === rows[i]!.label).length / rows.length;
}

describe('HeuristicDetector.fit', () => {
  it('learns weights that fix the defaults on a synthetic set', async () => {
    const rows = synthetic(40);
    const d = new HeuristicDetector();
    const before = await accuracy(d, rows);
    expect(d.fitted).toBe(false);
    await d.fit(rows);
    expect(d.fitted).toBe(true);
    const after = await accuracy(d, rows);
    expect(before).toBeLessThan(0.5);
    expect(after).toBeGreaterThan(0.95);
    expect(d.weights.features.mean_words.weight).toBeLessThan(0); // flipped: longer messages = human here
    expect(d.weights.features.mean_words.weight).not.toBe(
      DEFAULT_HEURISTIC_WEIGHTS.features.mean_words.weight,
    );
    // No example has timestamps: the timing weights keep their defaults.
    for (const name of TIMING_FEATURE_NAMES)
      expect(d.weights.features[name]).toEqual(DEFAULT_HEURISTIC_WEIGHTS.features[name]);
    const r = await d.detect(rows[0]!);
    expect(byName(r, 'baseline').sentence).toMatch(/learned by fit/);
  });

  it('rejects examples of one class, bad examples and bad labels', async () => {
    const d = new HeuristicDetector();
    const rows = synthetic(6);
    await expect(d.fit(rows.filter((r) => r.label === 'bot'))).rejects.toThrow(
      /at least one bot and one human/,
    );
    const bad = [rows[0]!, { ...rows[1]!, target: 'nobody' }];
    const err = await d.fit(bad).catch((e: unknown) => e);
    expect(InvalidTranscriptError.isInstance(err)).toBe(true);
    expect((err as InvalidTranscriptError).issues[0]!.path).toBe('examples[1].target');
    await expect(d.fit([rows[0]!, { ...rows[1]!, label: 'robot' as never }])).rejects.toThrow(
      /examples\[1\]\.label/,
    );
    expect(d.fitted).toBe(false);
  });
});

describe('HeuristicDetector state', () => {
  it('round-trips through JSON with identical scores', async () => {
    const d = new HeuristicDetector({
      name: 'h2',
      threshold: 0.4,
      minHumanDelayMs: 700,
      maxHumanCharsPerSecond: 12,
    });
    await d.fit(synthetic(30));
    const state = d.toJSON();
    expect(state.kind).toBe('heuristic');
    expect(state.version).toBe(1);
    const restored = HeuristicDetector.fromJSON(JSON.parse(JSON.stringify(state)));
    expect(restored.name).toBe('h2');
    expect(restored.threshold).toBe(0.4);
    expect(restored.fitted).toBe(true);
    expect(restored.toJSON()).toEqual(state);
    const timed = dialogue(BOT_LINES, 5, (i) => 400 + i * 250);
    for (const t of [botLike, humanLike, timed]) {
      const a = await d.detect(t);
      const b = await restored.detect(t);
      expect(b.score).toBe(a.score);
      expect(b.evidence.map((e) => [e.name, e.contribution])).toEqual(
        a.evidence.map((e) => [e.name, e.contribution]),
      );
    }
  });

  it('refuses states of another kind, version or shape', () => {
    const state = new HeuristicDetector().toJSON();
    expect(() => HeuristicDetector.fromJSON({ ...state, kind: 'nli' })).toThrow(/state.kind/);
    expect(() => HeuristicDetector.fromJSON({ ...state, version: 2 })).toThrow(/version 1/);
    const weights = state['weights'] as { intercept: number; features: Record<string, unknown> };
    const { emoji_rate: _dropped, ...rest } = weights.features;
    expect(() =>
      HeuristicDetector.fromJSON({ ...state, weights: { ...weights, features: rest } as never }),
    ).toThrow(/emoji_rate/);
    expect(() => HeuristicDetector.fromJSON({ ...state, threshold: 'high' })).toThrow(InvalidOptionsError);
  });
});

describeWithShared('HeuristicDetector on ConvAI (dev)', () => {
  if (!HAS_SHARED) console.warn(SHARED_SKIP_REASON);

  async function f1(d: HeuristicDetector, rows: LabelledTranscript[]): Promise<number> {
    const dets = await d.detectBatch(rows);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    dets.forEach((x, i) => {
      const bot = rows[i]!.label === 'bot';
      if (x.label === 'bot' && bot) tp++;
      else if (x.label === 'bot') fp++;
      else if (bot) fn++;
    });
    return (2 * tp) / (2 * tp + fp + fn);
  }

  it('reaches F1 >= 0.70 with the defaults and > 0.80 once fitted on train', async () => {
    const train = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'train.jsonl'));
    const dev = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'dev.jsonl'));
    const defaults = await f1(new HeuristicDetector(), dev);
    expect(defaults).toBeGreaterThanOrEqual(0.7);
    const fitted = new HeuristicDetector();
    await fitted.fit(train);
    expect(await f1(fitted, dev)).toBeGreaterThan(0.8);
  });
});
