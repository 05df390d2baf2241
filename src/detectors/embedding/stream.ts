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
import type { FittedModel } from './model.js';

/** What the stream needs from the detector. @internal */
export interface StreamHost {
  readonly name: string;
  streamParts(): Promise<{ m: FittedModel; embedder: Embedder; index: VectorIndex }>;
  judge(m: FittedModel, index: VectorIndex, e: Float32Array, started: number): Detection;
}

const NO_TEXT = 'The target sent no text (only empty messages): there is nothing to embed.';

/**
 * The embedding detector's {@link DetectionStream}. With a `HashingEmbedder` the target's running embedding is a
 * {@link HashingAccumulator}: a pushed target message adds its n-grams, and the vector is read back (at most
 * `dim` entries) and compared with the labelled set (at most one pass over its inverted index), so the cost of a
 * push is bounded whatever the transcript's length: it grows with the text only until the text's n-grams fill
 * the buckets they can (on ConvAI text, about 2x from the 1st to the 500th target message), never beyond.
 * With another embedder the target's text so far is embedded again at each of its messages (the model's
 * maximum length bounds the cost). Either way the vector equals the one `detect()` embeds for the same
 * messages, so the detection after the last push equals `detect()` on the whole transcript.
 *
 * @internal
 */
export function embeddingStream(det: StreamHost, opts: StreamOptions): DetectionStream {
  if (typeof opts !== 'object' || opts === null || typeof opts.target !== 'string' || opts.target === '')
    throw new InvalidOptionsError('target', 'expected the target speaker as a non-empty string');
  const target = opts.target;
  let acc: HashingAccumulator | undefined;
  const texts: string[] = [];
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
    const parts = await det.streamParts();
    if (m.speaker === target) {
      targetMessages++;
      targetCharacters += m.text.length;
      if (m.text.trim() !== '') {
        if (parts.embedder instanceof HashingEmbedder) {
          acc ??= parts.embedder.accumulator();
          acc.add(m.text);
        }
        texts.push(m.text);
      }
    } else if (latest) {
      return latest;
    }
    let d: Detection;
    if (texts.length === 0) d = abstained(det.name, NO_TEXT, started);
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
