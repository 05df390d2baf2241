import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DetectorState } from '../../src/core/detector.js';
import type { LabelledTranscript } from '../../src/core/transcript.js';
import { readTranscriptsJsonl } from '../../src/data/read-transcripts.js';
import { registeredDetectorTypes } from '../../src/detectors/detector-registry.js';
import {
  CONTRAST_SIGNAL_NAMES,
  contrastOf,
  partnerOf,
} from '../../src/detectors/heuristic/partner-contrast.js';
import { PartnerContrastDetector } from '../../src/detectors/heuristic/partner-contrast-detector.js';
import { PartnerContrastStream } from '../../src/detectors/heuristic/partner-contrast-stream.js';
import { StyleAccumulator } from '../../src/detectors/heuristic/style-accumulator.js';
import { resolveStyleFeatureOptions } from '../../src/detectors/heuristic/style-features.js';
import { createDetector, detectorFromState } from '../../src/detectors/registry.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { NotFittedError } from '../../src/errors/not-fitted-error.js';
import { auroc } from '../../src/eval/metrics.js';
import { seededRandom } from '../../src/numeric/random.js';
import { runDetectorConformance } from '../../src/testing/conformance.js';
import { expectSameRefusal } from '../helpers/option-refusal.js';
import { CONVAI_DIR, describeWithShared } from '../helpers/shared.js';
import { chat } from '../helpers/transcripts.js';

const words = (n: number, seed: number) =>
  Array.from(
    { length: n },
    (_, i) => ['alpha', 'river', 'stone', 'cloud', 'maple', 'ember'][(i + seed) % 6],
  ).join(' ');

/**
 * A two-party chat on a "platform" where humans write `base` words a message and the bot `base * 3`, the bot
 * ending every message with a full stop: the absolute lengths differ from platform to platform, the contrast
 * does not.
 */
function pair(base: number, seed: number): LabelledTranscript[] {
  const lines: string[] = [];
  for (let i = 0; i < 4; i++) {
    lines.push(`h: ${words(base, seed + i)}`);
    lines.push(`b: ${words(base * 3, seed + i + 1)}.`);
  }
  const t = chat('b', lines);
  return [
    { ...t, label: 'bot' },
    { ...t, target: 'h', label: 'human' },
  ];
}

const train: LabelledTranscript[] = [];
for (let s = 0; s < 12; s++) train.push(...pair(2 + (s % 3), s));

