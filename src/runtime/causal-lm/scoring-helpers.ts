import type { PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import { ModelLoadError } from '../../errors/model-load-error.js';
import { loadTransformers, type ModelHandle } from '../load-model.js';

/** The context length of a loaded model; see `CausalLmScorer.contextLength`. */
export function contextLengthOf(handle: ModelHandle): number {
  const c = handle.config;
  for (const key of ['n_positions', 'max_position_embeddings', 'n_ctx']) {
    const v = c[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  const m = (handle.tokenizer as { model_max_length?: unknown }).model_max_length;
  if (typeof m === 'number' && Number.isInteger(m) && m > 0 && m < 1e7) return m;
  throw new ModelLoadError(
    handle.location,
    `config.json of ${handle.location} gives no context length (n_positions or max_position_embeddings): add one`,
    { file: 'config.json' },
  );
}

export function checkText(text: unknown, what: string): asserts text is string {
  if (typeof text !== 'string') throw new InvalidOptionsError(what, `expected a string, got ${typeof text}`);
}

export function checkIds(ids: readonly number[], handle: ModelHandle): void {
  const v = handle.config['vocab_size'];
  const size = typeof v === 'number' && v > 0 ? v : Number.POSITIVE_INFINITY;
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new InvalidOptionsError(
        'ids',
        `token id ${String(id)} is outside the vocabulary of ${handle.location}`,
      );
    }
  }
}

export function candidateIds(tokenizer: PreTrainedTokenizer, candidates: readonly string[]): number[][] {
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new InvalidOptionsError(
      'candidates',
      'give at least one candidate continuation, e.g. [" bot", " human"]',
    );
  }
  return candidates.map((c, i) => {
    checkText(c, `candidates[${i}]`);
    const ids = tokenizer.encode(c, { add_special_tokens: false });
    if (ids.length === 0)
      throw new InvalidOptionsError(`candidates[${i}]`, 'tokenizes to nothing: use a non-empty word');
    return ids;
  });
}

export function tooShort(n: number): InvalidOptionsError {
  return new InvalidOptionsError('text', `has ${n} token(s); perplexity and entropy need at least 2`);
}

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function perplexityOf(logprobs: readonly number[]): number | null {
  const m = mean(logprobs);
  return m === null ? null : Math.exp(-m);
}

/**
 * Calls `fn(begin, end, firstTarget)` for each window `[begin, end)` of `ids`; the window scores the targets
 * `firstTarget..end-1` (a target j is predicted by the logits at position j-1). Each target is scored once.
 */
export async function forEachWindow(
  ids: readonly number[],
  { window, stride }: { window: number; stride: number },
  signal: AbortSignal | undefined,
  fn: (begin: number, end: number, firstTarget: number) => Promise<void>,
): Promise<void> {
  const n = ids.length;
  if (n < 2) return;
  let begin = 0;
  let scoredUpTo = 1;
  for (;;) {
    AbortedError.throwIfAborted(signal, 'Scoring with the causal LM');
    const end = Math.min(begin + window, n);
    await fn(begin, end, Math.max(scoredUpTo, begin + 1));
    scoredUpTo = end;
    if (end === n) return;
    begin += stride;
  }
}

/** The logits of one forward pass, as float32, with a way to free them. */
export interface Logits {
  data: Float32Array;
  rows: number;
  vocab: number;
  release(): void;
}

/**
 * One forward pass over `ids` (batch 1). `lastOnly` asks for the last position's logits only when the graph
 * takes `num_logits_to_keep`. Every output tensor other than the logits (e.g. `present.*` caches) is freed at
 * once; the logits are freed by `release()`.
 */
