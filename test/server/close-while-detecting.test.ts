/**
 * Closing the service while detections still run. A client that disconnects mid-request gets no answer, but its
 * detection runs on until the detector returns (ONNX Runtime cannot be stopped mid-run): `close()` must wait
 * for it (bounded by the request deadline) before the detector is disposed, or the model is freed under the
 * running session ("Session already disposed").
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { abstained, nowMs, scored } from '../../src/core/detection.js';
import type { Detection, DetectOptions, Detector } from '../../src/core/detector.js';
import type { LabelledTranscript, Transcript } from '../../src/core/transcript.js';
import { validateTranscript } from '../../src/core/validate.js';
import { EmbeddingCentroidDetector } from '../../src/detectors/embedding/embedding-centroid-detector.js';
import { LinearProbeDetector } from '../../src/detectors/linear-probe/linear-probe-detector.js';
import { Ensemble } from '../../src/ensemble/ensemble.js';
import { AbortedError } from '../../src/errors/aborted-error.js';
import { loadedModels } from '../../src/runtime/load-model.js';
import { TransformersEmbedder } from '../../src/runtime/transformers-embedder.js';
import { createServer } from '../../src/server/app.js';
import { describeWithShared, HF_TINY } from '../helpers/shared.js';
import { chat } from '../helpers/transcripts.js';
import { forgetServer, postJson, startServer } from './start-server.js';

const TINY_BERT = resolve(HF_TINY, 'tiny-bert');

/** A transcript the slow detectors below take their time over (the warm-up transcript does not mention SLOW). */
const slow: Transcript = chat('b', ['a: hey', 'b: Hello ! SLOW to answer . How are you ?']);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when a transcript mentions SLOW. */
function isSlow(t: Transcript): boolean {
  return validateTranscript(t).messages.some((m) => m.text.includes('SLOW'));
}

/**
 * Wraps a detector: on a SLOW transcript it first holds for `holdMs` without looking at its signal (as a model
 * run does), then runs the inner detector without the signal, and records what happened, in order, in `events`.
 */
class HoldsThenDetects implements Detector {
  readonly name: string;
  constructor(
    private readonly inner: Detector,
    private readonly holdMs: number,
    readonly events: string[],
  ) {
    this.name = inner.name;
  }

  async detect(t: Transcript, opts?: DetectOptions): Promise<Detection> {
    if (!isSlow(t)) return this.inner.detect(t, opts);
    this.events.push('start');
    await sleep(this.holdMs);
    try {
      const d = await this.inner.detect(t);
      this.events.push('finished');
      return d;
    } catch (err) {
      this.events.push(`failed: ${(err as Error).message}`);
      throw err;
    }
  }

  async dispose(): Promise<void> {
    this.events.push('dispose');
    await this.inner.dispose?.();
  }
}

/** Rejects with `AbortedError` as soon as its signal aborts (a member that honours cancellation at once). */
class StopsAtAbort implements Detector {
  readonly name = 'stops-at-abort';
  async detect(t: Transcript, opts?: DetectOptions): Promise<Detection> {
    const start = nowMs();
    if (isSlow(t)) {
      await new Promise<void>((_, reject) => {
        const stop = () => reject(new AbortedError('stops-at-abort'));
        if (opts?.signal?.aborted) stop();
        opts?.signal?.addEventListener('abort', stop);
      });
    }
    return abstained(this.name, 'nothing to say', start);
  }
}

