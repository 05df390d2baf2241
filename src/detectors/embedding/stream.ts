import type { VectorIndex } from '../../ann/vector-index.js';
import { abstained, nowMs } from '../../core/detection.js';
import type { Detection, DetectionStream, DetectOptions, StreamOptions } from '../../core/detector.js';
import type { Message } from '../../core/transcript.js';
import { validateTranscript } from '../../core/validate.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import type { HashingAccumulator } from '../../runtime/hashing-accumulator.js';
import { HashingEmbedder } from '../../runtime/hashing-embedder.js';
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

const NO_TEXT = 'The target sent no text (only empty messages): there is nothing to embed.';

/** The parts a stream resolves on its first push (the fitted model does not change under an open stream). */
type Parts = { m: FittedModel; embedder: Embedder; index: VectorIndex };

/**
 * The embedding detector's {@link DetectionStream}.
 *
 * - With a `HashingEmbedder` and exact search (the default for hashed vectors), the stream keeps a
 *   {@link HashingAccumulator} of the target's text and a {@link HashedQuery}: each target message's changed
 *   buckets update the dot products with the centroids, the probe and every labelled vector (through the
 *   inverted index), and the features are read from those sums. A push costs the message's buckets times the
 *   labelled vectors using each (plus one pass over the labelled set's similarities to pick the neighbours),
 *   whatever the transcript's length so far. `detect()` computes the same sums in one pass, so the detections
 *   agree up to the order of the sums (about 1e-15 relative).
 * - With a `HashingEmbedder` and an HNSW index, the running embedding is read back from the accumulator at
 *   each target message (at most `dim` entries) and searched.
 * - With another embedder the target's text so far is embedded again at each of its messages (the model's
 *   maximum length bounds the cost).
 *
 * Messages of other speakers leave the detection as it was. Pushes are serialized.
 *
 * @internal
 */
export function embeddingStream(det: StreamHost, opts: StreamOptions): DetectionStream {
  if (typeof opts !== 'object' || opts === null || typeof opts.target !== 'string' || opts.target === '')
    throw new InvalidOptionsError('target', 'expected the target speaker as a non-empty string');
  const target = opts.target;
  let parts: Parts | undefined;
  let acc: HashingAccumulator | undefined;
  let query: HashedQuery | undefined;
  const texts: string[] = [];
  let withText = 0;
  let targetMessages = 0;
  let targetCharacters = 0;
  let latest: Detection | undefined;
  let chain: Promise<unknown> = Promise.resolve();

  const step = async (message: Message, o: DetectOptions): Promise<Detection> => {
    const started = nowMs();
    const what = `${det.name} stream`;
    AbortedError.throwIfAborted(o.signal, what);
    const m = validateTranscript({ messages: [message], target: (message as Partial<Message>)?.speaker })
      .messages[0]!;
    if (!parts) {
      const p = await det.streamParts();
      const make = det.hashedQuery(p.m, p.embedder, p.index);
      if (make) query = make(true);
      if (p.embedder instanceof HashingEmbedder) acc = p.embedder.accumulator(query !== undefined);
      parts = p;
    }
    if (m.speaker === target) {
      targetMessages++;
      targetCharacters += m.text.length;
      if (m.text.trim() !== '') {
        withText++;
        if (acc) acc.add(m.text, query?.apply);
        else texts.push(m.text);
      }
    } else if (latest) {
      return latest;
    }
    let d: Detection;
    if (withText === 0) d = abstained(det.name, NO_TEXT, started);
    else if (query) d = det.verdict(parts.m, query.features(), started);
    else {
      const e = acc
        ? acc.vector()
        : (await parts.embedder.embed([texts.join('\n')], o.signal ? { signal: o.signal } : {}))[0]!;
      AbortedError.throwIfAborted(o.signal, what);
      d = det.judge(parts.m, parts.index, e, started);
    }
    d.support = { targetMessages, targetCharacters };
    return d;
  };

  return {
    push(message: Message, o: DetectOptions = {}): Promise<Detection> {
      const run = chain.then(async () => {
        latest = await step(message, o);
        return latest;
      });
      chain = run.catch(() => undefined);
      return run;
    },
    detection: () => latest,
  };
}