export async function forwardLogits(
  handle: ModelHandle,
  ids: readonly number[],
  lastOnly = false,
): Promise<Logits> {
  const { Tensor } = await loadTransformers();
  const n = ids.length;
  const inputIds = new Tensor(
    'int64',
    BigInt64Array.from(ids, (x) => BigInt(x)),
    [1, n],
  );
  const attentionMask = new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
  const inputs: Record<string, Tensor> = { input_ids: inputIds, attention_mask: attentionMask };
  const sessions =
    (handle.model as unknown as { sessions?: Record<string, { inputNames?: string[] }> }).sessions ?? {};
  const session = sessions['model'] ?? sessions['decoder_model_merged'];
  if (lastOnly && session?.inputNames?.includes('num_logits_to_keep')) {
    inputs['num_logits_to_keep'] = new Tensor('int64', BigInt64Array.of(1n), []);
  }
  let out: Record<string, unknown>;
  try {
    out = ((await handle.model.forward(inputs)) as Record<string, unknown> | undefined) ?? {};
  } finally {
    inputIds.dispose();
    attentionMask.dispose();
  }
  let logits = out['logits'] as Tensor | undefined;
  disposeOutputs(out, logits);
  if (logits?.dims.length !== 3) {
    throw new ModelLoadError(
      handle.location,
      `${handle.location} returned no [batch, tokens, vocab] logits: is it a causal LM?`,
    );
  }
  if (logits.type !== 'float32') {
    const converted = logits.to('float32');
    logits.dispose();
    logits = converted;
  }
  const [, rows, vocab] = logits.dims as [number, number, number];
  const held = logits;
  return { data: held.data as Float32Array, rows, vocab, release: () => held.dispose() };
}

/** Disposes every tensor in a model output (recursing into caches) except `keep`. */
export function disposeOutputs(value: unknown, keep: unknown, depth = 0): void {
  if (value === keep || value === null || typeof value !== 'object' || depth > 3) return;
  const v = value as { dispose?: unknown; dims?: unknown };
  if (Array.isArray(v.dims) && typeof v.dispose === 'function') {
    (v.dispose as () => void).call(v);
    return;
  }
  for (const child of Object.values(value as Record<string, unknown>)) disposeOutputs(child, keep, depth + 1);
}

/**
 * One pass over a logits row `x` (at `x[xOff..xOff+vocab)`): its log-sum-exp, and the expectation of the row
 * `y` (at `y[yOff..]`) under softmax(x). With y = x, `lse - expectation` is the entropy of softmax(x); with y the
 * logits of another model, `lse_y - expectation` is the cross-entropy of softmax(x) against softmax(y).
 * Log-softmax values are never materialized: `log p(v) = x[v] - lse`.
 */
export function rowStats(
  x: Float32Array,
  xOff: number,
  vocab: number,
  y: Float32Array,
  yOff: number,
): { lse: number; expectation: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < vocab; v++) {
    const a = x[xOff + v]!;
    if (a > max) max = a;
  }
  let sum = 0;
  let weighted = 0;
  for (let v = 0; v < vocab; v++) {
    const e = Math.exp(x[xOff + v]! - max);
    if (e === 0) continue; // also keeps 0 * -Infinity (masked logits) out of the sum
    sum += e;
    weighted += e * y[yOff + v]!;
  }
  return { lse: max + Math.log(sum), expectation: weighted / sum };
}

/**
 * A prompt's token ids and the model's context length, for scoring what comes after the prompt.
 *
 * @param handle - the loaded model
 * @param prompt - the prompt
 * @throws InvalidOptionsError when the prompt has no tokens
 */
export function encodePrompt(handle: ModelHandle, prompt: string): { ids: number[]; ctx: number } {
  const ids = handle.tokenizer.encode(prompt);
  if (ids.length === 0) {
    throw new InvalidOptionsError(
      'prompt',
      'is empty after tokenization: give the model some text to continue',
    );
  }
  return { ids, ctx: contextLengthOf(handle) };
}

/**
 * Throws unless `length` tokens fit the model's context.
 *
 * @param length - the tokens to run (the prompt, or the prompt with a candidate)
 * @param ctx - the model's context length
 * @param what - how the message names them (`has`, or `with a candidate it has`)
 * @throws InvalidOptionsError naming `prompt` when they do not fit
 */
export function checkFitsContext(length: number, ctx: number, what = 'has'): void {
  if (length > ctx) {
    throw new InvalidOptionsError(
      'prompt',
      `${what} ${length} tokens, more than the model's context of ${ctx}: shorten it`,
    );
  }
}
