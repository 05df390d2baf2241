import type { DetectOptions } from '../core/detector.js';
import { type OptionKeys, refuseUnknownKeys } from '../core/refuse-unknown-keys.js';
import { AbortedError } from '../errors/aborted-error.js';
import { InvalidOptionsError } from '../errors/invalid-options-error.js';
import { defaultModelFor } from '../zoo/model-zoo.js';
import type {
  CandidateScores,
  CausalLmScorerOptions,
  CrossScores,
  TextScores,
  TokenLogprobs,
  TokenScores,
} from './causal-lm/causal-lm-types.js';
import {
  candidateIds,
  checkFitsContext,
  checkIds,
  checkText,
  contextLengthOf,
  encodePrompt,
  forEachWindow,
  forwardLogits,
  type Logits,
  mean,
  perplexityOf,
  rowStats,
  tooShort,
} from './causal-lm/scoring-helpers.js';
import { assertSameVocabulary } from './causal-lm/vocabulary.js';
import { lmWindowChecks } from './causal-lm/window-checks.js';
import { acquireModel, type ModelHandle } from './load-model.js';
import { MODEL_OPTION_KEYS, validateModelOptions } from './model-options.js';

/** Every key of {@link CausalLmScorerOptions}: `new CausalLmScorer()` refuses any other. */
const CAUSAL_LM_SCORER_OPTION_KEYS: OptionKeys<CausalLmScorerOptions> = {
  ...MODEL_OPTION_KEYS,
  windowTokens: true,
  stride: true,
};

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
    refuseUnknownKeys(options, CAUSAL_LM_SCORER_OPTION_KEYS, 'the options of new CausalLmScorer()');
    validateModelOptions(options);
    lmWindowChecks.windowTokens(options.windowTokens);
    lmWindowChecks.stride(options.stride);
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
    const { handle, tokenIds, ids, ctx } = await this.promptAndCandidates(prompt, candidates, opts, true);
    checkFitsContext(ids.length, ctx);
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
    const { handle, tokenIds, ids, ctx } = await this.promptAndCandidates(prompt, candidates, opts, false);
    const logprobs: number[] = [];
    for (const cand of tokenIds) {
      const all = [...ids, ...cand];
      checkFitsContext(all.length, ctx, 'with a candidate it has');
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

  /** The model, once the prompt is checked to be a string (the opening of the candidate scorers). */
  /**
   * What both candidate scorers start from: the loaded model, each candidate's token ids (cut to its first
   * token when `firstTokenOnly`), the prompt's token ids and the context length.
   */
  private async promptAndCandidates(
    prompt: string,
    candidates: readonly string[],
    opts: DetectOptions,
    firstTokenOnly: boolean,
  ): Promise<{ handle: ModelHandle; tokenIds: number[][]; ids: number[]; ctx: number }> {
    const handle = await this.loadForPrompt(prompt, opts);
    const all = candidateIds(handle.tokenizer, candidates);
    const tokenIds = firstTokenOnly ? all.map((c) => [c[0]!]) : all;
    return { handle, tokenIds, ...encodePrompt(handle, prompt) };
  }

  private async loadForPrompt(prompt: string, opts: DetectOptions): Promise<ModelHandle> {
    checkText(prompt, 'prompt');
    return this.load(opts);
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
