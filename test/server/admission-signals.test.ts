import { describe, expect, it } from 'vitest';
import { scored } from '../../src/core/detection.js';
import type { DetectOptions, Detector } from '../../src/core/detector.js';
import type { Transcript } from '../../src/core/transcript.js';
import { sample, startServer } from './start-server.js';

/**
 * Records the signal of each detection (the warm-up's too); `slowMs` makes a detection of `slow` messages wait
 * that long, ignoring its signal; `listen` adds an abort listener, never removed, on the signals it is given.
 */
function recorder(opts: { slowMs?: number; listen?: boolean } = {}) {
  const signals: AbortSignal[] = [];
  const heard: unknown[] = [];
  const detector: Detector = {
    name: 'recorder',
    async detect(t: Transcript, o?: DetectOptions) {
      if (t.messages.length > 2 && o?.signal) {
        signals.push(o.signal);
        if (opts.listen) o.signal.addEventListener('abort', () => heard.push(o.signal?.reason));
        if (opts.slowMs && t.messages.length > 4) await new Promise((r) => setTimeout(r, opts.slowMs));
      }
      return scored('recorder', 0.5, 0.5, [], performance.now());
    },
  };
  return { detector, signals, heard };
}

const slowSample: Transcript = { ...sample, messages: [...sample.messages, ...sample.messages] };

describe('request signals', () => {
  it('hands a later request the signal of an answered one that nothing used', async () => {
    const r = recorder();
    const { post } = await startServer(r.detector);
    for (let i = 0; i < 3; i++) expect((await post('/v1/detect', sample)).status).toBe(200);
    expect(r.signals).toHaveLength(3);
    expect(r.signals.every((s) => !s.aborted)).toBe(true);
    expect(new Set(r.signals).size).toBeLessThan(3);
  });

  it('never reuses a signal a detector still listens to, nor one that aborted', async () => {
    const r = recorder({ slowMs: 1000, listen: true });
    const { post } = await startServer(r.detector, { timeoutMs: 300 });
    expect((await post('/v1/detect', sample)).status).toBe(200);
    expect((await post('/v1/detect', slowSample)).status).toBe(503); // its deadline aborts its signal
    expect((await post('/v1/detect', sample)).status).toBe(200);
    const [first, late, last] = r.signals;
    expect(new Set([first, late, last]).size).toBe(3);
    // the listener left on the first request's signal never heard the second one's deadline
    expect(first!.aborted).toBe(false);
    expect(last!.aborted).toBe(false);
    expect(late!.aborted).toBe(true);
    expect(r.heard).toHaveLength(1);
    expect(String(r.heard[0])).toMatch(/deadline|timed out|300 ms/i);
  });
});
