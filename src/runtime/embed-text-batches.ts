import type { Tensor } from '@huggingface/transformers';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import type { BatchPlanOptions } from './batching.js';
import { encodeTexts, modelMaxLength, paddingSide } from './encode-texts.js';
import { loadTransformers } from './load-model.js';
import type { ModelHolder } from './model-holder.js';
import { runEncodedBatches } from './run-encoded.js';

/** How {@link embedTextBatches} runs. @internal */
export interface TextBatchOptions extends BatchPlanOptions {
  /** Names the work in the abort error, e.g. `CLIP text embedding`. */
  what: string;
  /** Checked before loading and between batches. */
  signal: AbortSignal | undefined;
  /** A cap on the tokens per text below the model's own limit. */
  maxLength?: number | undefined;
  /** Pad on the side the tokenizer asks for (else on the right). */
  tokenizerPadding?: boolean;
}

/**
 * Runs texts through a held text model in length-sorted batches: the texts checked to be strings, an abort
 * check, then (when there are any) the model loaded, the texts tokenized to the model's limit (and `maxLength`)
 * and run; `read` turns each batch's outputs into one row per text, returned in input order.
 *
 * @param holder - the model
 * @param texts - the texts, as the caller got them
 * @param read - one row per text of a batch, from the batch's outputs and feeds
 * @param options - batching, padding, the abort signal and the work's name
 * @throws InvalidOptionsError when `texts` is not an array of strings; AbortedError when aborted
 *
 * @internal
 */
export async function embedTextBatches<R>(
  holder: ModelHolder,
  texts: readonly string[],
  read: (out: Record<string, Tensor>, feeds: Record<string, Tensor>) => R[],
  options: TextBatchOptions,
): Promise<R[]> {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
    throw new InvalidOptionsError('texts', 'expected an array of strings');
  }
  const { what, signal, tokenizerPadding, maxLength, ...batching } = options;
  AbortedError.throwIfAborted(signal, what);
  if (texts.length === 0) return [];
  const h = await holder.get();
  const T = await loadTransformers();
  const rows = encodeTexts(h.tokenizer, texts, {
    maxLength: modelMaxLength(h.tokenizer, h.config, maxLength),
  });
  return runEncodedBatches(T, h, rows, read, {
    ...batching,
    ...(tokenizerPadding && { side: paddingSide(h.tokenizer) }),
    signal,
    what,
  });
}
