import type { Tensor } from '@huggingface/transformers';
import { type BatchPlanOptions, mapInBatches } from './batching.js';
import { type EncodedText, padTokenId, padToTensors } from './encode-texts.js';
import type { ModelHandle, Transformers } from './load-model.js';
import { sessionInputNames } from './session-inputs.js';

/** Options for {@link runEncodedBatches}. */
export interface RunEncodedOptions extends BatchPlanOptions {
  /**
   * Which side gets the padding.
   * @defaultValue 'right'
   */
  side?: 'left' | 'right';
  /**
   * Checked between batches.
   * @defaultValue undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * Names the work in the abort error.
   * @defaultValue 'inference'
   */
  what?: string;
}

/**
 * Runs a text model on encoded texts in length-sorted batches: each batch is padded into the tensors the model
 * takes (its own input names and pad token), run, and its outputs handed to `read`, which returns one result per
 * row of the batch. Results come back in input order.
 *
 * @param T - the transformers.js module from `loadTransformers()`
 * @param handle - the loaded model and tokenizer
 * @param rows - the encodings, from `encodeTexts`
 * @param read - turns one batch's outputs into one result per row (`indices` are the rows, in batch order)
 * @param options - batch size, token budget, padding side and abort signal
 * @throws AbortedError when `signal` aborts between batches
 *
 * @example
 * ```ts
 * const logits = await runEncodedBatches(T, h, encodeTexts(h.tokenizer, texts, { maxLength: 128 }), (out, _f, idx) =>
 *   idx.map((_, b) => out['logits']!.data[b * 2]),
 * );
 * ```
 *
 * @internal
 */
export function runEncodedBatches<R>(
  T: Transformers,
  handle: Pick<ModelHandle, 'model' | 'tokenizer'>,
  rows: readonly EncodedText[],
  read: (out: Record<string, Tensor>, feeds: Record<string, Tensor>, indices: number[]) => R[],
  options: RunEncodedOptions = {},
): Promise<R[]> {
  const { side, ...batching } = options;
  const inputNames = sessionInputNames(handle.model);
  const padId = padTokenId(handle.tokenizer);
  return mapInBatches(
    rows.map((r) => r.input_ids.length),
    async (indices) => {
      const feeds = padToTensors(
        T,
        indices.map((i) => rows[i]!),
        { padId, ...(side ? { side } : {}), ...(inputNames ? { inputNames } : {}) },
      );
      const out = (await handle.model(feeds)) as Record<string, Tensor>;
      return read(out, feeds, indices);
    },
    batching,
  );
}