describe('PartnerContrastDetector', () => {
  it('is a built-in type that passes the conformance suite through the registry', async () => {
    expect(registeredDetectorTypes()).toContain('partner-contrast');
    const report = await runDetectorConformance({
      create: () => createDetector({ type: 'partner-contrast' }),
      fromJSON: (s) => detectorFromState(s),
      transcript: chat('x', ['u: hey there', 'x: Hello ! I am fine . What do you do ?']),
      abstainTranscript: chat('x', ['u: hi', 'x: ']),
      fitExamples: train,
    });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('judges by the contrast with the partner, so it carries over to a platform where everyone writes longer', async () => {
    const d = new PartnerContrastDetector();
    await d.fit(train);
    // Humans here write 12 words a message, more than any bot in training; the bot still writes 3x its partner.
    const [bot, human] = pair(12, 99) as [LabelledTranscript, LabelledTranscript];
    const asBot = await d.detect(bot);
    const asHuman = await d.detect(human);
    expect(asBot.score!).toBeGreaterThan(0.5);
    expect(asHuman.score!).toBeLessThan(0.5);
    expect(asBot.label).toBe('bot');
    // The evidence names the partner and says which way each contrast points, the strongest first.
    expect(asBot.evidence.at(-1)?.sentence).toContain('"h"');
    const first = asBot.evidence[0]!;
    expect(first.name.endsWith('_vs_partner')).toBe(true);
    expect(Math.abs(first.contribution!)).toBeGreaterThanOrEqual(Math.abs(asBot.evidence[1]!.contribution!));
  });

  it("tells each contrast in plain words, a log ratio as how many times the partner's amount", async () => {
    const d = new PartnerContrastDetector();
    await d.fit(train);
    // The bot writes 36 words a message against its partner's 12: (36 + 1) / (12 + 1) = 2.8 times.
    const [bot] = pair(12, 99) as [LabelledTranscript, LabelledTranscript];
    const r = await d.detect(bot);
    const words = r.evidence.find((e) => e.name === 'log_mean_words_vs_partner')!;
    expect(words.value).toBeCloseTo(Math.log(37 / 13), 12);
    expect(words.sentence).toBe(
      'The target writes 2.8× as many words per message as "h" (counting one extra word per message on each side), which points toward bot.',
    );
    // No sentence shows a signal's identifier or a raw log value.
    expect(r.evidence.length).toBeGreaterThan(2);
    for (const e of r.evidence) {
      expect(e.sentence).not.toMatch(/[a-z]+_[a-z]+/);
      expect(e.sentence).toMatch(/^The target/);
    }
    const share = r.evidence.find((e) => e.name === 'end_punctuation_share_vs_partner');
    expect(share?.sentence).toMatch(
      /^The target's share of messages ending with \. ! or \? is 100 percentage points higher than "h"'s, which points toward (bot|human)\.$/,
    );
  });

  it('compares amounts (words per message, questions) as log ratios and the other signals as differences', () => {
    const o = resolveStyleFeatureOptions({});
    /** The contrast of a target writing `mine` words a message against a partner writing `theirs`. */
    const contrast = (mine: number, theirs: number) => {
      const [x, u] = [new StyleAccumulator('x', o), new StyleAccumulator('u', o)];
      for (const [speaker, n] of [
        ['u', theirs],
        ['x', mine],
      ] as const) {
        const text = Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
        x.add(speaker, text, Number.NaN);
        u.add(speaker, text, Number.NaN);
      }
      return contrastOf(x, u)!;
    };
    const words = CONTRAST_SIGNAL_NAMES.indexOf('log_mean_words_vs_partner');
    const questions = CONTRAST_SIGNAL_NAMES.indexOf('log_question_rate_vs_partner');
    expect(words).toBeGreaterThanOrEqual(0);
    expect(questions).toBeGreaterThanOrEqual(0);
    expect(CONTRAST_SIGNAL_NAMES).not.toContain('mean_words_vs_partner');
    expect(contrast(8, 2)[words]).toBeCloseTo(Math.log(9 / 3), 12);
    // Four times the partner's length weighs more than 6 words more would in a terse chat (8 vs 2), less in a
    // wordy one (30 vs 24): a ratio, not a difference.
    expect(contrast(30, 24)[words]).toBeCloseTo(Math.log(31 / 25), 12);
    expect(contrast(30, 24)[words]!).toBeLessThan(contrast(8, 2)[words]!);
    // A share stays a difference: every message of both ends without punctuation.
    const share = CONTRAST_SIGNAL_NAMES.indexOf('end_punctuation_share_vs_partner');
    expect(contrast(8, 2)[share]).toBe(0);
  });

  it('abstains when it has nothing to compare: no partner, or a partner whose style cannot be measured', async () => {
    const d = new PartnerContrastDetector();
    await d.fit(train);
    // Before: a confident label from the training share of bots alone, the evidence naming a partner it never read.
    const alone = await d.detect(chat('x', ['x: Hello ! I am a bot .', 'x: Hello ! I am a bot .']));
    expect(alone.score).toBeNull();
    expect(alone.label).toBeNull();
    expect(alone.evidence[0]!.name).toBe('abstained');
    expect(alone.evidence[0]!.sentence).toMatch(/Only the target speaks/);
    expect(alone.support).toEqual({ targetMessages: 2, targetCharacters: 40 });
    const blank = await d.detect(chat('x', ['u:  ', 'x: Hello ! I am a bot .', 'u: ', 'x: fine .']));
    expect(blank.score).toBeNull();
    expect(blank.evidence[0]!.sentence).toMatch(/compared with "u"'s: the partner sent only blank messages/);
    // A partner with one word is enough to compare.
    const one = await d.detect(chat('x', ['u: hi', 'x: Hello ! I am a bot .']));
    expect(one.score).not.toBeNull();
    expect(one.evidence.at(-1)).toMatchObject({ name: 'has_partner', value: true });
  });

  it('in a stacking ensemble, abstaining on a monologue leaves it out as any abstaining member', async () => {
    const ens = new Ensemble(
      [await createDetector({ type: 'heuristic' }), await createDetector({ type: 'partner-contrast' })],
      { strategy: 'stacking', memberPrefixCuts: [] },
    );
    await ens.fit(train);
    const r = await ens.detect(chat('x', ['x: Hello ! I am a bot .', 'x: How can I help you today ?']));
    expect(r.score).not.toBeNull();
    const [heuristic, contrast] = r.members!;
    expect(heuristic).toMatchObject({ detector: 'heuristic', score: expect.any(Number) });
    expect(contrast).toMatchObject({ detector: 'partner-contrast', score: null });
    expect(r.evidence.map((e) => e.sentence).join('\n')).toMatch(
      /"partner-contrast" abstained: Only the target speaks/,
    );
  });

  it('says in the fit error how many examples it skipped for blank targets', async () => {
    const blankBot = (i: number): LabelledTranscript => ({
      ...chat('b', ['h: hi', `b: ${' '.repeat(i)}`]),
      label: 'bot',
    });
    const human: LabelledTranscript = { ...chat('h', ['h: hi there', 'b: Hello .']), label: 'human' };
    const d = new PartnerContrastDetector();
    const err = await d.fit([blankBot(1), blankBot(2), human, human]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toMatch(
      /whose target wrote text \(2 of 4 skipped: their target sent only blank messages, none timed\); got 0 bot and 2 human/,
    );
  });

  it('streams: every push equals detect() on the messages so far, also when a third speaker joins late', async () => {
    const d = new PartnerContrastDetector();
    await d.fit(train);
    const t = chat('b', [
      'h: hi there',
      'b: Hello ! I am a helpful assistant . How can I help you today ?',
      'h: tell me a joke',
      'b: Why did the chicken cross the road ? To get to the other side .',
      'c: lol who is this',
      'c: anyone?',
      'c: hello??',
      'b: I am a helpful assistant . I can tell jokes and answer questions .',
      'h: ok',
      'c: ok!',
    ]);
    const live = d.stream({ target: 'b' });
    for (let i = 0; i < t.messages.length; i++) {
      const pushed = await live.push(t.messages[i]!);
      const prefix = { target: 'b', messages: t.messages.slice(0, i + 1) };
      if (i === 0) {
        expect(pushed.score).toBeNull();
        continue;
      }
      const once = await d.detect(prefix);
      expect(pushed.score).toBe(once.score);
      expect(pushed.evidence).toEqual(once.evidence);
      expect(pushed.support).toEqual(once.support);
    }
    // Once "c" has written more messages than "h" (4 to 3), the partner is "c"; at a tie it was "h", the earlier.
    expect(live.detection()!.evidence.at(-1)!.sentence).toContain('"c"');
  });

  it('streams equal to detect() on every prefix of random many-speaker chats (blank, timed, repeated texts)', async () => {
    const d = new PartnerContrastDetector();
    await d.fit(train);
    const rand = seededRandom(11);
    const texts = [
      'hi',
      ' ',
      'Hello ! How are you ?',
      'ok ok',
      'lol 😂',
      'same words here',
      'same words here.',
    ];
    for (let trial = 0; trial < 40; trial++) {
      const speakers = ['t', 'a', 'b', 'c', 'd'].slice(0, 2 + Math.floor(rand() * 4));
      let clock = 1e12;
      const messages = Array.from({ length: 2 + Math.floor(rand() * 25) }, () => {
        clock += Math.floor(rand() * 5000);
        return {
          speaker: speakers[Math.floor(rand() * speakers.length)]!,
          text: texts[Math.floor(rand() * texts.length)]!,
          ...(rand() < 0.6 ? { timestamp: new Date(clock).toISOString() } : {}),
        };
      });
      const live = d.stream({ target: 't' });
      for (let i = 0; i < messages.length; i++) {
        const pushed = await live.push(messages[i]!);
        const prefix = messages.slice(0, i + 1);
        // (detect() refuses a transcript where the target has not spoken; the stream abstains.)
        if (!prefix.some((m) => m.speaker === 't')) {
          expect(pushed.score).toBeNull();
          continue;
        }
        const once = await d.detect({ target: 't', messages: prefix });
        expect(pushed.score).toBe(once.score);
        expect(pushed.evidence).toEqual(once.evidence);
        expect(pushed.support).toEqual(once.support);
      }
    }
  });

  it('streams at a cost that does not grow with the number of speakers: each message is fed at most 3 times', async () => {
    const o = resolveStyleFeatureOptions({});
    let fed = 0;
    class Counting extends StyleAccumulator {
      override push(m: Parameters<StyleAccumulator['push']>[0]): void {
        fed++;
        super.push(m);
      }
    }
    const live = new PartnerContrastStream(
      'pc',
      { target: 't' },
      { maxMessages: 10_000 },
      (speaker) => new Counting(speaker, o),
      () => ({ detector: 'pc', score: null, label: null, evidence: [], elapsedMs: 0 }),
    );
    // Before: a new speaker replayed the whole log and every push fed every speaker, 1000 speakers 1.5 M feeds.
    for (let i = 0; i < 1000; i++) {
      live.pushNow({ speaker: `u${i}`, text: `hello ${i}` });
      live.pushNow({ speaker: 't', text: `reply ${i}` });
    }
    expect(fed).toBeLessThanOrEqual(3 * 2000);
  });

  it('picks the other speaker with the most messages as the partner', () => {
    const t = chat('x', ['a: hi', 'b: hey', 'x: hello', 'b: so?', 'x: fine']);
    expect(partnerOf({ ...t, target: 'x' } as Parameters<typeof partnerOf>[0])).toBe('b');
    const tie = chat('x', ['a: hi', 'b: hey', 'x: hello']);
    expect(partnerOf({ ...tie, target: 'x' } as Parameters<typeof partnerOf>[0])).toBe('a');
  });

  it('refuses to judge or save before fit(), with a NotFittedError that says what to do', async () => {
    const d = new PartnerContrastDetector();
    expect(d.fitted).toBe(false);
    await expect(d.detect(train[0]!)).rejects.toThrow(NotFittedError);
    await expect(d.detect(train[0]!)).rejects.toThrow(/call fit\(examples\) first/);
    expect(() => d.toJSON()).toThrow(NotFittedError);
  });

  it('restores from its state with identical scores, and refuses state for other signals', async () => {
    const d = new PartnerContrastDetector({ name: 'contrast', l2: 2 });
    await d.fit(train);
    const state = JSON.parse(JSON.stringify(d.toJSON())) as DetectorState;
    const back = PartnerContrastDetector.fromJSON(state);
    expect(back.name).toBe('contrast');
    for (const t of train.slice(0, 6)) expect((await back.detect(t)).score).toBe((await d.detect(t)).score);
    const signals = [...(state['signals'] as string[])];
    signals[0] = 'something_else';
    expect(() => PartnerContrastDetector.fromJSON({ ...state, signals })).toThrow(InvalidOptionsError);
    expect(() => PartnerContrastDetector.fromJSON({ ...state, weights: [1, 2] })).toThrow(/finite numbers/);
    expect(() => PartnerContrastDetector.fromJSON({ ...state, version: 3 })).toThrow(/version/);
  });

  it('saves version 1 without targetSignals (as before they existed) and 2 with them, reads both, refuses others', async () => {
    const plain = new PartnerContrastDetector({ name: 'plain' });
    const own = new PartnerContrastDetector({ name: 'own', targetSignals: ['near_repeat_mean'] });
    await plain.fit(train);
    await own.fit(train);
    const v1 = JSON.parse(JSON.stringify(plain.toJSON())) as DetectorState;
    const v2 = JSON.parse(JSON.stringify(own.toJSON())) as DetectorState;
    expect(v1.version).toBe(1);
    expect(Object.keys(v1)).not.toContain('targetSignals');
    // An older botlens reads version 1 only: it refuses the new layout by its version, saying to upgrade.
    expect(v2.version).toBe(2);
    for (const [state, d] of [
      [v1, plain],
      [v2, own],
    ] as const) {
      for (const back of [PartnerContrastDetector.fromJSON(state), await detectorFromState(state)]) {
        expect(back.name).toBe(d.name);
        expect(back.toJSON?.()).toEqual(state);
        for (const t of train.slice(0, 3))
          expect((await back.detect(t)).score).toBe((await d.detect(t)).score);
      }
    }
    const message =
      'Invalid option "state.version": this botlens reads partner-contrast state versions 1 to 2, got 3: refit or upgrade botlens';
    expect(() => PartnerContrastDetector.fromJSON({ ...v2, version: 3 })).toThrow(message);
    await expect(detectorFromState({ ...v2, version: 3 })).rejects.toThrow(message);
    await expect(detectorFromState({ ...v1, version: 0 })).rejects.toThrow(/versions 1 to 2, got 0/);
  });

  it('with humanPairs, learns that a human talking to a human is human, though every fitted human talked to a bot', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) lines.push(`a: ${words(3, i)}`, `b: ${words(3, i + 5)}`);
    const humanHuman = chat('a', lines);
    const plain = new PartnerContrastDetector();
    const paired = new PartnerContrastDetector({ humanPairs: 1 });
    await plain.fit(train);
    await paired.fit(train);
    const before = (await plain.detect(humanHuman)).score!;
    const after = (await paired.detect(humanHuman)).score!;
    expect(before).toBeGreaterThan(0.4);
    expect(after).toBeLessThan(0.25);
    // The bots of the fitted chats are still bots.
    for (const t of train.filter((x) => x.label === 'bot').slice(0, 4)) {
      expect((await paired.detect(t)).score!).toBeGreaterThan(0.5);
    }
    const back = PartnerContrastDetector.fromJSON(
      JSON.parse(JSON.stringify(paired.toJSON())) as DetectorState,
    );
    expect(back.toJSON()['humanPairs']).toBe(1);
    expect((await back.detect(humanHuman)).score).toBe(after);
    expect(plain.toJSON()).not.toHaveProperty('humanPairs');
    expect(() => new PartnerContrastDetector({ humanPairs: -1 })).toThrow(InvalidOptionsError);
  });

  it('refuses a bad option with the same words whether it comes to the constructor or in a spec', async () => {
    const humanPairs = 'Invalid option "humanPairs": expected a number in [0, 10], got 11';
    expect(() => new PartnerContrastDetector({ humanPairs: 11 })).toThrow(humanPairs);
    await expect(createDetector({ type: 'partner-contrast', humanPairs: 11 })).rejects.toThrow(
      'Invalid option "partner-contrast": humanPairs: expected a number in [0, 10], got 11',
    );
    const bad: Record<string, unknown[]> = {
      humanPairs: [-1, 10.5, 'x', Number.NaN, null, 1n],
      l2: [-1, 'x', Number.POSITIVE_INFINITY, null, 1n],
      balanceClasses: ['yes', 1, null, 1n, Number.NaN, Number.POSITIVE_INFINITY],
      threshold: [2, -0.1, '0.5', null],
      name: ['', 3, null],
    };
    for (const [key, values] of Object.entries(bad)) {
      for (const value of values) {
        const reason = await expectSameRefusal(
          'partner-contrast',
          (o) => new PartnerContrastDetector(o),
          key,
          value,
        );
        expect(reason, `${key}: ${String(value)}`).toContain(
          typeof value === 'bigint'
            ? 'got 1n'
            : `got ${typeof value === 'string' ? `"${value}"` : String(value)}`,
        );
      }
    }
  });

  it('with balanceClasses, does not carry a skewed bot share into its threshold', async () => {
    // 2 bots against 12 humans: a chat where both speakers write alike is then called human by the prior alone.
    const skewed = train.filter((t, i) => t.label === 'human' || i < 4);
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) lines.push(`a: ${words(3, i)}`, `b: ${words(3, i + 5)}`);
    const alike = chat('a', lines);
    const plain = new PartnerContrastDetector();
    const balanced = new PartnerContrastDetector({ balanceClasses: true });
    await plain.fit(skewed);
    await balanced.fit(skewed);
    const p = (await plain.detect(alike)).score!;
    const b = (await balanced.detect(alike)).score!;
    expect(b).toBeGreaterThan(p + 0.1);
    const back = PartnerContrastDetector.fromJSON(
      JSON.parse(JSON.stringify(balanced.toJSON())) as DetectorState,
    );
    expect(back.toJSON()['balanceClasses']).toBe(true);
    expect((await back.detect(alike)).score).toBe(b);
    expect(plain.toJSON()).not.toHaveProperty('balanceClasses');
    expect(() => new PartnerContrastDetector({ balanceClasses: 'yes' as unknown as boolean })).toThrow(
      InvalidOptionsError,
    );
  });

  it("with targetSignals, also weighs the target's own value of a signal, whatever its partner does", async () => {
    // Both speakers of a chat repeat themselves alike (in the bots' chats both say the same line every time, in
    // the humans' chats neither does), so no contrast tells the bot; only the target's own repetition does.
    const fitted: LabelledTranscript[] = [];
    for (let s = 0; s < 12; s++) {
      const repeats = s % 2 === 0;
      const lines: string[] = [];
      for (let i = 0; i < 4; i++) {
        lines.push(`h: ${repeats ? words(4, s + 3) : words(4, s + 3 + i)}`);
        lines.push(`b: ${repeats ? words(4, s) : words(4, s + i)}`);
      }
      const t = chat('b', lines);
      fitted.push({ ...t, label: repeats ? 'bot' : 'human' });
    }
    const plain = new PartnerContrastDetector();
    const own = new PartnerContrastDetector({ targetSignals: ['near_repeat_mean'] });
    await plain.fit(fitted);
    await own.fit(fitted);
    const got = await own.detectBatch(fitted);
    const before = await plain.detectBatch(fitted);
    const labels = fitted.map((t) => t.label);
    const rank = (ds: typeof got) =>
      auroc(
        ds.map((d) => d.score!),
        labels,
      ) ?? Number.NaN;
    expect(rank(got)).toBeGreaterThan(rank(before) + 0.1);
    // Its evidence names it, in plain words, beside the contrasts.
    const evidence = got[0]!.evidence.find((e) => e.name === 'near_repeat_mean_own');
    expect(evidence?.sentence).toMatch(
      /^The target's own word overlap with its own recent messages is \d+%, whatever its partner does, which points toward (bot|human)\.$/,
    );
    // Saved and restored with identical scores; state without the option keeps its old shape.
    const state = JSON.parse(JSON.stringify(own.toJSON())) as DetectorState;
    expect(state['targetSignals']).toEqual(['near_repeat_mean']);
    const back = PartnerContrastDetector.fromJSON(state);
    for (const t of fitted.slice(0, 4))
      expect((await back.detect(t)).score).toBe((await own.detect(t)).score);
    expect(plain.toJSON()).not.toHaveProperty('targetSignals');
    expect((plain.toJSON()['weights'] as number[]).length).toBe(CONTRAST_SIGNAL_NAMES.length);
    expect(() =>
      PartnerContrastDetector.fromJSON({ ...state, weights: (state['weights'] as number[]).slice(1) }),
    ).toThrow(/expected 22 finite numbers, one per signal/);
    expect(() => PartnerContrastDetector.fromJSON({ ...state, targetSignals: ['nope'] })).toThrow(
      'Invalid option "state.targetSignals": "nope" is not a style signal',
    );
    // A stream ends where detect() does.
    const t = fitted[0]!;
    const live = own.stream({ target: t.target! });
    let last: Awaited<ReturnType<typeof live.push>> | undefined;
    for (const m of t.messages) last = await live.push(m);
    expect(last!.score).toBe((await own.detect(t)).score);
  });

  it('refuses targetSignals that are not distinct style signal names, in the same words from a spec', async () => {
    for (const [value, reason] of [
      ['near_repeat_mean', 'got "near_repeat_mean"; use an array of style signal names'],
      [['near_repeat_mean', 'words'], '"words" is not a style signal; use some of mean_words, length_cv'],
      [[3], '3 is not a style signal'],
      [['near_repeat_mean', 'near_repeat_mean'], 'name each signal once'],
    ] as const) {
      const said = await expectSameRefusal(
        'partner-contrast',
        (o) => new PartnerContrastDetector(o),
        'targetSignals',
        value,
      );
      expect(said).toContain(reason);
    }
    // Given in any order, the signals are kept in signal order (the same set fits the same layout).
    const d = new PartnerContrastDetector({ targetSignals: ['near_repeat_mean', 'mean_words'] });
    await d.fit(train);
    expect(d.toJSON()['targetSignals']).toEqual(['mean_words', 'near_repeat_mean']);
  });

  it('fits as a member of a stacking ensemble that saves and restores with identical scores', async () => {
    const ens = new Ensemble(
      [await createDetector({ type: 'heuristic' }), await createDetector({ type: 'partner-contrast' })],
      { strategy: 'stacking', memberPrefixCuts: [] },
    );
    await ens.fit([...train, ...train.map((t) => ({ ...t, id: undefined }))]);
    const back = await detectorFromState(JSON.parse(JSON.stringify(ens.toJSON())));
    for (const t of train.slice(0, 4)) {
      const a = await ens.detect(t);
      expect((await back.detect(t)).score).toBe(a.score);
      expect(a.members?.map((m) => m.detector)).toEqual(['heuristic', 'partner-contrast']);
    }
    const t = train[0]!;
    const live = ens.stream({ target: t.target! });
    let last: Awaited<ReturnType<typeof live.push>> | undefined;
    for (const m of t.messages) last = await live.push(m);
    expect(last!.score).toBe((await ens.detect(t)).score);
  });
});

describeWithShared('PartnerContrastDetector on ConvAI (train split only)', () => {
  it('ranks bots of a source it was not fitted on (leave-one-source-out AUROC >= 0.9 both ways)', async () => {
    const rows = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'train.jsonl'), { fields: ['source'] });
    const is2017 = (r: (typeof rows)[number]) => r.fields?.['source'] === 'convai1-2017';
    for (const [fitOn, testOn] of [
      [rows.filter((r) => !is2017(r)), rows.filter(is2017)],
      [rows.filter(is2017), rows.filter((r) => !is2017(r))],
    ] as const) {
      const d = new PartnerContrastDetector();
      await d.fit(fitOn);
      const got = await d.detectBatch(testOn);
      // It abstains only where there is no partner (a monologue: one speaker), and ranks the rest.
      const scored = testOn.filter((_, i) => got[i]!.score !== null);
      for (const [i, r] of testOn.entries()) {
        if (got[i]!.score === null) expect(new Set(r.messages.map((m) => m.speaker)).size).toBe(1);
      }
      expect(scored.length).toBeGreaterThan(testOn.length * 0.9);
      // Measured AUROC on the rows it scores (246 of 257, 851 of 897): 0.944 (ConvAI2 -> 2017) and 0.952
      // (2017 -> ConvAI2); the heuristic + hashing embedding stacking ensemble reaches 0.877 and 0.823.
      expect(
        auroc(
          got.flatMap((x) => (x.score === null ? [] : [x.score])),
          scored.map((r) => r.label),
        ),
      ).toBeGreaterThan(0.9);
    }
  });

  it('with humanPairs 0.5, fitted on ConvAI2, keeps its threshold on ConvAI 2017 (half its humans talk to humans), and balanceClasses the reverse', async () => {
    const rows = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'train.jsonl'), { fields: ['source'] });
    const is2017 = (r: (typeof rows)[number]) => r.fields?.['source'] === 'convai1-2017';
    const testOn = rows.filter(is2017);
    const f1 = async (d: PartnerContrastDetector, fitOn: typeof rows, testOn: typeof rows) => {
      await d.fit(fitOn);
      const got = await d.detectBatch(testOn);
      let tp = 0;
      let wrong = 0;
      got.forEach((x, i) => {
        const bot = x.label === 'bot';
        if (bot && testOn[i]!.label === 'bot') tp++;
        else if (bot || testOn[i]!.label === 'bot') wrong++;
      });
      return (2 * tp) / (2 * tp + wrong);
    };
    // Measured F1 0.573 without (76 humans called bots) and 0.792 with.
    expect(
      await f1(
        new PartnerContrastDetector(),
        rows.filter((r) => !is2017(r)),
        testOn,
      ),
    ).toBeLessThan(0.65);
    expect(
      await f1(
        new PartnerContrastDetector({ humanPairs: 0.5 }),
        rows.filter((r) => !is2017(r)),
        testOn,
      ),
    ).toBeGreaterThan(0.75);
    // The reverse, fitted on 20% bots: balancing the classes keeps the threshold (measured 0.759 -> 0.797).
    const [fit2017, rest] = [rows.filter(is2017), rows.filter((r) => !is2017(r))];
    expect(await f1(new PartnerContrastDetector({ humanPairs: 0.5 }), fit2017, rest)).toBeLessThan(0.775);
    expect(
      await f1(new PartnerContrastDetector({ humanPairs: 0.5, balanceClasses: true }), fit2017, rest),
    ).toBeGreaterThan(0.785);
  });

  it("with targetSignals ['near_repeat_mean'], ranks the 2017 bots better when fitted on ConvAI2, and the reverse no worse", async () => {
    const rows = await readTranscriptsJsonl(resolve(CONVAI_DIR, 'train.jsonl'), { fields: ['source'] });
    const is2017 = (r: (typeof rows)[number]) => r.fields?.['source'] === 'convai1-2017';
    const aurocOn = async (d: PartnerContrastDetector, fitOn: typeof rows, testOn: typeof rows) => {
      await d.fit(fitOn);
      const got = await d.detectBatch(testOn);
      const scored = got.flatMap((x, i) => (x.score === null ? [] : [[x.score, testOn[i]!.label] as const]));
      return (
        auroc(
          scored.map(([s]) => s),
          scored.map(([, l]) => l),
        ) ?? Number.NaN
      );
    };
    const options = { humanPairs: 0.5, balanceClasses: true } as const;
    // Measured (ConvAI2 -> 2017; 2017 -> ConvAI2): 0.951 -> 0.971 and 0.954 -> 0.954 (F1 0.777 -> 0.813 and
    // 0.812 -> 0.828).
    for (const [fitOn, testOn, gain] of [
      [rows.filter((r) => !is2017(r)), rows.filter(is2017), 0.01],
      [rows.filter(is2017), rows.filter((r) => !is2017(r)), -0.005],
    ] as const) {
      const plain = await aurocOn(new PartnerContrastDetector(options), fitOn, testOn);
      const own = await aurocOn(
        new PartnerContrastDetector({ ...options, targetSignals: ['near_repeat_mean'] }),
        fitOn,
        testOn,
      );
      expect(own).toBeGreaterThan(plain + gain);
    }
  });
});
