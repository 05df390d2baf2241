import { describe, expect, it } from 'vitest';
import type { Detection, Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { createServer } from '../../src/server/app.js';
import { validDetection } from '../helpers/valid-detection.js';
import { sample, startServer } from './start-server.js';

/**
 * A member whose first call takes `loadMs` (a model loading), then answers at once (or fails, with `failAfterLoad`).
 * `calls` counts its detect() calls.
 */
function slowLoader(name: string, loadMs: number, failAfterLoad = false) {
  const state = { calls: 0 };
  let loaded: Promise<void> | undefined;
  const d: Detector = {
    name,
    async detect(x: Transcript): Promise<Detection> {
      validateTranscript(x);
      state.calls++;
      loaded ??= new Promise((r) => setTimeout(r, loadMs));
      await loaded;
      if (failAfterLoad) throw new Error(`${name}: the model file is corrupt`);
      return validDetection(name, 0.7);
    },
  };
  return { d, state };
}

async function until(check: () => boolean, withinMs: number): Promise<void> {
  const by = performance.now() + withinMs;
  while (!check()) {
    if (performance.now() > by) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the warm-up bounds optional members by timeoutMs', () => {
  it('is ready at the bound, lists the late member as degraded, keeps running it, and clears it once it answers', async () => {
    const { d, state } = slowLoader('slow', 3000);
    const ens = new Ensemble([new HeuristicDetector(), d], { strategy: 'weighted-mean' });
    const started = performance.now();
    const { s, base, post } = await startServer(ens, { optionalMembers: ['slow'], timeoutMs: 500 });
    // Before: ready only once the member answered its warm-up, ~3 s.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(s.degraded()).toEqual([
      {
        detector: 'slow',
        timedOut: true,
        error: expect.stringMatching(/"slow" did not answer within 500 ms/),
      },
    ]);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      degraded: [{ detector: 'slow', error: expect.stringContaining('did not answer within 500 ms') }],
    });

    // Not dropped: a request still runs it, and one it holds past timeoutMs is a 503, not an answer without it.
    const held = await post('/v1/detect', sample);
    expect(held.status).toBe(503);
    expect(state.calls).toBe(2);

    // Once its warm-up answers, it is taken off the list and answers are whole.
    await until(() => s.degraded().length === 0, 5000);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' });
    const whole = await post('/v1/detect', sample);
    expect(whole.status).toBe(200);
    const r = (await whole.json()) as EnsembleResult;
    expect(r.members.map((m) => [m.detector, 'error' in m])).toEqual([
      ['heuristic', false],
      ['slow', false],
    ]);
  }, 20_000);

  it('puts the real error in place of the timeout when the late member fails', async () => {
    const { d } = slowLoader('broken', 1500, true);
    const ens = new Ensemble([new HeuristicDetector(), d], { strategy: 'weighted-mean' });
    const { s } = await startServer(ens, { optionalMembers: ['broken'], timeoutMs: 400 });
    expect(s.degraded().map((m) => m.timedOut)).toEqual([true]);
    await until(() => s.degraded()[0]?.timedOut === false, 5000);
    expect(s.degraded()).toEqual([
      { detector: 'broken', timedOut: false, error: 'broken: the model file is corrupt' },
    ]);
  }, 20_000);

  it('waits for a required member as long as it takes', async () => {
    const { d } = slowLoader('needed', 1200);
    const ens = new Ensemble([new HeuristicDetector(), d], { strategy: 'weighted-mean' });
    const s = await createServer(ens, { timeoutMs: 300 });
    const started = performance.now();
    await s.ready;
    expect(performance.now() - started).toBeGreaterThanOrEqual(1100);
    expect(s.degraded()).toEqual([]);
    await s.app.close();
  }, 20_000);
});
