import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../src/core/detection.js';
import type { Detection, DetectOptions, Detector, DetectorState } from '../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../src/core/transcript.js';
import { targetMessages, validateTranscript } from '../src/core/validate.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import type { EnsembleStrategy } from '../src/ensemble/types.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import {
  assertDetectorConformance,
  type ConformanceReport,
  runDetectorConformance,
} from '../src/testing/index.js';

/**
 * Judges reply timing: P(bot) falls as the target's median gap between messages grows past a cutoff that
 * fit() learns. Abstains when the target's messages have fewer than two timestamps.
 */
class TimingDetector implements Detector {
  readonly name = 'timing';
  cutoffMs = 5000;
  disposed = false;

  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, 'timing detect()');
    const v = validateTranscript(t);
    const gap = medianGap(v);
    if (gap === null)
      return abstained(this.name, 'The target has fewer than two timestamped messages.', started);
    const score = 1 / (1 + Math.exp((gap - this.cutoffMs) / 1000));
    return scored(
      this.name,
      score,
      0.5,
      [{ name: 'median_gap_ms', value: gap, sentence: `Median gap ${gap} ms.` }],
      started,
    );
  }

  async detectBatch(ts: Transcript[], opts: DetectOptions = {}): Promise<Detection[]> {
    AbortedError.throwIfAborted(opts.signal, 'timing detectBatch()');
    return Promise.all(ts.map((t) => this.detect(t, opts)));
  }

  async fit(examples: LabelledTranscript[], opts: DetectOptions = {}): Promise<void> {
    AbortedError.throwIfAborted(opts.signal, 'timing fit()');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const gaps = (label: string) =>
      examples.filter((e) => e.label === label).flatMap((e) => medianGap(validateTranscript(e)) ?? []);
    this.cutoffMs = (mean(gaps('bot')) + mean(gaps('human'))) / 2;
  }

  toJSON(): DetectorState {
    return { kind: 'test-timing', version: 1, cutoffMs: this.cutoffMs };
  }

  static fromJSON(s: DetectorState): TimingDetector {
    const d = new TimingDetector();
    d.cutoffMs = Number(s['cutoffMs']);
    return d;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function medianGap(v: ReturnType<typeof validateTranscript>): number | null {
  const times = targetMessages(v).flatMap((m) => (m.timeMs === undefined ? [] : [m.timeMs]));
  if (times.length < 2) return null;
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/** Judges the profile bio: long, salesy bios look like bots. Abstains without a bio. No fit. */
class BioDetector implements Detector {
  readonly name = 'bio';
  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, 'bio detect()');
    const v = validateTranscript(t);
    const bio = v.profile?.bio;
    if (!bio) return abstained(this.name, 'The target has no profile bio.', started);
    return scored(this.name, /assistant|24\/7|helpful/i.test(bio) ? 0.85 : 0.3, 0.5, [], started);
  }
  toJSON(): DetectorState {
    return { kind: 'test-bio', version: 1 };
  }
}

const resolve = (s: DetectorState): Detector => {
  if (s.kind === 'test-timing') return TimingDetector.fromJSON(s);
  if (s.kind === 'test-bio') return new BioDetector();
  if (s.kind === 'heuristic') return HeuristicDetector.fromJSON(s);
  throw new Error(`unknown member kind ${s.kind}`);
};

function convo(gapMs: number, bio?: string, label: 'bot' | 'human' = 'human', n = 4): LabelledTranscript {
  const messages = Array.from({ length: n }, (_, i) => [
    { speaker: 'a', text: `question ${i}?`, timestamp: 1_700_000_000_000 + i * 2 * gapMs },
    {
      speaker: 'u',
      text: i % 2 ? 'sure, sounds good' : 'Hello ! I am fine .',
      timestamp: 1_700_000_000_000 + (i * 2 + 1) * gapMs,
    },
  ]).flat();
  return { target: 'u', messages, label, ...(bio ? { profile: { bio } } : {}) };
}

const valid = convo(1500, 'Your helpful assistant, 24/7.');
const noInput: Transcript = {
  target: 'u',
  messages: [
    { speaker: 'a', text: 'hi' },
    { speaker: 'u', text: '   ' },
  ],
};
const fitExamples: LabelledTranscript[] = [
  ...Array.from({ length: 6 }, (_, i) =>
    convo(800 + i * 100, i % 2 ? 'helpful assistant' : undefined, 'bot'),
  ),
  ...Array.from({ length: 6 }, (_, i) =>
    convo(9000 + i * 1500, i % 2 ? 'dad, runner, coffee' : undefined, 'human'),
  ),
];

