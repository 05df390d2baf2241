import { describe, expect, it } from 'vitest';
import type { Detection, DetectOptions, Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { isMemberFailure } from '../../src/ensemble/run-members.js';
import { chat } from '../helpers/transcripts.js';
import { validDetection } from '../helpers/valid-detection.js';

const t = chat('b', ['a: hi there', 'b: Hello ! How are you ?', 'a: fine', 'b: Great ! Me too .']);
const t2 = chat('b', ['a: weather?', 'b: It is sunny today .']);

const valid = validDetection;

/** A user's member: `detect` answers `answer`, `detectBatch` (when given) answers `batch`. */
function member(
  name: string,
  answer: () => unknown,
  batch?: (ts: Transcript[]) => unknown,
): Detector & { detectCalls: number } {
  const m = {
    name,
    detectCalls: 0,
    async detect(x: Transcript, _opts?: DetectOptions): Promise<Detection> {
      validateTranscript(x);
      m.detectCalls++;
      return answer() as Detection;
    },
    ...(batch && {
      async detectBatch(ts: Transcript[]): Promise<Detection[]> {
        return batch(ts) as Detection[];
      },
    }),
  };
  return m;
}

describe('Ensemble.detect with a member that ignores its signal', () => {
  it('rejects with AbortedError at the abort, and dispose() still waits for the member', async () => {
    let finished = 0;
    const slow: Detector = {
      name: 'deaf',
      async detect(x: Transcript): Promise<Detection> {
        validateTranscript(x);
        await new Promise((r) => setTimeout(r, 1500));
        finished = performance.now();
        // Rejects after the abort: must not surface as an unhandled rejection.
        throw new Error('deaf member gave up');
      },
    };
    const e = new Ensemble([slow], { strategy: 'weighted-mean' });
    const started = performance.now();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(e.detect(t, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    const took = performance.now() - started;
    expect(took).toBeLessThan(1000);
    await e.dispose();
    expect(finished).toBeGreaterThan(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
  });
});

describe('a member whose detectBatch() breaks the contract', () => {
  it('reports NaN results as BAD_DETECTION naming the member, without re-running detect()', async () => {
    const m = member(
      'nan-batch',
      () => valid('nan-batch', 0.7),
      (ts) => ts.map(() => ({ ...valid('nan-batch', 0.5), score: Number.NaN })),
    );
    const other = member('fine', () => valid('fine', 0.2));
    const e = new Ensemble([m, other], { strategy: 'weighted-mean' });
    const [r] = await e.detectBatch([t, t2]);
    expect(m.detectCalls).toBe(0);
    const outcome = r!.members.find((o) => o.detector === 'nan-batch')!;
    expect(isMemberFailure(outcome)).toBe(true);
    if (!isMemberFailure(outcome)) return;
    expect(outcome.error.code).toBe('BAD_DETECTION');
    expect(outcome.error.message).toMatch(/"nan-batch".*score is NaN.*detectBatch\(\)/);
  });

  it('reports too few results as BAD_DETECTION for every transcript', async () => {
    const m = member(
      'short-batch',
      () => valid('short-batch', 0.7),
      () => [valid('short-batch', 0.7)],
    );
    const other = member('fine', () => valid('fine', 0.2));
    const e = new Ensemble([m, other], { strategy: 'weighted-mean' });
    const rs = await e.detectBatch([t, t2]);
    expect(m.detectCalls).toBe(0);
    for (const r of rs) {
      const outcome = r.members.find((o) => o.detector === 'short-batch')!;
      expect(isMemberFailure(outcome) && outcome.error.code).toBe('BAD_DETECTION');
      expect(isMemberFailure(outcome) && outcome.error.message).toMatch(/1 results for 2 transcripts/);
    }
  });
});

describe('member names', () => {
  it('refuses a member named ""', () => {
    expect(() => new Ensemble([member('', () => valid('', 0.5))], { strategy: 'weighted-mean' })).toThrow(
      /non-empty name/,
    );
  });

  it('reports a member whose result names another detector as BAD_DETECTION', async () => {
    const impostor = member('me', () => valid('someone-else', 0.9));
    const other = member('fine', () => valid('fine', 0.2));
    const r = await new Ensemble([impostor, other], { strategy: 'weighted-mean' }).detect(t);
    const outcome = r.members.find((o) => o.detector === 'me')!;
    expect(isMemberFailure(outcome) && outcome.error.code).toBe('BAD_DETECTION');
    expect(r.score).toBe(0.2);
  });
});

describe('a saved ensemble with a member that has no toJSON()', () => {
  it('fails to load through detectorFromState with a message naming the member and what to do', async () => {
    const { detectorFromState } = await import('../../src/detectors/registry.js');
    const { HeuristicDetector } = await import('../../src/detectors/heuristic/heuristic-detector.js');
    const e = new Ensemble([new HeuristicDetector(), member('stateless', () => valid('stateless', 0.5))], {
      strategy: 'weighted-mean',
    });
    const state = JSON.parse(JSON.stringify(e.toJSON()));
    await expect(detectorFromState(state)).rejects.toThrow(
      /member "stateless" was saved without its state.*Ensemble\.fromJSON\(state, \{ resolve \}\)/,
    );
  });
});
