import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../src/core/detection.js';
import type { Detection, DetectOptions, Detector } from '../src/core/detector.js';
import type { Transcript, ValidTranscript } from '../src/core/transcript.js';
import { validateTranscript } from '../src/core/validate.js';
import { HeuristicDetector } from '../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../src/ensemble/ensemble.js';
import { isMemberFailure } from '../src/ensemble/run-members.js';
import type { EnsembleResult } from '../src/ensemble/types.js';
import { AbortedError } from '../src/errors/aborted-error.js';
import { BotlensError } from '../src/errors/botlens-error.js';
import { InvalidOptionsError } from '../src/errors/invalid-options-error.js';
import { InvalidTranscriptError } from '../src/errors/invalid-transcript-error.js';
import { logit, sigmoid } from '../src/numeric/logistic-regression.js';
import { chat } from './helpers/transcripts.js';

/**
 * A real Detector whose score is a function of the validated transcript (`null` = abstain). It records what
 * it was given, so tests can check what the ensemble passed on.
 */
class Scripted implements Detector {
  readonly seen: ValidTranscript[] = [];
  readonly batchSizes: number[] = [];
  disposed = 0;
  detectBatch?: (ts: Transcript[], opts?: DetectOptions) => Promise<Detection[]>;

  constructor(
    readonly name: string,
    private readonly fn: (v: ValidTranscript) => number | null,
    options: { batch?: boolean } = {},
  ) {
    if (options.batch) {
      this.detectBatch = async (ts, opts) => {
        this.batchSizes.push(ts.length);
        const out: Detection[] = [];
        for (const t of ts) out.push(await this.detect(t, opts));
        return out;
      };
    }
  }

  async detect(t: Transcript, opts: DetectOptions = {}): Promise<Detection> {
    const started = nowMs();
    AbortedError.throwIfAborted(opts.signal, this.name);
    const v = validateTranscript(t);
    this.seen.push(v);
    const p = this.fn(v);
    if (p === null)
      return abstained(this.name, `"${this.name}" needs timestamps and there are none.`, started);
    return scored(this.name, p, 0.5, [], started);
  }

  async dispose(): Promise<void> {
    this.disposed++;
  }
}

const fixed = (name: string, p: number | null, options?: { batch?: boolean }) =>
  new Scripted(name, () => p, options);

class Throwing implements Detector {
  calls = 0;
  constructor(
    readonly name: string,
    private readonly err: unknown = new Error('model file missing'),
  ) {}
  async detect(): Promise<Detection> {
    this.calls++;
    throw this.err;
  }
}

const t = chat('u', ['a: hi there', 'u: Hello ! How are you ?']);

