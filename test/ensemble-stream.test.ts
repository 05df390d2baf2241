import { describe, expect, it } from 'vitest';
import { nowMs, scored, withEvidenceOnRead } from '../src/core/detection.js';
import type { Detection, DetectionStream, Detector } from '../src/core/detector.js';
import type { Label, LabelledTranscript, Message, Transcript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { readTranscriptsJsonl } from '../src/data/read-transcripts.js';
import { EmbeddingCentroidDetector } from '../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../src/ensemble/types.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { HashingEmbedder } from '../src/runtime/hashing-embedder.js';
import { CONVAI_DIR, HAS_SHARED, SHARED_SKIP_REASON } from './helpers/shared.js';

/** Scores by the share of the target's messages that end with a space before punctuation (" ?", " ."). */
class SpacedPunctuation implements Detector {
  readonly name: string = 'spaced';
  calls = 0;
  async detect(t: Transcript): Promise<Detection> {
    const started = nowMs();
    this.calls++;
    const v = validateTranscript(t);
    const mine = v.messages.filter((m) => m.speaker === v.target);
    const hits = mine.filter((m) => / [?.!]$/.test(m.text)).length;
    return scored(this.name, (hits + 0.5) / (mine.length + 1), 0.5, [], started);
  }
}

const BOT = [
  'Hello ! How are you today ?',
  "i 'm a teacher . do you have any pets ?",
  'I love to read books .',
];
const HUMAN = ['hey whats up', 'lol yeah, long day', 'my sister has two cats and they hate me haha'];

function chat(i: number, label: Label, turns = 6): LabelledTranscript {
  const pool = label === 'bot' ? BOT : HUMAN;
  const messages = Array.from({ length: turns }, (_, k) =>
    k % 2 === 0
      ? { speaker: 'other', text: `question ${k} for ${i}?` }
      : { speaker: 'u', text: `${pool[(i + k) % pool.length]!}${k > 3 ? ` (${i})` : ''}` },
  );
  return { target: 'u', label, messages };
}

const DATA = Array.from({ length: 24 }, (_, i) => chat(i, i % 2 === 0 ? 'bot' : 'human', 4 + (i % 5) * 2));

/** What must agree between a streamed and a whole-transcript detection (everything but timing). */
function comparable(r: EnsembleResult) {
  return {
    score: r.score,
    label: r.label,
    support: r.support,
    ran: r.ran,
    skipped: r.skipped,
    explanation: r.explanation,
    members: r.members.map((m) => ('error' in m ? m.error : [m.detector, m.score, m.label])),
  };
}

/** `x` with every number rounded to 9 significant digits and timings dropped (streamed sums differ by ~1e-15). */
function rounded(x: unknown): unknown {
  return JSON.parse(
    JSON.stringify(x, (k, v: unknown) =>
      k === 'elapsedMs' ? undefined : typeof v === 'number' ? Number(v.toPrecision(9)) : v,
    ),
  );
}

async function pushAll(e: Ensemble, t: Transcript): Promise<EnsembleResult> {
  const live = e.stream({ target: t.target! });
  let last: Detection | undefined;
  for (const m of t.messages) last = await live.push(m);
  expect(live.detection()).toBe(last);
  return last as EnsembleResult;
}

describe('Ensemble.stream', () => {
  for (const strategy of ['weighted-mean', 'stacking', 'cascade'] as const) {
    it(`${strategy}: the detection after the last push equals detect() on the whole transcript`, async () => {
      const e = new Ensemble([new HeuristicDetector(), new SpacedPunctuation()], {
        strategy,
        ...(strategy === 'cascade' && { costs: { spaced: 0 } }),
      });
      if (strategy !== 'weighted-mean') await e.fit(DATA);
      for (const t of [DATA[0]!, DATA[3]!, chat(99, 'bot', 12)]) {
        const streamed = await pushAll(e, t);
        const whole = await e.detect(t);
        expect(comparable(streamed)).toEqual(comparable(whole));
      }
    });
  }

  it('reports the evidence it rests on after each push, counting only the target', async () => {
    const e = new Ensemble([new SpacedPunctuation()]);
    const live = e.stream({ target: 'u' });
    const a = (await live.push({ speaker: 'other', text: 'hi?' })) as EnsembleResult;
    expect(a.support).toEqual({ targetMessages: 0, targetCharacters: 0 });
    expect(a.score).toBeNull();
    expect(a.explanation[0]).toMatch(/not written yet/);
    const b = (await live.push({ speaker: 'u', text: 'Hello !' })) as EnsembleResult;
    expect(b.support).toEqual({ targetMessages: 1, targetCharacters: 7 });
    const c = (await live.push({ speaker: 'u', text: 'ok' })) as EnsembleResult;
    expect(c.support).toEqual({ targetMessages: 2, targetCharacters: 9 });
  });

  it('rejects a malformed message and keeps streaming afterwards', async () => {
    const e = new Ensemble([new SpacedPunctuation()]);
    const live = e.stream({ target: 'u' });
    await expect(live.push({ speaker: '', text: 'x' })).rejects.toThrow(/speaker/);
    const d = await live.push({ speaker: 'u', text: 'Hello !' });
    expect(d.score).not.toBeNull();
  });

  it('pushes at once through members that can push synchronously, with the same checks and failures as push()', async () => {
    const seen: string[] = [];
    /** A member whose stream offers pushNow() (scoring a message's length / 10) and whose push() must not run. */
    const member = (name: string, breaksOn?: string): Detector => ({
      name,
      detect: async () => scored(name, 0.5, 0.5, [], nowMs()),
      stream: () =>
        ({
          push: async () => {
            throw new Error('push() must not be called while pushNow() is available');
          },
          canPushNow: () => true,
          pushNow: (m: Message) => {
            seen.push(`${name}:${m.text}`);
            if (m.text === breaksOn) throw new Error('member broke');
            return scored(name, m.text.length / 10, 0.5, [], nowMs());
          },
          detection: () => undefined,
        }) as DetectionStream,
    });
    const live = new Ensemble([member('a', 'boom'), member('b')]).stream({ target: 'u' });
    const first = live.push({ speaker: 'u', text: 'Hello' });
    // Nothing to wait for: the push has run before its promise is awaited.
    expect(seen).toEqual(['a:Hello', 'b:Hello']);
    expect((await first).score).toBeCloseTo(0.5, 12);
    await expect(live.push({ speaker: '', text: 'x' })).rejects.toThrow(/speaker/);
    // A member that throws is kept as a failure for that push, as one whose push() rejects is.
    const broken = (await live.push({ speaker: 'u', text: 'boom' })) as EnsembleResult;
    expect(broken.members[0]).toMatchObject({ detector: 'a', error: { message: 'member broke' } });
    expect(broken.score).toBeCloseTo(0.4, 12);
    const aborted = new AbortController();
    aborted.abort();
    await expect(live.push({ speaker: 'u', text: 'late' }, { signal: aborted.signal })).rejects.toThrow(
      AbortedError,
    );
    // Member a missed 'boom': each later push opens its stream again and replays the kept messages into it
    // (Hello, boom) rather than judge a transcript without one; 'boom' breaks it again, so it is reported
    // failed again. The push cancelled before it began reached no member ('late' is never seen) and changed
    // nothing, so b is not replayed.
    const d = (await live.push({ speaker: 'u', text: 'ok' })) as EnsembleResult;
    expect(d.members[0]).toMatchObject({ detector: 'a', error: { message: 'member broke' } });
    expect(d.score).toBeCloseTo(0.2, 12);
    expect(d.support).toEqual({ targetMessages: 3, targetCharacters: 11 });
    expect(seen.filter((x) => x.startsWith('a:'))).toEqual(['a:Hello', 'a:boom', 'a:Hello', 'a:boom']);
    expect(seen.filter((x) => x.startsWith('b:'))).toEqual(['b:Hello', 'b:boom', 'b:ok']);
  });

  it('rejects a timestamp that goes backwards before any member sees it, as detect() does', async () => {
    // A member whose own stream takes every message unchecked: only the ensemble's check can stop it.
    const pushes: string[] = [];
    const member: Detector = {
      name: 'trusting',
      detect: async () => scored('trusting', 0.5, 0.5, [], nowMs()),
      stream: () => ({
        push: async (m) => {
          pushes.push(m.text);
          return scored('trusting', 0.5, 0.5, [], nowMs());
        },
        detection: () => undefined,
      }),
    };
    const live = new Ensemble([member]).stream({ target: 'u' });
    await live.push({ speaker: 'u', text: 'Hello !', timestamp: 2_000 });
    await expect(live.push({ speaker: 'o', text: 'hi', timestamp: 1_000 })).rejects.toThrow(
      /messages\[1\]\.timestamp.*goes backwards \(earlier than messages\[0\]\)/,
    );
    const d = await live.push({ speaker: 'u', text: 'ok', timestamp: 3_000 });
    expect(pushes).toEqual(['Hello !', 'ok']);
    expect(d.support).toEqual({ targetMessages: 2, targetCharacters: 9 });
  });

  it('leaves lazily written evidence unwritten until read, and its own evidence reads as plain data', async () => {
    let written = 0;
    /** Like SpacedPunctuation, but writes its evidence on first read and counts the writes. */
    class Lazy extends SpacedPunctuation {
      override readonly name = 'lazy';
      override async detect(t: Transcript): Promise<Detection> {
        const d = await super.detect(t);
        return withEvidenceOnRead(d, () => {
          written++;
          return [{ name: 'spaced_share', value: d.score, sentence: 'The share of spaced punctuation.' }];
        });
      }
    }
    for (const strategy of ['weighted-mean', 'stacking'] as const) {
      written = 0;
      const e = new Ensemble([new HeuristicDetector(), new Lazy()], { strategy });
      if (strategy === 'stacking') await e.fit(DATA);
      written = 0;
      const t = chat(7, 'bot', 10);
      const streamed = await pushAll(e, t);
      // Combining read no member's evidence (the stacking guard asks for neighbours: none are stated).
      expect(written).toBe(0);
      const whole = await e.detect(t);
      expect(written).toBe(0);
      // The ensemble's evidence and explanation are own enumerable properties: JSON and spreads see them.
      expect(Object.keys(streamed)).toEqual(Object.keys(whole));
      expect(Object.keys(streamed)).toEqual(expect.arrayContaining(['evidence', 'explanation', 'members']));
      const json = JSON.parse(JSON.stringify(streamed)) as EnsembleResult;
      expect(json.explanation).toEqual(whole.explanation);
      expect(json.evidence).toEqual(whole.evidence);
      expect({ ...streamed }.explanation).toEqual(whole.explanation);
      expect(json.members[1]!).toMatchObject({ evidence: [{ name: 'spaced_share' }] });
      // Assignable, like any other property.
      streamed.explanation = ['replaced'];
      expect(streamed.explanation).toEqual(['replaced']);
      expect(streamed.evidence).toEqual(whole.evidence);
    }
  });

  it('refuses to stream an unfitted stacking ensemble', () => {
    const e = new Ensemble([new SpacedPunctuation()], { strategy: 'stacking' });
    expect(() => e.stream({ target: 'u' })).toThrow(/fit/);
  });
});

describe('evidence-aware stacking', () => {
  it('learns a combiner with evidence terms, explains them, and saves and restores them', async () => {
    const e = new Ensemble([new HeuristicDetector(), new SpacedPunctuation()], {
      strategy: 'stacking',
      memberFeatures: false,
      memberPrefixCuts: [],
    });
    await e.fit(DATA);
    const state = e.toJSON();
    // Five per member and one for the amount of evidence (the message-length terms come with memberPrefixCuts,
    // [1] by default, here turned off).
    expect(state.combiner!.weights).toHaveLength(5 * 2 + 1);
    const r = await e.detect(DATA[1]!);
    expect(r.support).toEqual({ targetMessages: 3, targetCharacters: expect.any(Number) });
    expect(r.evidence.map((x) => x.name)).toContain('evidence_amount');
    expect(r.evidence.map((x) => x.name)).not.toContain('message_length');
    // The log-odds are the sum of the intercept, the members' shares and the evidence term.
    const sum = r.evidence.reduce((s, x) => s + (x.contribution ?? 0), 0);
    expect(Math.log(r.score! / (1 - r.score!))).toBeCloseTo(sum, 9);
    const back = await Ensemble.fromJSON(JSON.parse(JSON.stringify(state)), {
      resolve: (s) => (s.name === 'heuristic' ? HeuristicDetector.fromJSON(s) : new SpacedPunctuation()),
    });
    expect((await back.detect(DATA[1]!)).score).toBe(r.score);
  });

  it('still loads and applies state saved with two weights per member', async () => {
    const e = new Ensemble([new SpacedPunctuation()], { strategy: 'stacking' });
    await e.fit(DATA);
    const old = { ...e.toJSON(), combiner: { weights: [2, 0], intercept: -1 } };
    const back = await Ensemble.fromJSON(old, { resolve: () => new SpacedPunctuation() });
    const r = await back.detect(DATA[0]!);
    const p = (await new SpacedPunctuation().detect(DATA[0]!)).score!;
    expect(r.score).toBeCloseTo(1 / (1 + Math.exp(-(2 * Math.log(p / (1 - p)) - 1))), 12);
    expect(r.evidence.map((x) => x.name)).not.toContain('evidence_amount');
  });

  it('rejects state whose combiner size fits neither layout', async () => {
    const e = new Ensemble([new SpacedPunctuation()], { strategy: 'stacking' });
    await e.fit(DATA);
    const bad = { ...e.toJSON(), combiner: { weights: [1, 2, 3], intercept: 0 } };
    await expect(Ensemble.fromJSON(bad, { resolve: () => new SpacedPunctuation() })).rejects.toThrow(
      /expected 2 .*, 6 .* or 8 /,
    );
  });
});

describe('Ensemble.stream on fitted ConvAI transcripts (heuristic + hashing embedding)', () => {
  it.skipIf(!HAS_SHARED)(
    `ends on detect()'s detection, and keeps its detection on other speakers' messages${HAS_SHARED ? '' : ` (${SHARED_SKIP_REASON})`}`,
    async () => {
      const train = await readTranscriptsJsonl(`${CONVAI_DIR}/train.jsonl`);
      const dev = (await readTranscriptsJsonl(`${CONVAI_DIR}/dev.jsonl`)).slice(0, 8);
      const e = new Ensemble(
        [new HeuristicDetector(), new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() })],
        { strategy: 'stacking' },
      );
      await e.fit(train.slice(0, 300));
      for (const t of dev) {
        const live = e.stream({ target: t.target! });
        let last: EnsembleResult | undefined;
        for (const m of t.messages) {
          const before = live.detection();
          last = (await live.push(m)) as EnsembleResult;
          // Another speaker's message changes no member's detection: the ensemble's is kept as it was.
          if (m.speaker !== t.target && before) expect(last).toBe(before);
        }
        const whole = await e.detect(t);
        // The embedding member's stream sums in another order than its detect(): within 1e-12, same label.
        expect(Math.abs(last!.score! - whole.score!)).toBeLessThanOrEqual(1e-12);
        expect(last!.label).toBe(whole.label);
        expect(last!.support).toEqual(whole.support);
        expect(last!.members.map((m) => m.detector)).toEqual(whole.members.map((m) => m.detector));
        // The lazily written evidence and explanation say what detect()'s say, and survive JSON.
        const json = JSON.parse(JSON.stringify(last)) as EnsembleResult;
        expect(json.explanation).toEqual(whole.explanation);
        expect(rounded(json.evidence)).toEqual(rounded(whole.evidence));
        expect(rounded(json.members)).toEqual(rounded(JSON.parse(JSON.stringify(whole.members))));
        expect(json.members[1]!).toMatchObject({
          evidence: expect.arrayContaining([
            { name: 'nearest_examples', value: expect.any(Array), sentence: expect.any(String) },
          ]),
        });
      }
    },
    120_000,
  );
});
