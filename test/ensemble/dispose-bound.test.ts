import { describe, expect, it, vi } from 'vitest';
import { nowMs, scored } from '../../src/core/detection.js';
import type { Detector } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';

const T: Transcript = {
  target: 'u',
  messages: [
    { speaker: 'o', text: 'hi?' },
    { speaker: 'u', text: 'Hello ! How are you today ?' },
  ],
};

const DATA: LabelledTranscript[] = Array.from({ length: 6 }, (_, i) => ({
  ...T,
  label: i % 2 === 0 ? 'bot' : 'human',
}));

/** A member whose detect() ignores its signal and never returns; it records its dispose(). */
function hanging(): Detector & { disposed: boolean } {
  const d = {
    name: 'hang',
    disposed: false,
    detect: () => new Promise<never>(() => undefined),
    dispose: async () => {
      d.disposed = true;
    },
  };
  return d;
}

/** A member that rejects at its signal's abort, so a cancelled ensemble detect() rejects at once. */
const stopsAtAbort: Detector = {
  name: 'stops',
  detect: (_t, opts) =>
    new Promise((_, reject) => {
      opts?.signal?.addEventListener('abort', () => reject(new AbortedError('stops detect()')));
    }),
};

/** An ensemble whose detect() was cancelled (it rejected) while its member `hang` runs on, never to return. */
async function cancelledWhileHanging() {
  const member = hanging();
  const e = new Ensemble([stopsAtAbort, member]);
  const ac = new AbortController();
  const running = e.detect(T, { signal: ac.signal });
  ac.abort();
  await expect(running).rejects.toThrow(AbortedError);
  return { e, member };
}

describe('Ensemble.dispose() is bounded', () => {
  it('disposes within timeoutMs when a member call never returns, and warns naming it', async () => {
    const { e, member } = await cancelledWhileHanging();
    const warnings: string[] = [];
    const started = nowMs();
    await e.dispose({ timeoutMs: 150, onWarning: (w) => warnings.push(w) });
    const took = nowMs() - started;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(2_000);
    expect(member.disposed).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/1 call\(s\) still running after 150 ms \(member "hang"\).*raise timeoutMs/);
  });

  it('by default waits 10 s, then emits a process warning with code BOTLENS_DISPOSE_TIMEOUT', async () => {
    const { e, member } = await cancelledWhileHanging();
    const seen = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const disposing = e.dispose();
      await vi.advanceTimersByTimeAsync(9_999);
      expect(member.disposed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await disposing;
    } finally {
      vi.useRealTimers();
    }
    expect(member.disposed).toBe(true);
    const w = await seen;
    expect(w.code).toBe('BOTLENS_DISPOSE_TIMEOUT');
    expect(w.message).toMatch(/Ensemble "ensemble" dispose\(\).*after 10000 ms/);
  });

  it('waits for a fit() under way before disposing its members (all member calls of a fit are tracked)', async () => {
    const order: string[] = [];
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const member: Detector = {
      name: 'slow-fit',
      detect: async () => scored('slow-fit', 0.5, 0.5, [], nowMs()),
      fit: async () => {
        await gate;
        order.push('fitted');
      },
      dispose: async () => {
        order.push('disposed');
      },
    };
    const e = new Ensemble([member]);
    const fitting = e.fit(DATA);
    const disposing = e.dispose();
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([]);
    release();
    await Promise.all([fitting, disposing]);
    expect(order).toEqual(['fitted', 'disposed']);
  });

  it('a fit() that never returns holds dispose() only until timeoutMs', async () => {
    const member: Detector & { disposed?: boolean } = {
      name: 'stuck-fit',
      detect: async () => scored('stuck-fit', 0.5, 0.5, [], nowMs()),
      fit: () => new Promise<never>(() => undefined),
      dispose: async () => {
        member.disposed = true;
      },
    };
    const e = new Ensemble([member]);
    void e.fit(DATA);
    const warnings: string[] = [];
    await e.dispose({ timeoutMs: 100, onWarning: (w) => warnings.push(w) });
    expect(member.disposed).toBe(true);
    expect(warnings[0]).toMatch(/\(Ensemble "ensemble" fit\(\)\)/);
  });

  it('does not wait or warn when nothing runs, and refuses a bad timeoutMs before disposing anything', async () => {
    const member = hanging();
    const e = new Ensemble([member]);
    for (const bad of [-1, Number.NaN, 3_000_000_000, '10' as unknown as number]) {
      await expect(e.dispose({ timeoutMs: bad })).rejects.toThrow(InvalidOptionsError);
    }
    expect(member.disposed).toBe(false);
    const warnings: string[] = [];
    await e.dispose({ timeoutMs: Number.POSITIVE_INFINITY, onWarning: (w) => warnings.push(w) });
    expect(member.disposed).toBe(true);
    expect(warnings).toEqual([]);
  });
});