describe('Ensemble weighted-mean', () => {
  it('averages member log-odds by weight, leaving abstainers out (not as 0.5)', async () => {
    const ens = new Ensemble([fixed('a', 0.9), fixed('b', 0.2), fixed('quiet', null)], { weights: { a: 2 } });
    const r = await ens.detect(t);
    // (2 * logit(0.9) + 1 * logit(0.2)) / 3 = (2 * 2.197225 - 1.386294) / 3 = 3.008155 / 3 = 1.002718
    // sigmoid(1.002718) = 0.73159. Counting "quiet" as 0.5 (logit 0, weight 1) would give sigmoid(0.752) = 0.68.
    expect(r.score).toBeCloseTo(0.73159, 4);
    expect(r.score).toBeCloseTo(sigmoid((2 * logit(0.9) + logit(0.2)) / 3), 12);
    expect(r.label).toBe('bot');
    expect(r.strategy).toBe('weighted-mean');
    expect(r.ran).toEqual(['a', 'b', 'quiet']);
    expect(r.skipped).toEqual([]);
    expect(r.members.map((m) => (isMemberFailure(m) ? 'error' : m.score))).toEqual([0.9, 0.2, null]);
    // Contributions add up to the combined log-odds: 2 * 2.197225 / 3 = 1.46482 and -1.386294 / 3 = -0.46210.
    expect(r.evidence.map((e) => e.contribution)).toEqual([
      expect.closeTo(1.46482, 4),
      expect.closeTo(-0.4621, 4),
      undefined,
    ]);
    expect(r.explanation[0]).toMatch(/^Bot: P\(bot\) = 0\.732 from the weighted mean of 2 members' log-odds/);
    expect(r.explanation).toContain('"a" gave P(bot) = 0.900, weight 2: +1.46 log-odds (toward bot).');
    expect(r.explanation.some((s) => s.startsWith('"quiet" abstained: "quiet" needs timestamps'))).toBe(true);
  });

  it('validates the transcript once and hands members the frozen copy', async () => {
    const a = fixed('a', 0.7);
    const b = fixed('b', 0.7);
    await new Ensemble([a, b]).detect(t);
    expect(a.seen[0]).toBe(b.seen[0]);
    expect(Object.isFrozen(a.seen[0])).toBe(true);
    expect(a.seen[0]).not.toBe(t);
  });

  it('abstains when every member abstains', async () => {
    const r = await new Ensemble([fixed('a', null), fixed('b', null)]).detect(t);
    expect(r.score).toBeNull();
    expect(r.label).toBeNull();
    expect(r.evidence[0]).toMatchObject({ name: 'abstained', value: null });
    expect(r.explanation[0]).toMatch(/ensemble abstains/);
  });

  it('keeps a throwing member as data and combines the rest', async () => {
    const r = await new Ensemble([fixed('a', 0.8), new Throwing('broken')], { threshold: 0.6 }).detect(t);
    expect(r.score).toBeCloseTo(0.8, 12); // only "a" combined: sigmoid(logit(0.8)) = 0.8
    expect(r.label).toBe('bot');
    const failure = r.members[1]!;
    expect(isMemberFailure(failure) && failure.error).toEqual({
      name: 'Error',
      message: 'model file missing',
    });
    expect(r.explanation).toContain(
      '"broken" failed (Error: model file missing) and was treated as missing.',
    );
  });

  it("quotes a failed member's multi-line error on one line: the issues, not just 'Invalid transcript:'", async () => {
    const invalid = new InvalidTranscriptError([
      { path: 'messages[1].text', message: 'must not be empty' },
      { path: 'target', message: 'names no speaker' },
    ]);
    const r = await new Ensemble([fixed('a', 0.8), new Throwing('strict', invalid)]).detect(t);
    expect(r.explanation).toContain(
      '"strict" failed (InvalidTranscriptError: Invalid transcript: messages[1].text: must not be empty; target: names no speaker) and was treated as missing.',
    );
    // A long message is cut, saying where the whole of it is.
    const long = await new Ensemble([
      fixed('a', 0.8),
      new Throwing('chatty', new Error('x'.repeat(1000))),
    ]).detect(t);
    const line = long.explanation.find((l) => l.startsWith('"chatty"'))!;
    expect(line.length).toBeLessThan(400);
    expect(line).toMatch(
      /x… \(the whole message is in its members entry's error\)\) and was treated as missing\.$/,
    );
  });

  it('reports the code of a failing botlens error, and rejects when every member fails', async () => {
    const r = await new Ensemble([
      fixed('a', 0.3),
      new Throwing('zoo', new BotlensError('MODEL_LOAD', 'no model.onnx')),
    ]).detect(t);
    const f = r.members[1]!;
    expect(isMemberFailure(f) && f.error).toEqual({
      name: 'BotlensError',
      code: 'MODEL_LOAD',
      message: 'no model.onnx',
    });
    const all = new Ensemble([new Throwing('x'), new Throwing('y')]);
    await expect(all.detect(t)).rejects.toSatisfy(
      (e: unknown) => BotlensError.isInstance(e) && e.code === 'ALL_MEMBERS_FAILED',
    );
  });

  it('treats a member that breaks the contract (score outside [0, 1]) as failed', async () => {
    const liar: Detector = {
      name: 'liar',
      detect: async () => ({ detector: 'liar', score: 7, label: 'bot', evidence: [], elapsedMs: 0 }),
    };
    const r = await new Ensemble([fixed('a', 0.3), liar]).detect(t);
    expect(r.score).toBeCloseTo(0.3, 12);
    const f = r.members[1]!;
    expect(isMemberFailure(f) && f.error.code).toBe('BAD_DETECTION');
  });

  describe('a member whose detection breaks the contract in another field', () => {
    const good = { detector: 'odd', score: 0.9, label: 'bot', evidence: [], elapsedMs: 1 };
    const broken: [string, Record<string, unknown>, string][] = [
      ['no evidence', { evidence: undefined }, 'its evidence is undefined'],
      ['evidence not an array', { evidence: 'none' }, 'its evidence is "none"'],
      ['an evidence entry without a name', { evidence: [{ sentence: 's' }] }, 'its evidence[0].name'],
      ['a label that is not bot or human', { label: 'robot' }, 'its label is "robot"'],
      ['a label with an abstention', { score: null, label: 'bot' }, 'its label is "bot" with score null'],
      ['a detector that is not a string', { detector: 3 }, 'its detector is 3'],
      ['no elapsedMs', { elapsedMs: undefined }, 'its elapsedMs is undefined'],
      ['a bad support', { support: { targetMessages: -1 } }, 'its support is'],
    ];
    const odd = (fields: Record<string, unknown>): Detector => {
      const d = { ...good, ...fields };
      const detect = async () => d as unknown as Detection;
      return {
        name: 'odd',
        detect,
        detectBatch: async (ts: Transcript[]) => Promise.all(ts.map(detect)),
        stream: () => ({ push: detect, detection: () => undefined }),
      };
    };
    for (const strategy of ['weighted-mean', 'cascade'] as const) {
      it.each(broken)(`${strategy}: %s is a failed member, not a crash`, async (_, fields, says) => {
        const ens = new Ensemble([odd(fields), new HeuristicDetector()], { strategy });
        const one = await ens.detect(t);
        const batch = await ens.detectBatch([t, t]);
        const live = ens.stream({ target: t.target! });
        let streamed: EnsembleResult | undefined;
        for (const m of t.messages) streamed = (await live.push(m)) as EnsembleResult;
        for (const r of [one, ...batch, streamed!]) {
          const f = r.members[0]!;
          expect(isMemberFailure(f) && f.error.code).toBe('BAD_DETECTION');
          expect(isMemberFailure(f) && f.error.message).toContain(`Member "odd" returned a detection`);
          expect(isMemberFailure(f) && f.error.message).toContain(says);
          expect(r.score).toBe(one.score);
          expect(r.explanation.length).toBeGreaterThan(0);
        }
      });
    }
  });

  it('propagates InvalidTranscriptError before calling any member', async () => {
    const a = fixed('a', 0.5);
    await expect(new Ensemble([a]).detect({ messages: [] })).rejects.toSatisfy(
      InvalidTranscriptError.isInstance,
    );
    expect(a.seen).toHaveLength(0);
  });

  it('propagates AbortedError, from the signal or from a member', async () => {
    const ac = new AbortController();
    ac.abort();
    const a = fixed('a', 0.5);
    await expect(new Ensemble([a]).detect(t, { signal: ac.signal })).rejects.toSatisfy(
      AbortedError.isInstance,
    );
    expect(a.seen).toHaveLength(0);
    const aborting = new Throwing('aborting', new AbortedError('inner work'));
    await expect(new Ensemble([fixed('b', 0.5), aborting]).detect(t)).rejects.toSatisfy(
      AbortedError.isInstance,
    );
  });

  it('runs detectBatch once per member that has one, matching detect', async () => {
    const a = fixed('a', 0.9, { batch: true });
    const b = new Scripted('b', (v) => (v.messages.length > 2 ? 0.1 : 0.6));
    const ens = new Ensemble([a, b]);
    const longer: Transcript = { ...t, messages: [...t.messages, { speaker: 'u', text: 'ok' }] };
    const batch = await ens.detectBatch([t, longer, t]);
    expect(a.batchSizes).toEqual([3]);
    expect(b.seen).toHaveLength(3);
    const single = await Promise.all([t, longer, t].map((x) => ens.detect(x)));
    expect(batch.map((r) => r.score)).toEqual(single.map((r) => r.score));
    expect(batch[1]!.score).toBeCloseTo(sigmoid((logit(0.9) + logit(0.1)) / 2), 12);
  });

  it('names the bad transcript of a batch', async () => {
    await expect(
      new Ensemble([fixed('a', 0.5)]).detectBatch([t, { messages: [{ speaker: '', text: 'x' }] }]),
    ).rejects.toSatisfy(
      (e: unknown) =>
        InvalidTranscriptError.isInstance(e) && e.issues[0]!.path === 'transcripts[1].messages[0].speaker',
    );
  });

  it('disposes members once; a second dispose is a no-op and later use fails clearly', async () => {
    const a = fixed('a', 0.5);
    const b = fixed('b', 0.5);
    const ens = new Ensemble([a, b]);
    await ens.dispose();
    await ens.dispose();
    expect([a.disposed, b.disposed]).toEqual([1, 1]);
    await expect(ens.detect(t)).rejects.toSatisfy(
      (e: unknown) => BotlensError.isInstance(e) && e.code === 'DISPOSED',
    );
  });

  it('rejects bad options with InvalidOptionsError naming the option', () => {
    const bad = (f: () => unknown, option: string) => {
      try {
        f();
      } catch (e) {
        expect(InvalidOptionsError.isInstance(e) && e.option).toBe(option);
        return;
      }
      throw new Error(`expected InvalidOptionsError for ${option}`);
    };
    bad(() => new Ensemble([]), 'detectors');
    bad(() => new Ensemble([fixed('a', 1), fixed('a', 0)]), 'detectors');
    // The one rule and wording of createEnsemble and the CLI's start-up check (refuseDuplicateNames).
    expect(() => new Ensemble([fixed('a', 1), fixed('b', 0), fixed('a', 0)])).toThrow(
      'Invalid option "detectors": two detectors are named "a": give one a different "name"',
    );
    bad(() => new Ensemble([fixed('a', 1)], { strategy: 'vote' as 'cascade' }), 'strategy');
    bad(() => new Ensemble([fixed('a', 1)], { weights: { b: 1 } }), 'weights');
    bad(() => new Ensemble([fixed('a', 1)], { weights: { a: -1 } }), 'weights');
    bad(() => new Ensemble([fixed('a', 1)], { weights: { a: 0 } }), 'weights');
    bad(() => new Ensemble([fixed('a', 1)], { threshold: 1.5 }), 'threshold');
    bad(() => new Ensemble([fixed('a', 1)], { costs: { z: 1 } }), 'costs');
    bad(() => new Ensemble([fixed('a', 1)], { margin: 0 }), 'margin');
    bad(() => new Ensemble([fixed('a', 1)], { folds: 1 }), 'folds');
  });
});

describe('Ensemble cascade', () => {
  it('runs cheapest first and stops once confident, listing what ran and what was skipped', async () => {
    const cheap = fixed('cheap', 0.95);
    const mid = fixed('mid', 0.5);
    const dear = fixed('dear', 0.1);
    const ens = new Ensemble([dear, mid, cheap], {
      strategy: 'cascade',
      costs: { dear: 10, mid: 2, cheap: 1 },
    });
    expect(ens.runOrder).toEqual(['cheap', 'mid', 'dear']);
    const r = await ens.detect(t);
    // logit(0.95) = 2.944 >= ln 9 = 2.197 from logit(0.5) = 0: confident after one member.
    expect(r.ran).toEqual(['cheap']);
    expect(r.skipped).toEqual(['mid', 'dear']);
    expect(r.score).toBeCloseTo(0.95, 12);
    expect(mid.seen).toHaveLength(0);
    expect(dear.seen).toHaveLength(0);
    expect(r.explanation).toContain('"dear" was skipped: the cascade was already confident.');
    expect(r.explanation.some((s) => s.startsWith('The cascade stopped after 1 of 3 members'))).toBe(true);
  });

  it('keeps going while unsure, on the running weighted mean of log-odds', async () => {
    const ens = new Ensemble([fixed('a', 0.8), fixed('b', 0.6), fixed('c', 0.99)], { strategy: 'cascade' });
    const r = await ens.detect(t);
    // After a: logit(0.8) = 1.386 < 2.197. After b: (1.386 + 0.405) / 2 = 0.896 < 2.197.
    // After c: (1.386 + 0.405 + 4.595) / 3 = 2.129 < 2.197, so all three ran; P = sigmoid(2.129) = 0.8937.
    expect(r.ran).toEqual(['a', 'b', 'c']);
    expect(r.skipped).toEqual([]);
    expect(r.score).toBeCloseTo(sigmoid((logit(0.8) + logit(0.6) + logit(0.99)) / 3), 12);
  });

  it('measures confidence from the threshold and skips past abstainers', async () => {
    // Threshold 0.8: stop when |logit(p) - logit(0.8)| >= ln 9, i.e. p >= 0.973 or p <= 0.308.
    const ens = new Ensemble([fixed('none', null), fixed('low', 0.3), fixed('never', 0.99)], {
      strategy: 'cascade',
      threshold: 0.8,
    });
    const r = await ens.detect(t);
    expect(r.ran).toEqual(['none', 'low']);
    expect(r.skipped).toEqual(['never']);
    expect(r.label).toBe('human');
  });

  it('sends each stage of a batch only the transcripts still undecided', async () => {
    const first = new Scripted('first', (v) => (v.messages.length > 2 ? 0.99 : 0.6), { batch: true });
    const second = fixed('second', 0.7, { batch: true });
    const ens = new Ensemble([first, second], { strategy: 'cascade' });
    const longer: Transcript = { ...t, messages: [...t.messages, { speaker: 'u', text: 'ok' }] };
    const rs = await ens.detectBatch([t, longer, t, longer]);
    expect(first.batchSizes).toEqual([4]);
    expect(second.batchSizes).toEqual([2]);
    expect(rs.map((r) => r.ran.length)).toEqual([2, 1, 2, 1]);
  });
});
