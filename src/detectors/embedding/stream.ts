import type { VectorIndex } from '../../ann/vector-index.js';
import { abstained, nowMs } from '../../core/detection.js';
import type { Detection, DetectionStream, DetectOptions, StreamOptions } from '../../core/detector.js';
import { MessageSequence } from '../../core/message-log.js';
import { refuseUnknownPushOptions } from '../../core/method-options.js';
import type { SyncPushStream } from '../../core/stream.js';
import type { Message } from '../../core/transcript.js';
import { resolveValidationLimits } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import type { HashingAccumulator } from '../../runtime/hashing-accumulator.js';
import { isHashingEmbedder } from '../../runtime/hashing-embedder.js';
import { NO_TEXT } from './evidence.js';
import type { HashedQuery } from './hashed-query.js';
import type { Features, FittedModel } from './model.js';

/** What the stream needs from the detector. @internal */
export interface StreamHost {
  readonly name: string;
  streamParts(): Promise<{ m: FittedModel; embedder: Embedder; index: VectorIndex }>;
  hashedQuery(
    m: FittedModel,
    embedder: Embedder,
    index: VectorIndex,
  ): ((deferHot?: boolean) => HashedQuery) | undefined;
  judge(m: FittedModel, index: VectorIndex, e: Float32Array, started: number): Detection;
  verdict(m: FittedModel, f: Features | null, started: number): Detection;
}

/** The parts a stream resolves on its first push (the fitted model does not change under an open stream). */
type Parts = { m: FittedModel; embedder: Embedder; index: VectorIndex };

/**
 * The embedding detector's {@link DetectionStream}.
 *
 * - With a `HashingEmbedder` and exact search (the default for hashed vectors), the stream keeps a
 *   {@link HashingAccumulator} of the target's text and a {@link HashedQuery}: each target message's changed
 *   buckets update the dot products with the centroids, the probe and every labelled vector (through the
 *   inverted index; changes to common n-grams stay pending while a bound shows they cannot change the
 *   neighbours), and the features are read from those sums. A push costs the message's buckets times the
 *   labelled vectors using each (plus one pass over the labelled set's similarities to pick the neighbours),
 *   whatever the transcript's length so far. `detect()` computes the same sums in one pass, so the detections
 *   agree up to the order of the sums (about 1e-15 relative).
 * - With a `HashingEmbedder` and an HNSW index, the running embedding is read back from the accumulator at
 *   each target message (at most `dim` entries) and searched.
 * - With another embedder the target's text so far is embedded again at each of its messages (the model's
 *   maximum length bounds the cost).
 *
 * Each message is checked as `detect()` checks a transcript's (shape, `opts.limits` or the default ones, the
 * message count included, timestamps that do not go backwards); a rejected push leaves the stream as it was. Messages of other speakers leave the detection as it
 * was. Pushes are serialized: with nothing queued and the text hashed, a push does its work before returning
 * (its promise is already settled); otherwise after the pushes before it.
 *
 * @internal
 */
export function embeddingStream(det: StreamHost, opts: StreamOptions): SyncPushStream {
  if (typeof opts !== 'object' || opts === null || typeof opts.target !== 'string' || opts.target === '')
    throw new InvalidOptionsError('target', 'expected the target speaker as a non-empty string');
  const target = opts.target;
  // Checked now (a bad limit fails the open, not a push); DEFAULT_LIMITS without them, as detect() applies.
  const limits = resolveValidationLimits(opts.limits);
  const what = `${det.name} stream`;
  let parts: Parts | undefined;
  let acc: HashingAccumulator | undefined;
  let query: HashedQuery | undefined;
  const texts: string[] = [];
  const sequence = new MessageSequence();
  let withText = 0;
  let targetMessages = 0;
  let targetCharacters = 0;
  let latest: Detection | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  /** Pushes queued or running on `chain`. */
  let busy = 0;

  /**
   * Checks the message (as detect() checks each of a transcript's) and counts it, adding a target's text to the
   * hashing accumulator (or to the texts to embed again); false when the message leaves the detection as it was
   * (another speaker's, once there is one).
   */
  const take = (message: Message, o: DetectOptions): boolean => {
    AbortedError.throwIfAborted(o.signal, what);
    const m = sequence.next(message, limits);
    if (m.speaker !== target) return latest === undefined;
    targetMessages++;
    targetCharacters += m.text.length;
    if (m.text.trim() !== '') {
      withText++;
      if (acc) acc.add(m.text, query?.apply);
      else texts.push(m.text);
    }
    return true;
  };

  const finish = (d: Detection): Detection => {
    d.support = { targetMessages, targetCharacters };
    latest = d;
    return d;
  };

  /**
   * What every push does first: takes the message, then either answers at once (the detection as it was, when
   * the message leaves it so; the abstention while the target has no text) or returns the push's start time.
   */
  const open = (message: Message, o: DetectOptions): Detection | number => {
    const started = nowMs();
    if (!take(message, o)) return latest!;
    if (withText === 0) return finish(abstained(det.name, NO_TEXT, started));
    return started;
  };

  /** A push once the parts are known and the text is hashed: no await anywhere. */
  const hashedStep = (message: Message, o: DetectOptions): Detection => {
    const started = open(message, o);
    if (typeof started !== 'number') return started;
    if (query) return finish(det.verdict(parts!.m, query.features(), started));
    return finish(det.judge(parts!.m, parts!.index, acc!.vector(), started));
  };

  const step = async (message: Message, o: DetectOptions): Promise<Detection> => {
    if (!parts) {
      AbortedError.throwIfAborted(o.signal, what);
      const p = await det.streamParts();
      const make = det.hashedQuery(p.m, p.embedder, p.index);
      if (make) query = make(true);
      if (isHashingEmbedder(p.embedder)) acc = p.embedder.accumulator(query !== undefined);
      parts = p;
    }
    if (acc) return hashedStep(message, o);
    const started = open(message, o);
    if (typeof started !== 'number') return started;
    const e = (await parts.embedder.embed([texts.join('\n')], o.signal ? { signal: o.signal } : {}))[0]!;
    AbortedError.throwIfAborted(o.signal, what);
    return finish(det.judge(parts.m, parts.index, e, started));
  };

  return {
    canPushNow: () => busy === 0 && acc !== undefined,
    pushNow: (message: Message, o: DetectOptions = {}): Detection => hashedStep(message, o),
    push(message: Message, o: DetectOptions = {}): Promise<Detection> {
      try {
        refuseUnknownPushOptions(o, det.name);
      } catch (err) {
        return Promise.reject(err);
      }
      // Nothing queued and the text hashed: the push runs now (the same work, without a turn through the chain).
      if (busy === 0 && acc) {
        try {
          return Promise.resolve(hashedStep(message, o));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      busy++;
      const run = chain.then(() => step(message, o));
      const done = (): void => {
        busy--;
      };
      chain = run.then(done, done);
      return run;
    },
    detection: () => latest,
  };
}
