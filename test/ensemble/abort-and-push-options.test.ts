import { describe, expect, it } from 'vitest';
import type {
  Detection,
  DetectionStream,
  DetectOptions,
  Detector,
  StreamOptions,
} from '../../src/core/detector.js';
import { openStream } from '../../src/core/stream.js';
import type { Message, Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { HeuristicDetector } from '../../src/detectors/heuristic/heuristic-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import type { EnsembleResult } from '../../src/ensemble/types.js';
import { HashingEmbedder } from '../../src/runtime/hashing-embedder.js';
import { labelled } from '../helpers/embedding-stream-fixture.js';
import { chat } from '../helpers/transcripts.js';
import { validDetection } from '../helpers/valid-detection.js';

const t = chat('b', ['a: hi there', 'b: Hello ! How are you ?', 'a: fine', 'b: Great ! Me too .']);

/** A member whose detect() answers at once. */
function quick(name: string, score: number): Detector {
  return {
    name,
    async detect(x: Transcript): Promise<Detection> {
      validateTranscript(x);
      return validDetection(name, score);
    },
  };
}

/**
 * A plug-in member with its own stream(), whose pushes ignore their signal: while `slowMs` > 0 each push takes that
 * long. `streams` counts the streams opened; `extra()` is a method of the stream outside the DetectionStream
 * interface.
 */
function deafStreamer(name: string) {
  const state = { slowMs: 0, streams: 0, pushed: [] as string[][] };
  const d: Detector = {
    name,
    async detect(x: Transcript): Promise<Detection> {
      validateTranscript(x);
      return validDetection(name, 0.6);
    },
    stream(_opts: StreamOptions): DetectionStream & { extra(): string } {
      state.streams++;
      const seen: string[] = [];
      state.pushed.push(seen);
      let latest: Detection | undefined;
      return {
        async push(m: Message, _o?: DetectOptions): Promise<Detection> {
          if (state.slowMs > 0) await new Promise((r) => setTimeout(r, state.slowMs));
          seen.push(m.text);
          latest = validDetection(name, 0.6);
          return latest;
        },
        detection: () => latest,
        extra: () => `${name} stream`,
      };
    },
  };
  return { d, state };
}

describe('an ensemble stream push with a member whose stream ignores its signal', () => {
  it('rejects with AbortedError at the abort; the message is not counted and the stream goes on', async () => {
    const { d, state } = deafStreamer('deaf');
    const e = new Ensemble([quick('quick', 0.2), d], { strategy: 'weighted-mean' });
    const live = e.stream({ target: 'b' });
    const first = (await live.push({ speaker: 'b', text: 'Hello !' })) as EnsembleResult;
    expect(first.support?.targetMessages).toBe(1);

    state.slowMs = 3000;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = performance.now();
    await expect(live.push({ speaker: 'b', text: 'lost' }, { signal: ac.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    // Before: the push waited for the deaf member (3 s), then rejected.
    expect(performance.now() - started).toBeLessThan(1500);
    // The stream is as it was before the cancelled push.
    expect(live.detection()).toBe(first);

    state.slowMs = 0;
    const next = (await live.push({ speaker: 'b', text: 'Again !' })) as EnsembleResult;
    // The cancelled message is not counted: two target messages, the first and this one.
    expect(next.support).toEqual({
      targetMessages: 2,
      targetCharacters: 'Hello !'.length + 'Again !'.length,
    });
    expect(next.members.map((m) => m.detector)).toEqual(['quick', 'deaf']);
    // The deaf member was replayed on a new stream holding exactly the kept messages.
    expect(state.pushed.at(-1)).toEqual(['Hello !', 'Again !']);
    await e.dispose();
  }, 15_000);

  it('rejects at once, changing nothing, when the signal aborted before the push', async () => {
    const e = new Ensemble([new HeuristicDetector()], { strategy: 'weighted-mean' });
    const live = e.stream({ target: 'b' });
    const first = await live.push({ speaker: 'b', text: 'Hello !' });
    await expect(
      live.push({ speaker: 'b', text: 'x' }, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(live.detection()).toBe(first);
    const next = (await live.push({ speaker: 'b', text: 'Again !' })) as EnsembleResult;
    expect(next.support?.targetMessages).toBe(2);
  });
});

describe('Ensemble.detect with a signal', () => {
  it('adds one abort listener per call, whatever the number of members, and still returns at the abort', async () => {
    const e = new Ensemble([quick('a', 0.2), quick('b', 0.4), quick('c', 0.6)], {
      strategy: 'weighted-mean',
    });
    const ac = new AbortController();
    let added = 0;
    let removed = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...a: Parameters<typeof add>) => {
      added++;
      add(...a);
    }) as typeof add;
    ac.signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      removed++;
      remove(...a);
    }) as typeof remove;
    const r = await e.detect(t, { signal: ac.signal });
    expect(r.members).toHaveLength(3);
    // Before: one per member (3), each added and removed.
    expect([added, removed]).toEqual([1, 1]);
    // Raced once, the call still returns at the abort while a member ignores its signal.
    const deaf: Detector = {
      name: 'deaf',
      async detect(x: Transcript): Promise<Detection> {
        validateTranscript(x);
        await new Promise((done) => setTimeout(done, 2000));
        return validDetection('deaf', 0.5);
      },
    };
    const slow = new Ensemble([quick('a', 0.2), deaf], { strategy: 'cascade', costs: { a: 1, deaf: 2 } });
    const started = performance.now();
    setTimeout(() => ac.abort(), 50);
    await expect(slow.detect(t, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(performance.now() - started).toBeLessThan(1000);
    await slow.dispose();
  });
});

describe("a stream push's option keys", () => {
  const refused = {
    name: 'InvalidOptionsError',
    message: expect.stringMatching(/"sigal".*did you mean "signal"/s),
  };
  const m: Message = { speaker: 'b', text: 'Hello !' };
  const sigal = { sigal: AbortSignal.abort() } as DetectOptions;

  it("are checked by an ensemble's stream before anything changes", async () => {
    const e = new Ensemble([new HeuristicDetector(), quick('q', 0.3)], { strategy: 'weighted-mean' });
    const live = e.stream({ target: 'b' });
    await expect(live.push(m, sigal)).rejects.toMatchObject(refused);
    expect(live.detection()).toBeUndefined();
    expect(((await live.push(m)) as EnsembleResult).support?.targetMessages).toBe(1);
  });

  it("are checked by openStream, on a plug-in's own stream (whose other methods stay reachable) and on the recomputing one", async () => {
    const { d, state } = deafStreamer('plugin');
    const own = openStream(d, { target: 'b' }) as DetectionStream & { extra(): string };
    await expect(own.push(m, sigal)).rejects.toMatchObject({
      message: expect.stringContaining('the options of push() on "plugin"'),
    });
    expect(state.pushed[0]).toEqual([]);
    expect(own.extra()).toBe('plugin stream');
    expect((await own.push(m, {})).detector).toBe('plugin');
    expect(own.detection()?.detector).toBe('plugin');

    const recomputing = openStream(quick('plain', 0.4), { target: 'b' });
    await expect(recomputing.push(m, sigal)).rejects.toMatchObject(refused);
    expect(recomputing.detection()).toBeUndefined();
  });

  it("are checked by a built-in detector's own stream", async () => {
    const live = new HeuristicDetector().stream({ target: 'b' });
    await expect(live.push(m, sigal)).rejects.toMatchObject(refused);
    expect(live.detection()).toBeUndefined();
  });

  it("are checked by the hashing embedding detector's own stream, before the message counts", async () => {
    const d = new EmbeddingCentroidDetector({ embedder: new HashingEmbedder() });
    await d.fit(labelled(8));
    const live = d.stream({ target: 'b' });
    await expect(live.push(m, sigal)).rejects.toMatchObject(refused);
    expect(live.detection()).toBeUndefined();
    expect((await live.push(m)).support?.targetMessages).toBe(1);
  });
});