const failed = (r: ConformanceReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('runDetectorConformance on the Ensemble', () => {
  for (const strategy of ['weighted-mean', 'stacking', 'cascade'] as EnsembleStrategy[]) {
    it(`passes with strategy ${strategy}`, async () => {
      const r = await runDetectorConformance({
        create: () =>
          new Ensemble([new TimingDetector(), new BioDetector()], {
            strategy,
            // folds set how a learned combiner is fitted; weighted-mean learns none and refuses them
            ...(strategy !== 'weighted-mean' && { folds: 3 }),
          }),
        transcript: valid,
        abstainTranscript: noInput,
        fitExamples,
        fromJSON: (s) => Ensemble.fromJSON(s, { resolve }),
      });
      expect(failed(r)).toEqual([]);
      expect(r.passed).toBe(true);
      expect(r.detector).toBe('ensemble');
      // Every check ran: none skipped for the ensemble, which has detectBatch, toJSON and dispose.
      expect(r.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual([]);
      expect(r.checks.map((c) => c.name)).toEqual([
        'creates',
        'declares a supported contract version',
        'detects a valid transcript',
        'leaves its input unmodified',
        'abstains on missing input',
        'rejects malformed transcripts',
        'is deterministic',
        'detectBatch matches detect',
        'round-trips fitted state',
        'honours abort',
        'honours an abort mid-call',
        'streams',
        'disposes cleanly',
      ]);
    });
  }

  it('passes for the small members themselves, skipping what they do not implement', async () => {
    const r = await assertDetectorConformance({
      create: () => new BioDetector(),
      transcript: valid,
      abstainTranscript: noInput,
    });
    expect(r.checks.filter((c) => c.skipped).map((c) => c.name)).toEqual([
      'detectBatch matches detect',
      'round-trips fitted state', // has toJSON but no fromJSON was given
      'disposes cleanly',
    ]);
  });
});

describe('runDetectorConformance catches a broken detector', () => {
  /** Breaks every rule: no validation, 0.5 instead of abstaining, random, ignores abort, forgets its state. */
  class Broken implements Detector {
    readonly name = 'broken';
    private disposedOnce = false;
    cutoff = 1;
    async detect(t: Transcript): Promise<Detection> {
      const mine = t.messages.filter((m) => m.speaker === t.target);
      const score = mine.some((m) => m.timestamp !== undefined) ? Math.random() : 0.5;
      return {
        detector: this.name,
        score,
        label: score >= 0.5 ? 'bot' : 'human',
        evidence: [],
        elapsedMs: 0,
      };
    }
    async fit(): Promise<void> {
      this.cutoff = 2;
    }
    toJSON(): DetectorState {
      return { kind: 'broken', version: 1, cutoff: this.cutoff };
    }
    async dispose(): Promise<void> {
      if (this.disposedOnce) throw new Error('already disposed');
      this.disposedOnce = true;
    }
  }

  it('reports each broken rule with a message', async () => {
    const r = await runDetectorConformance({
      create: () => new Broken(),
      transcript: valid,
      abstainTranscript: noInput,
      fitExamples,
      fromJSON: () => new Broken(),
    });
    expect(r.passed).toBe(false);
    expect(failed(r)).toEqual([
      'abstains on missing input',
      'rejects malformed transcripts',
      'is deterministic',
      'round-trips fitted state', // random scores, and fromJSON forgets the fitted cutoff
      'honours abort',
      'streams', // random scores: the last push differs from detect()
      'disposes cleanly',
    ]);
    const msg = (name: string) => r.checks.find((c) => c.name === name)!.message;
    expect(msg('abstains on missing input')).toMatch(/score is 0.5; expected null/);
    expect(msg('rejects malformed transcripts')).toMatch(/null: rejected with TypeError/);
    expect(msg('rejects malformed transcripts')).toMatch(
      /timestamps going backwards: resolved instead of rejecting/,
    );
    expect(msg('honours abort')).toMatch(/detect\(\) resolved/);
    expect(msg('disposes cleanly')).toMatch(/second dispose\(\) threw: Error: already disposed/);
  });

  it('catches state that does not round-trip', async () => {
    const r = await runDetectorConformance({
      create: () => new TimingDetector(),
      transcript: valid,
      fitExamples,
      fromJSON: () => new TimingDetector(), // forgets the fitted cutoff
    });
    expect(failed(r)).toEqual(['round-trips fitted state']);
    expect(r.checks.find((c) => c.name === 'round-trips fitted state')!.message).toMatch(
      /scores differently/,
    );
  });

  it('fails a hung detector by timeout instead of hanging, and stops when create() fails', async () => {
    const hung: Detector = { name: 'hung', detect: () => new Promise<Detection>(() => {}) };
    const r = await runDetectorConformance({ create: () => hung, transcript: valid, timeoutMs: 20 });
    expect(r.checks.find((c) => c.name === 'detects a valid transcript')!.message).toMatch(
      /did not settle within 20 ms/,
    );
    const none = await runDetectorConformance({
      create: () => ({ name: '', detect: hung.detect }) as Detector,
      transcript: valid,
    });
    expect(none).toMatchObject({ detector: '?', passed: false, checks: [{ name: 'creates', ok: false }] });
  });

  it('assertDetectorConformance throws listing the failures', async () => {
    await expect(
      assertDetectorConformance({
        create: () => new Broken(),
        transcript: valid,
        abstainTranscript: noInput,
      }),
    ).rejects.toSatisfy(
      (e: unknown) =>
        BotlensError.isInstance(e) &&
        e.code === 'CONFORMANCE_FAILED' &&
        e.message.includes('Detector "broken" failed 6 conformance check(s)') &&
        e.message.includes('  - honours abort: '),
    );
  });
});

describe('runDetectorConformance on HeuristicDetector', () => {
  it('passes alone, fitted, with its fromJSON', async () => {
    await assertDetectorConformance({
      create: () => new HeuristicDetector(),
      transcript: valid,
      abstainTranscript: noInput,
      fitExamples,
      fromJSON: (s) => HeuristicDetector.fromJSON(s),
    });
  });

  it('passes inside a stacking ensemble with the timing detector', async () => {
    await assertDetectorConformance({
      create: () =>
        new Ensemble([new HeuristicDetector(), new TimingDetector()], { strategy: 'stacking', folds: 3 }),
      transcript: valid,
      abstainTranscript: noInput,
      fitExamples,
      fromJSON: (s) => Ensemble.fromJSON(s, { resolve }),
    });
  });
});

describe('runDetectorConformance: aborts mid-call and streams', () => {
  /** Keeps the contract, but `slowMs` per detect() and a stream as `makeStream` builds it. */
  function detector(opts: { slowMs?: number; stream?: Detector['stream'] }): Detector {
    return {
      name: 'careful',
      async detect(t: Transcript, o?: DetectOptions): Promise<Detection> {
        const v = validateTranscript(t);
        AbortedError.throwIfAborted(o?.signal, 'careful detect()');
        if (opts.slowMs) await new Promise((r) => setTimeout(r, opts.slowMs)); // ignores its signal meanwhile
        const score = Math.min(1, v.messages.length / 10);
        return {
          detector: 'careful',
          score,
          label: score >= 0.5 ? 'bot' : 'human',
          evidence: [],
          elapsedMs: 0,
        };
      },
      ...(opts.stream && { stream: opts.stream }),
    };
  }

  it('fails a detector that ignores an abort mid-call, after the grace period it names', async () => {
    const r = await runDetectorConformance({
      create: () => detector({ slowMs: 600 }),
      transcript: valid,
      abortGraceMs: 200,
    });
    expect(failed(r)).toEqual(['honours an abort mid-call']);
    expect(r.checks.find((c) => c.name === 'honours an abort mid-call')!.message).toMatch(
      /had not settled 200 ms \(the grace period, abortGraceMs\)/,
    );
  });

  it('passes the same detector when it honours the abort, and checks the recomputing stream', async () => {
    const r = await runDetectorConformance({ create: () => detector({}), transcript: valid });
    expect(failed(r)).toEqual([]);
    expect(r.checks.find((c) => c.name === 'streams')!.message).toMatch(
      /openStream \(no stream\(\) of its own\)/,
    );
  });

  it('fails a detector whose stream().push() always throws', async () => {
    const r = await runDetectorConformance({
      create: () =>
        detector({
          stream: () => ({
            push: () => Promise.reject(new Error('push is broken')),
            detection: () => undefined,
          }),
        }),
      transcript: valid,
    });
    expect(failed(r)).toEqual(['streams']);
    expect(r.checks.find((c) => c.name === 'streams')!.message).toMatch(/push is broken/);
  });
});