/** A detector that never returns on a SLOW transcript and ignores its signal (a hung model). */
class Hangs implements Detector {
  readonly name = 'hangs';
  disposed = false;
  async detect(t: Transcript): Promise<Detection> {
    const start = nowMs();
    if (isSlow(t)) await new Promise<never>(() => {});
    return scored(this.name, 0.5, 0.5, [], start);
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** A fixed answer at once (the inner detector of {@link HoldsThenDetects} when no model is needed). */
class Instant implements Detector {
  readonly name = 'instant';
  async detect(): Promise<Detection> {
    return scored(this.name, 0.5, 0.5, [], nowMs());
  }
}

/** Sends `body` to `/v1/detect` and drops the connection once its detection started (`events` holds 'start'). */
async function postAndDisconnect(base: string, body: unknown, events: readonly string[]): Promise<void> {
  const client = new AbortController();
  const sent = fetch(`${base}/v1/detect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: client.signal,
  }).catch((err: unknown) => err);
  while (!events.includes('start')) await sleep(5);
  client.abort();
  expect(await sent).toBeInstanceOf(Error); // no answer came: the client went first
}

/**
 * Serves `detector` (disposed on close, requests timed out after `timeoutMs`), sends it the slow transcript and
 * closes the service 50 ms later: the answer's status and how long `close()` took.
 */
async function closeWhileDetecting(
  detector: Detector,
  timeoutMs: number,
): Promise<{ status: number; took: number }> {
  const { s, base } = await startServer(detector, { disposeOnClose: true, timeoutMs });
  const answer = postJson(`${base}/v1/detect`, slow);
  await sleep(50);
  const t0 = performance.now();
  await s.app.close();
  const took = performance.now() - t0;
  forgetServer(s);
  return { status: (await answer).status, took };
}

describe('closing the service while a detection runs', () => {
  it('waits for a detection whose client disconnected before disposing the detector', async () => {
    const events: string[] = [];
    // One member stops at once when the client goes; the other runs on: the ensemble settles after both.
    const detector = new Ensemble([new StopsAtAbort(), new HoldsThenDetects(new Instant(), 400, events)], {
      strategy: 'weighted-mean',
    });
    const { s, base } = await startServer(detector, { disposeOnClose: true, timeoutMs: 5000 });
    await postAndDisconnect(base, slow, events);
    await s.app.close();
    forgetServer(s);
    expect(events).toEqual(['start', 'finished', 'dispose']);
  });

  it('leaves the detector idle once close() resolves, for a caller that disposes it afterwards', async () => {
    const events: string[] = [];
    const detector = new HoldsThenDetects(new Instant(), 400, events);
    const { s, base } = await startServer(detector, { timeoutMs: 5000 });
    await postAndDisconnect(base, slow, events);
    await s.app.close();
    forgetServer(s);
    events.push('closed');
    expect(events).toEqual(['start', 'finished', 'closed']);
  });

  it('still closes, and disposes, within the request deadline when a detection hangs', async () => {
    const detector = new Hangs();
    const timeoutMs = 300;
    const { status, took } = await closeWhileDetecting(detector, timeoutMs);
    expect(status).toBe(503); // the deadline answered it
    expect(detector.disposed).toBe(true);
    // The bound is the deadline plus 1 s, counted from close(); a little slack for a busy machine.
    expect(took).toBeGreaterThan(timeoutMs);
    expect(took).toBeLessThan(timeoutMs + 1000 + 1500);
  });
});

describe('an ensemble cancelled while a member ignores its signal', () => {
  it('rejects at the abort, and its dispose() waits for the member before disposing it', async () => {
    const events: string[] = [];
    const ensemble = new Ensemble([new StopsAtAbort(), new HoldsThenDetects(new Instant(), 1500, events)], {
      strategy: 'weighted-mean',
    });
    const t0 = performance.now();
    await expect(ensemble.detect(slow, { signal: AbortSignal.timeout(100) })).rejects.toThrow(AbortedError);
    const took = performance.now() - t0;
    // The member holds for 1.5 s; the caller hears of the abort at once (slack for a busy machine).
    expect(took).toBeLessThan(1000);
    expect(events).toEqual(['start']);
    await ensemble.dispose();
    expect(events).toEqual(['start', 'finished', 'dispose']);
  });

  it('closes the service within the bound while the ensemble waits in the background for a member that hangs', async () => {
    const hangs = new Hangs();
    const ensemble = new Ensemble([new StopsAtAbort(), hangs], { strategy: 'weighted-mean' });
    const timeoutMs = 300;
    const { status, took } = await closeWhileDetecting(ensemble, timeoutMs);
    expect(status).toBe(503);
    expect(took).toBeLessThan(timeoutMs + 1000 + 1500);
    // The member's call never settled: the ensemble has not disposed it under that call.
    expect(hangs.disposed).toBe(false);
  });
});

describe('closing the service during its warm-up', () => {
  it('waits for the warm-up detection before disposing the detector', async () => {
    const events: string[] = [];
    const detector = new HoldsThenDetects(new Instant(), 600, events);
    const s = await createServer(detector, {
      disposeOnClose: true,
      warmup: slow,
      timeoutMs: 5000,
      logger: false,
    });
    while (!events.includes('start')) await sleep(5);
    await s.app.close();
    events.push('closed');
    await s.ready;
    expect(events).toEqual(['start', 'finished', 'dispose', 'closed']);
  });
});

const TRAIN: LabelledTranscript[] = Array.from({ length: 8 }, (_, i) => ({
  ...chat('x', ['y: hi, how are you?', i % 2 ? `x: I am an assistant, number ${i}.` : `x: lol tired ${i}`]),
  label: i % 2 ? 'bot' : 'human',
}));

/** Handles on the tiny BERT fixture (0: not loaded). */
function tinyBertRefs(): number {
  return loadedModels()
    .filter((m) => m.key.includes(TINY_BERT))
    .reduce((n, m) => n + m.refs, 0);
}

describeWithShared('closing the service while an ONNX model runs (tiny-bert)', () => {
  it('disposes the embedding detector only after the orphaned detection finished', async () => {
    const embedding = new EmbeddingCentroidDetector({ embedderOptions: { model: TINY_BERT } });
    await embedding.fit(TRAIN);
    const events: string[] = [];
    const { s, base } = await startServer(new HoldsThenDetects(embedding, 300, events), {
      disposeOnClose: true,
      timeoutMs: 5000,
    });
    await postAndDisconnect(base, slow, events);
    await s.app.close();
    forgetServer(s);
    expect(events).toEqual(['start', 'finished', 'dispose']);
    expect(tinyBertRefs()).toBe(0);
  }, 60_000);

  it('TransformersEmbedder.dispose() mid-embed stops at the next batch and frees the model after it', async () => {
    const embedder = new TransformersEmbedder({ model: TINY_BERT, batchSize: 1 });
    await embedder.load();
    const texts = Array.from({ length: 400 }, (_, i) => `message number ${i} with a few more words in it`);
    const embedding = embedder.embed(texts).then(
      () => 'finished',
      (err: unknown) => err,
    );
    await sleep(20);
    await embedder.dispose();
    const outcome = await embedding;
    // Not an ONNX Runtime error about a disposed session: the run in progress finished, then the embed stopped.
    expect(AbortedError.isInstance(outcome)).toBe(true);
    expect(tinyBertRefs()).toBe(0);
    // The embedder stays usable: the next embed loads the model again.
    const [v] = await embedder.embed(['later']);
    expect(v!.length).toBeGreaterThan(0);
    expect(tinyBertRefs()).toBe(1);
    await embedder.dispose();
    expect(tinyBertRefs()).toBe(0);
  }, 60_000);

  it('a probe disposing the embedder it shares with a centroid detector leaves the centroid detector working', async () => {
    const embedder = new TransformersEmbedder({ model: TINY_BERT });
    const probe = new LinearProbeDetector({ embedder });
    const centroid = new EmbeddingCentroidDetector({ embedder });
    await probe.fit(TRAIN);
    await centroid.fit(TRAIN);
    await probe.dispose();
    // A text not seen in fit (the detector may keep the vectors of those), so the embedder runs again.
    const d = await centroid.detect(
      chat('x', ['y: what is up', 'x: Certainly! Here is a fresh answer for you.']),
    );
    expect(d.score).toBeGreaterThanOrEqual(0);
    await centroid.dispose();
    await embedder.dispose(); // the centroid detector leaves an embedder it was given to its owner
    expect(tinyBertRefs()).toBe(0);
  }, 60_000);
});
