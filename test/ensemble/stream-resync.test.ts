import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../../src/core/detection.js';
import type { Detection, DetectionStream, Detector, StreamOptions } from '../../src/core/detector.js';
import { finishStream } from '../../src/core/stream.js';
import { detectTimeline } from '../../src/core/timeline.js';
import type { Message, Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { AbortedError } from '../../src/errors/aborted-error.js';

/** The share of the target's messages that end with a space before punctuation, or an abstention. */
function spacedShare(name: string, messages: readonly Message[], target: string): Detection {
  const started = nowMs();
  const mine = messages.filter((m) => m.speaker === target);
  if (mine.length === 0) return abstained(name, 'The target has not written yet.', started);
  const hits = mine.filter((m) => / [?.!]$/.test(m.text)).length;
  return scored(name, (hits + 0.5) / (mine.length + 1), 0.5, [], started);
}

/**
 * A detector with its own incremental stream (it keeps the messages and scores them at each push) whose
 * `failOn`-th push, counted over all its streams, throws once: a transient fault such as a dropped connection.
 * `detect()` never fails.
 */
class FlakyStream implements Detector {
  readonly name = 'flaky';
  pushes = 0;
  constructor(private readonly failOn: number) {}

  async detect(t: Transcript): Promise<Detection> {
    const v = validateTranscript(t);
    return spacedShare(this.name, v.messages, v.target);
  }

  stream(opts: StreamOptions): DetectionStream {
    const messages: Message[] = [];
    let latest: Detection | undefined;
    return {
      push: async (m) => {
        if (++this.pushes === this.failOn) throw new Error('connection reset');
        messages.push(m);
        latest = spacedShare(this.name, messages, opts.target);
        return latest;
      },
      detection: () => latest,
    };
  }
}

/** A detector with no stream of its own (botlens recomputes detect() at each push) whose `failOn`-th detect() throws once. */
class FlakyDetect implements Detector {
  readonly name = 'flaky-detect';
  calls = 0;
  constructor(private readonly failOn: number) {}

  async detect(t: Transcript): Promise<Detection> {
    if (++this.calls === this.failOn) throw new Error('model server busy');
    const v = validateTranscript(t);
    return spacedShare(this.name, v.messages, v.target);
  }
}

const T: Transcript = {
  target: 'u',
  messages: Array.from({ length: 12 }, (_, k) =>
    k % 2 === 0
      ? { speaker: 'other', text: `question ${k}?`, timestamp: 1_000 * k }
      : {
          speaker: 'u',
          text: k % 3 === 0 ? `I like books ${k} .` : `lol ok ${k}`,
          timestamp: 1_000 * k + 400,
        },
  ),
};

/** Each member's score, or its error message. */
function memberView(r: EnsembleResult): (number | null | string)[] {
  return r.members.map((m) => ('error' in m ? m.error.message : m.score));
}

describe('Ensemble.stream after a member failed for one push', () => {
  for (const make of [() => new FlakyStream(6), () => new FlakyDetect(3)]) {
    const kind = make().name;
    it(`${kind}: reports the failure at that push, then replays the member and ends on detect()`, async () => {
      const flaky = make();
      const e = new Ensemble([new HeuristicDetector(), flaky]);
      const live = e.stream({ target: 'u' });
      const results: EnsembleResult[] = [];
      for (const m of T.messages) results.push((await live.push(m)) as EnsembleResult);
      // The failing push says so: the member is kept as its error, the score rests on the heuristic alone.
      const failedAt = results.findIndex((r) => r.members.some((m) => 'error' in m));
      expect(failedAt).toBeGreaterThan(0);
      expect(results[failedAt]!.members[1]).toMatchObject({ detector: kind, error: { name: 'Error' } });
      expect(results[failedAt]!.score).toBe(memberView(results[failedAt]!)[0]);
      // Every later push has the member again, judged on every message (none missed).
      for (const r of results.slice(failedAt + 1)) expect(r.members.every((m) => !('error' in m))).toBe(true);
      const whole = await e.detect(T);
      const last = results.at(-1)!;
      expect(last.score).toBe(whole.score);
      expect(memberView(last)).toEqual(memberView(whole));
      expect(last.support).toEqual(whole.support);
    });
  }

  it('replays a member without a stream of its own with one detect() on the kept messages, not one per message', async () => {
    const flaky = new FlakyDetect(5);
    const e = new Ensemble([new HeuristicDetector(), flaky]);
    const live = e.stream({ target: 'u' });
    const at: number[] = [];
    for (const m of T.messages) {
      await live.push(m);
      at.push(flaky.calls);
    }
    // One detect() per push from the target's first message on (before it the recomputing stream abstains):
    // the failed 5th call's push included, and the recovery push after it costs one call, not one per message.
    expect(at).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(live.detection()!.score).toBe((await e.detect(T)).score);
  });

  it('a timeline names the member only at the point it failed, and its last point equals detect()', async () => {
    const e = new Ensemble([new HeuristicDetector(), new FlakyStream(4)]);
    const points = await detectTimeline(e, T);
    expect(points.map((p) => p.failedMembers)).toEqual([
      undefined,
      ['flaky'],
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(points.at(-1)!.score).toBe((await e.detect(T)).score);
  });

  it('a member that keeps failing is reported at every push; its replays back off (2, 4, 8... messages)', async () => {
    let broken = true;
    let n = 0;
    const member: Detector = {
      name: 'down',
      detect: async (t) => spacedShare('down', validateTranscript(t).messages, 'u'),
      stream: (opts) => {
        const messages: Message[] = [];
        return {
          push: async (m) => {
            n++;
            if (broken && m.text.startsWith('lol')) throw new Error(`down at push ${n}`);
            messages.push(m);
            return spacedShare('down', messages, opts.target);
          },
          detection: () => undefined,
        };
      },
    };
    const e = new Ensemble([new HeuristicDetector(), member]);
    const live = e.stream({ target: 'u' });
    const errors: (string | undefined)[] = [];
    for (const m of T.messages.slice(0, 6)) {
      const r = (await live.push(m)) as EnsembleResult;
      const o = r.members[1];
      errors.push(o !== undefined && 'error' in o ? o.error.message : undefined);
    }
    // Failed at message 1 ('lol ok 1'); the next push replays it and fails on the same message again (push 4), so
    // the next replay waits 2 messages (push 6 at message 4), then 4; the pushes in between report the last error.
    expect(errors).toEqual([
      undefined,
      'down at push 2',
      'down at push 4',
      'down at push 4',
      'down at push 6',
      'down at push 6',
    ]);
    broken = false;
    for (const m of T.messages.slice(6)) await live.push(m);
    expect(live.detection()!.score).toBe((await e.detect(T)).score);
  });

  it('a member that can never take one message costs O(k log n) replayed pushes, not one replay per push', async () => {
    let n = 0;
    const member: Detector = {
      name: 'poisoned',
      detect: async (t) => spacedShare('poisoned', validateTranscript(t).messages, 'u'),
      stream: (opts) => {
        const messages: Message[] = [];
        return {
          push: async (m) => {
            n++;
            if (m.text === 'POISON') throw new Error('cannot take this message');
            messages.push(m);
            return spacedShare('poisoned', messages, opts.target);
          },
          detection: () => undefined,
        };
      },
    };
    const long: Message[] = Array.from({ length: 180 }, (_, k) =>
      k === 10
        ? { speaker: 'u', text: 'POISON' }
        : { speaker: k % 2 ? 'u' : 'other', text: `message ${k} .` },
    );
    const e = new Ensemble([new HeuristicDetector(), member]);
    const live = e.stream({ target: 'u' });
    let failed = 0;
    for (const m of long) {
      const r = (await live.push(m)) as EnsembleResult;
      const o = r.members[1];
      if (o !== undefined && 'error' in o) failed++;
    }
    expect(failed).toBe(170); // reported failed at every push from the poison on
    // 180 first pushes, plus replays of at most 11 messages each at 2, 4, 8... messages apart (7 of them): at
    // most 180 + 8 x 11. Replaying at every push cost 180 + 169 x 11 = 2039.
    expect(n).toBeLessThanOrEqual(180 + 8 * 11);
    expect((await e.detect({ target: 'u', messages: long })).members[1]).toHaveProperty('score');
  });

  it('a member that recovers while backed off is tried again after the last message: the end equals detect()', async () => {
    /**
     * An outage: the member's first stream fails at message 1 and its next two (the replays at messages 2 and
     * 4) at once; later streams work. Backed off after two failed replays, it is next replayed at message 8, after
     * the end of an 8-message chat: the last point used to report it failed with the replay's error.
     */
    const outage = () => {
      let opened = 0;
      const member: Detector = {
        name: 'outage',
        detect: async (t) => spacedShare('outage', validateTranscript(t).messages, 'u'),
        stream: (opts) => {
          const n = ++opened;
          const messages: Message[] = [];
          return {
            push: async (m) => {
              if (n === 1 ? m.text === 'lol ok 1' : n <= 3) throw new Error(`outage (stream ${n})`);
              messages.push(m);
              return spacedShare('outage', messages, opts.target);
            },
            detection: () => undefined,
          };
        },
      };
      return { member, opened: () => opened };
    };
    const chat: Transcript = { target: 'u', messages: T.messages.slice(0, 8) };
    const whole = await new Ensemble([new HeuristicDetector(), outage().member]).detect(chat);

    const timed = outage();
    const e = new Ensemble([new HeuristicDetector(), timed.member]);
    const points = await detectTimeline(e, chat);
    expect(points.map((p) => p.failedMembers)).toEqual([['outage'], ['outage'], ['outage'], undefined]);
    expect(points.at(-1)!.score).toBe(whole.score);
    expect(timed.opened()).toBe(4); // the original stream, two failed replays, one replay at the end

    // The ensemble's own stream: the pushes report the member backed off; finishing tries it once more.
    const e2 = new Ensemble([new HeuristicDetector(), outage().member]);
    const live2 = e2.stream({ target: 'u' });
    for (const m of chat.messages) await live2.push(m);
    expect(memberView(live2.detection() as EnsembleResult)[1]).toBe('outage (stream 3)');
    const finished = (await finishStream(live2, {})) as EnsembleResult;
    expect(finished).toBe(live2.detection());
    expect(finished.score).toBe(whole.score);
    expect(memberView(finished)).toEqual(memberView(whole as EnsembleResult));
    // Nothing left to try: finishing again changes nothing.
    expect(await finishStream(live2, {})).toBe(finished);
  });

  it('a push queued before dispose() never calls a member after it was disposed', async () => {
    const order: string[] = [];
    const slow: Detector = {
      name: 'slow',
      detect: async (t) => {
        order.push('detect');
        await new Promise((r) => setTimeout(r, 50));
        return spacedShare('slow', validateTranscript(t).messages, 'u');
      },
      dispose: async () => {
        order.push('disposed');
      },
    };
    const e = new Ensemble([slow, new HeuristicDetector()]);
    const live = e.stream({ target: 'u' });
    const first = live.push(T.messages[0]!);
    const second = live.push(T.messages[1]!); // queued behind the first
    await e.dispose();
    await first.catch(() => undefined);
    await expect(second).rejects.toThrow(/was disposed/);
    expect(order.lastIndexOf('detect')).toBeLessThan(order.indexOf('disposed'));
  });

  it('a push that is cancelled leaves the stream as it was: the message is forgotten, every member replayed', async () => {
    const e = new Ensemble([new HeuristicDetector(), new FlakyStream(0)]);
    const live = e.stream({ target: 'u' });
    for (const m of T.messages.slice(0, 5)) await live.push(m);
    const before = live.detection();
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      live.push({ speaker: 'u', text: 'never seen .' }, { signal: aborted.signal }),
    ).rejects.toThrow(AbortedError);
    expect(live.detection()).toBe(before);
    for (const m of T.messages.slice(5)) await live.push(m);
    const last = live.detection() as EnsembleResult;
    const whole = await e.detect(T);
    expect(last.score).toBe(whole.score);
    expect(last.support).toEqual(whole.support);
  });
});
