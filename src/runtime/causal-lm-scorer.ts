import type { PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import type { DetectOptions } from '../core/detector.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { ModelLoadError } from '../errors/model-load-error.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import { acquireModel, loadTransformers, type ModelHandle } from './load-model.js';
import { type ModelOptions, validateModelOptions } from './model-options.js';

/** Options for `CausalLmScorer`: where the model comes from, and how long texts are windowed. */
export interface CausalLmScorerOptions extends ModelOptions {
  /**
   * Most tokens per forward pass. Longer texts are scored in sliding windows of this size (see `stride`). The
   * logits of one window take `windowTokens x vocabulary x 4` bytes (about 200 MB for GPT-2 at 1024), and only
   * one window is held at a time.
   * @defaultValue the model's context length (`n_positions` / `max_position_embeddings` / `n_ctx` in its
   * config), capped at 1024
   */
  windowTokens?: number;
  /**
   * How far each window moves past the previous one, in tokens (1 to `windowTokens - 1`). Every token is scored
   * once; tokens after the first window see at least `windowTokens - stride` tokens of context.
   * @defaultValue half of `windowTokens`
   */
  stride?: number;
}

/** Token ids of one text and the log-probability of each token after the first. */
export interface TokenLogprobs {
  /** The token ids, as the tokenizer gives them with its default special tokens (GPT-2 adds none). */
  ids: number[];
  /** `logprobs[i] = log p(ids[i+1] | ids[0..i])` in nats; `ids.length - 1` entries (none for under 2 tokens). */
  logprobs: number[];
}

/** Per-token scores of one text under a causal LM. */
export interface TokenScores extends TokenLogprobs {
  /** `entropies[i]`: entropy (nats) of the next-token distribution after `ids[0..i]`; as long as `logprobs`. */
  entropies: number[];
}

/** {@link TokenScores} plus the summary figures. */
export interface TextScores extends TokenScores {
  /** `exp(-mean(logprobs))`, or `null` when the text has fewer than 2 tokens. */
  perplexity: number | null;
  /** `mean(entropies)`, or `null` when the text has fewer than 2 tokens. */
  entropyMean: number | null;
}

/** Per-token scores of one text under a performer model, with the cross-entropy against an observer model. */
export interface CrossScores extends TokenScores {
  /**
   * `crossEntropies[i] = -sum_v p_observer(v | ids[0..i]) * log p_performer(v | ids[0..i])`, in nats: how
   * surprised the performer is, on average, by what the observer expects next.
   */
  crossEntropies: number[];
}

/** Log-probabilities of candidate continuations after a prompt. */
export interface CandidateScores {
  /** Per candidate, the token ids scored (the first token only, for `CausalLmScorer.nextTokenDistribution`). */
  tokenIds: number[][];
  /** Per candidate, its log-probability in nats. */
  logprobs: number[];
}

const DEFAULT_WINDOW_CAP = 1024;

/**
 * Scores text with a causal language model (GPT-2 style, ONNX through `@huggingface/transformers`): per-token
 * log-probabilities, perplexity, next-token entropy, the next-token distribution after a prompt, and the
 * cross-entropy between two models (for Binoculars). Models load on first use through the shared runtime, so
 * two scorers of the same model share one ONNX session.
 *
 * No BOS token is prepended: the first token is context only and is not scored, as in the reference
 * (`transformers`) perplexity computation.
 *
 * @example
 * ```ts
 * const lm = new CausalLmScorer({ model: 'Xenova/gpt2' });
 * const { ids, logprobs } = await lm.tokenLogprobs('hi there! how are you doing today?');
 * console.log(await lm.perplexity('hi there! how are you doing today?'));
 * await lm.dispose();
 * ```
 */
export class CausalLmScorer {
  /** The model id (or folder) this scorer loads. */
  readonly model: string;
  private readonly options: CausalLmScorerOptions;
  private handlePromise: Promise<ModelHandle> | undefined;
  private disposed = false;

  /**
   * @param options - model options (default model: the zoo's `perplexity` default, `Xenova/gpt2`) and windowing
   * @throws InvalidOptionsError for a bad option
   */
  constructor(options: CausalLmScorerOptions = {}) {
    validateModelOptions(options);
    for (const key of ['windowTokens', 'stride'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) {
        throw new InvalidOptionsError(key, `expected a positive integer, got ${String(v)}`);
      }
    }
    if (options.windowTokens !== undefined && options.windowTokens < 2) {
      throw new InvalidOptionsError(
        'windowTokens',
        'must be at least 2: a window needs a context token and a scored token',
      );
    }
    if (
      options.stride !== undefined &&
      options.windowTokens !== undefined &&
      options.stride >= options.windowTokens
    ) {
      throw new InvalidOptionsError(
        'stride',
        `must be below windowTokens (${options.windowTokens}) so windows overlap`,
      );
    }
    this.options = { ...options };
    this.model = options.model ?? defaultModelFor('perplexity').id;
  }

  /**
   * Loads the model (once; later calls reuse it). Called by every scoring method; call it yourself to load
   * up front.
   *
   * @param opts - `signal` to give up waiting (the load itself runs on)
   * @throws ModelLoadError when the model cannot be found or read
   */
  async load(opts: DetectOptions = {}): Promise<ModelHandle> {
    if (this.disposed)
      throw new InvalidOptionsError('scorer', 'this CausalLmScorer was disposed; create a new one');
    AbortedError.throwIfAborted(opts.signal, 'Loading the causal LM');
    if (!this.handlePromise) {
      this.handlePromise = acquireModel('causal-lm', {
        ...this.options,
        defaultModel: defaultModelFor('perplexity').id,
      });
      this.handlePromise.catch(() => {
        this.handlePromise = undefined;
      });
    }
    const handle = await this.handlePromise;
    AbortedError.throwIfAborted(opts.signal, 'Loading the causal LM');
    return handle;
  }

  /**
   * The model's context length in tokens: `n_positions`, `max_position_embeddings` or `n_ctx` from its config,
   * else the tokenizer's `model_max_length`.
   */
  async contextLength(): Promise<number> {
    return contextLengthOf(await this.load());
  }

  /**
   * The token ids of `text` (the tokenizer's default special tokens included; GPT-2 adds none).
   *
   * @param text - any text
   */
  async tokenize(text: string): Promise<number[]> {
    checkText(text, 'text');
    return (await this.load()).tokenizer.encode(text);
  }

  /**
   * Token ids and per-token log-probabilities: `logprobs[i] = log p(ids[i+1] | ids[0..i])`.
   *
   * @param text - any text; one with fewer than 2 tokens gives `logprobs: []`
   * @param opts - `signal` to cancel between windows
   */
  async tokenLogprobs(text: string, opts: DetectOptions = {}): Promise<TokenLogprobs> {
    const { ids, logprobs } = await this.score(text, opts);
    return { ids, logprobs };
  }

  /**
   * Everything about one text: ids, per-token log-probabilities and next-token entropies, perplexity and
   * mean entropy.
   *
   * @param text - any text
   * @param opts - `signal` to cancel between windows
   */
  async score(text: string, opts: DetectOptions = {}): Promise<TextScores> {
    checkText(text, 'text');
    const handle = await this.load(opts);
    const ids = handle.tokenizer.encode(text);
    const s = await this.scoreIds(ids, opts);
    return { ...s, perplexity: perplexityOf(s.logprobs), entropyMean: mean(s.entropies) };
  }

  /**
   * Scores token ids directly (for callers that build id sequences themselves).
   *
   * @param ids - token ids of this model's tokenizer
   * @param opts - `signal` to cancel between windows
   */
  async scoreIds(ids: readonly number[], opts: DetectOptions = {}): Promise<TokenScores> {
    const handle = await this.load(opts);
    checkIds(ids, handle);
    const logprobs = new Array<number>(Math.max(0, ids.length - 1));
    const entropies = new Array<number>(logprobs.length);
    await forEachWindow(ids, this.windowing(handle), opts.signal, async (begin, end, first) => {
      const logits = await forwardLogits(handle, ids.slice(begin, end));
      try {
        const { data, vocab } = logits;
        for (let j = first; j < end; j++) {
          const row = (j - 1 - begin) * vocab;
          const { lse, expectation } = rowStats(data, row, vocab, data, row);
          logprobs[j - 1] = data[row + ids[j]!]! - lse;
          entropies[j - 1] = lse - expectation;
        }
      } finally {
        logits.release();
      }
    });
    return { ids: [...ids], logprobs, entropies };
  }

  /**
   * Perplexity of `text`: `exp` of the mean negative log-probability of its tokens after the first.
   *
   * @param text - a text of at least 2 tokens
   * @param opts - `signal` to cancel
   * @throws InvalidOptionsError when the text has fewer than 2 tokens
   */
  async perplexity(text: string, opts: DetectOptions = {}): Promise<number> {
    const s = await this.score(text, opts);
    if (s.perplexity === null) throw tooShort(s.ids.length);
    return s.perplexity;
  }

  /**
   * Mean entropy (nats) of the model's next-token distribution over the positions that predict a token of
   * `text` (all but the last).
   *
   * @param text - a text of at least 2 tokens
   * @param opts - `signal` to cancel
   * @throws InvalidOptionsError when the text has fewer than 2 tokens
   */
  async entropyMean(text: string, opts: DetectOptions = {}): Promise<number> {
    const s = await this.score(text, opts);
    if (s.entropyMean === null) throw tooShort(s.ids.length);
    return s.entropyMean;
  }

  /**
   * Log-probabilities of each candidate's first token right after `prompt`. Tokenize candidates as they would
   * follow the prompt: with GPT-2's byte-level BPE, `' bot'` (leading space) is one token.
   *
   * @param prompt - the prompt (at least one token, at most the model's context length)
   * @param candidates - continuations; each is tokenized without special tokens and its first token is scored
   * @param opts - `signal` to cancel
   * @throws InvalidOptionsError for an empty candidate, an empty prompt, or a prompt longer than the context
   *
   * @example
   * ```ts
   * const { logprobs } = await lm.nextTokenDistribution('Answer:', [' bot', ' human']);
   * const pBot = Math.exp(logprobs[0]) / (Math.exp(logprobs[0]) + Math.exp(logprobs[1]));
   * ```
   */
  async nextTokenDistribution(
    prompt: string,
    candidates: readonly string[],
    opts: DetectOptions = {},
  ): Promise<CandidateScores> {
    checkText(prompt, 'prompt');
    const handle = await this.load(opts);
    const tokenIds = candidateIds(handle.tokenizer, candidates).map((c) => [c[0]!]);
    const ids = handle.tokenizer.encode(prompt);
    if (ids.length === 0)
      throw new InvalidOptionsError(
        'prompt',
        'is empty after tokenization: give the model some text to continue',
      );
    const ctx = contextLengthOf(handle);
    if (ids.length > ctx) {
      throw new InvalidOptionsError(
        'prompt',
        `has ${ids.length} tokens, more than the model's context of ${ctx}: shorten it`,
      );
    }
    AbortedError.throwIfAborted(opts.signal, 'Scoring the next token');
    const logits = await forwardLogits(handle, ids, true);
    try {
      const { data, vocab, rows } = logits;
      const row = (rows - 1) * vocab;
      const { lse } = rowStats(data, row, vocab, data, row);
      return { tokenIds, logprobs: tokenIds.map((t) => data[row + t[0]!]! - lse) };
    } finally {
      logits.release();
    }
  }

  /**
   * Log-probability of each whole candidate continuation after `prompt`: the sum over all of the candidate's
   * tokens (one forward pass over prompt + candidate per candidate).
   *
   * @param prompt - the prompt (at least one token; with any candidate, at most the model's context length)
   * @param candidates - continuations, tokenized without special tokens
   * @param opts - `signal` to cancel
   * @throws InvalidOptionsError for an empty candidate or prompt, or one that does not fit the context
   */
  async sequenceLogprobs(
    prompt: string,
    candidates: readonly string[],
    opts: DetectOptions = {},
  ): Promise<CandidateScores> {
    checkText(prompt, 'prompt');
    const handle = await this.load(opts);
    const tokenIds = candidateIds(handle.tokenizer, candidates);
    const ids = handle.tokenizer.encode(prompt);
    if (ids.length === 0)
      throw new InvalidOptionsError(
        'prompt',
        'is empty after tokenization: give the model some text to continue',
      );
    const ctx = contextLengthOf(handle);
    const logprobs: number[] = [];
    for (const cand of tokenIds) {
      const all = [...ids, ...cand];
      if (all.length > ctx) {
        throw new InvalidOptionsError(
          'prompt',
          `with a candidate it has ${all.length} tokens, more than the model's context of ${ctx}: shorten it`,
        );
      }
      AbortedError.throwIfAborted(opts.signal, 'Scoring candidate continuations');
      // One pass over prompt + candidate, so every candidate token sees the whole prompt.
      const logits = await forwardLogits(handle, all);
      try {
        let sum = 0;
        for (let j = ids.length; j < all.length; j++) {
          const row = (j - 1) * logits.vocab;
          const { lse } = rowStats(logits.data, row, logits.vocab, logits.data, row);
          sum += logits.data[row + all[j]!]! - lse;
        }
        logprobs.push(sum);
      } finally {
        logits.release();
      }
    }
    return { tokenIds, logprobs };
  }

  /**
   * Scores `text` under this model (the performer) and computes, at every position, the cross-entropy of
   * `observer`'s next-token distribution against this model's: the two ingredients of the Binoculars score
   * (Hans et al. 2024, as in their reference code: log-perplexity under the performer divided by this mean
   * cross-entropy). Both models run on the same windows; when they are the same loaded model the cross-entropy
   * equals the entropy and only one forward pass is made.
   *
   * @param text - any text
   * @param observer - a scorer whose tokenizer has exactly this model's vocabulary
   * @param opts - `signal` to cancel between windows
   * @throws InvalidOptionsError when the two vocabularies differ (the scores would compare unrelated tokens)
   */
  async crossScores(text: string, observer: CausalLmScorer, opts: DetectOptions = {}): Promise<CrossScores> {
    checkText(text, 'text');
    const perf = await this.load(opts);
    const obs = await observer.load(opts);
    assertSameVocabulary(perf.tokenizer, obs.tokenizer, this.model, observer.model);
    const ids = perf.tokenizer.encode(text);
    checkIds(ids, perf);
    const same = perf.key === obs.key;
    const w = this.windowing(perf);
    const ow = observer.windowing(obs);
    const windowing = {
      window: Math.min(w.window, ow.window),
      stride: Math.min(w.stride, ow.stride, Math.min(w.window, ow.window) - 1),
    };
    const logprobs = new Array<number>(Math.max(0, ids.length - 1));
    const entropies = new Array<number>(logprobs.length);
    const crossEntropies = new Array<number>(logprobs.length);
    await forEachWindow(ids, windowing, opts.signal, async (begin, end, first) => {
      const slice = ids.slice(begin, end);
      const p = await forwardLogits(perf, slice);
      let o: Logits | undefined;
      try {
        o = same ? p : await forwardLogits(obs, slice);
        if (o.vocab !== p.vocab) {
          throw new InvalidOptionsError(
            'observer',
            `${observer.model} has ${o.vocab} logits per token and ${this.model} has ${p.vocab}: pick two models of one family`,
          );
        }
        for (let j = first; j < end; j++) {
          const row = (j - 1 - begin) * p.vocab;
          const self = rowStats(p.data, row, p.vocab, p.data, row);
          logprobs[j - 1] = p.data[row + ids[j]!]! - self.lse;
          entropies[j - 1] = self.lse - self.expectation;
          if (same) crossEntropies[j - 1] = entropies[j - 1]!;
          else {
            // -sum_v p_obs(v) * (x_perf(v) - lse_perf) = lse_perf - E_obs[x_perf]
            const cross = rowStats(o.data, row, o.vocab, p.data, row);
            crossEntropies[j - 1] = self.lse - cross.expectation;
          }
        }
      } finally {
        p.release();
        if (o && !same) o.release();
      }
    });
    return { ids, logprobs, entropies, crossEntropies };
  }

  /**
   * Releases the model (the ONNX session is freed when no other component holds it). The scorer cannot be used
   * afterwards.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    const p = this.handlePromise;
    this.handlePromise = undefined;
    if (!p) return;
    try {
      const handle = await p;
      await handle.release();
    } catch {
      // A failed load holds nothing.
    }
  }

  private windowing(handle: ModelHandle): { window: number; stride: number } {
    const window = this.options.windowTokens ?? Math.min(contextLengthOf(handle), DEFAULT_WINDOW_CAP);
    if (window > contextLengthOf(handle)) {
      throw new InvalidOptionsError(
        'windowTokens',
        `${window} exceeds ${this.model}'s context of ${contextLengthOf(handle)} tokens`,
      );
    }
    const stride = this.options.stride ?? Math.max(1, Math.floor(window / 2));
    if (stride >= window)
      throw new InvalidOptionsError('stride', `must be below the window of ${window} tokens`);
    return { window, stride };
  }
}

/** Tokenizer pairs already found to share a vocabulary: `crossScores` asks on every call, the answer never changes. */
const sameVocabulary = new WeakMap<object, WeakSet<object>>();

/**
 * Throws unless the two tokenizers have the same vocabulary (every token string maps to the same id), which
 * two-model scores such as Binoculars need. A pair that passed once is not compared again.
 *
 * @param a - first tokenizer (anything with `get_vocab()`)
 * @param b - second tokenizer
 * @param nameA - its model name, for the message
 * @param nameB - its model name, for the message
 * @throws InvalidOptionsError naming the first difference
 *
 * @example
 * ```ts
 * assertSameVocabulary(gpt2.tokenizer, distilgpt2.tokenizer, 'Xenova/gpt2', 'Xenova/distilgpt2'); // passes
 * ```
 */
export function assertSameVocabulary(
  a: Pick<PreTrainedTokenizer, 'get_vocab'>,
  b: Pick<PreTrainedTokenizer, 'get_vocab'>,
  nameA: string,
  nameB: string,
): void {
  if (a === b || sameVocabulary.get(a)?.has(b)) return;
  const va = a.get_vocab();
  const vb = b.get_vocab();
  const fail = (why: string) =>
    new InvalidOptionsError(
      'observer',
      `${nameA} and ${nameB} do not share a tokenizer (${why}); Binoculars needs two models of one family, e.g. Xenova/gpt2 with Xenova/distilgpt2`,
    );
  if (va.size !== vb.size) throw fail(`${va.size} vs ${vb.size} tokens`);
  for (const [tok, id] of va) {
    if (vb.get(tok) !== id)
      throw fail(`token ${JSON.stringify(tok)} is ${id} in one and ${String(vb.get(tok))} in the other`);
  }
  const checked = sameVocabulary.get(a) ?? new WeakSet<object>();
  checked.add(b);
  sameVocabulary.set(a, checked);
}

/** The context length of a loaded model; see `CausalLmScorer.contextLength`. */
function contextLengthOf(handle: ModelHandle): number {
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

function checkText(text: unknown, what: string): asserts text is string {
  if (typeof text !== 'string') throw new InvalidOptionsError(what, `expected a string, got ${typeof text}`);
}

function checkIds(ids: readonly number[], handle: ModelHandle): void {
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

function candidateIds(tokenizer: PreTrainedTokenizer, candidates: readonly string[]): number[][] {
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

function tooShort(n: number): InvalidOptionsError {
  return new InvalidOptionsError('text', `has ${n} token(s); perplexity and entropy need at least 2`);
}

function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function perplexityOf(logprobs: readonly number[]): number | null {
  const m = mean(logprobs);
  return m === null ? null : Math.exp(-m);
}

/**
 * Calls `fn(begin, end, firstTarget)` for each window `[begin, end)` of `ids`; the window scores the targets
 * `firstTarget..end-1` (a target j is predicted by the logits at position j-1). Each target is scored once.
 */
async function forEachWindow(
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
interface Logits {
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
async function forwardLogits(handle: ModelHandle, ids: readonly number[], lastOnly = false): Promise<Logits> {
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
function disposeOutputs(value: unknown, keep: unknown, depth = 0): void {
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
function rowStats(
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
